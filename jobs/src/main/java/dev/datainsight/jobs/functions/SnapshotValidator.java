package dev.datainsight.jobs.functions;

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
        long t = s.getCollectedAt();
        if (t > now + maxFutureMs) {
            return new Rejection(RejectReason.IN_FUTURE, "collected_at " + t + " is " + (t - now)
                    + " ms ahead of the job's clock (bound " + maxFutureMs + " ms)");
        }
        if (t < now - maxAgeMs) {
            return new Rejection(RejectReason.TOO_OLD, "collected_at " + t + " is " + (now - t)
                    + " ms behind the job's clock (bound " + maxAgeMs + " ms)");
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

    private static String domainProblem(String unit, double v) {
        switch (unit) {
            case "ratio":
                return v < 0 || v > 1 ? "a ratio must be within 0..1" : null;
            case "bool":
                return v != 0 && v != 1 ? "a boolean must be 0 or 1" : null;
            case "bytes":
            case "xids":
            case "seconds":
            case "ms":
            case "blocks":
            case "epoch_seconds":
                return v < 0 ? "a " + unit + " value cannot be negative" : null;
            default:
                return null;
        }
    }

    /** Why a snapshot is refused. */
    public record Rejection(RejectReason reason, String detail) {}
}
