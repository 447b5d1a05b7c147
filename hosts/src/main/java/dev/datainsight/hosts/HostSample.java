package dev.datainsight.hosts;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the host of a database server looks like at one instant, whichever way it was read (a
 * node_exporter scrape or the co-located OSHI probe). Counters (CPU seconds, swap pages, disk and
 * network totals) are raw cumulative values; {@link HostRates#between} turns two samples into
 * rates. A value the source does not provide is null, never 0.
 *
 * @param at when the sample was taken (the collector's clock)
 * @param source {@code node_exporter} or {@code oshi}
 * @param cpuSecondsByMode CPU seconds by mode (user, nice, system, idle, iowait, irq, softirq,
 *     steal), summed over all CPUs
 * @param cpuCount number of logical CPUs seen
 */
public record HostSample(
    Instant at,
    String source,
    Map<String, Double> cpuSecondsByMode,
    int cpuCount,
    Double load1,
    Double load5,
    Double load15,
    Memory memory,
    List<Filesystem> filesystems,
    List<Disk> disks,
    List<NetworkInterface> network) {

  public HostSample {
    Objects.requireNonNull(at, "at");
    cpuSecondsByMode = Map.copyOf(cpuSecondsByMode);
    filesystems = List.copyOf(filesystems);
    disks = List.copyOf(disks);
    network = List.copyOf(network);
  }

  /**
   * Memory and swap, in bytes; swap in/out are cumulative pages (node_exporter's
   * {@code node_vmstat_pswpin/pswpout}, OSHI's swap pages in/out).
   */
  public record Memory(Long memTotalBytes, Long memAvailableBytes, Long swapTotalBytes,
      Long swapFreeBytes, Double swapInPages, Double swapOutPages) {}

  /**
   * One mounted filesystem. {@code availBytes} is what an unprivileged process (PostgreSQL) can
   * still write: reserved blocks count as used.
   */
  public record Filesystem(String mountpoint, String device, String fstype, long sizeBytes,
      long availBytes, Long files, Long filesFree) {

    /** Used bytes as PostgreSQL sees them: size minus what it can still allocate. */
    public long usedBytes() {
      return Math.max(0, sizeBytes - availBytes);
    }

    /** Fraction of the size in use, 0..1 (0 for a zero-sized filesystem). */
    public double usedFraction() {
      return sizeBytes <= 0 ? 0 : (double) usedBytes() / sizeBytes;
    }
  }

  /**
   * Cumulative counters of one block device. Read and write times are null from OSHI, which only
   * gives the total transfer time.
   */
  public record Disk(String device, double ioTimeSeconds, Double readTimeSeconds,
      Double writeTimeSeconds, double readsCompleted, double writesCompleted, Double readBytes,
      Double writtenBytes) {}

  /** Cumulative byte counters of one network interface. */
  public record NetworkInterface(String device, double receiveBytes, double transmitBytes) {}

  /** The filesystem mounted exactly at a mountpoint, or null. */
  public Filesystem filesystemAt(String mountpoint) {
    for (Filesystem f : filesystems) {
      if (f.mountpoint().equals(mountpoint)) {
        return f;
      }
    }
    return null;
  }

  /** CPU seconds of one mode summed over CPUs, or null when the source does not report it. */
  public Double cpuSeconds(String mode) {
    return cpuSecondsByMode.get(mode);
  }
}
