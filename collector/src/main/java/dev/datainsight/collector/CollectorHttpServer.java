package dev.datainsight.collector;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code GET /metrics} (Prometheus text format, {@link CollectorMetrics}) and {@code GET /health}
 * (JSON, 200 while {@link Collector#health} says up, 503 with the reasons otherwise) of one
 * collector, on the JDK's HTTP server, like the notifier's. Read-only; neither carries a URL, a
 * user or a password: servers appear by instance id only.
 */
public final class CollectorHttpServer implements AutoCloseable {
    /** Pending Kafka records without any broker answer for this long make {@code /health} 503. */
    public static final Duration DEFAULT_KAFKA_STALL_LIMIT = Duration.ofSeconds(30);

    private final HttpServer server;
    private final ExecutorService executor;
    private final ObjectMapper json = new ObjectMapper();

    private CollectorHttpServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Serves {@code collector} at {@code address} with the default Kafka stall limit. */
    public static CollectorHttpServer start(InetSocketAddress address, Collector collector) throws IOException {
        return start(address, collector, DEFAULT_KAFKA_STALL_LIMIT);
    }

    /** As above; {@code kafkaStallLimit}: how long pending records may go unanswered before {@code /health} says down. */
    public static CollectorHttpServer start(InetSocketAddress address, Collector collector, Duration kafkaStallLimit)
            throws IOException {
        HttpServer s = HttpServer.create(address, 16);
        ExecutorService ex = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "collector-http");
            t.setDaemon(true);
            return t;
        });
        s.setExecutor(ex);
        CollectorHttpServer out = new CollectorHttpServer(s, ex);
        s.createContext("/metrics", new MetricsHandler(collector.metrics().registry()));
        s.createContext("/health", e -> out.health(e, collector, kafkaStallLimit));
        s.start();
        return out;
    }

    /**
     * {@code PORT} (bound to the loopback interface), {@code HOST:PORT} or {@code [IPv6]:PORT}
     * ({@code 0.0.0.0:PORT} for every interface) as an address to bind.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static InetSocketAddress listenAddress(String spec) {
        String s = spec == null ? "" : spec.strip();
        int colon = s.lastIndexOf(':');
        String host = colon < 0 ? null : s.substring(0, colon).replace("[", "").replace("]", "");
        String portText = colon < 0 ? s : s.substring(colon + 1);
        if (host != null && host.isEmpty()) {
            throw new IllegalArgumentException("'" + spec + "': give PORT (loopback), HOST:PORT or 0.0.0.0:PORT");
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + spec + "': the port is not a number; give PORT or HOST:PORT");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("'" + spec + "': port out of range");
        }
        return host == null ? new InetSocketAddress(InetAddress.getLoopbackAddress(), port) : new InetSocketAddress(host, port);
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    private void health(HttpExchange e, Collector collector, Duration kafkaStallLimit) throws IOException {
        try (e) {
            boolean head = "HEAD".equals(e.getRequestMethod());
            if (!"GET".equals(e.getRequestMethod()) && !head) {
                e.sendResponseHeaders(405, -1);
                return;
            }
            CollectorHealth h = collector.health(kafkaStallLimit);
            ObjectNode n = json.createObjectNode();
            n.put("status", h.up() ? "up" : "down");
            ArrayNode reasons = n.putArray("reasons");
            h.reasons().forEach(reasons::add);
            ObjectNode inst = n.putObject("instances");
            inst.put("total", h.instances());
            inst.put("up", h.instancesUp());
            inst.put("down", h.instancesDown().size());
            inst.put("unknown", h.instancesUnknown());
            ArrayNode down = inst.putArray("down_ids");
            h.instancesDown().forEach(down::add);
            n.put("last_tick_ms_ago", h.lastTickMillisAgo());
            if (h.kafka() != null) {
                ObjectNode k = n.putObject("kafka");
                k.put("queued", h.kafka().queued());
                k.put("in_flight", h.kafka().inFlight());
                k.put("stalled_ms", h.kafka().stalledMillis());
                k.put("dropped", h.kafka().dropped());
                k.put("rejected", h.kafka().rejected());
            }
            byte[] body = json.writeValueAsBytes(n);
            e.getResponseHeaders().set("Content-Type", "application/json");
            e.getResponseHeaders().set("Cache-Control", "no-store");
            e.sendResponseHeaders(h.up() ? 200 : 503, head ? -1 : body.length);
            if (!head) {
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
