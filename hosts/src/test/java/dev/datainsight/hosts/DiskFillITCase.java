package dev.datainsight.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.datainsight.hosts.DiskForecast.Severity;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real filesystem filling up: a 64 MiB tmpfs mounted under target/ is filled by the test at about
 * 5 MiB/s while a real node_exporter is scraped every 200 ms; the forecast must go OK, then
 * WARNING, then CRITICAL from the fill rate, before the filesystem is full.
 */
class DiskFillITCase {
  private static final Path WORK = Path.of("target", "disk-fill").toAbsolutePath();
  private static final Path MOUNT = WORK.resolve("fs");
  private static final long SIZE = 64L << 20;
  private static final long CHUNK = 1L << 20;
  /** Scaled-down thresholds: seconds instead of hours, same shape as the defaults. */
  private static final DiskForecast.Thresholds FAST = new DiskForecast.Thresholds(Duration.ofSeconds(5),
      3, Duration.ofMillis(600), 0.005, Duration.ofSeconds(8), Duration.ofSeconds(3), 0.05, 0.02);

  private static boolean mounted;
  private static NodeExporterProcess exporter;

  @BeforeAll
  static void mountAndStart() throws Exception {
    Files.createDirectories(MOUNT);
    umountQuietly(); // a previous run killed before @AfterAll
    String uid = run("id", "-u").strip();
    if (!uid.equals("0")) {
      fail("DiskFillITCase mounts a tmpfs and must run as root (uid is " + uid + ")");
    }
    String out = run("mount", "-t", "tmpfs", "-o", "size=64m,mode=0755", "tmpfs", MOUNT.toString());
    mounted = true;
    assertEquals(SIZE, Files.getFileStore(MOUNT).getTotalSpace(), "tmpfs size; mount said: " + out);
    exporter = NodeExporterProcess.start(WORK, List.of("filesystem"));
  }

  @AfterAll
  static void stopAndUnmount() throws Exception {
    if (exporter != null) {
      exporter.close();
    }
    if (mounted) {
      run("umount", MOUNT.toString());
    }
  }

  record Step(Instant at, long avail, DiskForecast forecast) {}

  @Test
  void forecastWarnsThenGoesCriticalBeforeTheFilesystemIsFull() throws Exception {
    NodeExporterScraper scraper = new NodeExporterScraper(exporter.url());
    String mount = MOUNT.toRealPath().toString();
    List<DiskForecast.Point> series = new ArrayList<>();
    List<Step> steps = new ArrayList<>();
    byte[] chunk = new byte[(int) CHUNK];
    new Random(42).nextBytes(chunk);
    Instant fullAt = null;
    int written = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      HostSample s = scraper.scrape();
      HostSample.Filesystem fs = s.filesystemAt(mount);
      assertNotNull(fs, "node_exporter does not list " + mount + ": " + s.filesystems());
      series.add(DiskForecast.Point.of(s.at(), fs));
      DiskForecast f = DiskForecast.of(series, FAST);
      steps.add(new Step(s.at(), fs.availBytes(), f));
      if (fullAt != null) {
        break; // one scrape after ENOSPC, to see avail at 0
      }
      if (steps.size() > 3) { // a few idle scrapes first: OK and flat
        try (OutputStream o = Files.newOutputStream(MOUNT.resolve("fill-" + written + ".bin"))) {
          o.write(chunk);
          written++;
        } catch (IOException enospc) {
          assertTrue(String.valueOf(enospc.getMessage()).contains("No space left"), enospc.toString());
          fullAt = Instant.now();
        }
      }
      Thread.sleep(200);
    }
    assertNotNull(fullAt, "the tmpfs never filled: " + written + " MiB written");
    Step last = steps.get(steps.size() - 1);
    assertEquals(0, last.avail(), "avail after ENOSPC");
    assertEquals(Severity.CRITICAL, last.forecast().severity());

    Step firstWarn = first(steps, Severity.WARNING);
    Step firstCrit = first(steps, Severity.CRITICAL);
    StringBuilder trace = new StringBuilder();
    for (Step st : steps) {
      trace.append(String.format("%s avail=%dKiB %s %s%n", st.at(), st.avail() >> 10,
          st.forecast().severity(), st.forecast().reason()));
    }
    assertEquals(Severity.OK, steps.get(0).forecast().severity(), trace.toString());
    assertNotNull(firstWarn, "never WARNING:\n" + trace);
    assertNotNull(firstCrit, "never CRITICAL:\n" + trace);
    assertTrue(firstWarn.at().isBefore(firstCrit.at()), "WARNING must come first:\n" + trace);
    assertTrue(firstCrit.at().isBefore(fullAt), "CRITICAL only once full:\n" + trace);
    // both fired from the fill rate, while far more than 5% was free
    assertTrue(firstWarn.avail() > SIZE / 4, trace.toString());
    assertTrue(firstCrit.avail() > SIZE / 20, trace.toString());
    assertTrue(firstWarn.forecast().reason().contains("full in"), firstWarn.forecast().reason());
    // the forecast was right: predicted full moment within 2.5 s of the real one
    Instant predicted = firstCrit.at().plus(firstCrit.forecast().timeToFull());
    long errorMs = Math.abs(Duration.between(predicted, fullAt).toMillis());
    assertTrue(errorMs < 2500, "predicted " + predicted + ", full at " + fullAt + "\n" + trace);

    // mapping: a data directory on the tmpfs is reported as that filesystem, by path
    HostSample s = scraper.scrape();
    DirectoryMapper.DirectoryFilesystem wal = DirectoryMapper.map(mount + "/pgdata", null,
        List.of(), s.filesystems(), false).get(1);
    assertSame(s.filesystemAt(mount), wal.filesystem());
    assertEquals("pg_wal's filesystem (" + mount + ", 100% used)", wal.describe());
    Files.writeString(WORK.resolve("trace.txt"), trace, StandardCharsets.UTF_8);
  }

  private static Step first(List<Step> steps, Severity sev) {
    return steps.stream().filter(s -> s.forecast().severity() == sev).findFirst().orElse(null);
  }

  private static void umountQuietly() throws InterruptedException, IOException {
    if (Files.readString(Path.of("/proc/self/mounts")).contains(" " + MOUNT.toRealPath() + " ")) {
      run("umount", MOUNT.toString());
    }
  }

  private static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }
}
