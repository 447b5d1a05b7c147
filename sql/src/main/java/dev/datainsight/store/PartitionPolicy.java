package dev.datainsight.store;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How one partitioned table is maintained: partition width, how far ahead partitions are
 * created, and how long data is kept (a partition is dropped once its whole range is older than
 * the retention).
 *
 * @param table partitioned table name
 * @param width {@link Width#DAY} or {@link Width#MONTH} partitions
 * @param ahead how many partitions after the current one must exist
 * @param retention how long rows are kept
 */
public record PartitionPolicy(String table, Width width, int ahead, Duration retention) {

    /** Width of one partition (ranges in UTC). */
    public enum Width { DAY, MONTH }

    public PartitionPolicy {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(width, "width");
        Objects.requireNonNull(retention, "retention");
        if (!table.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException("not a plain table name: " + table);
        }
        if (ahead < 0) {
            throw new IllegalArgumentException("ahead must be >= 0, was " + ahead);
        }
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("retention of " + table + " must be positive, was " + retention);
        }
    }

    public PartitionPolicy withRetention(Duration r) {
        return new PartitionPolicy(table, width, ahead, r);
    }

    public PartitionPolicy withAhead(int a) {
        return new PartitionPolicy(table, width, a, retention);
    }

    /**
     * The defaults: 1-minute rollups in daily partitions 7 days ahead kept 14 days; 1-hour
     * rollups and statement rollups monthly, 3 months ahead, kept 90 days; daily rollups (metrics
     * and statements) monthly, kept 2 years; alert events monthly, kept 1 year.
     */
    public static List<PartitionPolicy> defaults() {
        return List.of(
                new PartitionPolicy("metric_rollup_1m", Width.DAY, 7, Duration.ofDays(14)),
                new PartitionPolicy("metric_rollup_1h", Width.MONTH, 3, Duration.ofDays(90)),
                new PartitionPolicy("metric_rollup_1d", Width.MONTH, 3, Duration.ofDays(730)),
                new PartitionPolicy("statement_rollup_1h", Width.MONTH, 3, Duration.ofDays(90)),
                new PartitionPolicy("statement_rollup_1d", Width.MONTH, 3, Duration.ofDays(730)),
                new PartitionPolicy("alert_event", Width.MONTH, 3, Duration.ofDays(365)));
    }
}
