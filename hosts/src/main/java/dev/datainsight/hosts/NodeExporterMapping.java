package dev.datainsight.hosts;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link HostSample} from node_exporter's metrics (collectors cpu, loadavg, meminfo,
 * vmstat, filesystem, diskstats, netdev). Metrics of a disabled collector are simply absent: their
 * values are null or their lists empty.
 */
public final class NodeExporterMapping {
  private NodeExporterMapping() {}

  /** The sample a scrape describes, stamped {@code at}. */
  public static HostSample toHostSample(PromScrape scrape, Instant at) {
    Map<String, Double> cpu = new LinkedHashMap<>();
    Set<String> cpus = new HashSet<>();
    for (PromSample s : scrape.named("node_cpu_seconds_total")) {
      String mode = s.label("mode");
      if (mode != null) {
        cpu.merge(mode, s.value(), Double::sum);
      }
      if (s.label("cpu") != null) {
        cpus.add(s.label("cpu"));
      }
    }
    HostSample.Memory memory = new HostSample.Memory(
        asLong(scrape.first("node_memory_MemTotal_bytes")),
        asLong(scrape.first("node_memory_MemAvailable_bytes")),
        asLong(scrape.first("node_memory_SwapTotal_bytes")),
        asLong(scrape.first("node_memory_SwapFree_bytes")),
        scrape.first("node_vmstat_pswpin"),
        scrape.first("node_vmstat_pswpout"));
    return new HostSample(at, "node_exporter", cpu, cpus.size(),
        scrape.first("node_load1"), scrape.first("node_load5"), scrape.first("node_load15"),
        memory, filesystems(scrape), disks(scrape), network(scrape));
  }

  private static List<HostSample.Filesystem> filesystems(PromScrape scrape) {
    Map<List<String>, Map<String, Double>> byFs = new LinkedHashMap<>();
    for (PromSample s : scrape.samples()) {
      String field = switch (s.name()) {
        case "node_filesystem_size_bytes" -> "size";
        case "node_filesystem_avail_bytes" -> "avail";
        case "node_filesystem_files" -> "files";
        case "node_filesystem_files_free" -> "files_free";
        default -> null;
      };
      if (field == null || s.label("mountpoint") == null) {
        continue;
      }
      List<String> key = List.of(s.label("mountpoint"), String.valueOf(s.label("device")),
          String.valueOf(s.label("fstype")));
      byFs.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(field, s.value());
    }
    List<HostSample.Filesystem> out = new ArrayList<>();
    byFs.forEach((key, v) -> {
      Long size = asLong(v.get("size"));
      Long avail = asLong(v.get("avail"));
      if (size != null && avail != null) {
        out.add(new HostSample.Filesystem(key.get(0), key.get(1), key.get(2), size, avail,
            asLong(v.get("files")), asLong(v.get("files_free"))));
      }
    });
    return out;
  }

  private static List<HostSample.Disk> disks(PromScrape scrape) {
    Map<String, Map<String, Double>> byDev = new LinkedHashMap<>();
    for (PromSample s : scrape.samples()) {
      if (!s.name().startsWith("node_disk_") || s.label("device") == null) {
        continue;
      }
      byDev.computeIfAbsent(s.label("device"), k -> new LinkedHashMap<>()).put(s.name(), s.value());
    }
    List<HostSample.Disk> out = new ArrayList<>();
    byDev.forEach((dev, v) -> {
      Double io = v.get("node_disk_io_time_seconds_total");
      Double reads = v.get("node_disk_reads_completed_total");
      Double writes = v.get("node_disk_writes_completed_total");
      if (io != null && reads != null && writes != null) {
        out.add(new HostSample.Disk(dev, io, v.get("node_disk_read_time_seconds_total"),
            v.get("node_disk_write_time_seconds_total"), reads, writes,
            v.get("node_disk_read_bytes_total"), v.get("node_disk_written_bytes_total")));
      }
    });
    return out;
  }

  private static List<HostSample.NetworkInterface> network(PromScrape scrape) {
    Map<String, double[]> byDev = new LinkedHashMap<>();
    for (PromSample s : scrape.samples()) {
      int idx = switch (s.name()) {
        case "node_network_receive_bytes_total" -> 0;
        case "node_network_transmit_bytes_total" -> 1;
        default -> -1;
      };
      if (idx < 0 || s.label("device") == null) {
        continue;
      }
      byDev.computeIfAbsent(s.label("device"), k -> new double[] {Double.NaN, Double.NaN})[idx] =
          s.value();
    }
    List<HostSample.NetworkInterface> out = new ArrayList<>();
    byDev.forEach((dev, v) -> {
      if (!Double.isNaN(v[0]) && !Double.isNaN(v[1])) {
        out.add(new HostSample.NetworkInterface(dev, v[0], v[1]));
      }
    });
    return out;
  }

  private static Long asLong(Double d) {
    return d == null || d.isNaN() || d.isInfinite() ? null : Math.round(d);
  }
}
