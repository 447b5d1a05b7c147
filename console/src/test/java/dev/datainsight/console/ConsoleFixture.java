package dev.datainsight.console;

import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.store.Migrations;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A real store for the console tests: a fresh database on the embedded PostgreSQL, migrated by the
 * store's own migrations, with a login in the reader role and rows as the job writes them. Two
 * instances: {@code db-xss} (firing critical alert, attacker-chosen text in a label, a query text,
 * a replication application_name and an alert summary) and {@code db-quiet} (silent, one resolved
 * alert).
 */
final class ConsoleFixture {
    /** The attacker-controlled string stored everywhere a monitored server can choose text. */
    static final String XSS = "<img src=x onerror=alert(1)>";
    static final String XSS_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;";
    static final String READER = "console_reader";

    /** Start of the hour the fixture was filled in: the hourly history is laid out back from it. */
    final java.time.Instant hour = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.HOURS);
    /** First hour of db-xss's lower cache hit ratio (95% before, 75% since): 77 hours before {@link #hour}. */
    final java.time.Instant cacheDropAt = hour.minus(java.time.Duration.ofHours(77));
    /** First hour of query 4242's slower mean (10 ms before, 30 ms since): 96 hours before {@link #hour}. */
    final java.time.Instant querySlowerAt = hour.minus(java.time.Duration.ofHours(96));

    /** Superuser URL of the store database. */
    final String url;
    /** URL of the same database for the {@value #READER} login (a member of datainsight_reader only). */
    final String readerUrl;

    private ConsoleFixture(String url) {
        this.url = url;
        this.readerUrl = url.replace("user=postgres", "user=" + READER);
    }

    static ConsoleFixture create(PostgresExtension pg, String prefix) throws SQLException {
        String url = pg.freshDatabaseUrl(prefix);
        Migrations.migrate(url, null, null);
        ConsoleFixture f = new ConsoleFixture(url);
        f.exec("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + READER + "') THEN"
                + " CREATE ROLE " + READER + " LOGIN IN ROLE datainsight_reader; END IF;"
                + " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'console_outsider') THEN"
                + " CREATE ROLE console_outsider LOGIN; END IF; END $$");
        f.fill();
        return f;
    }

    void exec(String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    private void fill() throws SQLException {
        String xss = XSS.replace("'", "''");
        exec(
                "INSERT INTO instance VALUES ('db-xss', jsonb_build_object('env', 'prod', 'app', '" + xss + "'), 170002,"
                        + " now() - interval '2 days', now() - interval '20 seconds')",
                "INSERT INTO instance VALUES ('db-quiet', '{\"env\": \"staging\", \"team\": \"core\"}', 160004,"
                        + " now() - interval '2 days', now() - interval '1 hour')",
                // Series as the job registers them.
                "INSERT INTO series (instance, metric, labels) VALUES"
                        + " ('db-xss', 'pg_stat_database.xact_commit', '{\"datname\": \"app\"}'),"
                        + " ('db-xss', 'pg_stat_database.xact_commit', '{\"datname\": \"postgres\"}'),"
                        + " ('db-xss', 'pg_stat_database.xact_rollback', '{\"datname\": \"app\"}'),"
                        + " ('db-xss', 'pg_stat_database.blks_hit', '{\"datname\": \"app\"}'),"
                        + " ('db-xss', 'pg_stat_database.blks_read', '{\"datname\": \"app\"}'),"
                        + " ('db-xss', 'pg_stat_activity.connections_active', '{}'),"
                        + " ('db-xss', 'pg_stat_activity.connections_total', '{}'),"
                        + " ('db-xss', 'pg_stat_activity.max_connections', '{}'),"
                        + " ('db-xss', 'datainsight_collector.up', '{\"probe\": \"\"}'),"
                        + " ('db-xss', 'pg_database.size_bytes', '{\"datname\": \"app\"}'),"
                        + " ('db-xss', 'pg_stat_replication.replay_lag_seconds', jsonb_build_object('application_name', '" + xss
                        + "', 'client_addr', '10.0.0.2', 'state', 'streaming'))",
                // 30 one-minute buckets per series: 6 samples each. Commits: 50/s on app, 10/s on
                // postgres (60/s in all); rollbacks 2/s; cache 90 hits per 10 reads (0.9); 7 active
                // of 100; lag 3 s; size 1 GiB.
                "INSERT INTO metric_rollup_1m (series_id, bucket, count, min, max, sum, last)"
                        + " SELECT s.id, date_trunc('minute', now()) - m * interval '1 minute', 6, v, v, 6 * v, v"
                        + " FROM series s CROSS JOIN generate_series(0, 29) m CROSS JOIN LATERAL (SELECT CASE"
                        + "   WHEN s.metric = 'pg_stat_database.xact_commit' AND s.labels ->> 'datname' = 'app' THEN 50"
                        + "   WHEN s.metric = 'pg_stat_database.xact_commit' THEN 10"
                        + "   WHEN s.metric = 'pg_stat_database.xact_rollback' THEN 2"
                        + "   WHEN s.metric = 'pg_stat_database.blks_hit' THEN 90"
                        + "   WHEN s.metric = 'pg_stat_database.blks_read' THEN 10"
                        + "   WHEN s.metric = 'pg_stat_activity.connections_active' THEN 7"
                        + "   WHEN s.metric = 'pg_stat_activity.connections_total' THEN 12"
                        + "   WHEN s.metric = 'pg_stat_activity.max_connections' THEN 100"
                        + "   WHEN s.metric = 'datainsight_collector.up' THEN 1"
                        + "   WHEN s.metric = 'pg_database.size_bytes' THEN 1073741824"
                        + "   ELSE 3 END::double precision AS v) x",
                "INSERT INTO statement_text VALUES ('db-xss', '4242', 'SELECT ''" + xss + "'' FROM t WHERE id = $1', false, now(), now())",
                "INSERT INTO statement_rollup_1h VALUES ('db-xss', '4242', 'app', 'billing', date_trunc('hour', now()), 120, 3600, 30,"
                        + " 120, 1000, 10, 0, 0, 0, 0, 0)",
                // Alerts: critical firing on db-xss (pending first), warning pending on db-xss,
                // replication lag on db-quiet that fired and resolved.
                "INSERT INTO alert_event (fingerprint, rule, severity, status, instance, labels, value, threshold, started_at,"
                        + " resolved_at, event_at, summary, description, runbook) VALUES"
                        + " ('fp-conn', 'connections_saturation', 'critical', 'pending', 'db-xss', '{\"env\": \"prod\"}', 0.95, 0.9,"
                        + "  now() - interval '10 minutes', NULL, now() - interval '10 minutes', 'pool filling', NULL, NULL),"
                        + " ('fp-conn', 'connections_saturation', 'critical', 'firing', 'db-xss', '{\"env\": \"prod\"}', 0.97, 0.9,"
                        + "  now() - interval '10 minutes', NULL, now() - interval '8 minutes', 'connections at 97% ' || '" + xss + "',"
                        + "  'used by application ' || '" + xss + "', 'https://runbooks.example/connections'),"
                        + " ('fp-dead', 'dead_tuples', 'warning', 'pending', 'db-xss', '{}', 1e6, 5e5,"
                        + "  now() - interval '1 minute', NULL, now() - interval '1 minute', 'dead tuples growing', NULL, NULL),"
                        + " ('fp-lag', 'replication_lag', 'warning', 'firing', 'db-quiet', '{}', 120, 60,"
                        + "  now() - interval '3 hours', NULL, now() - interval '3 hours', 'replica behind', NULL, NULL),"
                        + " ('fp-lag', 'replication_lag', 'warning', 'resolved', 'db-quiet', '{}', 5, 60,"
                        + "  now() - interval '3 hours', now() - interval '2 hours', now() - interval '2 hours', 'replica caught up', NULL, NULL)");
        fillHistory(xss);
    }

    /** Two weeks of hourly rollups, statement history and insights (see the class comment). */
    private void fillHistory(String xss) throws SQLException {
        String h = "'" + hour + "'::timestamptz";
        exec(
                "INSERT INTO series (instance, metric, labels) VALUES ('db-quiet', 'pg_stat_activity.connections_total', '{}')",
                // Hours 1..336 before the fixture's hour. Commits as in the minutes (steady: 60/s);
                // cache 95/5 until 77 hours ago, 75/25 since; db-xss 12 connections, db-quiet 10 then 14.
                "INSERT INTO metric_rollup_1h (series_id, bucket, count, min, max, sum, last)"
                        + " SELECT s.id, " + h + " - m * interval '1 hour', 360, v, v, 360 * v, v"
                        + " FROM series s CROSS JOIN generate_series(1, 336) m CROSS JOIN LATERAL (SELECT CASE"
                        + "   WHEN s.metric = 'pg_stat_database.xact_commit' AND s.labels ->> 'datname' = 'app' THEN 50"
                        + "   WHEN s.metric = 'pg_stat_database.xact_commit' THEN 10"
                        + "   WHEN s.metric = 'pg_stat_database.blks_hit' THEN CASE WHEN m <= 77 THEN 75 ELSE 95 END"
                        + "   WHEN s.metric = 'pg_stat_database.blks_read' THEN CASE WHEN m <= 77 THEN 25 ELSE 5 END"
                        + "   WHEN s.instance = 'db-quiet' THEN CASE WHEN m <= 120 THEN 14 ELSE 10 END"
                        + "   ELSE 12 END::double precision AS v) x"
                        + " WHERE s.metric IN ('pg_stat_database.xact_commit', 'pg_stat_database.blks_hit', 'pg_stat_database.blks_read',"
                        + "   'pg_stat_activity.connections_total')",
                // Daily rollups cascaded from the hourly ones, as the job does.
                "INSERT INTO metric_rollup_1d (series_id, bucket, count, min, max, sum, last)"
                        + " SELECT series_id, date_trunc('day', bucket), sum(count), min(min), max(max), sum(sum), (array_agg(last ORDER BY bucket DESC))[1]"
                        + " FROM metric_rollup_1h GROUP BY 1, 2",
                // Query 4242: 120 calls an hour, 10 ms a call until 96 hours ago, 30 ms since (standard
                // deviation half the mean: steady). The current hour's row gets its sums of squares too.
                "UPDATE statement_rollup_1h SET exec_time_sq_ms2 = 120 * 1.25 * 900, max_exec_time_ms = 80 WHERE queryid = '4242'",
                "INSERT INTO statement_rollup_1h SELECT 'db-xss', '4242', 'app', 'billing', " + h + " - m * interval '1 hour', 120,"
                        + " 120 * mean, mean, 120, 1000, 10, 0, 0, 0, 0, 0, 120 * 1.25 * mean * mean, 2 * mean"
                        + " FROM generate_series(1, 335) m CROSS JOIN LATERAL (SELECT CASE WHEN m <= 96 THEN 30.0 ELSE 10.0 END::float8 AS mean) x",
                // Query 777 on db-quiet: 10 calls an hour of 100 ms on average, standard deviation 300 ms: spiky.
                "INSERT INTO statement_text VALUES ('db-quiet', '777', 'SELECT pg_sleep($1) /* nightly batch */', false, now() - interval '2 days', now())",
                "INSERT INTO statement_rollup_1h SELECT 'db-quiet', '777', 'jobs', 'batch', " + h + " - m * interval '1 hour', 10, 1000, 100,"
                        + " 10, 0, 0, 0, 0, 0, 0, 0, 10 * (100 * 100 + 300 * 300), 1500 FROM generate_series(0, 48) m",
                "INSERT INTO insight (instance, kind, subject, severity, summary, evidence, first_seen, observed_at) VALUES"
                        + " ('db-xss', 'unused_index', 'public.orders_old_idx', 'warning',"
                        + "  'Index public.orders_old_idx on orders (12 GiB) has not been scanned for 7d',"
                        + "  '{\"index_size_bytes\": 12884901888, \"idx_scan\": 0}', now() - interval '8 days', now() - interval '5 minutes'),"
                        + " ('db-xss', 'duplicate_index', 'public.orders_user_idx2', 'info',"
                        + "  'Index public.orders_user_idx2 duplicates public.orders_user_idx ' || '" + xss + "',"
                        + "  '{\"index_size_bytes\": 1073741824}', now() - interval '3 days', now() - interval '5 minutes'),"
                        + " ('db-quiet', 'sequence_exhaustion', 'public.orders_id_seq', 'critical',"
                        + "  'Sequence public.orders_id_seq has used 91% of its range', '{\"used_ratio\": 0.91}',"
                        + "  now() - interval '1 day', now() - interval '1 hour')",
                // The closed days of the statement history rolled into statement_rollup_1d, as the maintenance does.
                "SELECT statement_rollup_1d_refresh(now() - interval '30 days')");
    }
}
