package dev.datainsight.hosts;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import oshi.SystemInfo;
import oshi.hardware.CentralProcessor;
import oshi.hardware.CentralProcessor.TickType;
import oshi.hardware.GlobalMemory;
import oshi.hardware.HWDiskStore;
import oshi.hardware.HardwareAbstractionLayer;
import oshi.hardware.NetworkIF;
import oshi.hardware.VirtualMemory;
import oshi.software.os.OSFileStore;

/**
 * The co-located host probe: the same {@link HostSample} as a node_exporter scrape, read through
 * OSHI when the collector runs on the database host. On Linux OSHI reads /proc/stat,
 * /proc/loadavg, /proc/meminfo, /proc/vmstat, the mount table with statvfs, /proc/diskstats (via
 * udev) and /sys/class/net.
 *
 * <p>Differences from node_exporter: disks carry only the total transfer time (read and write
 * times are null, so {@link HostRates.DiskRates#awaitMs()} is null); filesystems are the local
 * file stores OSHI lists (pseudo filesystems excluded by OSHI's own defaults).
 */
public final class OshiHostProbe {
  private static final Map<TickType, String> MODES = new LinkedHashMap<>();

  static {
    MODES.put(TickType.USER, "user");
    MODES.put(TickType.NICE, "nice");
    MODES.put(TickType.SYSTEM, "system");
    MODES.put(TickType.IDLE, "idle");
    MODES.put(TickType.IOWAIT, "iowait");
    MODES.put(TickType.IRQ, "irq");
    MODES.put(TickType.SOFTIRQ, "softirq");
    MODES.put(TickType.STEAL, "steal");
  }

  private final SystemInfo system = new SystemInfo();
  private final Clock clock;

  public OshiHostProbe() {
    this(Clock.systemUTC());
  }

  public OshiHostProbe(Clock clock) {
    this.clock = clock;
  }

  /** Reads the host now. */
  public HostSample sample() {
    Instant at = clock.instant();
    HardwareAbstractionLayer hw = system.getHardware();
    CentralProcessor cpu = hw.getProcessor();
    long[] ticks = cpu.getSystemCpuLoadTicks(); // milliseconds, summed over CPUs
    Map<String, Double> modes = new LinkedHashMap<>();
    MODES.forEach((type, mode) -> modes.put(mode, ticks[type.getIndex()] / 1000.0));
    double[] load = cpu.getSystemLoadAverage(3);

    GlobalMemory mem = hw.getMemory();
    VirtualMemory vm = mem.getVirtualMemory();
    HostSample.Memory memory = new HostSample.Memory(mem.getTotal(), mem.getAvailable(),
        vm.getSwapTotal(), vm.getSwapTotal() - vm.getSwapUsed(),
        (double) vm.getSwapPagesIn(), (double) vm.getSwapPagesOut());

    List<HostSample.Filesystem> filesystems = new ArrayList<>();
    for (OSFileStore fs : system.getOperatingSystem().getFileSystem().getFileStores(true)) {
      filesystems.add(new HostSample.Filesystem(fs.getMount(), fs.getVolume(), fs.getType(),
          fs.getTotalSpace(), fs.getUsableSpace(), fs.getTotalInodes(), fs.getFreeInodes()));
    }

    List<HostSample.Disk> disks = new ArrayList<>();
    for (HWDiskStore d : hw.getDiskStores()) {
      disks.add(new HostSample.Disk(d.getName().replaceFirst("^/dev/", ""),
          d.getTransferTime() / 1000.0, null, null, d.getReads(), d.getWrites(),
          (double) d.getReadBytes(), (double) d.getWriteBytes()));
    }

    List<HostSample.NetworkInterface> net = new ArrayList<>();
    for (NetworkIF n : hw.getNetworkIFs(true)) {
      net.add(new HostSample.NetworkInterface(n.getName(), n.getBytesRecv(), n.getBytesSent()));
    }
    return new HostSample(at, "oshi", modes, cpu.getLogicalProcessorCount(),
        nonNegative(load[0]), nonNegative(load[1]), nonNegative(load[2]), memory, filesystems,
        disks, net);
  }

  /** OSHI reports an unavailable load average as a negative number. */
  private static Double nonNegative(double v) {
    return v < 0 ? null : v;
  }
}
