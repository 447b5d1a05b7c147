package dev.datainsight.hosts;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real Debian prometheus-node-exporter on a free loopback port, for the tests. */
final class NodeExporterProcess implements AutoCloseable {
  static final Path BINARY = Path.of("/usr/bin/prometheus-node-exporter");

  private final Process process;
  private final URI url;
  private final Path log;

  private NodeExporterProcess(Process process, URI url, Path log) {
    this.process = process;
    this.url = url;
    this.log = log;
  }

  /** Starts node_exporter with only the given collectors plus {@code extraArgs}. */
  static NodeExporterProcess start(Path workDir, List<String> collectors, String... extraArgs)
      throws IOException, InterruptedException {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException(BINARY + " is missing: apt-get install prometheus-node-exporter "
          + "(.ci/run installs it)");
    }
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    List<String> cmd = new ArrayList<>(List.of(BINARY.toString(),
        "--web.listen-address=127.0.0.1:" + port, "--collector.disable-defaults"));
    for (String c : collectors) {
      cmd.add("--collector." + c);
    }
    cmd.addAll(List.of(extraArgs));
    Files.createDirectories(workDir);
    Path log = workDir.resolve("node_exporter-" + port + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    URI url = URI.create("http://127.0.0.1:" + port + "/metrics");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (true) {
      if (!p.isAlive()) {
        throw new IllegalStateException("node_exporter exited " + p.exitValue() + ": " + Files.readString(log));
      }
      try {
        HttpURLConnection c = (HttpURLConnection) url.toURL().openConnection();
        c.setConnectTimeout(500);
        c.setReadTimeout(2000);
        int code = c.getResponseCode();
        c.disconnect();
        if (code == 200) {
          break;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        p.destroyForcibly();
        throw new IllegalStateException("node_exporter did not answer on " + url + ": " + Files.readString(log));
      }
      Thread.sleep(100);
    }
    return new NodeExporterProcess(p, url, log);
  }

  URI url() {
    return url;
  }

  Path log() {
    return log;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
