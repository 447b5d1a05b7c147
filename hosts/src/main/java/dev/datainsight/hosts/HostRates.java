package dev.datainsight.hosts;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.ArrayList;
import java.util.Map;

/**
 * Rates between two {@link HostSample}s of the same host. Reset-safe: a counter that went down
 * (host reboot, exporter restart, a device that vanished and came back) yields null for that
 * interval, never a negative or a huge rate; the next interval is right again.
 *
 * @param interval time between the samples
 * @param cpuFractionByMode share of CPU time per mode over the interval, 0..1, summing to 1
 *     (empty when the CPU counters reset)
 * @param swapInPagesPerSecond swap-in pages per second (null if unknown or reset)
 * @param disks per block device present in both samples
 * @param network per interface present in both samples
 */
public record HostRates(Duration interval, Map<String, Double> cpuFractionByMode,
    Double swapInPagesPerSecond, Double swapOutPagesPerSecond, List<DiskRates> disks,
    List<NetworkRates> network) {

  public HostRates {
    cpuFractionByMode = Map.copyOf(cpuFractionByMode);
    disks = List.copyOf(disks);
    network = List.copyOf(network);
  }

  /**
   * @param utilisation fraction of the interval the device was busy (io_time delta / interval),
   *     0..1
   * @param awaitMs mean time per completed I/O, read+write time over read+write ops, in
   *     milliseconds; null when no I/O completed or the source gives no per-direction times
   */
  public record DiskRates(String device, Double utilisation, Double awaitMs, Double readsPerSecond,
      Double writesPerSecond, Double readBytesPerSecond, Double writtenBytesPerSecond) {}

  public record NetworkRates(String device, Double receiveBytesPerSecond, Double transmitBytesPerSecond) {}

  /** The share of CPU in one mode, or null. */
  public Double cpuFraction(String mode) {
    return cpuFractionByMode.get(mode);
  }

  /** CPU busy share: everything but idle and iowait (null when unknown). */
  public Double cpuBusyFraction() {
    if (cpuFractionByMode.isEmpty()) {
      return null;
    }
    double idle = cpuFractionByMode.getOrDefault("idle", 0.0)
        + cpuFractionByMode.getOrDefault("iowait", 0.0);
    return Math.max(0, 1 - idle);
  }

  /** Rates from {@code earlier} to {@code later}; the samples must be in time order. */
  public static HostRates between(HostSample earlier, HostSample later) {
    Duration interval = Duration.between(earlier.at(), later.at());
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("samples out of order or at the same instant: "
          + earlier.at() + " then " + later.at());
    }
    double secs = interval.toNanos() / 1e9;

    Map<String, Double> cpu = new LinkedHashMap<>();
    double total = 0;
    boolean reset = false;
    for (Map.Entry<String, Double> e : later.cpuSecondsByMode().entrySet()) {
      Double before = earlier.cpuSecondsByMode().get(e.getKey());
      if (before == null) {
        continue;
      }
      double d = e.getValue() - before;
      if (d < 0) {
        reset = true;
        break;
      }
      cpu.put(e.getKey(), d);
      total += d;
    }
    Map<String, Double> fractions = new LinkedHashMap<>();
    if (!reset && total > 0) {
      for (Map.Entry<String, Double> e : cpu.entrySet()) {
        fractions.put(e.getKey(), e.getValue() / total);
      }
    }

    HostSample.Memory m0 = earlier.memory();
    HostSample.Memory m1 = later.memory();
    Double swapIn = m0 == null || m1 == null ? null : rate(m0.swapInPages(), m1.swapInPages(), secs);
    Double swapOut = m0 == null || m1 == null ? null : rate(m0.swapOutPages(), m1.swapOutPages(), secs);

    List<DiskRates> disks = new ArrayList<>();
    for (HostSample.Disk d1 : later.disks()) {
      HostSample.Disk d0 = earlier.disks().stream()
          .filter(d -> d.device().equals(d1.device())).findFirst().orElse(null);
      if (d0 == null) {
        continue;
      }
      Double util = delta(d0.ioTimeSeconds(), d1.ioTimeSeconds());
      if (util != null) {
        util = Math.min(1.0, util / secs);
      }
      Double dReads = delta(d0.readsCompleted(), d1.readsCompleted());
      Double dWrites = delta(d0.writesCompleted(), d1.writesCompleted());
      Double dReadTime = delta(d0.readTimeSeconds(), d1.readTimeSeconds());
      Double dWriteTime = delta(d0.writeTimeSeconds(), d1.writeTimeSeconds());
      Double await = null;
      if (dReads != null && dWrites != null && dReadTime != null && dWriteTime != null
          && dReads + dWrites > 0) {
        await = (dReadTime + dWriteTime) / (dReads + dWrites) * 1000.0;
      }
      disks.add(new DiskRates(d1.device(), util, await,
          dReads == null ? null : dReads / secs, dWrites == null ? null : dWrites / secs,
          rate(d0.readBytes(), d1.readBytes(), secs), rate(d0.writtenBytes(), d1.writtenBytes(), secs)));
    }

    List<NetworkRates> net = new ArrayList<>();
    for (HostSample.NetworkInterface n1 : later.network()) {
      earlier.network().stream().filter(n -> n.device().equals(n1.device())).findFirst()
          .ifPresent(n0 -> net.add(new NetworkRates(n1.device(),
              rate(n0.receiveBytes(), n1.receiveBytes(), secs),
              rate(n0.transmitBytes(), n1.transmitBytes(), secs))));
    }
    return new HostRates(interval, fractions, swapIn, swapOut, disks, net);
  }

  /** later - earlier, or null when either is unknown or the counter went down (reset). */
  private static Double delta(Double earlier, Double later) {
    if (earlier == null || later == null || earlier.isNaN() || later.isNaN()) {
      return null;
    }
    double d = later - earlier;
    return d < 0 ? null : d;
  }

  private static Double rate(Double earlier, Double later, double secs) {
    Double d = delta(earlier, later);
    return d == null ? null : d / secs;
  }
}
