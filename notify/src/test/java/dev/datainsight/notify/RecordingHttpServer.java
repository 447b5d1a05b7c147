package dev.datainsight.notify;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A real HTTP server (the JDK's) on a free loopback port that records every request and answers
 * with the next scripted status code (then {@code defaultStatus}).
 */
final class RecordingHttpServer implements AutoCloseable {
    record Request(String method, String path, Map<String, List<String>> headers, String body, long receivedAtMillis) {
        String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Integer> script = new ConcurrentLinkedQueue<>();
    private volatile int defaultStatus = 200;
    private volatile Supplier<String> responseBody = () -> "";
    private volatile long delayMillis;

    RecordingHttpServer() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (delayMillis > 0) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Integer scripted = script.poll();
            int status = scripted != null ? scripted : defaultStatus;
            requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().getPath(), Map.copyOf(ex.getRequestHeaders()), body,
                    System.currentTimeMillis()));
            byte[] out = (status >= 400 ? "scripted failure " + status : responseBody.get()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                ex.getResponseBody().write(out);
            }
            ex.close();
        });
        server.start();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    /** The next answers, in order; after them every request gets {@link #answerAlways(int)}'s code. */
    RecordingHttpServer thenAnswer(Integer... statuses) {
        script.addAll(List.of(statuses));
        return this;
    }

    RecordingHttpServer answerAlways(int status) {
        defaultStatus = status;
        return this;
    }

    /** Takes this long to answer each request (requests are served one at a time). */
    RecordingHttpServer answerAfter(long millis) {
        delayMillis = millis;
        return this;
    }

    List<Request> requests() {
        return new ArrayList<>(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
