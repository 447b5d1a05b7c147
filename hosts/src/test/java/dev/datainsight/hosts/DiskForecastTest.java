package dev.datainsight.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.hosts.DiskForecast.Point;
import dev.datainsight.hosts.DiskForecast.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DiskForecastTest {
  private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
  private static final long GB = 1L << 30;
  private static final long SIZE = 100 * GB;

  /** One point a minute for {@code minutes}, used = start + rate*t + noise. */
  private static List<Point> series(int minutes, double startBytes, double bytesPerSecond,
      double noiseBytes, long seed) {
    Random r = new Random(seed);
    List<Point> pts = new ArrayList<>();
    for (int m = 0; m <= minutes; m++) {
      double used = startBytes + bytesPerSecond * m * 60 + r.nextGaussian() * noiseBytes;
      pts.add(new Point(T0.plusSeconds(m * 60L), Math.round(used), SIZE));
    }
    return pts;
  }

  @Test
  void steadyFillWithNoiseWarnsWhenFullWithinADay() {
    // 50 GB used, 50 GB free, filling at 1 GB/h: full in ~50 h minus the hour elapsed
    double rate = GB / 3600.0;
    DiskForecast f = DiskForecast.of(series(60, 50.0 * GB, rate, 20e6, 1));
    assertEquals(Severity.OK, f.severity(), f.reason());
    assertEquals(rate, f.rateBytesPerSecond(), rate * 0.05);
    assertEquals(49.0, f.timeToFull().toMinutes() / 60.0, 2.0);
    assertEquals(31, f.pointsUsed()); // only the last 30 minutes

    // 80 GB used at 1 GB/h: 19 h left -> WARNING
    DiskForecast w = DiskForecast.of(series(60, 80.0 * GB, rate, 20e6, 2));
    assertEquals(Severity.WARNING, w.severity(), w.reason());
    assertTrue(w.reason().startsWith("full in 19h"), w.reason());

    // 80 GB used at 6 GB/h: ~3 h left -> CRITICAL
    DiskForecast c = DiskForecast.of(series(30, 80.0 * GB, 6 * rate, 20e6, 3));
    assertEquals(Severity.CRITICAL, c.severity(), c.reason());
    assertTrue(c.timeToFull().compareTo(Duration.ofHours(4)) < 0);
  }

  @Test
  void aCleanupRestartsTheFitInsteadOfHidingTheGrowth() {
    double rate = 4.0 * GB / 3600; // 4 GB/h
    List<Point> pts = new ArrayList<>(series(40, 70.0 * GB, rate, 10e6, 4));
    // at minute 41 someone deletes 20 GB, then growth goes on at the same pace
    Point last = pts.get(pts.size() - 1);
    for (int m = 1; m <= 20; m++) {
      long used = last.usedBytes() - 20 * GB + Math.round(rate * m * 60);
      pts.add(new Point(last.at().plusSeconds(m * 60L), used, SIZE));
    }
    DiskForecast f = DiskForecast.of(pts);
    assertEquals(20, f.pointsUsed());
    assertEquals(rate, f.rateBytesPerSecond(), rate * 0.02);
    // a fit across the deletion would see a shrinking disk and no time to full at all
    assertTrue(DiskForecast.slope(pts.subList(pts.size() - 31, pts.size())) < 0);
    assertEquals(Severity.WARNING, f.severity(), f.reason());
  }

  @Test
  void noiseThatDipsIsNotACleanup() {
    // 1 GB/h with 100 MB noise: many consecutive decreases, each far below 0.5% of 100 GB
    DiskForecast f = DiskForecast.of(series(30, 50.0 * GB, GB / 3600.0, 100e6, 5));
    assertEquals(31, f.pointsUsed());
    assertEquals(GB / 3600.0, f.rateBytesPerSecond(), GB / 3600.0 * 0.2);
  }

  @Test
  void flatOrShrinkingIsNotFillingButLowFreeSpaceStillAlerts() {
    DiskForecast flat = DiskForecast.of(series(30, 50.0 * GB, 0, 0, 6));
    assertEquals(Severity.OK, flat.severity());
    assertNull(flat.timeToFull());
    assertEquals("not filling", flat.reason());

    DiskForecast almostFull = DiskForecast.of(series(30, 96.0 * GB, -GB / 36000.0, 0, 7));
    assertEquals(Severity.WARNING, almostFull.severity(), almostFull.reason());
    assertNull(almostFull.timeToFull());

    DiskForecast full = DiskForecast.of(series(30, 98.5 * GB, 0, 0, 8));
    assertEquals(Severity.CRITICAL, full.severity(), full.reason());
    assertTrue(full.reason().contains("1.5% free < 2.0%"), full.reason());
  }

  @Test
  void tooFewPointsGiveNoRate() {
    List<Point> two = series(1, 50.0 * GB, GB / 3600.0, 0, 9);
    DiskForecast f = DiskForecast.of(two);
    assertNull(f.rateBytesPerSecond());
    assertEquals(Severity.OK, f.severity());
    assertTrue(f.reason().startsWith("not enough recent points"), f.reason());
  }

  @Test
  void aGrownFilesystemIsForecastAgainstItsNewSize() {
    double rate = GB / 3600.0;
    List<Point> pts = new ArrayList<>();
    for (int m = 0; m <= 30; m++) {
      long size = m < 15 ? SIZE : 2 * SIZE; // grown online at minute 15
      pts.add(new Point(T0.plusSeconds(m * 60L), Math.round(90.0 * GB + rate * m * 60), size));
    }
    DiskForecast f = DiskForecast.of(pts);
    assertEquals(31, f.pointsUsed());
    assertEquals(Severity.OK, f.severity(), f.reason());
    assertEquals((200 * GB - 90.5 * GB) / rate / 3600, f.timeToFull().toSeconds() / 3600.0, 0.5);
  }
}
