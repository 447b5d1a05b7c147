package dev.datainsight.jobs.decode;

import dev.datainsight.model.Column;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.RejectReason;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.ViewDef;
import java.io.Serializable;
import java.time.Duration;
import java.util.Map;

/**
 * Checks the wire codec does not make: collection time within bounds of the wall clock (a clock
 * skewed into the future would drag every watermark ahead and make every other server late), and
 * values inside their domain (ratios in 0..1, booleans 0/1, sizes, ages and durations not
 * negative).
 */
public final class SnapshotValidator implements Serializable {
    private static final long serialVersionUID = 1L;

    private final long maxFutureMs;
    private final long maxAgeMs;

    /** @param maxFuture how far ahead of the wall clock a collection time may be
     *  @param maxAge how far behind the wall clock a collection time may be */
    public SnapshotValidator(Duration maxFuture, Duration maxAge) {
        this.maxFutureMs = maxFuture.toMillis();
        this.maxAgeMs = maxAge.toMillis();
    }

    /** A rejection, or null when the snapshot is acceptable. */
    public Rejection validate(Snapshot s, long now) {
        Rejection time = checkTime(s.getCollectedAt(), now);
        if (time != null) {
            return time;
        }
        ViewDef def = MetricCatalog.view(s.getView());
        int i = 0;
        for (SnapshotRow row : s.getRows()) {
            for (Map.Entry<String, Double> e : row.getValues().entrySet()) {
                Double v = e.getValue();
                if (v == null) {
                    continue;
                }
                Column c = def.column(e.getKey());
                if (c == null || c.isCounter()) {
                    continue;
                }
                String problem = domainProblem(c.unit(), v);
                if (problem != null) {
                    return new Rejection(RejectReason.OUT_OF_DOMAIN,
                            "rows[" + i + "].values." + e.getKey() + " = " + v + ": " + problem);
                }
            }
            i++;
        }
        return null;
    }

    /**
     * The time check of {@link #validate} alone: a rejection when collection time {@code t} is
     * outside the bounds around {@code now}, else null. Shared with {@link CompactDecoder}.
     */
    Rejection checkTime(long t, long now) {
        if (t > now + maxFutureMs) {
            return new Rejection(RejectReason.IN_FUTURE, "collected_at " + t + " is " + (t - now)
                    + " ms ahead of the job's clock (bound " + maxFutureMs + " ms)");
        }
        if (t < now - maxAgeMs) {
            return new Rejection(RejectReason.TOO_OLD, "collected_at " + t + " is " + (now - t)
                    + " ms behind the job's clock (bound " + maxAgeMs + " ms)");
        }
        return null;
    }

    /**
     * What is wrong with value {@code v} of a gauge of {@code unit}, or null when it is inside the
     * unit's domain (counters are the wire codec's business).
     */
    static String domainProblem(String unit, double v) {
        Domain d = Domain.of(unit);
        if (d.contains(v)) {
            return null;
        }
        return switch (d) {
            case RATIO -> "a ratio must be within 0..1";
            case BOOL -> "a boolean must be 0 or 1";
            case NON_NEGATIVE -> "a " + unit + " value cannot be negative";
            case ANY -> null;
        };
    }

    /**
     * The domain of a gauge's values by unit. {@link CompactDecoder} looks it up once per catalog
     * column instead of once per value, and so applies the very rules of {@link #validate}.
     */
    enum Domain {
        ANY(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY),
        RATIO(0, 1),
        BOOL(0, 1),
        NON_NEGATIVE(0, Double.POSITIVE_INFINITY);

        private final double min;
        private final double max;

        Domain(double min, double max) {
            this.min = min;
            this.max = max;
        }

        static Domain of(String unit) {
            return switch (unit) {
                case "ratio" -> RATIO;
                case "bool" -> BOOL;
                case "bytes", "xids", "seconds", "ms", "blocks", "epoch_seconds", "factor" -> NON_NEGATIVE;
                default -> ANY;
            };
        }

        /** Whether {@code v} is in the domain. */
        boolean contains(double v) {
            if (this == BOOL) {
                return !(v != 0 && v != 1);
            }
            return !(v < min || v > max);
        }
    }

    /** Why a snapshot is refused. */
    public record Rejection(RejectReason reason, String detail) {}
}
