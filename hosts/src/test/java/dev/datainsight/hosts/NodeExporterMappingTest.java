package dev.datainsight.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class NodeExporterMappingTest {
  private static final Instant AT = Instant.parse("2026-12-03T10:00:00Z");

  @Test
  void sumsCpusAndGroupsFilesystemsDisksAndInterfaces() {
    PromScrape scrape = PromTextParser.parse("""
        # TYPE node_cpu_seconds_total counter
        node_cpu_seconds_total{cpu="0",mode="idle"} 100
        node_cpu_seconds_total{cpu="0",mode="user"} 10
        node_cpu_seconds_total{cpu="1",mode="idle"} 200
        node_cpu_seconds_total{cpu="1",mode="user"} 20.5
        node_load1 1.5
        node_memory_MemTotal_bytes 8.589934592e+09
        node_filesystem_size_bytes{device="/dev/sdb1",fstype="xfs",mountpoint="/var/lib/postgresql"} 1e+11
        node_filesystem_avail_bytes{device="/dev/sdb1",fstype="xfs",mountpoint="/var/lib/postgresql"} 2.5e+10
        node_filesystem_files{device="/dev/sdb1",fstype="xfs",mountpoint="/var/lib/postgresql"} 1000
        node_filesystem_files_free{device="/dev/sdb1",fstype="xfs",mountpoint="/var/lib/postgresql"} 900
        node_filesystem_size_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run/half"} 1024
        node_disk_io_time_seconds_total{device="sdb"} 12.5
        node_disk_reads_completed_total{device="sdb"} 100
        node_disk_writes_completed_total{device="sdb"} 200
        node_disk_read_time_seconds_total{device="sdb"} 1.25
        node_disk_io_time_seconds_total{device="sdc"} 1
        node_network_receive_bytes_total{device="eth0"} 1000
        node_network_transmit_bytes_total{device="eth0"} 2000
        """);
    HostSample s = NodeExporterMapping.toHostSample(scrape, AT);
    assertEquals(AT, s.at());
    assertEquals(2, s.cpuCount());
    assertEquals(300.0, s.cpuSeconds("idle"));
    assertEquals(30.5, s.cpuSeconds("user"));
    assertNull(s.cpuSeconds("steal"));
    assertEquals(1.5, s.load1());
    assertNull(s.load5(), "absent metric is null, not 0");
    assertEquals(8589934592L, s.memory().memTotalBytes());
    assertNull(s.memory().swapInPages(), "vmstat collector off");

    assertEquals(1, s.filesystems().size(), "a filesystem without avail is dropped: " + s.filesystems());
    HostSample.Filesystem fs = s.filesystemAt("/var/lib/postgresql");
    assertEquals("/dev/sdb1", fs.device());
    assertEquals("xfs", fs.fstype());
    assertEquals(75_000_000_000L, fs.usedBytes());
    assertEquals(0.75, fs.usedFraction(), 1e-12);
    assertEquals(900L, fs.filesFree());

    assertEquals(1, s.disks().size(), "sdc lacks the op counters: " + s.disks());
    HostSample.Disk d = s.disks().get(0);
    assertEquals("sdb", d.device());
    assertEquals(1.25, d.readTimeSeconds());
    assertNull(d.writeTimeSeconds());
    assertEquals(2000.0, s.network().get(0).transmitBytes());
  }

  @Test
  void anEmptyExpositionGivesAnEmptySample() {
    HostSample s = NodeExporterMapping.toHostSample(PromTextParser.parse(""), AT);
    assertTrue(s.cpuSecondsByMode().isEmpty());
    assertTrue(s.filesystems().isEmpty() && s.disks().isEmpty() && s.network().isEmpty());
    assertNull(s.memory().memTotalBytes());
  }
}
