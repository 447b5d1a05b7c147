package dev.datainsight.console;

import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.store.Migrations;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;

/**
 * A real store for the GraphQL API tests: a fresh database on the embedded PostgreSQL, migrated by
 * the store's own migrations, with {@value #INSTANCES} instances {@code db-001 .. db-100}, each
 * with 6 series and 90 one-minute buckets, 5 alert events (2 still open), 4 statements over 2
 * hours and 2 insights. Times are relative to {@link #t}, the start of the minute the fixture
 * was made in. {@code db-001} carries attacker-chosen text in a label, a query text and an alert
 * summary; every tenth instance is a standby; {@code db-100} is silent. One alert event of
 * January 2020 sits in its own partition (alert_event_p2020_01), for the partition-pruning test.
 */
final class ApiFixture {
    static final int INSTANCES = 100;
    static final String XSS = ConsoleFixture.XSS;
    static final String XSS_QUERY = "SELECT '" + XSS + "' FROM t WHERE id = $1";
    static final String READER = "api_reader";

    final String url;
    final String readerUrl;
    /** The minute the rows are relative to. */
    final Instant t;

    private ApiFixture(String url, Instant t) {
        this.url = url;
        this.readerUrl = url.replace("user=postgres", "user=" + READER);
        this.t = t;
    }

    static ApiFixture create(PostgresExtension pg, String prefix) throws SQLException {
        String url = pg.freshDatabaseUrl(prefix);
        Migrations.migrate(url, null, null);
        Instant t;
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT date_trunc('minute', now())")) {
            rs.next();
            t = rs.getObject(1, java.time.OffsetDateTime.class).toInstant();
        }
        ApiFixture f = new ApiFixture(url, t);
        f.exec("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + READER + "') THEN"
                + " CREATE ROLE " + READER + " LOGIN IN ROLE datainsight_reader; END IF; END $$");
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

    long count(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void fill() throws SQLException {
        String xss = XSS.replace("'", "''");
        String t = "'" + this.t + "'::timestamptz";
        exec(
                "CREATE TABLE alert_event_p2020_01 PARTITION OF alert_event FOR VALUES FROM ('2020-01-01') TO ('2020-02-01')",
                "INSERT INTO instance SELECT format('db-%s', lpad(i::text, 3, '0')),"
                        + " jsonb_build_object('env', CASE WHEN i % 2 = 1 THEN 'prod' ELSE 'staging' END, 'team', 't' || (i % 4)"
                        + "   ) || CASE WHEN i = 1 THEN jsonb_build_object('app', '" + xss + "') ELSE '{}' END,"
                        + " 170002, " + t + " - interval '2 days', " + t + " - CASE WHEN i = 100 THEN interval '1 hour' ELSE interval '20 seconds' END"
                        + " FROM generate_series(1, " + INSTANCES + ") i",
                "INSERT INTO series (instance, metric, labels) SELECT i.instance, m.metric, m.labels::jsonb FROM instance i CROSS JOIN (VALUES"
                        + " ('pg_stat_database.xact_commit', '{\"datname\": \"app\"}'),"
                        + " ('pg_stat_database.xact_commit', '{\"datname\": \"postgres\"}'),"
                        + " ('pg_stat_activity.connections_total', '{}'),"
                        + " ('pg_stat_activity.max_connections', '{}'),"
                        + " ('datainsight_collector.up', '{\"probe\": \"\"}'),"
                        + " ('datainsight_collector.in_recovery', '{\"probe\": \"\"}')) m(metric, labels)",
                // 90 one-minute buckets ending at t: commits i/s on app and 1/s on postgres; 12 of
                // 100 connections; up; in recovery on every tenth instance.
                "INSERT INTO metric_rollup_1m (series_id, bucket, count, min, max, sum, last)"
                        + " SELECT s.id, " + t + " - m * interval '1 minute', 6, v, v, 6 * v, v"
                        + " FROM series s CROSS JOIN generate_series(0, 89) m CROSS JOIN LATERAL (SELECT CASE"
                        + "   WHEN s.metric = 'pg_stat_database.xact_commit' AND s.labels ->> 'datname' = 'app' THEN substr(s.instance, 4)::int"
                        + "   WHEN s.metric = 'pg_stat_database.xact_commit' THEN 1"
                        + "   WHEN s.metric = 'pg_stat_activity.connections_total' THEN 12"
                        + "   WHEN s.metric = 'pg_stat_activity.max_connections' THEN 100"
                        + "   WHEN s.metric = 'datainsight_collector.up' THEN 1"
                        + "   WHEN s.metric = 'datainsight_collector.in_recovery' THEN (substr(s.instance, 4)::int % 10 = 0)::int"
                        + "   END::double precision AS v) x",
                // Three hourly buckets of db-001's app commits, 10/s, 20/s, 30/s.
                "INSERT INTO metric_rollup_1h (series_id, bucket, count, min, max, sum, last)"
                        + " SELECT s.id, date_trunc('hour', " + t + ") - h * interval '1 hour', 60, v, v, 60 * v, v"
                        + " FROM series s CROSS JOIN generate_series(1, 3) h CROSS JOIN LATERAL (SELECT (40 - 10 * h)::double precision AS v) x"
                        + " WHERE s.instance = 'db-001' AND s.metric = 'pg_stat_database.xact_commit' AND s.labels ->> 'datname' = 'app'",
                // Alerts per instance: connections critical (pending, then firing: open), dead tuples
                // warning (pending: open), replication lag warning (fired and resolved).
                "INSERT INTO alert_event (fingerprint, rule, severity, status, instance, labels, value, threshold, started_at,"
                        + " resolved_at, event_at, summary, description, runbook, context)"
                        + " SELECT 'fp-' || i.instance || '-' || a.k, a.rule, a.severity, a.status, i.instance, '{}', 1, 0.9,"
                        + "   " + t + " - a.started, CASE WHEN a.status = 'resolved' THEN " + t + " - a.at END, " + t + " - a.at,"
                        + "   a.summary || CASE WHEN i.instance = 'db-001' THEN ' ' || '" + xss + "' ELSE '' END, NULL, NULL,"
                        + "   CASE WHEN a.status = 'firing' AND a.k = 'conn' THEN jsonb_build_array(jsonb_build_object('kind', 'session',"
                        + "     'fields', jsonb_build_object('pid', 12340, 'application_name', 'billing'))) ELSE '[]' END"
                        + " FROM instance i CROSS JOIN (VALUES"
                        + "  ('conn', 'connections_saturation', 'critical', 'pending', interval '10 minutes', interval '10 minutes', 'pool filling'),"
                        + "  ('conn', 'connections_saturation', 'critical', 'firing', interval '10 minutes', interval '8 minutes', 'connections at 97%'),"
                        + "  ('dead', 'dead_tuples', 'warning', 'pending', interval '1 minute', interval '1 minute', 'dead tuples growing'),"
                        + "  ('lag', 'replication_lag', 'warning', 'firing', interval '3 hours', interval '3 hours', 'replica behind'),"
                        + "  ('lag', 'replication_lag', 'warning', 'resolved', interval '3 hours', interval '2 hours', 'replica caught up')"
                        + " ) a(k, rule, severity, status, started, at, summary)",
                "INSERT INTO alert_event (fingerprint, rule, severity, status, instance, labels, value, threshold, started_at, resolved_at,"
                        + " event_at, summary) VALUES ('fp-old', 'replication_lag', 'warning', 'resolved', 'db-001', '{}', 1, 60,"
                        + " '2020-01-10 10:00+00', '2020-01-10 11:00+00', '2020-01-10 11:00+00', 'an old one')",
                // Statements: 4 per instance and hour, in the hour of t and the one before; total
                // time q*100 ms per hour on every instance (ties across the fleet), calls q*10 + i.
                "INSERT INTO statement_rollup_1h (instance, queryid, datname, rolname, bucket, calls, total_exec_time_ms, mean_exec_time_ms,"
                        + " rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written, temp_blks_read,"
                        + " temp_blks_written, wal_bytes)"
                        + " SELECT i.instance, q::text, 'app', 'billing', date_trunc('hour', " + t + ") - h * interval '1 hour',"
                        + "   q * 10 + substr(i.instance, 4)::int, q * 100, q * 100.0 / (q * 10 + substr(i.instance, 4)::int), q, 100, 10, 0, 0, 0, 0, 0"
                        + " FROM instance i CROSS JOIN generate_series(1, 4) q CROSS JOIN generate_series(0, 1) h",
                "INSERT INTO statement_text SELECT i.instance, q::text,"
                        + " CASE WHEN i.instance = 'db-001' AND q = 1 THEN '" + XSS_QUERY.replace("'", "''") + "' ELSE 'SELECT ' || q || ' FROM t' END,"
                        + " false, " + t + " - interval '1 day', " + t
                        + " FROM instance i CROSS JOIN generate_series(1, 4) q",
                "INSERT INTO insight SELECT i.instance, k.kind, k.subject,"
                        + "   CASE WHEN k.kind = 'sequence_exhaustion' AND substr(i.instance, 4)::int % 3 = 0 THEN 'critical'"
                        + "        WHEN k.kind = 'sequence_exhaustion' THEN 'info' ELSE 'warning' END,"
                        + "   k.kind || ' on ' || k.subject, jsonb_build_object('bytes', 1048576), " + t + " - interval '1 day', " + t
                        + " FROM instance i CROSS JOIN (VALUES ('unused_index', 'public.idx_a'), ('sequence_exhaustion', 'public.seq')) k(kind, subject)");
    }
}
