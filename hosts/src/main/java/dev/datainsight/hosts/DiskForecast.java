package dev.datainsight.hosts;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Disk-fill forecast of one filesystem: a recent fill rate, the time until it is full at that rate,
 * and a severity.
 *
 * <p><b>Formula.</b> Take the points of the last {@link Thresholds#window()} (default 30 min).
 * A cleanup (used bytes falling by more than {@link Thresholds#shrinkFraction()} of the size,
 * default 0.5%, between two consecutive points) starts the series anew: only points after the last
 * cleanup count, so a deletion neither hides the growth that follows nor turns the rate negative.
 * Smaller decreases are noise and stay in the fit. The fill rate is the ordinary least-squares
 * slope of used bytes over time on those points (at least {@link Thresholds#minPoints()} points
 * spanning at least {@link Thresholds#minSpan()}). Time to full is
 * {@code (size - used_last) / rate} when the rate is positive, none otherwise.
 *
 * <p><b>Severity.</b> CRITICAL when time to full &lt; 4 h or free &lt; 2% of the size; WARNING when
 * time to full &lt; 24 h or free &lt; 5%; else OK. "Used" is size minus the space available to
 * unprivileged users, since PostgreSQL gets ENOSPC when that reaches 0 even if root-reserved blocks
 * remain.
 *
 * @param rateBytesPerSecond fitted fill rate, null when too few points
 * @param timeToFull null when not filling (or too few points)
 * @param freeFraction available / size at the last point
 * @param pointsUsed points in the fit
 */
public record DiskForecast(Severity severity, Double rateBytesPerSecond, Duration timeToFull,
    double freeFraction, int pointsUsed, String reason) {

  public enum Severity { OK, WARNING, CRITICAL }

  /** One observation of a filesystem: used = size - avail. */
  public record Point(Instant at, long usedBytes, long sizeBytes) {
    public static Point of(Instant at, HostSample.Filesystem fs) {
      return new Point(at, fs.usedBytes(), fs.sizeBytes());
    }
  }

  /**
   * Forecast settings. Defaults ({@link #DEFAULTS}): window 30 min, at least 3 points over at
   * least 5 min, cleanup when used drops by more than 0.5% of the size, warn under 24 h or 5% free,
   * critical under 4 h or 2% free.
   */
  public record Thresholds(Duration window, int minPoints, Duration minSpan, double shrinkFraction,
      Duration warnTimeToFull, Duration criticalTimeToFull, double warnFreeFraction,
      double criticalFreeFraction) {
    public Thresholds {
      if (minPoints < 2) {
        throw new IllegalArgumentException("minPoints must be at least 2");
      }
    }
  }

  public static final Thresholds DEFAULTS = new Thresholds(Duration.ofMinutes(30), 3,
      Duration.ofMinutes(5), 0.005, Duration.ofHours(24), Duration.ofHours(4), 0.05, 0.02);

  /** Forecast with the default thresholds. */
  public static DiskForecast of(List<Point> series) {
    return of(series, DEFAULTS);
  }

  /** Forecast of a series in time order (the last point is "now"). */
  public static DiskForecast of(List<Point> series, Thresholds t) {
    Objects.requireNonNull(series, "series");
    if (series.isEmpty()) {
      throw new IllegalArgumentException("empty series");
    }
    Point last = series.get(series.size() - 1);
    Instant from = last.at().minus(t.window());
    List<Point> recent = new ArrayList<>();
    for (Point p : series) {
      if (p.at().isBefore(from)) {
        continue;
      }
      if (!recent.isEmpty()) {
        Point prev = recent.get(recent.size() - 1);
        if (p.at().isBefore(prev.at())) {
          throw new IllegalArgumentException("series out of time order at " + p.at());
        }
        if (prev.usedBytes() - p.usedBytes() > t.shrinkFraction() * p.sizeBytes()) {
          recent.clear(); // a cleanup: growth is measured from here
        }
      }
      recent.add(p);
    }
    double size = last.sizeBytes();
    double free = size <= 0 ? 0 : Math.max(0, size - last.usedBytes()) / size;

    Double rate = null;
    Duration ttf = null;
    Duration span = Duration.between(recent.get(0).at(), last.at());
    if (recent.size() >= t.minPoints() && span.compareTo(t.minSpan()) >= 0 && !span.isZero()) {
      rate = slope(recent);
      if (rate > 0) {
        double secs = Math.max(0, size - last.usedBytes()) / rate;
        ttf = secs > 1e12 ? null : Duration.ofMillis(Math.round(secs * 1000));
      }
    }

    Severity sev = Severity.OK;
    List<String> why = new ArrayList<>();
    if (free < t.criticalFreeFraction()) {
      sev = Severity.CRITICAL;
      why.add(pct(free) + " free < " + pct(t.criticalFreeFraction()));
    } else if (free < t.warnFreeFraction()) {
      sev = Severity.WARNING;
      why.add(pct(free) + " free < " + pct(t.warnFreeFraction()));
    }
    if (ttf != null) {
      if (ttf.compareTo(t.criticalTimeToFull()) < 0) {
        sev = Severity.CRITICAL;
        why.add("full in " + human(ttf) + " < " + human(t.criticalTimeToFull()));
      } else if (ttf.compareTo(t.warnTimeToFull()) < 0) {
        if (sev == Severity.OK) {
          sev = Severity.WARNING;
        }
        why.add("full in " + human(ttf) + " < " + human(t.warnTimeToFull()));
      }
    }
    String reason;
    if (!why.isEmpty()) {
      reason = String.join("; ", why);
    } else if (rate == null) {
      reason = "not enough recent points (" + recent.size() + ") for a fill rate";
    } else if (ttf == null) {
      reason = "not filling";
    } else {
      reason = "full in " + human(ttf);
    }
    return new DiskForecast(sev, rate, ttf, free, recent.size(), reason);
  }

  /** Least-squares slope of used bytes per second (times relative to the first point). */
  static double slope(List<Point> pts) {
    Instant t0 = pts.get(0).at();
    double n = pts.size();
    double sx = 0;
    double sy = 0;
    for (Point p : pts) {
      sx += Duration.between(t0, p.at()).toNanos() / 1e9;
      sy += p.usedBytes();
    }
    double mx = sx / n;
    double my = sy / n;
    double sxy = 0;
    double sxx = 0;
    for (Point p : pts) {
      double dx = Duration.between(t0, p.at()).toNanos() / 1e9 - mx;
      sxy += dx * (p.usedBytes() - my);
      sxx += dx * dx;
    }
    return sxx == 0 ? 0 : sxy / sxx;
  }

  private static String pct(double f) {
    return String.format(Locale.ROOT, "%.1f%%", f * 100);
  }

  static String human(Duration d) {
    long s = d.toSeconds();
    if (s >= 3600) {
      return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
    if (s >= 60) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
  }
}
