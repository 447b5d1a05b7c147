package dev.datainsight.console.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.console.api.Rows.Alert;
import dev.datainsight.console.api.Rows.ContextItem;
import dev.datainsight.console.api.Rows.Insight;
import dev.datainsight.console.api.Rows.Instance;
import dev.datainsight.console.api.Rows.Label;
import dev.datainsight.console.api.Rows.Page;
import dev.datainsight.console.api.Rows.Point;
import dev.datainsight.console.api.Rows.Series;
import dev.datainsight.console.api.Rows.Statement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The API's SQL. Every list is read in one statement for any number of parents: the rows of all
 * parents come back together, numbered per parent ({@code row_number() OVER (PARTITION BY ...)})
 * and cut at {@code first + 1} (the extra row says whether a next page exists). Pages continue
 * after a keyset cursor. Every value is a bind parameter; the only text put into SQL is chosen
 * from constants here (rollup table names, sort keys, the grouping column).
 *
 * <p>Time ranges bind both bounds on the partition column ({@code bucket}, {@code event_at}),
 * so PostgreSQL scans only the partitions of the range.
 */
final class ApiReader {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SEVERITY_RANK = "CASE %s WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END";

    /** Parent key of the rows of a top-level list (one group). */
    static final String ALL = "";

    private ApiReader() {}

    // ---- instances ------------------------------------------------------------------------------

    /** Instances in name order after {@code afterName}, or the one named {@code name}. */
    static Page<Instance> instances(Connection c, Map<String, String> labels, String name, String afterName, int first) throws SQLException {
        String sql = """
                /* datainsight console api: instances */
                SELECT h.instance, h.state, h.server_version_num, h.labels::text, h.up, i.first_seen, h.last_seen, h.connections,
                       h.max_connections, coalesce(a.critical, 0), coalesce(a.warning, 0), coalesce(a.info, 0), coalesce(a.pending, 0),
                       (SELECT r.last FROM series s JOIN metric_rollup_1m r ON r.series_id = s.id
                        WHERE s.instance = h.instance AND s.metric = 'datainsight_collector.in_recovery'
                          AND coalesce(s.labels ->> 'probe', '') = '' AND r.bucket >= now() - interval '1 hour' AND r.bucket <= now()
                        ORDER BY r.bucket DESC LIMIT 1)
                FROM instance_health h JOIN instance i ON i.instance = h.instance
                LEFT JOIN (
                    SELECT instance,
                           count(*) FILTER (WHERE status = 'firing' AND severity = 'critical') AS critical,
                           count(*) FILTER (WHERE status = 'firing' AND severity = 'warning') AS warning,
                           count(*) FILTER (WHERE status = 'firing' AND severity = 'info') AS info,
                           count(*) FILTER (WHERE status = 'pending') AS pending
                    FROM open_alert GROUP BY instance
                ) a ON a.instance = h.instance
                WHERE h.labels @> ?::jsonb AND (?::text IS NULL OR h.instance = ?::text) AND (?::text IS NULL OR h.instance > ?::text)
                ORDER BY h.instance
                LIMIT ?""";
        List<Instance> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, toJson(labels), name, name, afterName, afterName, first + 1);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Double up = nullableDouble(rs, 5);
                    Double recovery = nullableDouble(rs, 14);
                    rows.add(new Instance(rs.getString(1), labels(rs.getString(4)), rs.getInt(3), rs.getString(2),
                            up == null ? null : up > 0, recovery == null ? null : recovery > 0, instant(rs, 6), instant(rs, 7),
                            nullableDouble(rs, 8), nullableDouble(rs, 9), rs.getInt(10), rs.getInt(11), rs.getInt(12), rs.getInt(13)));
                }
            }
        }
        return page(rows, first, r -> Cursor.encode("instances", r.name()));
    }

    // ---- alerts ---------------------------------------------------------------------------------

    /** Filters of an alert list; null means any. Values are the store's (lower case). */
    record AlertFilter(String severity, String rule, String instance, String status) {}

    /**
     * Open alerts of {@code instances} (each its own page), or of the whole fleet as one page
     * under {@link #ALL} when {@code instances} is null.
     */
    static Map<String, Page<Alert>> openAlerts(Connection c, Collection<String> instances, AlertFilter f, String after, int first) throws SQLException {
        List<JsonNode> key = Cursor.decode(after, "openAlerts", 4);
        String group = instances == null ? "''" : "o.instance";
        String sql = """
                /* datainsight console api: open alerts */
                SELECT grp, fingerprint, rule, severity, status, instance, labels, value, threshold, started_at, resolved_at, event_at,
                       summary, description, runbook, context, firing, sev
                FROM (
                    SELECT o.*, %1$s AS grp,
                           row_number() OVER (PARTITION BY %1$s ORDER BY o.firing DESC, o.sev DESC, o.started_at DESC, o.fingerprint DESC) AS rn
                    FROM (
                        SELECT l.fingerprint, l.rule, l.severity, l.status, l.instance, l.labels::text AS labels, l.value, l.threshold,
                               l.started_at, l.resolved_at, l.event_at, l.summary, l.description, l.runbook,
                               (to_jsonb(l) -> 'context')::text AS context, (l.status = 'firing')::int AS firing, %2$s AS sev
                        FROM (
                            -- the latest event of each fingerprint (a fingerprint belongs to one instance, so
                            -- filtering by instance first gives the rows of the open_alert view)
                            SELECT DISTINCT ON (e.fingerprint) e.*
                            FROM alert_event e
                            WHERE (? OR e.instance = ANY (?))
                            ORDER BY e.fingerprint, e.event_at DESC, (e.status = 'resolved') DESC, %3$s DESC
                        ) l
                        WHERE l.status <> 'resolved' AND (?::text IS NULL OR l.severity = ?::text) AND (?::text IS NULL OR l.rule = ?::text)
                          AND (?::text IS NULL OR l.instance = ?::text) AND (?::text IS NULL OR l.status = ?::text)
                    ) o
                    WHERE (?::int IS NULL OR (o.firing, o.sev, o.started_at, o.fingerprint) < (?::int, ?::int, ?::timestamptz, ?::text))
                ) x
                WHERE rn <= ?
                ORDER BY grp, rn""".formatted(group, SEVERITY_RANK.formatted("l.severity"), SEVERITY_RANK.formatted("e.severity"));
        Map<String, List<Object[]>> raw = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, instances == null, textArray(c, instances), f.severity(), f.severity(), f.rule(), f.rule(), f.instance(), f.instance(),
                    f.status(), f.status(), intOrNull(key, 0), intOrNull(key, 0), intOrNull(key, 1), timeOrNull(key, 2), textOrNull(key, 3),
                    first + 1);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Alert a = alert(rs, 2);
                    String cursor = Cursor.encode("openAlerts", rs.getInt(17), rs.getInt(18), a.startedAt().toString(), a.fingerprint());
                    raw.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new Object[] {a, cursor});
                }
            }
        }
        return pages(raw, first);
    }

    /** Alert events in {@code [from, to)}, newest first. */
    static Page<Alert> alertEvents(Connection c, Instant from, Instant to, AlertFilter f, String after, int first) throws SQLException {
        List<JsonNode> key = Cursor.decode(after, "alerts", 4);
        String sql = """
                /* datainsight console api: alert events */
                SELECT e.fingerprint, e.rule, e.severity, e.status, e.instance, e.labels::text, e.value, e.threshold, e.started_at,
                       e.resolved_at, e.event_at, e.summary, e.description, e.runbook, (to_jsonb(e) -> 'context')::text
                FROM alert_event e
                WHERE e.event_at >= ? AND e.event_at < ?
                  AND (?::text IS NULL OR e.severity = ?::text) AND (?::text IS NULL OR e.rule = ?::text)
                  AND (?::text IS NULL OR e.instance = ?::text) AND (?::text IS NULL OR e.status = ?::text)
                  AND (?::timestamptz IS NULL OR (e.event_at, e.fingerprint, e.status, e.severity) < (?::timestamptz, ?::text, ?::text, ?::text))
                ORDER BY e.event_at DESC, e.fingerprint DESC, e.status DESC, e.severity DESC
                LIMIT ?""";
        List<Alert> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, from, to, f.severity(), f.severity(), f.rule(), f.rule(), f.instance(), f.instance(), f.status(), f.status(),
                    timeOrNull(key, 0), timeOrNull(key, 0), textOrNull(key, 1), textOrNull(key, 2), textOrNull(key, 3), first + 1);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(alert(rs, 1));
                }
            }
        }
        return page(rows, first, a -> Cursor.encode("alerts", a.eventAt().toString(), a.fingerprint(), a.status(), a.severity()));
    }

    private static Alert alert(ResultSet rs, int o) throws SQLException {
        return new Alert(rs.getString(o), rs.getString(o + 1), rs.getString(o + 2), rs.getString(o + 3), rs.getString(o + 4),
                labels(rs.getString(o + 5)), nullableDouble(rs, o + 6), nullableDouble(rs, o + 7), instant(rs, o + 8), instant(rs, o + 9),
                instant(rs, o + 10), rs.getString(o + 11), rs.getString(o + 12), rs.getString(o + 13), context(rs.getString(o + 14)));
    }

    // ---- series ---------------------------------------------------------------------------------

    /** Series of the given metrics for each of {@code instances}, in (metric, id) order. */
    static Map<String, Page<Series>> series(Connection c, Collection<String> instances, List<String> metrics, String after, int first) throws SQLException {
        List<JsonNode> key = Cursor.decode(after, "series", 2);
        String sql = """
                /* datainsight console api: series */
                SELECT instance, id, metric, labels FROM (
                    SELECT s.id, s.instance, s.metric, s.labels::text AS labels,
                           row_number() OVER (PARTITION BY s.instance ORDER BY s.metric, s.id) AS rn
                    FROM series s
                    WHERE s.instance = ANY (?) AND s.metric = ANY (?)
                      AND (?::text IS NULL OR (s.metric, s.id) > (?::text, ?::bigint))
                ) x
                WHERE rn <= ?
                ORDER BY instance, rn""";
        Map<String, List<Object[]>> raw = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, textArray(c, instances), textArray(c, metrics), textOrNull(key, 0), textOrNull(key, 0), longOrNull(key, 1), first + 1);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Series s = new Series(rs.getLong(2), rs.getString(1), rs.getString(3), labels(rs.getString(4)));
                    raw.computeIfAbsent(s.instance(), k -> new ArrayList<>()).add(new Object[] {s, Cursor.encode("series", s.metric(), s.id())});
                }
            }
        }
        return pages(raw, first);
    }

    /** Rollup buckets of the series with their start in {@code [from, to)}, per series id, oldest first. */
    static Map<Long, List<Point>> points(Connection c, Collection<Long> seriesIds, Resolution resolution, Instant from, Instant to) throws SQLException {
        String sql = "/* datainsight console api: points */ SELECT series_id, bucket, count, min, max, sum, last FROM " + resolution.table
                + " WHERE series_id = ANY (?) AND bucket >= ? AND bucket < ? ORDER BY series_id, bucket";
        Map<Long, List<Point>> out = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, c.createArrayOf("bigint", seriesIds.toArray()), from, to);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long n = rs.getLong(3);
                    double sum = rs.getDouble(6);
                    out.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
                            .add(new Point(instant(rs, 2), n, rs.getDouble(4), rs.getDouble(5), sum / n, sum, rs.getDouble(7)));
                }
            }
        }
        return out;
    }

    /** The rollup tables; their names are the only table names chosen at run time. */
    enum Resolution {
        MINUTE("metric_rollup_1m", 60), HOUR("metric_rollup_1h", 3600), DAY("metric_rollup_1d", 86400);

        final String table;
        final long seconds;

        Resolution(String table, long seconds) {
            this.table = table;
            this.seconds = seconds;
        }
    }

    // ---- statements -----------------------------------------------------------------------------

    /** Statement sort keys: exact numeric sums, so the same rows give the same key on every page. */
    enum StatementOrder {
        TOTAL_TIME("sum(r.total_exec_time_ms::numeric)"),
        MEAN_TIME("coalesce(sum(r.total_exec_time_ms::numeric) / nullif(sum(r.calls::numeric), 0), -1)"),
        CALLS("sum(r.calls::numeric)");

        final String sql;

        StatementOrder(String sql) {
            this.sql = sql;
        }
    }

    /**
     * Statements summed over the hourly buckets from the hour of {@code from} to {@code to}, per
     * instance of {@code instances}, or for the fleet as one page under {@link #ALL} when null.
     */
    static Map<String, Page<Statement>> statements(Connection c, Collection<String> instances, Instant from, Instant to,
                                                   StatementOrder order, String after, int first) throws SQLException {
        String kind = "statements:" + order.name();
        List<JsonNode> key = Cursor.decode(after, kind, 5);
        String group = instances == null ? "''" : "a.instance";
        String sql = """
                /* datainsight console api: statements */
                SELECT x.grp, x.instance, x.queryid, x.datname, x.rolname, x.calls, x.total, x.mean, x.rows, x.hit, x.read, x.k::text,
                       t.query, t.truncated, x.sd, x.maxms,
                       CASE WHEN x.sd IS NULL THEN NULL WHEN x.sd > x.mean THEN 'SPIKY' ELSE 'STEADY' END, bl.mean, x.mean / nullif(bl.mean, 0)
                FROM (
                    SELECT a.*, %1$s AS grp,
                           row_number() OVER (PARTITION BY %1$s ORDER BY a.k DESC, a.instance, a.queryid, a.datname, a.rolname) AS rn
                    FROM (
                        SELECT r.instance, r.queryid, r.datname, r.rolname, sum(r.calls) AS calls, sum(r.total_exec_time_ms) AS total,
                               sum(r.total_exec_time_ms) / nullif(sum(r.calls), 0) AS mean, sum(r.rows) AS rows,
                               sum(r.shared_blks_hit) AS hit, sum(r.shared_blks_read) AS read, %2$s AS k,
                               CASE WHEN count(r.exec_time_sq_ms2) = count(*) AND sum(r.calls) > 0
                                    THEN sqrt(greatest(sum(r.exec_time_sq_ms2) / sum(r.calls)
                                                       - power(sum(r.total_exec_time_ms) / sum(r.calls), 2), 0)) END AS sd,
                               max(r.max_exec_time_ms) AS maxms
                        FROM statement_rollup_1h r
                        WHERE (? OR r.instance = ANY (?)) AND r.bucket >= ? AND r.bucket < ? AND r.queryid <> 'other'
                        GROUP BY r.instance, r.queryid, r.datname, r.rolname
                    ) a
                    WHERE (?::numeric IS NULL OR a.k < ?::numeric
                           OR (a.k = ?::numeric AND (a.instance, a.queryid, a.datname, a.rolname) > (?::text, ?::text, ?::text, ?::text)))
                ) x
                LEFT JOIN statement_text t ON t.instance = x.instance AND t.queryid = x.queryid
                -- the baseline (mean of the 7 days before the range) of the rows of the page only, by the primary key
                LEFT JOIN LATERAL (
                    SELECT sum(b.total_exec_time_ms) / nullif(sum(b.calls), 0) AS mean FROM statement_rollup_1h b
                    WHERE b.instance = x.instance AND b.queryid = x.queryid AND b.datname = x.datname AND b.rolname = x.rolname
                      AND b.bucket >= ?::timestamptz - interval '7 days' AND b.bucket < ?::timestamptz
                ) bl ON true
                WHERE x.rn <= ?
                ORDER BY x.grp, x.rn""".formatted(group, order.sql);
        Map<String, List<Object[]>> raw = new LinkedHashMap<>();
        String k = textOrNull(key, 0);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            Instant hour = from.truncatedTo(java.time.temporal.ChronoUnit.HOURS);
            bind(ps, instances == null, textArray(c, instances), hour, to, k, k, k,
                    textOrNull(key, 1), textOrNull(key, 2), textOrNull(key, 3), textOrNull(key, 4), hour, hour, first + 1);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Statement s = new Statement(rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getDouble(6),
                            rs.getDouble(7), nullableDouble(rs, 8), rs.getDouble(9), rs.getDouble(10), rs.getDouble(11), rs.getString(13),
                            nullableBoolean(rs, 14), nullableDouble(rs, 15), nullableDouble(rs, 16), rs.getString(17),
                            nullableDouble(rs, 18), nullableDouble(rs, 19));
                    String cursor = Cursor.encode(kind, rs.getString(12), s.instance(), s.queryid(), s.database(), s.user());
                    raw.computeIfAbsent(rs.getString(1), g -> new ArrayList<>()).add(new Object[] {s, cursor});
                }
            }
        }
        return pages(raw, first);
    }

    // ---- insights -------------------------------------------------------------------------------

    /** Insights per instance of {@code instances}, or for the fleet under {@link #ALL} when null; critical first. */
    static Map<String, Page<Insight>> insights(Connection c, Collection<String> instances, String kindFilter, String severity,
                                               String after, int first) throws SQLException {
        List<JsonNode> key = Cursor.decode(after, "insights", 4);
        String group = instances == null ? "''" : "i.instance";
        String sql = """
                /* datainsight console api: insights */
                SELECT grp, instance, kind, subject, severity, summary, evidence, first_seen, observed_at, sev FROM (
                    SELECT i.*, %1$s AS grp, row_number() OVER (PARTITION BY %1$s ORDER BY i.sev DESC, i.instance, i.kind, i.subject) AS rn
                    FROM (
                        SELECT n.instance, n.kind, n.subject, n.severity, n.summary, n.evidence::text AS evidence, n.first_seen,
                               n.observed_at, %2$s AS sev
                        FROM insight n
                        WHERE (? OR n.instance = ANY (?)) AND (?::text IS NULL OR n.kind = ?::text) AND (?::text IS NULL OR n.severity = ?::text)
                    ) i
                    WHERE (?::int IS NULL OR i.sev < ?::int OR (i.sev = ?::int AND (i.instance, i.kind, i.subject) > (?::text, ?::text, ?::text)))
                ) x
                WHERE rn <= ?
                ORDER BY grp, rn""".formatted(group, SEVERITY_RANK.formatted("n.severity"));
        Map<String, List<Object[]>> raw = new LinkedHashMap<>();
        Integer sev = intOrNull(key, 0);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, instances == null, textArray(c, instances), kindFilter, kindFilter, severity, severity, sev, sev, sev,
                    textOrNull(key, 1), textOrNull(key, 2), textOrNull(key, 3), first + 1);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Insight n = new Insight(rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                            labels(rs.getString(7)), instant(rs, 8), instant(rs, 9));
                    String cursor = Cursor.encode("insights", rs.getInt(10), n.instance(), n.kind(), n.subject());
                    raw.computeIfAbsent(rs.getString(1), g -> new ArrayList<>()).add(new Object[] {n, cursor});
                }
            }
        }
        return pages(raw, first);
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static <T> Page<T> page(List<T> rows, int first, java.util.function.Function<T, String> cursor) {
        boolean more = rows.size() > first;
        List<T> kept = more ? rows.subList(0, first) : rows;
        List<String> cursors = new ArrayList<>(kept.size());
        for (T r : kept) {
            cursors.add(cursor.apply(r));
        }
        return new Page<>(List.copyOf(kept), cursors, more);
    }

    @SuppressWarnings("unchecked")
    private static <T> Map<String, Page<T>> pages(Map<String, List<Object[]>> raw, int first) {
        Map<String, Page<T>> out = new LinkedHashMap<>();
        raw.forEach((group, list) -> {
            boolean more = list.size() > first;
            List<Object[]> kept = more ? list.subList(0, first) : list;
            List<T> rows = new ArrayList<>(kept.size());
            List<String> cursors = new ArrayList<>(kept.size());
            for (Object[] rc : kept) {
                rows.add((T) rc[0]);
                cursors.add((String) rc[1]);
            }
            out.put(group, new Page<>(rows, cursors, more));
        });
        return out;
    }

    /** Binds values in order: nulls as untyped text (every nullable parameter has a cast in the SQL). */
    private static void bind(PreparedStatement ps, Object... values) throws SQLException {
        int i = 1;
        for (Object v : values) {
            if (v == null) {
                ps.setNull(i, Types.VARCHAR);
            } else if (v instanceof String s) {
                ps.setString(i, s);
            } else if (v instanceof Integer n) {
                ps.setInt(i, n);
            } else if (v instanceof Long n) {
                ps.setLong(i, n);
            } else if (v instanceof Boolean b) {
                ps.setBoolean(i, b);
            } else if (v instanceof Instant t) {
                ps.setObject(i, OffsetDateTime.ofInstant(t, ZoneOffset.UTC));
            } else if (v instanceof java.sql.Array a) {
                ps.setArray(i, a);
            } else {
                throw new IllegalArgumentException("cannot bind " + v.getClass());
            }
            i++;
        }
    }

    private static java.sql.Array textArray(Connection c, Collection<String> values) throws SQLException {
        return c.createArrayOf("text", values == null ? new Object[0] : values.toArray());
    }

    private static String textOrNull(List<JsonNode> key, int i) {
        return key == null ? null : key.get(i).asText();
    }

    private static Integer intOrNull(List<JsonNode> key, int i) {
        if (key == null) {
            return null;
        }
        if (!key.get(i).canConvertToInt()) {
            throw new ApiException("invalid cursor");
        }
        return key.get(i).intValue();
    }

    private static Long longOrNull(List<JsonNode> key, int i) {
        if (key == null) {
            return null;
        }
        if (!key.get(i).canConvertToLong()) {
            throw new ApiException("invalid cursor");
        }
        return key.get(i).longValue();
    }

    private static Instant timeOrNull(List<JsonNode> key, int i) {
        if (key == null) {
            return null;
        }
        try {
            return Instant.parse(key.get(i).asText());
        } catch (RuntimeException e) {
            throw new ApiException("invalid cursor");
        }
    }

    static List<Label> labels(String json) {
        if (json == null) {
            return List.of();
        }
        try {
            JsonNode o = JSON.readTree(json);
            List<Label> out = new ArrayList<>();
            new TreeMap<>(JSON.convertValue(o, new TypeReference<Map<String, JsonNode>>() {}))
                    .forEach((k, v) -> out.add(new Label(k, v == null || v.isNull() ? "" : v.isTextual() ? v.asText() : v.toString())));
            return out;
        } catch (Exception e) {
            return List.of();
        }
    }

    /** An alert's context: items {@code {"kind": ..., "fields": {...}}}; anything else is skipped. */
    static List<ContextItem> context(String json) {
        if (json == null) {
            return List.of();
        }
        try {
            JsonNode a = JSON.readTree(json);
            List<ContextItem> out = new ArrayList<>();
            if (a != null && a.isArray()) {
                for (JsonNode item : a) {
                    if (item.isObject()) {
                        JsonNode fields = item.get("fields");
                        out.add(new ContextItem(item.path("kind").asText(""), fields == null ? List.of() : labels(fields.toString())));
                    }
                }
            }
            return out;
        } catch (Exception e) {
            return List.of();
        }
    }

    private static String toJson(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Instant instant(ResultSet rs, int col) throws SQLException {
        OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static Double nullableDouble(ResultSet rs, int col) throws SQLException {
        double v = rs.getDouble(col);
        return rs.wasNull() ? null : v;
    }

    private static Boolean nullableBoolean(ResultSet rs, int col) throws SQLException {
        boolean v = rs.getBoolean(col);
        return rs.wasNull() ? null : v;
    }
}
