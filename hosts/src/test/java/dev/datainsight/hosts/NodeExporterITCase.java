package dev.datainsight.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Scrapes a real node_exporter (Debian's prometheus-node-exporter) started by the test. */
class NodeExporterITCase {
  private static final Path WORK = Path.of("target", "node-exporter").toAbsolutePath();
  private static NodeExporterProcess exporter;

  @BeforeAll
  static void start() throws Exception {
    exporter = NodeExporterProcess.start(WORK,
        List.of("cpu", "meminfo", "vmstat", "filesystem", "diskstats", "loadavg", "netdev"),
        // Debian's default excludes lo; the test wants it (its own scrapes cross it)
        "--collector.netdev.device-exclude=^$");
  }

  @AfterAll
  static void stop() throws Exception {
    if (exporter != null) {
      exporter.close();
    }
  }

  @Test
  void scrapeGivesASaneHostSample() throws Exception {
    NodeExporterScraper scraper = new NodeExporterScraper(exporter.url());
    HostSample s = scraper.scrape();
    assertEquals("node_exporter", s.source());
    assertTrue(s.cpuSeconds("user") > 0, "user CPU seconds " + s.cpuSecondsByMode());
    assertTrue(s.cpuSeconds("idle") > 0);
    for (String mode : List.of("system", "iowait", "steal", "nice", "irq", "softirq")) {
      assertNotNull(s.cpuSeconds(mode), mode);
    }
    assertEquals(ProcFiles.cpuCount(), s.cpuCount());
    // node_exporter's sum over CPUs is the aggregate line of /proc/stat, read a moment later
    double procUser = ProcFiles.cpuSeconds()[0];
    assertTrue(Math.abs(procUser - s.cpuSeconds("user")) < 5.0, procUser + " vs " + s.cpuSeconds("user"));

    assertEquals(ProcFiles.memTotalBytes(), s.memory().memTotalBytes());
    assertTrue(s.memory().memAvailableBytes() > 0
        && s.memory().memAvailableBytes() <= s.memory().memTotalBytes());
    assertNotNull(s.memory().swapTotalBytes());
    assertNotNull(s.memory().swapInPages());
    assertNotNull(s.load1());
    assertTrue(s.load1() >= 0 && s.load15() >= 0);

    Path worktree = Path.of("").toAbsolutePath().toRealPath();
    HostSample.Filesystem fs = DirectoryMapper.filesystemOf(worktree.toString(), s.filesystems());
    assertNotNull(fs, "no filesystem for " + worktree + " in " + s.filesystems());
    assertEquals(Files.getFileStore(worktree).getTotalSpace(), fs.sizeBytes());
    assertTrue(fs.availBytes() > 0 && fs.availBytes() <= fs.sizeBytes());
    assertTrue(fs.files() > 0 && fs.filesFree() <= fs.files());

    assertTrue(!s.disks().isEmpty(), "no disks");
    assertTrue(s.network().stream().anyMatch(n -> n.device().equals("lo")), "no lo in " + s.network());

    // rates between two scrapes: write a little so a disk and lo move
    Files.write(WORK.resolve("io.bin"), new byte[1 << 20]);
    Thread.sleep(1100);
    HostSample later = scraper.scrape();
    HostRates r = HostRates.between(s, later);
    double total = r.cpuFractionByMode().values().stream().mapToDouble(Double::doubleValue).sum();
    assertEquals(1.0, total, 1e-9);
    assertTrue(r.cpuBusyFraction() > 0 && r.cpuBusyFraction() <= 1);
    for (HostRates.DiskRates d : r.disks()) {
      assertTrue(d.utilisation() >= 0 && d.utilisation() <= 1, d.toString());
      assertTrue(d.awaitMs() == null || d.awaitMs() >= 0, d.toString());
    }
    HostRates.NetworkRates lo = r.network().stream().filter(n -> n.device().equals("lo")).findFirst().orElseThrow();
    assertTrue(lo.receiveBytesPerSecond() > 0, "the scrape itself crosses lo: " + lo);
  }

  @Test
  void bodyOverTheCapIsRefused() {
    NodeExporterScraper small = new NodeExporterScraper(exporter.url(), Duration.ofSeconds(2),
        Duration.ofSeconds(5), 4096, Clock.systemUTC());
    IOException e = assertThrows(IOException.class, small::scrape);
    assertTrue(e.getMessage().contains("cap of 4096"), e.getMessage());
  }

  @Test
  void notAnExpositionIsRefused() {
    // node_exporter's landing page is HTML, not the text format
    URI landing = exporter.url().resolve("/");
    IOException e = assertThrows(IOException.class, () -> new NodeExporterScraper(landing).scrape());
    assertTrue(e.getMessage().contains("malformed exposition"), e.getMessage());
  }

  @Test
  void aServerThatNeverAnswersTimesOut() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        try (Socket ignored = silent.accept()) {
          Thread.sleep(10_000);
        } catch (IOException | InterruptedException done) {
          // closed by the test
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      NodeExporterScraper s = new NodeExporterScraper(
          URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/metrics"),
          Duration.ofSeconds(1), Duration.ofMillis(500), 1 << 20, Clock.systemUTC());
      long t0 = System.nanoTime();
      assertThrows(java.net.http.HttpTimeoutException.class, s::scrape);
      assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
      acceptor.interrupt();
    }
  }
}
