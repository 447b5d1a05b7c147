package dev.datainsight.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How one partitioned table is maintained: partition width, how far ahead partitions are
 * created, how long data is kept (a partition is dropped once its whole range is older than
 * the retention), and optionally where an expired partition is archived before it is dropped.
 *
 * @param table partitioned table name
 * @param width {@link Width#DAY} or {@link Width#MONTH} partitions
 * @param ahead how many partitions after the current one must exist
 * @param retention how long rows are kept
 * @param archiveDir directory that receives one {@link PartitionArchive} per expired partition
 *     before it is dropped, or null to drop without archiving
 */
public record PartitionPolicy(String table, Width width, int ahead, Duration retention, Path archiveDir) {

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

    /** A policy that drops expired partitions without archiving them. */
    public PartitionPolicy(String table, Width width, int ahead, Duration retention) {
        this(table, width, ahead, retention, null);
    }

    public PartitionPolicy withRetention(Duration r) {
        return new PartitionPolicy(table, width, ahead, r, archiveDir);
    }

    public PartitionPolicy withAhead(int a) {
        return new PartitionPolicy(table, width, a, retention, archiveDir);
    }

    /** The same policy, archiving expired partitions under {@code dir} before dropping them. */
    public PartitionPolicy withArchive(Path dir) {
        return new PartitionPolicy(table, width, ahead, retention, dir);
    }

    /**
     * The defaults: 1-minute rollups in daily partitions 7 days ahead kept 14 days; 1-hour
     * rollups and statement rollups monthly, 3 months ahead, kept 90 days; daily rollups (metrics
     * and statements) monthly, kept 2 years; alert events and query plans monthly, kept 1 year. No
     * archiving.
     */
    public static List<PartitionPolicy> defaults() {
        return List.of(
                new PartitionPolicy("metric_rollup_1m", Width.DAY, 7, Duration.ofDays(14)),
                new PartitionPolicy("metric_rollup_1h", Width.MONTH, 3, Duration.ofDays(90)),
                new PartitionPolicy("metric_rollup_1d", Width.MONTH, 3, Duration.ofDays(730)),
                new PartitionPolicy("statement_rollup_1h", Width.MONTH, 3, Duration.ofDays(90)),
                new PartitionPolicy("statement_rollup_1d", Width.MONTH, 3, Duration.ofDays(730)),
                new PartitionPolicy("alert_event", Width.MONTH, 3, Duration.ofDays(365)),
                new PartitionPolicy("query_plan", Width.MONTH, 3, Duration.ofDays(365)));
    }
}
