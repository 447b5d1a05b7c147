package dev.datainsight.console;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Week over week: what changed most on one instance or on the whole fleet, computed in SQL from
 * the rollups. The Trends page of the console and {@code ./datainsight inspect trends} both print
 * {@link #weekOverWeek}.
 *
 * <p>Weeks are UTC days: this week is the last 7 days, today so far included
 * ({@link #weekStart}), the previous week the 7 days before. Per instance, per metric, and for
 * the fleet per metric over all instances together, a week's value comes from the daily rollups
 * ({@code metric_rollup_1d}: each series' mean over the week's samples, summed over series; the
 * cache hit ratio is the hit share of the summed block rates); a statement's is its total time over
 * its calls in the week, from the statement summary (V11: spans {@code w6} and {@code wp} and
 * today's live rows, one row each per statement) while it is built for today and not stale, else
 * from {@code statement_rollup_1d} for the days it holds and {@code statement_rollup_1h} for the
 * rest, today so far (the same sums; statements with fewer than {@value #MIN_CALLS} calls in
 * either week are left out). Rows rank by the relative change.
 *
 * <p>Then, only for the rows shown and per instance, the <em>change point</em> is found in the
 * hourly rollups of the two weeks: the hour that splits them into the two segments whose means
 * differ most (the largest between-segment sum of squares, each segment at least 3 hours). When
 * that step is in the direction of the weekly change, at least half of it and inside this week,
 * the sentence says "cache hit ratio 95.0% → 75.0% (-21%) since Tue 14:00"; else (and for the
 * fleet rows, which compare the weeks only) "transactions 60/s → 80/s (+33%) week over week".
 *
 * <p>Every value is a bind parameter; the SQL has no identifier from outside this class. Run it on
 * a connection in {@code datainsight_reader} ({@link #connectAsReader}).
 */
public final class Trends {
    private Trends() {}

    /** Metrics compared week over week (statements are compared by their mean time). */
    public enum Metric {
        TPS("tps", "transactions", "/s"),
        ROLLBACKS("rollbacks", "rollbacks", "/s"),
        CACHE_HIT_RATIO("cache_hit_ratio", "cache hit ratio", "ratio"),
        CONNECTIONS("connections", "connections", "count"),
        TEMP_BYTES("temp_bytes", "temp bytes", "bytes/s"),
        DEADLOCKS("deadlocks", "deadlocks", "/h"),
        WAL_BYTES("wal_bytes", "WAL", "bytes/s"),
        DATABASE_SIZE("database_size", "database size", "bytes"),
        QUERY_MEAN_TIME("query_mean_ms", "mean time of query", "ms");

        /** Key in SQL and JSON. */
        public final String key;
        /** Words of the sentence. */
        public final String title;
        /** Unit: {@code ratio}, {@code count}, {@code ms}, {@code bytes}, {@code bytes/s}, {@code /s}, {@code /h}. */
        public final String unit;

        Metric(String key, String title, String unit) {
            this.key = key;
            this.title = title;
            this.unit = unit;
        }

        static Metric of(String key) {
            for (Metric m : values()) {
                if (m.key.equals(key)) {
                    return m;
                }
            }
            throw new IllegalStateException("unknown trend metric " + key);
        }
    }

    /**
     * One metric's week over week.
     *
     * @param instance the instance, or null for the fleet as a whole
     * @param metric what was compared
     * @param subject the query id for {@link Metric#QUERY_MEAN_TIME}, else empty
     * @param query the statement's text when known (untrusted text)
     * @param previousWeek the previous week's value
     * @param thisWeek this week's value
     * @param relativeChange {@code (this - previous) / |previous|}; null when the previous week is 0
     * @param changeAt the first hour of the new level when a change point explains the change, else null
     * @param before the mean before the change point (null without one)
     * @param after the mean since the change point (null without one)
     */
    public record Row(String instance, Metric metric, String subject, String query, double previousWeek, double thisWeek,
                      Double relativeChange, Instant changeAt, Double before, Double after) {

        /** E.g. {@code cache hit ratio 95.0% → 75.0% (-21%) since Sat 14:00}, or {@code connections 22 → 26 (+18%) week over week}. */
        public String sentence() {
            String what = metric == Metric.QUERY_MEAN_TIME ? metric.title + " " + subject : metric.title;
            if (changeAt != null) {
                return what + " " + format(metric.unit, before) + " → " + format(metric.unit, after) + " (" + change(before, after)
                        + ") since " + SINCE.format(changeAt);
            }
            return what + " " + format(metric.unit, previousWeek) + " → " + format(metric.unit, thisWeek) + " ("
                    + change(previousWeek, thisWeek) + ") week over week";
        }

        /** The relative change as {@code +12%}, {@code -40%} or {@code ×3.0} (when the value doubled or more). */
        public String changeText() {
            return change(previousWeek, thisWeek);
        }
    }

    private static final DateTimeFormatter SINCE = DateTimeFormatter.ofPattern("EEE HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);

    /** Statements with fewer calls than this in either week are not compared (too few to say). */
    static final int MIN_CALLS = 10;

    private static final String SQL = """
            /* datainsight console: trends */
            WITH map (metric, trend, num_f, den_f) AS (VALUES
                ('pg_stat_database.xact_commit', 'tps', 1.0::float8, NULL::float8),
                ('pg_stat_database.xact_rollback', 'tps', 1.0, NULL),
                ('pg_stat_database.xact_rollback', 'rollbacks', 1.0, NULL),
                ('pg_stat_database.blks_hit', 'cache_hit_ratio', 1.0, 1.0),
                ('pg_stat_database.blks_read', 'cache_hit_ratio', 0.0, 1.0),
                ('pg_stat_activity.connections_total', 'connections', 1.0, NULL),
                ('pg_stat_database.temp_bytes', 'temp_bytes', 1.0, NULL),
                ('pg_stat_database.deadlocks', 'deadlocks', 3600.0, NULL),
                ('pg_stat_wal.wal_bytes', 'wal_bytes', 1.0, NULL),
                ('pg_database.size_bytes', 'database_size', 1.0, NULL)
            ), series_week AS (
                SELECT s.instance, s.metric, r.bucket >= :w AS this_week, sum(r.sum) / sum(r.count) AS v
                FROM metric_rollup_1d r JOIN series s ON s.id = r.series_id
                WHERE s.metric = ANY (:metrics) AND (:inst::text IS NULL OR s.instance = :inst) AND r.bucket >= :t0 AND r.bucket < :t1
                GROUP BY s.id, s.instance, s.metric, 3
            ), metric_week AS (
                SELECT sw.instance, m.trend AS metric, ''::text AS subject,
                       sum(sw.v * m.num_f) FILTER (WHERE sw.this_week)
                           / CASE WHEN bool_and(m.den_f IS NULL) THEN 1 ELSE nullif(sum(sw.v * m.den_f) FILTER (WHERE sw.this_week), 0) END AS this_week,
                       sum(sw.v * m.num_f) FILTER (WHERE NOT sw.this_week)
                           / CASE WHEN bool_and(m.den_f IS NULL) THEN 1 ELSE nullif(sum(sw.v * m.den_f) FILTER (WHERE NOT sw.this_week), 0) END AS prev_week
                FROM series_week sw JOIN map m ON m.metric = sw.metric
                GROUP BY GROUPING SETS ((sw.instance, m.trend), (m.trend))
            ), statement_week AS (
                SELECT instance, 'query_mean_ms'::text AS metric, queryid AS subject,
                       sum(total_exec_time_ms) FILTER (WHERE bucket >= :w) / nullif(sum(calls) FILTER (WHERE bucket >= :w), 0) AS this_week,
                       sum(total_exec_time_ms) FILTER (WHERE bucket < :w) / nullif(sum(calls) FILTER (WHERE bucket < :w), 0) AS prev_week,
                       sum(calls) FILTER (WHERE bucket >= :w) AS this_calls, sum(calls) FILTER (WHERE bucket < :w) AS prev_calls
                FROM (statement_rows) r
                GROUP BY instance, queryid
            ), weekly AS (
                SELECT instance, metric, subject, this_week, prev_week FROM metric_week WHERE instance IS NOT NULL OR :inst::text IS NULL
                UNION ALL
                SELECT instance, metric, subject, this_week, prev_week FROM statement_week
                WHERE this_calls >= :mincalls AND prev_calls >= :mincalls
            ), ranked AS (
                SELECT w.*, CASE WHEN w.prev_week = 0 THEN 'Infinity'::float8 ELSE abs(w.this_week - w.prev_week) / abs(w.prev_week) END AS key
                FROM weekly w
                WHERE w.this_week IS NOT NULL AND w.prev_week IS NOT NULL AND NOT (w.this_week = 0 AND w.prev_week = 0)
                ORDER BY key DESC, w.instance NULLS FIRST, w.metric, w.subject
                LIMIT :limit
            ), points AS (
                -- hourly values of the rows shown (one instance each), for their change points
                SELECT s.instance, m.trend AS metric, ''::text AS subject, r.bucket,
                       sum(r.sum / r.count * m.num_f)
                           / CASE WHEN bool_and(m.den_f IS NULL) THEN 1 ELSE nullif(sum(r.sum / r.count * m.den_f), 0) END AS v
                FROM ranked k JOIN map m ON m.trend = k.metric
                JOIN series s ON s.instance = k.instance AND s.metric = m.metric
                JOIN metric_rollup_1h r ON r.series_id = s.id
                WHERE k.instance IS NOT NULL AND k.metric <> 'query_mean_ms' AND r.bucket >= :t0 AND r.bucket < :t1
                GROUP BY s.instance, m.trend, r.bucket
                UNION ALL
                SELECT r.instance, k.metric, r.queryid, r.bucket, sum(r.total_exec_time_ms) / nullif(sum(r.calls), 0)
                FROM ranked k JOIN statement_rollup_1h r ON r.instance = k.instance AND r.queryid = k.subject
                WHERE k.metric = 'query_mean_ms' AND r.bucket >= :t0 AND r.bucket < :t1
                GROUP BY r.instance, k.metric, r.queryid, r.bucket
            ), scored AS (
                SELECT instance, metric, subject, bucket,
                       row_number() OVER w AS k, sum(v) OVER w AS sk, count(*) OVER a AS n, sum(v) OVER a AS s,
                       lead(bucket) OVER w AS next_bucket
                FROM points WHERE v IS NOT NULL
                WINDOW a AS (PARTITION BY instance, metric, subject),
                       w AS (PARTITION BY instance, metric, subject ORDER BY bucket ROWS UNBOUNDED PRECEDING)
            ), change AS (
                SELECT DISTINCT ON (instance, metric, subject) instance, metric, subject, next_bucket AS change_at,
                       sk / k AS before, (s - sk) / (n - k) AS after
                FROM scored
                WHERE k >= 3 AND n - k >= 3
                ORDER BY instance, metric, subject, k * (n - k) * power(sk / k - (s - sk) / (n - k), 2) DESC, bucket
            )
            SELECT k.instance, k.metric, k.subject, t.query, k.prev_week, k.this_week,
                   (k.this_week - k.prev_week) / nullif(abs(k.prev_week), 0) AS rel, c.change_at, c.before, c.after
            FROM ranked k
            LEFT JOIN change c ON c.instance = k.instance AND c.metric = k.metric AND c.subject = k.subject
            LEFT JOIN statement_text t ON k.metric = 'query_mean_ms' AND t.instance = k.instance AND t.queryid = k.subject
            ORDER BY k.key DESC, k.instance NULLS FIRST, k.metric, k.subject""";

    /**
     * The statement rows of the two weeks from the rollups: whole days from the daily rollup, the
     * rest (today so far, days not rolled yet) from the hourly one.
     */
    private static final String ROLLUP_ROWS = """
                    SELECT instance, queryid, bucket, calls, total_exec_time_ms FROM statement_days_table
                    WHERE (:inst::text IS NULL OR instance = :inst) AND bucket >= :t0 AND bucket < :split AND queryid <> 'other'
                    UNION ALL
                    SELECT instance, queryid, bucket, calls, total_exec_time_ms FROM statement_rollup_1h
                    WHERE (:inst::text IS NULL OR instance = :inst) AND bucket >= :split AND bucket < :t1 AND queryid <> 'other'""";

    /**
     * The same from the statement summary (V11) built for today: its spans {@code w6} (this week's
     * closed days) and {@code wp} (the week before), one row per statement each, dated at the
     * week's start, and today's live rows.
     */
    private static final String SUMMARY_ROWS = """
                    SELECT instance, queryid, CASE WHEN span = 'wp' THEN :t0::timestamptz ELSE :w::timestamptz END AS bucket, calls, total_exec_time_ms
                    FROM statement_summary WHERE span IN ('w6', 'wp') AND (:inst::text IS NULL OR instance = :inst)
                    UNION ALL
                    SELECT instance, queryid, day, calls, total_exec_time_ms FROM statement_summary_live
                    WHERE day = :today AND (:inst::text IS NULL OR instance = :inst)""";

    /** {@link #SQL} with its statement rows, {@code ?} for its {@code :name} parameters, and their names in order. */
    private record Positional(String sql, List<String> params) {
        static Positional of(String rows) {
            String sql = SQL.replace("statement_rows", rows);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?<!:):(t0|w|split|t1|today|inst|metrics|mincalls|limit)\\b")
                    .matcher(sql);
            List<String> params = new ArrayList<>();
            StringBuilder b = new StringBuilder();
            while (m.find()) {
                params.add(m.group(1));
                m.appendReplacement(b, "?");
            }
            m.appendTail(b);
            return new Positional(b.toString(), List.copyOf(params));
        }
    }

    private static final Positional FROM_ROLLUPS = Positional.of(ROLLUP_ROWS);
    private static final Positional FROM_SUMMARY = Positional.of(SUMMARY_ROWS);

    /** The metric names the hourly CTE reads (bound as one array). */
    private static final String[] METRIC_NAMES = {"pg_stat_database.xact_commit", "pg_stat_database.xact_rollback",
        "pg_stat_database.blks_hit", "pg_stat_database.blks_read", "pg_stat_activity.connections_total",
        "pg_stat_database.temp_bytes", "pg_stat_database.deadlocks", "pg_stat_wal.wal_bytes", "pg_database.size_bytes"};

    /** Rows of {@link #weekOverWeek(Connection, String, Instant)}: enough for every metric of a few dozen instances. */
    public static final int DEFAULT_LIMIT = 200;

    /** {@link #weekOverWeek(Connection, String, Instant, int)} with at most {@value #DEFAULT_LIMIT} rows. */
    public static List<Row> weekOverWeek(Connection c, String instance, Instant now) throws SQLException {
        return weekOverWeek(c, instance, now, DEFAULT_LIMIT);
    }

    /**
     * This week against the previous one, most changed first.
     *
     * @param c a connection to the store (as {@code datainsight_reader})
     * @param instance one instance, or null for every instance plus the fleet as a whole (rows with a null instance)
     * @param now end of this week (exclusive)
     * @param limit rows at most
     */
    public static List<Row> weekOverWeek(Connection c, String instance, Instant now, int limit) throws SQLException {
        Instant weekStart = weekStart(now);
        Instant t0 = weekStart.minus(Duration.ofDays(7));
        Instant today = now.truncatedTo(ChronoUnit.DAYS);
        // the summary when it is built for today; else daily statement rows for the whole days
        // rolled up, hourly ones from there
        boolean summary = StoreReader.summaryAsOf(c, now).isPresent();
        StoreReader.StatementDays days = summary ? StoreReader.StatementDays.NONE : StoreReader.statementDays(c);
        Instant split = days.rolledUntil();
        split = split.isAfter(today) ? today : split.isBefore(t0) ? t0 : split;
        Positional q = summary ? FROM_SUMMARY : FROM_ROLLUPS;
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(q.sql().replace("statement_days_table", days.dailyTable()))) {
            Array metrics = c.createArrayOf("text", METRIC_NAMES);
            int i = 1;
            for (String name : q.params()) {
                switch (name) {
                    case "today" -> ps.setTimestamp(i, Timestamp.from(today));
                    case "t0" -> ps.setTimestamp(i, Timestamp.from(t0));
                    case "split" -> ps.setTimestamp(i, Timestamp.from(split));
                    case "w" -> ps.setTimestamp(i, Timestamp.from(weekStart));
                    case "t1" -> ps.setTimestamp(i, Timestamp.from(now));
                    case "inst" -> ps.setString(i, instance);
                    case "metrics" -> ps.setArray(i, metrics);
                    case "mincalls" -> ps.setInt(i, MIN_CALLS);
                    case "limit" -> ps.setInt(i, limit);
                    default -> throw new IllegalStateException(name);
                }
                i++;
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    double prev = rs.getDouble(5);
                    double cur = rs.getDouble(6);
                    Double rel = nullable(rs, 7);
                    Timestamp at = rs.getTimestamp(8);
                    Double before = nullable(rs, 9);
                    Double after = nullable(rs, 10);
                    Instant changeAt = at == null ? null : at.toInstant();
                    if (!explains(prev, cur, before, after, changeAt, weekStart)) {
                        changeAt = null;
                        before = null;
                        after = null;
                    }
                    rows.add(new Row(rs.getString(1), Metric.of(rs.getString(2)), rs.getString(3), rs.getString(4), prev, cur, rel,
                            changeAt, before, after));
                }
            }
        }
        return rows;
    }

    /** Start of "this week": midnight UTC six days before {@code now}'s day (so 7 UTC days, today so far included). */
    public static Instant weekStart(Instant now) {
        return now.truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(6));
    }

    /**
     * Whether the step at the change point tells the week's story: in the same direction as the
     * weekly change, at least half of it, and inside this week (so "since" is this week's news).
     */
    static boolean explains(double prev, double cur, Double before, Double after, Instant changeAt, Instant weekStart) {
        if (before == null || after == null || changeAt == null || changeAt.isBefore(weekStart)) {
            return false;
        }
        double week = cur - prev;
        double step = after - before;
        return week != 0 && Math.signum(week) == Math.signum(step) && Math.abs(step) >= 0.5 * Math.abs(week);
    }

    /** Whether the store knows the instance (its inventory row). */
    public static boolean instanceExists(Connection c, String instance) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("/* datainsight console: instance exists */ SELECT 1 FROM instance WHERE instance = ?")) {
            ps.setString(1, instance);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * A connection as the console opens them: in the {@code datainsight_reader} role, read-only
     * transactions, a 15 s statement timeout. A login outside the reader role is refused.
     */
    public static Connection connectAsReader(String jdbcUrl, String user, String password) throws SQLException {
        return new StoreReader(jdbcUrl, user, password).connect();
    }

    // ---- formatting -----------------------------------------------------------------------------

    /** A value in its unit: {@code 95.0%}, {@code 1.5 GiB}, {@code 12 ms}, {@code 60/s}. */
    public static String format(String unit, Double v) {
        if (v == null) {
            return "—";
        }
        return switch (unit) {
            case "ratio" -> String.format(Locale.ROOT, "%.1f%%", v * 100);
            case "bytes" -> bytes(v);
            case "bytes/s" -> bytes(v) + "/s";
            case "ms" -> num(v) + " ms";
            case "count" -> num(v);
            default -> num(v) + unit;
        };
    }

    /** {@code +12%}, {@code -40%}, or {@code ×3.0} when the new value is at least double the old one. */
    static String change(Double from, Double to) {
        if (from == null || to == null) {
            return "—";
        }
        if (from == 0) {
            return to == 0 ? "0%" : "new";
        }
        double ratio = to / from;
        if (from > 0 && ratio >= 2) {
            return String.format(Locale.ROOT, "×%.1f", ratio);
        }
        return String.format(Locale.ROOT, "%+.0f%%", (to - from) / Math.abs(from) * 100);
    }

    static String bytes(double v) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double a = Math.abs(v);
        int i = 0;
        while (a >= 1024 && i < units.length - 1) {
            a /= 1024;
            v /= 1024;
            i++;
        }
        return (i == 0 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v)) + " " + units[i];
    }

    private static String num(double v) {
        double a = Math.abs(v);
        if (a >= 100 || v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return a >= 1 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.3f", v);
    }

    private static Double nullable(ResultSet rs, int col) throws SQLException {
        double v = rs.getDouble(col);
        return rs.wasNull() ? null : v;
    }
}
