package dev.datainsight.advisor;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A local HTTP server on a free loopback port that answers {@code POST /v1/chat/completions}
 * with recorded responses from {@code src/test/resources/recorded/}, one scripted reply per
 * request, and records what it received. A reply may wait before its headers, or stream its body
 * in chunks (chunked transfer encoding) with a pause between them. {@code ${KEY}} in a body is
 * replaced by the bearer token the request carried (a provider's 401 echoing the key).
 */
final class ReplayServer implements AutoCloseable {

  record Reply(int status, String body, long delayBeforeHeadersMs, int chunks, long delayBetweenChunksMs) {
    static Reply recorded(int status, String file) {
      return new Reply(status, load(file), 0, 0, 0);
    }

    static Reply raw(int status, String body) {
      return new Reply(status, body, 0, 0, 0);
    }

    Reply delayed(long ms) {
      return new Reply(status, body, ms, chunks, delayBetweenChunksMs);
    }

    Reply chunked(int n, long pauseMs) {
      return new Reply(status, body, delayBeforeHeadersMs, n, pauseMs);
    }
  }

  record Received(String path, Map<String, List<String>> headers, String body) {
    String authorization() {
      List<String> v = headers.get("Authorization");
      return v == null ? null : v.get(0);
    }
  }

  private final HttpServer server;
  private final ConcurrentLinkedQueue<Reply> script = new ConcurrentLinkedQueue<>();
  final List<Received> received = new CopyOnWriteArrayList<>();

  ReplayServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "replay-server");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", this::handle);
    server.start();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  ReplayServer then(Reply r) {
    script.add(r);
    return this;
  }

  int requests() {
    return received.size();
  }

  static String load(String file) {
    try (InputStream in = ReplayServer.class.getResourceAsStream("/recorded/" + file)) {
      if (in == null) {
        throw new IllegalArgumentException("no recorded response " + file);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    received.add(new Received(ex.getRequestURI().getPath(), Map.copyOf(ex.getRequestHeaders()), body));
    Reply r = script.poll();
    if (r == null) {
      r = Reply.raw(599, "{\"error\":{\"message\":\"no scripted reply left\"}}");
    }
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    String token = auth != null && auth.startsWith("Bearer ") ? auth.substring(7) : "";
    byte[] out = r.body.replace("${KEY}", token).getBytes(StandardCharsets.UTF_8);
    try {
      sleep(r.delayBeforeHeadersMs);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      if (r.chunks > 0) {
        ex.sendResponseHeaders(r.status, 0); // 0 = chunked
        try (OutputStream os = ex.getResponseBody()) {
          int step = Math.max(1, (out.length + r.chunks - 1) / r.chunks);
          for (int off = 0; off < out.length; off += step) {
            os.write(out, off, Math.min(step, out.length - off));
            os.flush();
            sleep(r.delayBetweenChunksMs);
          }
        }
      } else {
        ex.sendResponseHeaders(r.status, out.length);
        try (OutputStream os = ex.getResponseBody()) {
          os.write(out);
        }
      }
    } catch (IOException e) {
      // the client hung up (it timed out): nothing to answer
    } finally {
      ex.close();
    }
  }

  private static void sleep(long ms) {
    if (ms <= 0) {
      return;
    }
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
