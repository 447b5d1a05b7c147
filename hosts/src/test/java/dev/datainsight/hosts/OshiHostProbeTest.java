package dev.datainsight.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The co-located probe (OSHI) against what /proc says on this machine. */
class OshiHostProbeTest {

  @Test
  void sampleMatchesProc() throws Exception {
    OshiHostProbe probe = new OshiHostProbe();
    double[] before = ProcFiles.cpuSeconds();
    HostSample s = probe.sample();
    double[] after = ProcFiles.cpuSeconds();
    assertEquals("oshi", s.source());
    List<String> modes = List.of("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal");
    for (int i = 0; i < modes.size(); i++) {
      double v = s.cpuSeconds(modes.get(i));
      assertTrue(v >= before[i] - 0.05 && v <= after[i] + 0.05,
          modes.get(i) + ": oshi " + v + " outside /proc/stat " + before[i] + ".." + after[i]);
    }
    assertTrue(s.cpuSeconds("user") > 0);
    assertEquals(ProcFiles.cpuCount(), s.cpuCount());
    assertEquals(ProcFiles.memTotalBytes(), s.memory().memTotalBytes());
    assertTrue(s.memory().memAvailableBytes() > 0);
    assertNotNull(s.load1());
    assertEquals(ProcFiles.load1(), s.load1(), 1.0);

    Path worktree = Path.of("").toAbsolutePath().toRealPath();
    HostSample.Filesystem fs = DirectoryMapper.filesystemOf(worktree.toString(), s.filesystems());
    assertNotNull(fs, "no filesystem for " + worktree + " in " + s.filesystems());
    assertEquals(Files.getFileStore(worktree).getTotalSpace(), fs.sizeBytes());
    assertTrue(fs.files() > 0);
    assertTrue(!s.disks().isEmpty(), "no disks");
    assertTrue(s.network().stream().anyMatch(n -> n.device().equals("lo")), "no lo in " + s.network());

    Thread.sleep(1100);
    HostRates r = HostRates.between(s, probe.sample());
    double total = r.cpuFractionByMode().values().stream().mapToDouble(Double::doubleValue).sum();
    assertEquals(1.0, total, 1e-9);
    for (HostRates.DiskRates d : r.disks()) {
      assertTrue(d.utilisation() == null || (d.utilisation() >= 0 && d.utilisation() <= 1), d.toString());
    }
  }
}
