package dev.datainsight.console;

import java.util.List;

/**
 * One chart of the instance page: which metrics it reads, how rows of one bucket combine, and
 * what names the lines get.
 *
 * @param id stable id (the DOM id and the JSON key)
 * @param title heading
 * @param unit unit of the y axis (bytes, s, /s, ratio, count)
 * @param metrics metric names ({@code view.column}) read from the series table
 * @param splitLabel series label whose value names a line (e.g. datname), or null for one line
 *     per metric
 * @param value how the rows of one bucket combine
 * @param scale factor applied to every value (e.g. 60 for events per minute from a per-second rate)
 */
record Panel(String id, String title, String unit, List<String> metrics, String splitLabel, Value value, double scale) {

    /** Aggregations of the rollup rows of one bucket; SQL constants, never user text. */
    enum Value {
        /** Mean per-second rate of counters, summed over their series (e.g. over databases). */
        RATE_SUM("sum(r.sum / r.count)"),
        /** Last value of gauges, summed over series. */
        LAST_SUM("sum(r.last)"),
        /** Highest value seen of gauges. */
        MAX("max(r.max)"),
        /** Cache hit ratio: blks_hit / (blks_hit + blks_read) of the rates, computed after the query. */
        HIT_RATIO("sum(r.sum / r.count)");

        final String sql;

        Value(String sql) {
            this.sql = sql;
        }
    }

    /** The panels, in page order. */
    static final List<Panel> ALL = List.of(
            new Panel("tps", "Transactions and rollbacks", "/s",
                    List.of("pg_stat_database.xact_commit", "pg_stat_database.xact_rollback"), null, Value.RATE_SUM, 1),
            new Panel("connections", "Connections by state", "count",
                    List.of("pg_stat_activity.connections_active", "pg_stat_activity.connections_idle",
                            "pg_stat_activity.connections_idle_in_transaction", "pg_stat_activity.connections_waiting_lock",
                            "pg_stat_activity.max_connections"), null, Value.LAST_SUM, 1),
            new Panel("cache", "Cache hit ratio", "ratio",
                    List.of("pg_stat_database.blks_hit", "pg_stat_database.blks_read"), null, Value.HIT_RATIO, 1),
            new Panel("checkpoints", "Checkpoints (per hour)", "/h",
                    List.of("pg_stat_checkpointer.num_timed", "pg_stat_checkpointer.num_requested"), null, Value.RATE_SUM, 3600),
            new Panel("wal", "WAL rate", "bytes/s", List.of("pg_stat_wal.wal_bytes"), null, Value.RATE_SUM, 1),
            new Panel("temp", "Temp bytes", "bytes/s", List.of("pg_stat_database.temp_bytes"), null, Value.RATE_SUM, 1),
            new Panel("deadlocks", "Deadlocks (per minute)", "/min", List.of("pg_stat_database.deadlocks"), null, Value.RATE_SUM, 60),
            new Panel("replication", "Replication lag", "s",
                    List.of("pg_stat_replication.replay_lag_seconds"), "application_name", Value.MAX, 1),
            new Panel("sizes", "Database sizes", "bytes", List.of("pg_database.size_bytes"), "datname", Value.LAST_SUM, 1));

    /** Short line name of a metric: the column part of {@code view.column}. */
    static String shortName(String metric) {
        return metric.substring(metric.indexOf('.') + 1);
    }
}
