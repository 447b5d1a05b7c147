package dev.datainsight.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code GET /metrics} (Prometheus text format, {@link NotifierMetrics}) and {@code GET /health}
 * (JSON, 200 while {@link AlertConsumer#health()} is up, 503 otherwise) of one notifier, on the
 * JDK's HTTP server. Read-only; no secrets in either (target names are URLs without headers).
 */
public final class NotifierHttpServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;
    private final ObjectMapper json = new ObjectMapper();

    private NotifierHttpServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    public static NotifierHttpServer start(InetSocketAddress address, AlertConsumer consumer) throws IOException {
        HttpServer s = HttpServer.create(address, 16);
        ExecutorService ex = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "notify-http");
            t.setDaemon(true);
            return t;
        });
        s.setExecutor(ex);
        NotifierHttpServer out = new NotifierHttpServer(s, ex);
        s.createContext("/metrics", new MetricsHandler(consumer.metrics().registry()));
        s.createContext("/health", e -> out.health(e, consumer));
        s.start();
        return out;
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    private void health(HttpExchange e, AlertConsumer consumer) throws IOException {
        try (e) {
            if (!"GET".equals(e.getRequestMethod()) && !"HEAD".equals(e.getRequestMethod())) {
                e.sendResponseHeaders(405, -1);
                return;
            }
            AlertConsumer.Health h = consumer.health();
            ObjectNode n = json.createObjectNode();
            n.put("status", h.up() ? "up" : "down");
            n.put("reason", h.reason());
            n.putPOJO("assigned_partitions", h.assignedPartitions());
            n.put("last_poll_ms_ago", h.lastPollMillisAgo());
            ObjectNode q = n.putObject("queued");
            h.queued().forEach(q::put);
            byte[] body = json.writeValueAsBytes(n);
            e.getResponseHeaders().set("Content-Type", "application/json");
            e.getResponseHeaders().set("Cache-Control", "no-store");
            e.sendResponseHeaders(h.up() ? 200 : 503, "HEAD".equals(e.getRequestMethod()) ? -1 : body.length);
            if (!"HEAD".equals(e.getRequestMethod())) {
                try (OutputStream os = e.getResponseBody()) {
                    os.write(body);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
