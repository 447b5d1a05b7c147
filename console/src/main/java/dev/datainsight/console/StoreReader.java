package dev.datainsight.console;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Everything the console reads from the store. Every connection switches to the
 * {@code datainsight_reader} role and to read-only transactions before its first query, so the
 * console cannot write whatever login it is given (a login that is not a member of the reader
 * role is refused). Every value is a bind parameter; the only identifiers in SQL text are the
 * rollup table constants of {@link Range.Resolution} and {@link #PLAN_TABLE}.
 */
public final class StoreReader {
    /** Role the console reads as (created by the store migrations). */
    static final String READER_ROLE = "datainsight_reader";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String url;
    private final Properties props = new Properties();

    StoreReader(String url, String user, String password) {
        this.url = url;
        if (user != null && !user.isBlank()) {
            props.setProperty("user", user);
        }
        if (password != null) {
            props.setProperty("password", password);
        }
        props.setProperty("ApplicationName", "datainsight console");
        props.setProperty("connectTimeout", "10");
    }

    /** A connection in the reader role, read-only, with a statement timeout. */
    Connection connect() throws SQLException {
        Connection c;
        try {
            c = DriverManager.getConnection(url, props);
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                // PUBLIC has no CONNECT on the store database (migration V9): only store roles get in.
                throw new SQLException("cannot read the store as " + READER_ROLE + " (is the login a member of it?): " + e.getMessage(),
                        e.getSQLState(), e);
            }
            throw new SQLException("cannot connect to the store " + url.replaceAll("\\?.*", "") + ": " + e.getMessage(), e.getSQLState(), e);
        }
        try (Statement st = c.createStatement()) {
            st.execute("SET ROLE " + READER_ROLE);
            st.execute("SET default_transaction_read_only = on");
            st.execute("SET statement_timeout = '15s'");
            c.setReadOnly(true);
        } catch (SQLException e) {
            c.close();
            throw new SQLException("cannot read the store as " + READER_ROLE + " (is the login a member of it?): " + e.getMessage(),
                    e.getSQLState(), e);
        }
        return c;
    }

    // ---- fleet ----------------------------------------------------------------------------------

    /** One row of the fleet page. */
    record FleetRow(String instance, String state, int serverVersionNum, Map<String, String> labels, Instant lastSeen,
                    Double connections, Double maxConnections, long critical, long warning, long info, long pending) {
        long firing() {
            return critical + warning + info;
        }
    }

    /** Every instance whose labels contain {@code labelFilter}; instances with firing alerts first. */
    List<FleetRow> fleet(Connection c, Map<String, String> labelFilter) throws SQLException {
        return fleet(c, labelFilter, null);
    }

    private static List<FleetRow> fleet(Connection c, Map<String, String> labelFilter, String instance) throws SQLException {
        String sql = """
                /* datainsight console: fleet */
                SELECT h.instance, h.state, h.server_version_num, h.labels::text, h.last_seen, h.connections, h.max_connections,
                       coalesce(a.critical, 0), coalesce(a.warning, 0), coalesce(a.info, 0), coalesce(a.pending, 0)
                FROM instance_health h
                LEFT JOIN (
                    SELECT instance,
                           count(*) FILTER (WHERE status = 'firing' AND severity = 'critical') AS critical,
                           count(*) FILTER (WHERE status = 'firing' AND severity = 'warning') AS warning,
                           count(*) FILTER (WHERE status = 'firing' AND severity = 'info') AS info,
                           count(*) FILTER (WHERE status = 'pending') AS pending
                    FROM open_alert GROUP BY instance
                ) a ON a.instance = h.instance
                WHERE h.labels @> ?::jsonb AND %s
                ORDER BY (coalesce(a.critical, 0) + coalesce(a.warning, 0) + coalesce(a.info, 0)) > 0 DESC,
                         coalesce(a.critical, 0) DESC, coalesce(a.warning, 0) DESC, h.instance""";
        // One instance: a plain equality, which PostgreSQL carries through the view's joins into its
        // per-instance parts (an "IS NULL OR" would make it compute every instance, then filter).
        sql = String.format(sql, instance == null ? "true" : "h.instance = ?");
        List<FleetRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, toJson(labelFilter));
            if (instance != null) {
                ps.setString(2, instance);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new FleetRow(rs.getString(1), rs.getString(2), rs.getInt(3), labels(rs.getString(4)), instant(rs, 5),
                            nullableDouble(rs, 6), nullableDouble(rs, 7), rs.getLong(8), rs.getLong(9), rs.getLong(10), rs.getLong(11)));
                }
            }
        }
        return rows;
    }

    /** The fleet row of one instance. */
    Optional<FleetRow> instance(Connection c, String instance) throws SQLException {
        // The fleet query for one instance: one definition of state and alert counts.
        return fleet(c, Map.of(), instance).stream().findFirst();
    }

    // ---- instance panels ------------------------------------------------------------------------

    /** Chart data of one panel, aligned for uPlot: x in epoch seconds, one value list per line. */
    record PanelData(Panel panel, List<Long> x, List<String> names, List<List<Double>> lines) {}

    /** The data of every panel for one instance over the range, at the range's resolution. */
    List<PanelData> panels(Connection c, String instance, Range range, Instant now) throws SQLException {
        Set<String> metrics = new LinkedHashSet<>();
        for (Panel p : Panel.ALL) {
            metrics.addAll(p.metrics());
        }
        String sql = "/* datainsight console: panels */ SELECT s.metric, s.labels::text, extract(epoch FROM r.bucket)::bigint,"
                + " r.sum / r.count, r.last, r.max FROM " + range.resolution.table + " r JOIN series s ON s.id = r.series_id"
                + " WHERE s.instance = ? AND s.metric = ANY (?) AND r.bucket >= ? AND r.bucket <= ? ORDER BY 3";
        // per panel: line name -> (t -> value)
        Map<String, Map<String, TreeMap<Long, Double>>> acc = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            Array arr = c.createArrayOf("text", metrics.toArray());
            ps.setString(1, instance);
            ps.setArray(2, arr);
            ps.setTimestamp(3, Timestamp.from(now.minus(range.length)));
            ps.setTimestamp(4, Timestamp.from(now));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String metric = rs.getString(1);
                    Map<String, String> labels = labels(rs.getString(2));
                    long t = rs.getLong(3);
                    for (Panel p : Panel.ALL) {
                        if (!p.metrics().contains(metric)) {
                            continue;
                        }
                        String line = p.splitLabel() == null ? metric : labels.getOrDefault(p.splitLabel(), "");
                        double v = switch (p.value()) {
                            case RATE_SUM, HIT_RATIO -> rs.getDouble(4);
                            case LAST_SUM -> rs.getDouble(5);
                            case MAX -> rs.getDouble(6);
                        };
                        TreeMap<Long, Double> points = acc.computeIfAbsent(p.id(), k -> new TreeMap<>()).computeIfAbsent(line, k -> new TreeMap<>());
                        points.merge(t, v, p.value() == Panel.Value.MAX ? Math::max : Double::sum);
                    }
                }
            }
        }
        List<PanelData> out = new ArrayList<>();
        for (Panel p : Panel.ALL) {
            Map<String, TreeMap<Long, Double>> lines = acc.getOrDefault(p.id(), Map.of());
            if (p.value() == Panel.Value.HIT_RATIO) {
                TreeMap<Long, Double> hit = lines.getOrDefault(p.metrics().get(0), new TreeMap<>());
                TreeMap<Long, Double> read = lines.getOrDefault(p.metrics().get(1), new TreeMap<>());
                TreeMap<Long, Double> ratio = new TreeMap<>();
                hit.forEach((t, h) -> {
                    double total = h + read.getOrDefault(t, 0.0);
                    if (total > 0) {
                        ratio.put(t, h / total);
                    }
                });
                lines = ratio.isEmpty() ? Map.of() : Map.of("cache hit ratio", ratio);
            }
            TreeMap<Long, Boolean> xs = new TreeMap<>();
            lines.values().forEach(m -> m.keySet().forEach(t -> xs.put(t, true)));
            List<Long> x = new ArrayList<>(xs.keySet());
            List<String> names = new ArrayList<>();
            List<List<Double>> values = new ArrayList<>();
            List<String> order = new ArrayList<>(lines.keySet());
            if (p.splitLabel() == null && p.value() != Panel.Value.HIT_RATIO) {
                order.sort((a, b) -> Integer.compare(p.metrics().indexOf(a), p.metrics().indexOf(b)));
            }
            for (String line : order) {
                TreeMap<Long, Double> pts = lines.get(line);
                names.add(p.splitLabel() == null && p.value() != Panel.Value.HIT_RATIO ? Panel.shortName(line) : line);
                List<Double> ys = new ArrayList<>(x.size());
                for (Long t : x) {
                    Double v = pts.get(t);
                    ys.add(v == null ? null : v * p.scale());
                }
                values.add(ys);
            }
            out.add(new PanelData(p, x, names, values));
        }
        return out;
    }

    /** A period during which an alert of the instance was firing; {@code to} is null while it still fires. */
    record FiringPeriod(String fingerprint, String rule, String severity, Instant from, Instant to) {}

    /** Firing periods of the instance's alerts that overlap {@code [from, to]}, for the charts' bands. */
    List<FiringPeriod> firingPeriods(Connection c, String instance, Instant from, Instant to) throws SQLException {
        String sql = """
                /* datainsight console: firing periods */
                SELECT fingerprint, max(rule), max(severity), firing_at, resolved_at FROM (
                    SELECT fingerprint, rule, severity, started_at,
                           min(event_at) FILTER (WHERE status = 'firing') OVER w AS firing_at,
                           max(resolved_at) OVER w AS resolved_at
                    FROM alert_event
                    WHERE instance = ? AND event_at >= ?::timestamptz - interval '30 days'
                    WINDOW w AS (PARTITION BY fingerprint, started_at)
                ) e
                WHERE firing_at IS NOT NULL AND firing_at <= ? AND (resolved_at IS NULL OR resolved_at >= ?)
                GROUP BY fingerprint, started_at, firing_at, resolved_at
                ORDER BY firing_at, fingerprint LIMIT 200""";
        List<FiringPeriod> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, instance);
            ps.setTimestamp(2, Timestamp.from(from));
            ps.setTimestamp(3, Timestamp.from(to));
            ps.setTimestamp(4, Timestamp.from(from));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new FiringPeriod(rs.getString(1), rs.getString(2), rs.getString(3), instant(rs, 4), instant(rs, 5)));
                }
            }
        }
        return out;
    }

    /** A statement of the instance's top list. */
    record StatementRow(String queryid, String datname, String rolname, double calls, double totalMs, String query) {}

    /** Top statements by total execution time over the range (hourly statement rollups). */
    List<StatementRow> topStatements(Connection c, String instance, Range range, Instant now, int limit) throws SQLException {
        String sql = """
                /* datainsight console: top statements */
                SELECT queryid, datname, rolname, sum(calls), sum(total_exec_time_ms), max(query)
                FROM top_queries_hourly
                WHERE instance = ? AND bucket >= date_trunc('hour', ?::timestamptz) AND bucket <= ?
                GROUP BY queryid, datname, rolname
                ORDER BY 5 DESC, 1 LIMIT ?""";
        List<StatementRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, instance);
            ps.setTimestamp(2, Timestamp.from(now.minus(range.length)));
            ps.setTimestamp(3, Timestamp.from(now));
            ps.setInt(4, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new StatementRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getDouble(4), rs.getDouble(5), rs.getString(6)));
                }
            }
        }
        return rows;
    }

    /** A table of the dead-tuples list. */
    record TableRow(String datname, String schemaname, String relname, Double deadTuples, Double liveTuples, Instant lastAutovacuum) {}

    /** Tables with the most dead tuples now. */
    List<TableRow> deadTuples(Connection c, String instance, int limit) throws SQLException {
        String sql = """
                /* datainsight console: dead tuples */
                SELECT datname, schemaname, relname, n_dead_tup, n_live_tup, last_autovacuum
                FROM table_dead_tuples WHERE instance = ?
                ORDER BY n_dead_tup DESC NULLS LAST, datname, schemaname, relname LIMIT ?""";
        List<TableRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, instance);
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new TableRow(rs.getString(1), rs.getString(2), rs.getString(3), nullableDouble(rs, 4), nullableDouble(rs, 5), instant(rs, 6)));
                }
            }
        }
        return rows;
    }

    // ---- queries --------------------------------------------------------------------------------

    /** Orders of the Queries page; the SQL of each is a constant. */
    public enum QueryOrder {
        TOTAL("total", "total time", "total DESC", "q.total DESC"),
        MEAN("mean", "mean time", "total / nullif(calls, 0) DESC NULLS LAST", "q.mean DESC NULLS LAST"),
        CALLS("calls", "calls", "calls DESC", "q.calls DESC"),
        /** Needs the baseline of every statement of the range, not only of the top ones: the costly order. */
        REGRESSION("regression", "regression", null, "q.regression DESC NULLS LAST");

        final String param;
        final String title;
        /** Order of the range's sums ({@code cur}) that picks the top rows before the baseline is read; null: all rows. */
        final String pick;
        /** Order of the result. */
        final String sql;

        QueryOrder(String param, String title, String pick, String sql) {
            this.param = param;
            this.title = title;
            this.pick = pick;
            this.sql = sql;
        }

        public static QueryOrder parse(String p) {
            for (QueryOrder o : values()) {
                if (o.param.equals(p)) {
                    return o;
                }
            }
            return TOTAL;
        }
    }

    /**
     * A statement over a range, summed over its databases and roles.
     *
     * @param spread {@code steady} or {@code spiky} (standard deviation above the mean over the range), null without
     *     the sums of squares (rows older than V4)
     * @param baselineMeanMs mean time in the 7 days before the range
     * @param regression mean time in the range over the baseline mean
     */
    public record QueryRow(String instance, String queryid, String datnames, String rolnames, double calls, double totalMs, Double meanMs,
                    double rows, Double stddevMs, Double maxMs, String spread, Double baselineMeanMs, Double regression, String query) {}

    /**
     * How far the daily statement rollup reaches: {@code statement_rollup_1d} holds every UTC day
     * before {@code rolledUntil} (V7; the maintenance rolls closed days). On a store without it,
     * nothing is read from it ({@code rolledUntil} at the epoch, the hourly table named for both).
     */
    public record StatementDays(String dailyTable, Instant rolledUntil) {
        static final StatementDays NONE = new StatementDays("statement_rollup_1h", Instant.EPOCH);
    }

    /** Reads where the daily statement rollup ends (two catalog-sized queries). */
    public static StatementDays statementDays(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("/* datainsight console: statement days */"
                + " SELECT pg_catalog.to_regclass('statement_rollup_1d') IS NOT NULL AND pg_catalog.to_regclass('statement_rollup_1d_state') IS NOT NULL");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return StatementDays.NONE;
            }
        }
        try (PreparedStatement ps = c.prepareStatement("/* datainsight console: statement days */ SELECT max(rolled_until) FROM statement_rollup_1d_state");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            Timestamp t = rs.getTimestamp(1);
            return t == null ? StatementDays.NONE : new StatementDays("statement_rollup_1d", t.toInstant());
        }
    }

    /** One part of a statement source: rows of {@code table} with {@code from <= bucket < to} ({@code <= to} when inclusive). */
    record SourcePart(String table, Instant from, Instant to, boolean inclusive) {}

    /**
     * Splits {@code [from, to)} ({@code [from, to]} when inclusive; {@code from} on an hour) into
     * the hours before the first midnight (hourly rows), the whole days the daily rollup holds
     * (daily rows) and the rest (hourly rows: today so far, or days not rolled yet). Every part is
     * bounded on both sides, so each reads only its partitions.
     */
    static List<SourcePart> sourceParts(StatementDays days, Instant from, Instant to, boolean inclusive) {
        Instant fromDay = from.truncatedTo(ChronoUnit.DAYS);
        Instant firstMidnight = fromDay.equals(from) ? from : fromDay.plus(1, ChronoUnit.DAYS);
        Instant d1 = firstMidnight.isAfter(to) ? to : firstMidnight;
        Instant lastMidnight = to.truncatedTo(ChronoUnit.DAYS);
        Instant rolled = days.rolledUntil().isBefore(lastMidnight) ? days.rolledUntil() : lastMidnight;
        Instant split = rolled.isAfter(d1) ? rolled : d1;
        List<SourcePart> parts = new ArrayList<>();
        if (from.isBefore(d1)) {
            parts.add(new SourcePart("statement_rollup_1h", from, d1, false));
        }
        if (d1.isBefore(split)) {
            parts.add(new SourcePart(days.dailyTable(), d1, split, false));
        }
        if (split.isBefore(to) || inclusive || parts.isEmpty()) {
            parts.add(new SourcePart("statement_rollup_1h", split, to, inclusive));
        }
        return parts;
    }

    /**
     * The statement rows of the parts, one SELECT per part under UNION ALL, filtered by instance and
     * query id (null: any) and without the collector's 'other' row; appends the binds in order.
     */
    static String statementSource(List<SourcePart> parts, String instance, String queryid, List<Object> binds) {
        StringBuilder b = new StringBuilder("(");
        for (SourcePart p : parts) {
            if (b.length() > 1) {
                b.append(" UNION ALL ");
            }
            // the table names are the two constants above
            // plain equalities when given, so that one instance's rows are read by the primary key
            b.append("SELECT instance, queryid, datname, rolname, calls, total_exec_time_ms, rows, exec_time_sq_ms2, max_exec_time_ms, bucket FROM ")
                    .append(p.table()).append(" WHERE bucket >= ? AND bucket ").append(p.inclusive() ? "<=" : "<").append(" ?")
                    .append(instance == null ? "" : " AND instance = ?").append(queryid == null ? "" : " AND queryid = ?")
                    .append(" AND queryid <> 'other'");
            binds.add(Timestamp.from(p.from()));
            binds.add(Timestamp.from(p.to()));
            if (instance != null) {
                binds.add(instance);
            }
            if (queryid != null) {
                binds.add(queryid);
            }
        }
        return b.append(")").toString();
    }

    /**
     * Where a range of the Queries pages starts: on the hour for ranges under 7 days; at midnight UTC
     * for 7 and 30 days (whole days plus today so far), so that those read daily rows.
     */
    static Instant queriesFrom(Range range, Instant now) {
        Instant from = now.minus(range.length);
        return range.length.compareTo(java.time.Duration.ofDays(7)) >= 0 ? from.truncatedTo(ChronoUnit.DAYS) : from.truncatedTo(ChronoUnit.HOURS);
    }

    /**
     * The range's sums per statement ({@code cur}), the top ones of the order ({@code pick}; all for
     * the regression order), and only for those the baseline of the 7 days before ({@code base}).
     * Both read {@link #statementSource}: hourly rows for partial days, daily rows for whole ones.
     */
    private static final String QUERIES_SQL = """
            /* datainsight console: queries */
            WITH per_key AS (
                -- hashable first level (one row per statement, database and role), then per statement
                SELECT instance, queryid, datname, rolname, sum(calls) AS calls, sum(total_exec_time_ms) AS total, sum(rows) AS rows,
                       sum(exec_time_sq_ms2) AS sq, count(exec_time_sq_ms2) AS nsq, count(*) AS n, max(max_exec_time_ms) AS maxms
                FROM %s r
                GROUP BY instance, queryid, datname, rolname
            ), cur AS (
                SELECT instance, queryid, string_agg(DISTINCT datname, ', ') AS datnames, string_agg(DISTINCT rolname, ', ') AS rolnames,
                       sum(calls) AS calls, sum(total) AS total, sum(rows) AS rows, sum(sq) AS sq, sum(nsq) AS nsq, sum(n) AS n,
                       max(maxms) AS maxms
                FROM per_key GROUP BY instance, queryid
            ), pick AS (
                SELECT * FROM cur %s
            ), base AS (
                SELECT r.instance, r.queryid, sum(r.total_exec_time_ms) / nullif(sum(r.calls), 0) AS mean
                FROM pick p JOIN %s r ON r.instance = p.instance AND r.queryid = p.queryid
                GROUP BY r.instance, r.queryid
            ), q AS (
                SELECT c.*, c.total / nullif(c.calls, 0) AS mean,
                       CASE WHEN c.nsq = c.n AND c.calls > 0
                            THEN sqrt(greatest(c.sq / c.calls - (c.total / c.calls) * (c.total / c.calls), 0)) END AS sd,
                       b.mean AS baseline, (c.total / nullif(c.calls, 0)) / nullif(b.mean, 0) AS regression
                FROM pick c LEFT JOIN base b ON b.instance = c.instance AND b.queryid = c.queryid
            )
            SELECT q.instance, q.queryid, q.datnames, q.rolnames, q.calls, q.total, q.mean, q.rows, q.sd, q.maxms,
                   CASE WHEN q.sd IS NULL THEN NULL WHEN q.sd > q.mean THEN 'spiky' ELSE 'steady' END, q.baseline, q.regression, t.query
            FROM q LEFT JOIN statement_text t ON t.instance = q.instance AND t.queryid = q.queryid
            ORDER BY %s, q.instance, q.queryid
            LIMIT ?""";

    /**
     * Top statements over the range, fleet-wide ({@code instance} null) or of one instance
     * ({@code queryid} null: every statement). Public for {@code ./datainsight queries}.
     * Fleet-wide lists whose range the statement summary covers ({@link SummarySpans}: 24 h, 7 d,
     * 30 d) read it while it is built for today and not stale ({@link #summaryAsOf}); every other
     * list reads the rollups. Both give the same rows (docs/schema.md, "Statement summary").
     */
    public static List<QueryRow> queries(Connection c, String instance, String queryid, Range range, Instant now, QueryOrder order,
            int limit) throws SQLException {
        return queries(c, instance, queryid, queriesFrom(range, now), now, order, limit);
    }

    /** Top statements from {@code from} (on the hour) to {@code now} (its hour included). */
    public static List<QueryRow> queries(Connection c, String instance, String queryid, Instant from, Instant now, QueryOrder order,
            int limit) throws SQLException {
        from = from.truncatedTo(ChronoUnit.HOURS);
        if (instance == null && queryid == null) {
            // fleet-wide: one summary row per statement when the summary covers the range
            Optional<Instant> asOf = summaryAsOf(c, now);
            Optional<SummarySpans> spans = asOf.isPresent() ? SummarySpans.of(asOf.get(), from) : Optional.empty();
            if (spans.isPresent()) {
                return summaryQueries(c, asOf.get(), spans.get(), order, limit);
            }
        }
        StatementDays days = statementDays(c);
        List<Object> binds = new ArrayList<>();
        String cur = statementSource(sourceParts(days, from, now, true), instance, queryid, binds);
        String pick = "";
        if (order.pick != null) {
            pick = "ORDER BY " + order.pick + ", instance, queryid LIMIT ?";
            binds.add(limit);
        }
        // the baseline: the 7 days before the range, for the picked statements only
        String base = statementSource(sourceParts(days, from.minus(7, ChronoUnit.DAYS), from, false), instance, queryid, binds);
        binds.add(limit);
        return readQueries(c, String.format(QUERIES_SQL, cur, pick, base, order.sql), binds);
    }

    /**
     * The UTC midnight the statement summary (V11's {@code statement_summary}) is built for, when
     * that is {@code now}'s UTC day and no hourly row of a closed day changed since the build;
     * empty otherwise (or on a store without it): then the rollups are read.
     */
    public static Optional<Instant> summaryAsOf(Connection c, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("/* datainsight console: statement summary */"
                + " SELECT pg_catalog.to_regclass('statement_summary_state') IS NOT NULL");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return Optional.empty();
            }
        }
        try (PreparedStatement ps = c.prepareStatement("/* datainsight console: statement summary */"
                + " SELECT as_of FROM statement_summary_state WHERE NOT stale");
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return Optional.empty();
            }
            Instant asOf = rs.getTimestamp(1).toInstant();
            return asOf.equals(now.truncatedTo(ChronoUnit.DAYS)) ? Optional.of(asOf) : Optional.empty();
        }
    }

    /**
     * Which spans of the summary make a range from {@code from} to now, and its 7-day baseline:
     * {@code cur} plus today's live rows; the baseline is the sum of {@code plus} minus
     * {@code minus} (null: nothing to subtract). Ranges from 7 or 30 days before {@code asOf}, and
     * from any hour of the day before it (the 24-hour range); other ranges are not summarised.
     */
    record SummarySpans(String cur, List<String> plus, String minus) {
        static Optional<SummarySpans> of(Instant asOf, Instant from) {
            if (from.equals(asOf.minus(7, ChronoUnit.DAYS))) {
                return Optional.of(new SummarySpans("d7", List.of("b7"), null));
            }
            if (from.equals(asOf.minus(30, ChronoUnit.DAYS))) {
                return Optional.of(new SummarySpans("d30", List.of("b30"), null));
            }
            Instant d = asOf.minus(1, ChronoUnit.DAYS);
            if (!from.isBefore(d) && from.isBefore(asOf)) {
                String hh = String.format(java.util.Locale.ROOT, "%02d", java.time.Duration.between(d, from).toHours());
                return Optional.of(new SummarySpans("y" + hh, List.of("d7", "x" + hh, "y" + hh), "y" + hh));
            }
            return Optional.empty();
        }
    }

    /**
     * {@link #QUERIES_SQL} on the summary: the range's closed part from one span, today from the
     * live rows, the baseline from the spans' sums (one row per statement and span).
     */
    private static final String SUMMARY_QUERIES_SQL = """
            /* datainsight console: queries (summary) */
            WITH per_key AS (
                SELECT instance, queryid, datname, rolname, sum(calls) AS calls, sum(total_exec_time_ms) AS total, sum(rows) AS rows,
                       sum(exec_time_sq_ms2) AS sq, sum(sq_rows) AS nsq, sum(source_rows) AS n, max(max_exec_time_ms) AS maxms
                FROM (
                    SELECT instance, queryid, datname, rolname, calls, total_exec_time_ms, rows, exec_time_sq_ms2, sq_rows, source_rows,
                           max_exec_time_ms
                    FROM statement_summary WHERE span = ?
                    UNION ALL
                    SELECT instance, queryid, datname, rolname, calls, total_exec_time_ms, rows, exec_time_sq_ms2, sq_rows, source_rows,
                           max_exec_time_ms
                    FROM statement_summary_live WHERE day = ?
                ) r
                GROUP BY instance, queryid, datname, rolname
            ), cur AS (
                SELECT instance, queryid, string_agg(DISTINCT datname, ', ') AS datnames, string_agg(DISTINCT rolname, ', ') AS rolnames,
                       sum(calls) AS calls, sum(total) AS total, sum(rows) AS rows, sum(sq) AS sq, sum(nsq) AS nsq, sum(n) AS n,
                       max(maxms) AS maxms
                FROM per_key GROUP BY instance, queryid
            ), pick AS (
                SELECT * FROM cur %s
            ), base AS (
                SELECT r.instance, r.queryid,
                       sum(CASE WHEN r.span = ? THEN -r.total_exec_time_ms ELSE r.total_exec_time_ms END)
                           / nullif(sum(CASE WHEN r.span = ? THEN -r.calls ELSE r.calls END), 0) AS mean
                FROM %s
                GROUP BY r.instance, r.queryid
            ), q AS (
                SELECT c.*, c.total / nullif(c.calls, 0) AS mean,
                       CASE WHEN c.nsq = c.n AND c.calls > 0
                            THEN sqrt(greatest(c.sq / c.calls - (c.total / c.calls) * (c.total / c.calls), 0)) END AS sd,
                       b.mean AS baseline, (c.total / nullif(c.calls, 0)) / nullif(b.mean, 0) AS regression
                FROM pick c LEFT JOIN base b ON b.instance = c.instance AND b.queryid = c.queryid
            )
            SELECT q.instance, q.queryid, q.datnames, q.rolnames, q.calls, q.total, q.mean, q.rows, q.sd, q.maxms,
                   CASE WHEN q.sd IS NULL THEN NULL WHEN q.sd > q.mean THEN 'spiky' ELSE 'steady' END, q.baseline, q.regression, t.query
            FROM q LEFT JOIN statement_text t ON t.instance = q.instance AND t.queryid = q.queryid
            ORDER BY %s, q.instance, q.queryid
            LIMIT ?""";

    /** The baseline's rows for the few picked statements: by the primary key. */
    private static final String BASE_OF_PICKED = "pick p JOIN statement_summary r ON r.span = ANY (?) AND r.instance = p.instance AND r.queryid = p.queryid";
    /**
     * The baseline's rows for every statement (the regression order): the spans' rows alone, so
     * that they are hash-joined. Joined to the unlimited pick, PostgreSQL estimated the grouped
     * rows at 1 and nested-looped 20,000 x 20,000 (50 s at 1,000 instances).
     */
    private static final String BASE_OF_ALL = "statement_summary r WHERE r.span = ANY (?)";

    private static List<QueryRow> summaryQueries(Connection c, Instant asOf, SummarySpans spans, QueryOrder order, int limit)
            throws SQLException {
        List<Object> binds = new ArrayList<>();
        binds.add(spans.cur());
        binds.add(Timestamp.from(asOf));
        String pick = "";
        if (order.pick != null) {
            pick = "ORDER BY " + order.pick + ", instance, queryid LIMIT ?";
            binds.add(limit);
        }
        String minus = spans.minus() == null ? "" : spans.minus();
        binds.add(minus);
        binds.add(minus);
        binds.add(c.createArrayOf("text", spans.plus().toArray()));
        binds.add(limit);
        return readQueries(c, String.format(SUMMARY_QUERIES_SQL, pick, order.pick == null ? BASE_OF_ALL : BASE_OF_PICKED, order.sql), binds);
    }

    private static List<QueryRow> readQueries(Connection c, String sql, List<Object> binds) throws SQLException {
        List<QueryRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < binds.size(); i++) {
                ps.setObject(i + 1, binds.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new QueryRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getDouble(5),
                            rs.getDouble(6), nullableDouble(rs, 7), rs.getDouble(8), nullableDouble(rs, 9), nullableDouble(rs, 10),
                            rs.getString(11), nullableDouble(rs, 12), nullableDouble(rs, 13), rs.getString(14)));
                }
            }
        }
        return rows;
    }

    /** The stored text of a statement and when it was first and last seen. */
    record StatementText(String query, boolean truncated, Instant firstSeen, Instant lastSeen) {}

    /** The text of one statement, empty when the store has neither its text nor any of its rollups. */
    Optional<StatementText> statement(Connection c, String instance, String queryid) throws SQLException {
        String sql = """
                /* datainsight console: statement */
                SELECT t.query, coalesce(t.truncated, false), t.first_seen, t.last_seen
                FROM (SELECT 1) one
                LEFT JOIN statement_text t ON t.instance = ? AND t.queryid = ?
                WHERE t.queryid IS NOT NULL
                   OR EXISTS (SELECT 1 FROM statement_rollup_1h r WHERE r.instance = ? AND r.queryid = ?)""";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, instance);
            ps.setString(2, queryid);
            ps.setString(3, instance);
            ps.setString(4, queryid);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new StatementText(rs.getString(1), rs.getBoolean(2), instant(rs, 3), instant(rs, 4)));
            }
        }
    }

    /** The per-query charts: hourly mean (and standard deviation), calls and total time. */
    static final List<Panel> QUERY_PANELS = List.of(
            new Panel("q-mean", "Mean time per call", "ms", List.of("mean", "stddev"), null, Panel.Value.MAX, 1),
            new Panel("q-calls", "Calls per hour", "count", List.of("calls"), null, Panel.Value.RATE_SUM, 1),
            new Panel("q-total", "Total time per hour", "ms", List.of("total"), null, Panel.Value.RATE_SUM, 1));

    /** Hourly history of one statement over the range (summed over its databases and roles), as chart data. */
    List<PanelData> queryHistory(Connection c, String instance, String queryid, Range range, Instant now) throws SQLException {
        String sql = """
                /* datainsight console: statement history */
                SELECT extract(epoch FROM bucket)::bigint, sum(calls), sum(total_exec_time_ms),
                       CASE WHEN count(exec_time_sq_ms2) = count(*) AND sum(calls) > 0
                            THEN sqrt(greatest(sum(exec_time_sq_ms2) / sum(calls) - power(sum(total_exec_time_ms) / sum(calls), 2), 0)) END
                FROM statement_rollup_1h
                WHERE instance = ? AND queryid = ? AND bucket >= date_trunc('hour', ?::timestamptz) AND bucket <= ?
                GROUP BY bucket ORDER BY bucket""";
        List<Long> x = new ArrayList<>();
        List<Double> mean = new ArrayList<>();
        List<Double> sd = new ArrayList<>();
        List<Double> calls = new ArrayList<>();
        List<Double> total = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, instance);
            ps.setString(2, queryid);
            ps.setTimestamp(3, Timestamp.from(now.minus(range.length)));
            ps.setTimestamp(4, Timestamp.from(now));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    x.add(rs.getLong(1));
                    double n = rs.getDouble(2);
                    double t = rs.getDouble(3);
                    calls.add(n);
                    total.add(t);
                    mean.add(n > 0 ? t / n : null);
                    sd.add(nullableDouble(rs, 4));
                }
            }
        }
        boolean hasSd = sd.stream().anyMatch(v -> v != null);
        return List.of(
                new PanelData(QUERY_PANELS.get(0), x, hasSd ? List.of("mean", "stddev") : List.of("mean"),
                        hasSd ? List.of(mean, sd) : List.of(mean)),
                new PanelData(QUERY_PANELS.get(1), x, List.of("calls"), List.of(calls)),
                new PanelData(QUERY_PANELS.get(2), x, List.of("total"), List.of(total)));
    }

    /** A plan of a statement as the plans probe captured it (docs/plans.md); one row per plan fingerprint. */
    public record PlanRow(String fingerprint, String summary, Double totalCost, Instant firstSeen, Instant lastSeen) {}

    /** Table the plans of statements are stored in (V8, docs/schema.md), with the columns the Queries page reads. */
    static final String PLAN_TABLE = "query_plan";
    static final List<String> PLAN_COLUMNS = List.of("instance", "queryid", "datname", "fingerprint", "summary", "total_cost", "first_seen", "last_seen");

    /**
     * The plans of a statement, oldest first, or empty when the store has no {@value #PLAN_TABLE}
     * table with the columns {@link #PLAN_COLUMNS} (a store not migrated to V8 yet: the panel then
     * stays off, and appears once the migration adds the table). One row per fingerprint, over
     * the table's monthly rows and databases.
     */
    public static Optional<List<PlanRow>> plans(Connection c, String instance, String queryid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("/* datainsight console: plan table */ SELECT count(*) FROM pg_catalog.pg_attribute"
                + " WHERE attrelid = pg_catalog.to_regclass(?) AND attname = ANY (?) AND NOT attisdropped AND attnum > 0")) {
            ps.setString(1, PLAN_TABLE);
            ps.setArray(2, c.createArrayOf("text", PLAN_COLUMNS.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getInt(1) < PLAN_COLUMNS.size()) {
                    return Optional.empty();
                }
            }
        }
        String sql = "/* datainsight console: plans */ SELECT fingerprint, max(summary), max(total_cost::float8), min(first_seen), max(last_seen)"
                + " FROM " + PLAN_TABLE + " WHERE instance = ? AND queryid = ? GROUP BY fingerprint ORDER BY min(first_seen), fingerprint LIMIT 100";
        List<PlanRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, instance);
            ps.setString(2, queryid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new PlanRow(rs.getString(1), rs.getString(2), nullableDouble(rs, 3), instant(rs, 4), instant(rs, 5)));
                }
            }
        }
        return Optional.of(rows);
    }

    /** Instance names, for the filter's choices. */
    List<String> instanceNames(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("/* datainsight console: instances */ SELECT instance FROM instance ORDER BY 1 LIMIT 5000");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    // ---- insights -------------------------------------------------------------------------------

    /**
     * A current finding of the insight table.
     *
     * @param bytes size in bytes from the evidence ({@code wasted_bytes}, {@code index_size_bytes} or {@code size_bytes}), if any
     * @param usedRatio share used from the evidence ({@code used_ratio}, sequences), if any
     */
    record InsightRow(String instance, String kind, String subject, String severity, String summary, String evidence,
                      Double bytes, Double usedRatio, Instant firstSeen, Instant observedAt) {}

    /** Current findings, of one instance or all, most severe first. */
    List<InsightRow> insights(Connection c, String instance, String kind) throws SQLException {
        String sql = """
                /* datainsight console: insights */
                SELECT instance, kind, subject, severity, summary, evidence::text,
                       CASE WHEN jsonb_typeof(evidence -> 'wasted_bytes') = 'number' THEN (evidence ->> 'wasted_bytes')::float8
                            WHEN jsonb_typeof(evidence -> 'index_size_bytes') = 'number' THEN (evidence ->> 'index_size_bytes')::float8
                            WHEN jsonb_typeof(evidence -> 'size_bytes') = 'number' THEN (evidence ->> 'size_bytes')::float8 END,
                       CASE WHEN jsonb_typeof(evidence -> 'used_ratio') = 'number' THEN (evidence ->> 'used_ratio')::float8 END,
                       first_seen, observed_at
                FROM insight
                WHERE (?::text IS NULL OR instance = ?) AND (?::text IS NULL OR kind = ?)
                ORDER BY instance, CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END DESC, kind, subject
                LIMIT 5000""";
        List<InsightRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, instance);
            ps.setString(2, instance);
            ps.setString(3, kind);
            ps.setString(4, kind);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new InsightRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), nullableDouble(rs, 7), nullableDouble(rs, 8), instant(rs, 9), instant(rs, 10)));
                }
            }
        }
        return rows;
    }

    /** Distinct insight kinds, for the filter's choices. */
    List<String> insightKinds(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("/* datainsight console: insight kinds */ SELECT DISTINCT kind FROM insight ORDER BY 1 LIMIT 200");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    // ---- alerts ---------------------------------------------------------------------------------

    /** Filters of the alerts page; null means any. */
    record AlertFilter(String severity, String rule, String instance, String status) {}

    /** An alert (open list) or an event (history, alert page). */
    record AlertRow(String fingerprint, String rule, String severity, String status, String instance, Map<String, String> labels,
                    Double value, Double threshold, Instant startedAt, Instant resolvedAt, Instant eventAt, String summary,
                    String description, String runbook, String context) {}

    /** Open alerts (the latest event of each unresolved fingerprint), firing and critical first. */
    List<AlertRow> openAlerts(Connection c, AlertFilter f) throws SQLException {
        String sql = """
                /* datainsight console: open alerts */
                SELECT fingerprint, rule, severity, status, instance, labels::text, value, threshold, started_at, NULL::timestamptz,
                       last_event_at, summary, description, runbook
                FROM open_alert
                WHERE (?::text IS NULL OR severity = ?) AND (?::text IS NULL OR rule = ?) AND (?::text IS NULL OR instance = ?)
                  AND (?::text IS NULL OR status = ?)
                ORDER BY status = 'firing' DESC, CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END DESC,
                         started_at DESC, fingerprint
                LIMIT 500""";
        String status = "resolved".equals(f.status()) ? "none" : f.status();
        return alerts(c, sql, List.of(), f.severity(), f.rule(), f.instance(), status);
    }

    /** Alert transitions, newest first. */
    List<AlertRow> history(Connection c, AlertFilter f, int limit) throws SQLException {
        String sql = """
                /* datainsight console: alert history */
                SELECT fingerprint, rule, severity, status, instance, labels::text, value, threshold, started_at, resolved_at,
                       event_at, summary, NULL::text, NULL::text
                FROM alert_history
                WHERE (?::text IS NULL OR severity = ?) AND (?::text IS NULL OR rule = ?) AND (?::text IS NULL OR instance = ?)
                  AND (?::text IS NULL OR status = ?)
                ORDER BY event_at DESC, fingerprint
                LIMIT ?""";
        return alerts(c, sql, List.of(limit), f.severity(), f.rule(), f.instance(), f.status());
    }

    /** Every event of one alert, oldest first, with its context when the store has that column. */
    List<AlertRow> alertEvents(Connection c, String fingerprint) throws SQLException {
        {
            String context = hasContextColumn(c) ? "context::text" : "NULL::text";
            String sql = "/* datainsight console: alert events */ SELECT fingerprint, rule, severity, status, instance, labels::text,"
                    + " value, threshold, started_at, resolved_at, event_at, summary, description, runbook, " + context
                    + " FROM alert_event WHERE fingerprint = ? ORDER BY event_at, status";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, fingerprint);
                return read(ps);
            }
        }
    }

    /** Whether alert_event has the {@code context} jsonb column (added by a later migration). */
    static boolean hasContextColumn(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute"
                + " WHERE attrelid = pg_catalog.to_regclass('alert_event') AND attname = 'context' AND NOT attisdropped)");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Distinct rule names, for the filter's choices. */
    List<String> rules(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("/* datainsight console: rules */ SELECT DISTINCT rule FROM alert_event ORDER BY 1 LIMIT 500");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static List<AlertRow> alerts(Connection c, String sql, List<Integer> tail, String... pairs) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            for (String v : pairs) {
                ps.setString(i++, v);
                ps.setString(i++, v);
            }
            for (Integer t : tail) {
                ps.setInt(i++, t);
            }
            return read(ps);
        }
    }

    private static List<AlertRow> read(PreparedStatement ps) throws SQLException {
        List<AlertRow> rows = new ArrayList<>();
        boolean hasContext = ps.getMetaData().getColumnCount() >= 15;
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(new AlertRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        labels(rs.getString(6)), nullableDouble(rs, 7), nullableDouble(rs, 8), instant(rs, 9), instant(rs, 10),
                        instant(rs, 11), rs.getString(12), rs.getString(13), rs.getString(14), hasContext ? rs.getString(15) : null));
            }
        }
        return rows;
    }

    // ---- helpers --------------------------------------------------------------------------------

    static Map<String, String> labels(String json) {
        if (json == null) {
            return Map.of();
        }
        try {
            Map<String, Object> raw = JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
            Map<String, String> out = new TreeMap<>();
            raw.forEach((k, v) -> out.put(k, v == null ? "" : v.toString()));
            return out;
        } catch (Exception e) {
            return Map.of();
        }
    }

    static String toJson(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Instant instant(ResultSet rs, int col) throws SQLException {
        Timestamp t = rs.getTimestamp(col);
        return t == null ? null : t.toInstant();
    }

    private static Double nullableDouble(ResultSet rs, int col) throws SQLException {
        double v = rs.getDouble(col);
        return rs.wasNull() ? null : v;
    }
}
