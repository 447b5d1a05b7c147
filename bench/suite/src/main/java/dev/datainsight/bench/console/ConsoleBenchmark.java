package dev.datainsight.bench.console;

import dev.datainsight.console.ConsoleServer;
import dev.datainsight.console.ConsoleSettings;
import dev.datainsight.store.Migrations;
import dev.datainsight.store.PartitionMaintenance;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The page benchmark behind {@code datainsight bench console}: fills a store (migrated by the
 * product's {@link Migrations}, partitions created as {@link PartitionMaintenance} names them) with
 * a fleet of {@code instances} × {@code days} written by set-based SQL into the real tables, starts
 * the real {@link ConsoleServer} on it, requests every kind of page over HTTP and reports the p50
 * and p95 of the {@code Server-Timing} each answer carries, against the 300 ms target.
 *
 * <p>Per instance: 12 series (transactions, rollbacks, blocks hit/read, temp bytes, WAL, database
 * size, connections total/active/idle, max_connections, collector up) with hourly and daily
 * rollups over the whole range; 1-minute rollups for the last 24 hours of the fleet page's series
 * (connections, max_connections, up, size) for every instance and of every series for the
 * instance whose pages are timed; 20 statements with hourly rollups over the range (one in
 * every ten instances regressing ×3 over the last two days, every fourth statement spiky); an
 * alert episode (pending, firing, resolved) every three days and an open firing alert on every
 * tenth instance; three insights. Then the maintenance's daily statement rollup and statement
 * summary (V11), when the store has them; the pages that read the summary are then timed a second
 * time with it marked stale (the rollups, as before V11), in the same run and conditions.
 */
public final class ConsoleBenchmark {

    /** Server time every page must stay under. */
    public static final double TARGET_MS = 300;

    /** Instances whose pages are timed (they get every series at 1-minute resolution): the first. */
    static final int TIMED_INSTANCES = 1;

    /** p50/p95 of one page's server time. */
    public record PageTiming(String path, double p50Ms, double p95Ms, int requests, int status) {
        public boolean meetsTarget() {
            return status == 200 && p95Ms < TARGET_MS;
        }
    }

    /**
     * What a run measured; {@code rows} per table filled. {@code rollupPages}: the pages that read
     * the statement summary (V11), timed again in the same run with the summary marked stale, so
     * that the console reads the rollups as it did before V11 (empty on a store without it).
     */
    public record Result(List<PageTiming> pages, Map<String, Long> rows, double fillSeconds, List<PageTiming> rollupPages) {}

    /** Pages whose statement data comes from the summary when it is built for today. */
    static boolean readsSummary(String path) {
        return path.startsWith("/queries?") || path.equals("/trends");
    }

    private final String url;
    private final int instances;
    private final int days;
    private final int requests;
    private final PrintWriter out;

    /**
     * @param url superuser JDBC URL of an empty database (credentials in the URL)
     * @param requests timed requests per page (after one untimed warm-up request)
     */
    public ConsoleBenchmark(String url, int instances, int days, int requests, PrintWriter out) {
        if (instances < 1 || days < 8 || requests < 1) {
            throw new IllegalArgumentException("instances >= 1, days >= 8 (the regression baseline needs 7), requests >= 1");
        }
        this.url = url;
        this.instances = instances;
        this.days = days;
        this.requests = requests;
        this.out = out;
    }

    public Result run() throws Exception {
        Migrations.migrate(url, null, null);
        long t0 = System.nanoTime();
        Map<String, Long> rows = fill();
        double fillSeconds = (System.nanoTime() - t0) / 1e9;
        out.printf(Locale.ROOT, "store filled in %.1f s: %s%n", fillSeconds, rows);
        out.flush();
        String readerUrl = url.replaceAll("user=[^&]*", "user=console_bench");
        List<PageTiming> timings = new ArrayList<>();
        List<PageTiming> rollupTimings = new ArrayList<>();
        try (ConsoleServer server = ConsoleServer.start(new ConsoleSettings("127.0.0.1", 0, readerUrl, null, null, null))) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            for (String path : pages()) {
                PageTiming t = time(http, server.url(), path);
                timings.add(t);
                out.printf(Locale.ROOT, "page %s p50 %.1f ms p95 %.1f ms (%d requests)%s%n", t.path(), t.p50Ms(), t.p95Ms(),
                        t.requests(), t.status() != 200 ? " status " + t.status() + " FAILED"
                                : t.meetsTarget() ? " meets 300 ms" : " OVER 300 ms");
                out.flush();
            }
            long met = timings.stream().filter(PageTiming::meetsTarget).count();
            out.printf(Locale.ROOT, "%d of %d pages under %.0f ms (p95) at %d instances x %d days%n", met, timings.size(), TARGET_MS,
                    instances, days);
            out.flush();
            if (rows.containsKey("statement_summary")) {
                // The same pages the way the console reads while the summary is stale: the rollups.
                setStale(true);
                try {
                    for (String path : pages()) {
                        if (readsSummary(path)) {
                            PageTiming t = time(http, server.url(), path);
                            rollupTimings.add(t);
                            out.printf(Locale.ROOT, "page %s (rollups, summary stale) p50 %.1f ms p95 %.1f ms (%d requests)%n", t.path(),
                                    t.p50Ms(), t.p95Ms(), t.requests());
                            out.flush();
                        }
                    }
                } finally {
                    setStale(false);
                }
            }
        }
        return new Result(timings, rows, fillSeconds, rollupTimings);
    }

    /** The pages timed: every page kind, the ranges that change the resolution, the costly orders. */
    List<String> pages() throws SQLException {
        String inst = instanceName(1);
        String queryid = queryId(1, 1);
        String fingerprint;
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT fingerprint FROM alert_event WHERE instance = '" + inst
                        + "' ORDER BY event_at DESC LIMIT 1")) {
            fingerprint = rs.next() ? rs.getString(1) : "none";
        }
        List<String> p = new ArrayList<>(List.of(
                "/fleet", "/fleet?label=env=prod",
                "/instances/" + inst + "?range=24h", "/instances/" + inst + "?range=7d", "/instances/" + inst + "?range=30d",
                "/api/instances/" + inst + "/panels?range=24h", "/api/instances/" + inst + "/panels?range=7d",
                "/api/instances/" + inst + "/panels?range=30d",
                "/alerts", "/alerts?severity=critical", "/alerts/" + fingerprint,
                "/queries?range=24h", "/queries?range=7d", "/queries?range=30d",
                "/queries?range=24h&sort=regression", "/queries?range=7d&sort=regression", "/queries?range=30d&sort=regression",
                "/instances/" + inst + "/queries?range=7d", "/instances/" + inst + "/queries?range=30d&sort=regression",
                "/queries/" + inst + "/" + queryid + "?range=24h", "/queries/" + inst + "/" + queryid + "?range=30d",
                "/api/queries/" + inst + "/" + queryid + "/history?range=7d",
                "/trends", "/instances/" + inst + "/trends",
                "/insights", "/insights?instance=" + inst));
        return p;
    }

    private void setStale(boolean stale) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("UPDATE statement_summary_state SET stale = " + stale);
        }
    }

    private PageTiming time(HttpClient http, String base, String path) throws Exception {
        double[] ms = new double[requests];
        int status = 0;
        for (int i = -1; i < requests; i++) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60)).GET().build();
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            status = r.statusCode();
            if (status != 200) {
                return new PageTiming(path, Double.NaN, Double.NaN, 0, status);
            }
            String timing = r.headers().firstValue("Server-Timing").orElseThrow(
                    () -> new IllegalStateException(path + " answered without Server-Timing"));
            if (i >= 0) {
                ms[i] = Double.parseDouble(timing.replaceAll(".*dur=([0-9.]+).*", "$1"));
            }
        }
        Arrays.sort(ms);
        return new PageTiming(path, percentile(ms, 0.50), percentile(ms, 0.95), requests, status);
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static String instanceName(int i) {
        return String.format(Locale.ROOT, "db-%04d", i);
    }

    /** Query id of statement {@code q} (1..20) of instance {@code i}, as the SQL below makes it. */
    static String queryId(int i, int q) {
        return Long.toString(((long) i * 7919L + q) * 1000003L);
    }

    // ---- the store ------------------------------------------------------------------------------

    private Map<String, Long> fill() throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'console_bench') THEN"
                    + " CREATE ROLE console_bench LOGIN IN ROLE datainsight_reader; END IF; END $$");
            createPartitions(st);
            String n = Integer.toString(instances);
            String d = "interval '" + days + " days'";
            step(st, "instances", """
                    INSERT INTO instance (instance, labels, server_version_num, first_seen, last_seen)
                    SELECT format('db-%s', lpad(i::text, 4, '0')),
                           jsonb_build_object('env', CASE WHEN i % 3 = 0 THEN 'staging' ELSE 'prod' END, 'team', 't' || (i % 10),
                                              'cluster', 'c' || (i % 25)),
                           CASE WHEN i % 4 = 0 THEN 160004 ELSE 170002 END, now() - {D},
                           now() - CASE WHEN i % 97 = 0 THEN interval '20 minutes' ELSE interval '15 seconds' END
                    FROM generate_series(1, {N}) i""".replace("{N}", n).replace("{D}", d));
            st.execute("""
                    CREATE TEMP TABLE bench_metric (metric text, labels jsonb, base float8, counter boolean);
                    INSERT INTO bench_metric VALUES
                      ('datainsight_collector.up', '{}', 1, false),
                      ('pg_stat_activity.connections_total', '{}', 40, false),
                      ('pg_stat_activity.connections_active', '{}', 12, false),
                      ('pg_stat_activity.connections_idle', '{}', 28, false),
                      ('pg_stat_activity.max_connections', '{}', 100, false),
                      ('pg_stat_database.xact_commit', '{"datname": "app"}', 400, true),
                      ('pg_stat_database.xact_rollback', '{"datname": "app"}', 2, true),
                      ('pg_stat_database.blks_hit', '{"datname": "app"}', 90000, true),
                      ('pg_stat_database.blks_read', '{"datname": "app"}', 3000, true),
                      ('pg_stat_database.temp_bytes', '{"datname": "app"}', 20000, true),
                      ('pg_stat_wal.wal_bytes', '{}', 500000, true),
                      ('pg_database.size_bytes', '{"datname": "app"}', 5e10, false)""");
            step(st, "series", """
                    INSERT INTO series (instance, metric, labels, first_seen)
                    SELECT i.instance, m.metric, m.labels, i.first_seen FROM instance i CROSS JOIN bench_metric m""");
            // value: the metric's base, a daily wave, per-instance scale and noise; the flat 'up' stays 1
            String value = "CASE WHEN m.base = 1 THEN 1 ELSE m.base * (0.5 + (s.id % 7) / 6.0)"
                    + " * (1 + 0.2 * sin(extract(epoch FROM b) / 86400 * 2 * pi()) + 0.1 * random()) END";
            step(st, "metric_rollup_1h", ("""
                    INSERT INTO metric_rollup_1h (series_id, bucket, count, min, max, sum, last)
                    SELECT s.id, b, 60, v * 0.9, v * 1.1, v * 60, v
                    FROM series s JOIN bench_metric m ON m.metric = s.metric
                    CROSS JOIN generate_series(date_trunc('hour', now()) - {D}, date_trunc('hour', now()), interval '1 hour') b
                    CROSS JOIN LATERAL (SELECT {VALUE} AS v) x""").replace("{D}", d).replace("{VALUE}", value));
            step(st, "metric_rollup_1d", ("""
                    INSERT INTO metric_rollup_1d (series_id, bucket, count, min, max, sum, last)
                    SELECT s.id, b, 1440, v * 0.8, v * 1.2, v * 1440, v
                    FROM series s JOIN bench_metric m ON m.metric = s.metric
                    CROSS JOIN generate_series(date_trunc('day', now(), 'UTC') - {D}, date_trunc('day', now(), 'UTC'), interval '1 day') b
                    CROSS JOIN LATERAL (SELECT {VALUE} AS v) x""").replace("{D}", d).replace("{VALUE}", value));
            step(st, "metric_rollup_1m", ("""
                    INSERT INTO metric_rollup_1m (series_id, bucket, count, min, max, sum, last)
                    SELECT s.id, b, 6, v * 0.95, v * 1.05, v * 6, v
                    FROM series s JOIN bench_metric m ON m.metric = s.metric
                    CROSS JOIN generate_series(date_trunc('minute', now()) - interval '24 hours', date_trunc('minute', now()),
                                               interval '1 minute') b
                    CROSS JOIN LATERAL (SELECT {VALUE} AS v) x
                    WHERE s.metric IN ('pg_stat_activity.connections_total', 'pg_stat_activity.max_connections',
                                       'datainsight_collector.up', 'pg_database.size_bytes')
                       OR s.instance <= '{LAST}'""").replace("{VALUE}", value).replace("{LAST}", instanceName(TIMED_INSTANCES)));
            step(st, "statement_text", """
                    INSERT INTO statement_text (instance, queryid, query, first_seen, last_seen)
                    SELECT format('db-%s', lpad(i::text, 4, '0')), ((i::bigint * 7919 + q) * 1000003)::text,
                           format('SELECT o.id, o.total FROM orders_%s o JOIN customers c ON c.id = o.customer_id'
                                  ' WHERE o.created_at > $1 AND c.region = $2 ORDER BY o.total DESC LIMIT %s', q, q * 10),
                           now() - {D}, now()
                    FROM generate_series(1, {N}) i CROSS JOIN generate_series(1, 20) q""".replace("{N}", n).replace("{D}", d));
            // calls per hour and mean time per statement; instance i % 10 = 1 regresses x3 on statement 1 in the last 2 days;
            // every 4th statement is spiky (standard deviation 1.5 x the mean), the others steady (0.3 x)
            step(st, "statement_rollup_1h", ("""
                    INSERT INTO statement_rollup_1h (instance, queryid, datname, rolname, bucket, calls, total_exec_time_ms,
                        mean_exec_time_ms, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written,
                        temp_blks_read, temp_blks_written, wal_bytes, exec_time_sq_ms2, max_exec_time_ms)
                    SELECT format('db-%s', lpad(i::text, 4, '0')), ((i::bigint * 7919 + q) * 1000003)::text, 'app', 'app', b,
                           calls, calls * mean, mean, calls, calls * 40, calls * 2, calls * 0.1, calls * 0.05, 0, 0, calls * 100,
                           calls * (power(mean * CASE WHEN q % 4 = 0 THEN 1.5 ELSE 0.3 END, 2) + mean * mean), mean * 5
                    -- hour after hour, as the job writes them (the hour outermost: rows in time order)
                    FROM generate_series(date_trunc('hour', now()) - {D}, date_trunc('hour', now()), interval '1 hour') b
                    CROSS JOIN LATERAL (SELECT i, q FROM generate_series(1, {N}) i CROSS JOIN generate_series(1, 20) q
                                        WHERE b IS NOT NULL) iq
                    CROSS JOIN LATERAL (SELECT (50 + q * 30 + (i % 13) * 5)::float8 * (1 + 0.3 * random()) AS calls,
                        (0.4 + q * 0.7) * (1 + 0.1 * random())
                          * CASE WHEN q = 1 AND i % 10 = 1 AND b > now() - interval '2 days' THEN 3 ELSE 1 END AS mean) x"""
                    ).replace("{N}", n).replace("{D}", d));
            // an episode every 3 days per instance (pending, firing 5 min later, resolved after 40 min), and an open
            // firing alert on every tenth instance
            step(st, "alert_event", ("""
                    INSERT INTO alert_event (fingerprint, rule, severity, status, instance, labels, value, threshold, started_at,
                        resolved_at, event_at, summary, description, runbook)
                    SELECT md5(inst || rule), rule, sev, e.status, inst, jsonb_build_object('instance', inst, 'alertname', rule),
                           0.97, 0.9, start, CASE WHEN e.status = 'resolved' THEN start + interval '45 minutes' END,
                           start + e.offs, rule || ' on ' || inst, 'synthetic episode', 'https://runbooks.example/' || rule
                    FROM (SELECT format('db-%s', lpad(i::text, 4, '0')) AS inst, i FROM generate_series(1, {N}) i) s
                    CROSS JOIN LATERAL (SELECT CASE WHEN k % 2 = 0 THEN 'connections_saturation' ELSE 'cache_hit_ratio' END AS rule,
                        CASE WHEN k % 2 = 0 THEN 'critical' ELSE 'warning' END AS sev,
                        now() - {D} + (k * 3 + i % 3) * interval '1 day' + (i % 24) * interval '1 hour' AS start
                        FROM generate_series(0, {DAYS} / 3 - 1) k) ep
                    CROSS JOIN (VALUES ('pending', interval '0'), ('firing', interval '5 minutes'),
                                       ('resolved', interval '45 minutes')) e(status, offs)
                    WHERE start + e.offs < now() - interval '1 hour'
                    ON CONFLICT DO NOTHING""").replace("{N}", n).replace("{DAYS}", Integer.toString(days)).replace("{D}", d));
            step(st, "alert_event (open)", """
                    INSERT INTO alert_event (fingerprint, rule, severity, status, instance, labels, value, threshold, started_at,
                        resolved_at, event_at, summary)
                    SELECT md5(inst || 'replication_lag'), 'replication_lag', 'critical', e.status, inst,
                           jsonb_build_object('instance', inst), 120, 60, now() - interval '30 minutes', NULL,
                           now() - interval '30 minutes' + e.offs, 'replication lag 120 s on ' || inst
                    FROM (SELECT format('db-%s', lpad(i::text, 4, '0')) AS inst FROM generate_series(1, {N}, 10) i) s
                    CROSS JOIN (VALUES ('pending', interval '0'), ('firing', interval '2 minutes')) e(status, offs)"""
                    .replace("{N}", n));
            step(st, "insight", """
                    INSERT INTO insight (instance, kind, subject, severity, summary, evidence, first_seen, observed_at)
                    SELECT format('db-%s', lpad(i::text, 4, '0')), k.kind, k.kind || '_' || i, k.sev, k.kind || ' finding',
                           jsonb_build_object('wasted_bytes', 1e8 * (i % 50 + 1), 'used_ratio', 0.5 + (i % 5) / 10.0),
                           now() - interval '3 days', now() - interval '10 minutes'
                    FROM generate_series(1, {N}) i
                    CROSS JOIN (VALUES ('unused_index', 'warning'), ('duplicate_index', 'info'),
                                       ('sequence_exhaustion', 'critical')) k(kind, sev)""".replace("{N}", n));
            // The daily statement rollup, as the maintenance builds it, when the store has one.
            if (exists(st, "to_regproc('statement_rollup_1d_roll')")) {
                // V11: the roll of the days, then the summary's build, each timed (the maintenance runs both)
                step(st, "statement_rollup_1d", "SELECT statement_rollup_1d_roll(now() - " + d + " - interval '1 day')");
                step(st, "statement_summary", "SELECT statement_summary_refresh()");
            } else if (exists(st, "to_regproc('statement_rollup_1d_refresh')")) {
                step(st, "statement_rollup_1d", "SELECT statement_rollup_1d_refresh(now() - " + d + " - interval '1 day')");
            }
            st.execute("ANALYZE");
            Map<String, Long> rows = new LinkedHashMap<>();
            for (String table : List.of("instance", "series", "metric_rollup_1m", "metric_rollup_1h", "metric_rollup_1d",
                    "statement_rollup_1h", "statement_rollup_1d", "statement_summary", "statement_summary_live", "alert_event",
                    "insight")) {
                if (exists(st, "to_regclass('" + table + "')")) {
                    try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
                        rs.next();
                        rows.put(table, rs.getLong(1));
                    }
                }
            }
            return rows;
        }
    }

    private static boolean exists(Statement st, String regExpr) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT " + regExpr + " IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private void step(Statement st, String what, String sql) throws SQLException {
        long t0 = System.nanoTime();
        long n;
        if (st.execute(sql)) {
            try (ResultSet rs = st.getResultSet()) {
                rs.next();
                n = rs.getLong(1); // the refresh function's rows written
            }
        } else {
            n = st.getUpdateCount();
        }
        out.printf(Locale.ROOT, "  %-22s %,12d rows in %6.1f s%n", what, Math.max(n, 0), (System.nanoTime() - t0) / 1e9);
        out.flush();
    }

    /**
     * Dated partitions for the whole range, named as {@link PartitionMaintenance} names them (so it
     * keeps them), created before the rows so none land in a default partition.
     */
    private void createPartitions(Statement st) throws SQLException {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate first = today.minusDays(days + 1);
        TreeSet<LocalDate> months = new TreeSet<>();
        for (LocalDate m = first.withDayOfMonth(1); !m.isAfter(today.plusMonths(1)); m = m.plusMonths(1)) {
            months.add(m);
        }
        DateTimeFormatter month = DateTimeFormatter.ofPattern("yyyyMM");
        DateTimeFormatter day = DateTimeFormatter.ofPattern("yyyyMMdd");
        List<String> monthly = new ArrayList<>(List.of("metric_rollup_1h", "metric_rollup_1d", "statement_rollup_1h", "alert_event"));
        if (exists(st, "to_regclass('statement_rollup_1d')")) {
            monthly.add("statement_rollup_1d");
        }
        for (String table : monthly) {
            for (LocalDate m : months) {
                st.execute("CREATE TABLE IF NOT EXISTS " + table + "_p" + m.format(month) + " PARTITION OF " + table
                        + " FOR VALUES FROM ('" + m + " 00:00:00+00') TO ('" + m.plusMonths(1) + " 00:00:00+00')");
            }
        }
        for (LocalDate x = today.minusDays(2); !x.isAfter(today.plusDays(1)); x = x.plusDays(1)) {
            st.execute("CREATE TABLE IF NOT EXISTS metric_rollup_1m_p" + x.format(day) + " PARTITION OF metric_rollup_1m"
                    + " FOR VALUES FROM ('" + x + " 00:00:00+00') TO ('" + x.plusDays(1) + " 00:00:00+00')");
        }
    }
}
