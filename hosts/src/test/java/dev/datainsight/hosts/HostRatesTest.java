package dev.datainsight.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HostRatesTest {
  private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");

  private static HostSample sample(Instant at, double user, double system, double idle,
      double iowait, double steal, double ioTime, double rt, double wt, double reads, double writes,
      double rx, double swapIn) {
    return new HostSample(at, "test",
        Map.of("user", user, "system", system, "idle", idle, "iowait", iowait, "steal", steal), 2,
        0.5, 0.4, 0.3,
        new HostSample.Memory(1000L, 500L, 100L, 100L, swapIn, 0.0), List.of(),
        List.of(new HostSample.Disk("vda", ioTime, rt, wt, reads, writes, 0.0, 0.0)),
        List.of(new HostSample.NetworkInterface("eth0", rx, 0)));
  }

  @Test
  void turnsCountersIntoRates() {
    HostSample a = sample(T0, 100, 50, 1000, 10, 2, 30, 4, 6, 1000, 2000, 1e6, 10);
    // 10 s later on 2 CPUs: 20 CPU-seconds: 8 user, 2 system, 6 idle, 3 iowait, 1 steal
    HostSample b = sample(T0.plusSeconds(10), 108, 52, 1006, 13, 3, 35, 5, 8, 1100, 2100, 2e6, 30);
    HostRates r = HostRates.between(a, b);
    assertEquals(0.4, r.cpuFraction("user"), 1e-9);
    assertEquals(0.15, r.cpuFraction("iowait"), 1e-9);
    assertEquals(0.05, r.cpuFraction("steal"), 1e-9);
    assertEquals(0.55, r.cpuBusyFraction(), 1e-9);
    HostRates.DiskRates d = r.disks().get(0);
    assertEquals(0.5, d.utilisation(), 1e-9); // 5 s busy in 10 s
    assertEquals(15.0, d.awaitMs(), 1e-9); // 3 s over 200 I/Os
    assertEquals(10.0, d.readsPerSecond(), 1e-9);
    assertEquals(1e5, r.network().get(0).receiveBytesPerSecond(), 1e-6);
    assertEquals(2.0, r.swapInPagesPerSecond(), 1e-9);
  }

  @Test
  void aCounterResetGivesNullNotANegativeRate() {
    HostSample a = sample(T0, 100, 50, 1000, 10, 2, 30, 4, 6, 1000, 2000, 1e6, 10);
    HostSample rebooted = sample(T0.plusSeconds(10), 1, 1, 5, 0, 0, 0.1, 0, 0, 3, 4, 100, 0);
    HostRates r = HostRates.between(a, rebooted);
    assertTrue(r.cpuFractionByMode().isEmpty());
    assertNull(r.cpuBusyFraction());
    assertNull(r.disks().get(0).utilisation());
    assertNull(r.disks().get(0).readsPerSecond());
    assertNull(r.disks().get(0).awaitMs());
    assertNull(r.network().get(0).receiveBytesPerSecond());
    assertNull(r.swapInPagesPerSecond());
    // and the next interval is fine again
    HostSample next = sample(T0.plusSeconds(20), 2, 2, 6, 0, 0, 0.6, 0, 0, 13, 4, 200, 0);
    assertEquals(0.05, HostRates.between(rebooted, next).disks().get(0).utilisation(), 1e-9);
  }

  @Test
  void noIoMeansNoAwaitAndOutOfOrderSamplesAreRefused() {
    HostSample a = sample(T0, 1, 1, 1, 0, 0, 3, 1, 1, 5, 5, 0, 0);
    HostSample b = sample(T0.plusSeconds(5), 2, 2, 2, 0, 0, 3, 1, 1, 5, 5, 0, 0);
    assertNull(HostRates.between(a, b).disks().get(0).awaitMs());
    assertEquals(0.0, HostRates.between(a, b).disks().get(0).utilisation());
    assertThrows(IllegalArgumentException.class, () -> HostRates.between(b, a));
  }
}
