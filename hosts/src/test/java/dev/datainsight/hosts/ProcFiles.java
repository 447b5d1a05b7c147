package dev.datainsight.hosts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reference values straight from /proc, to check what node_exporter and OSHI report. */
final class ProcFiles {
  private ProcFiles() {}

  /** MemTotal of /proc/meminfo, in bytes. */
  static long memTotalBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
      if (line.startsWith("MemTotal:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no MemTotal in /proc/meminfo");
  }

  /** Number of cpuN lines of /proc/stat. */
  static int cpuCount() throws IOException {
    return (int) Files.readAllLines(Path.of("/proc/stat")).stream().filter(l -> l.matches("cpu\\d+ .*")).count();
  }

  /**
   * The aggregate "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal, in
   * seconds (USER_HZ is 100 on Linux).
   */
  static double[] cpuSeconds() throws IOException {
    String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
    String[] f = line.trim().split("\\s+");
    double[] out = new double[8];
    for (int i = 0; i < 8; i++) {
      out[i] = Long.parseLong(f[i + 1]) / 100.0;
    }
    return out;
  }

  /** load1 from /proc/loadavg. */
  static double load1() throws IOException {
    return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
  }
}
