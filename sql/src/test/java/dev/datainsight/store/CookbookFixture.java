package dev.datainsight.store;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.QueryText;
import dev.datainsight.model.Severity;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A small fleet with known stories, written through {@link JdbcStoreWriter} relative to "now", so
 * every cookbook query has one expected answer (see {@link CookbookTest}):
 *
 * <ul>
 *   <li>db-1 (PG 17): healthy; orders table full of dead tuples, not autovacuumed for 2 days;
 *       xid age 56% of wraparound; requested checkpoints since 5 hours ago; on last Tuesday its
 *       commit rate quadrupled; query 1003 got 5x slower this week; replication lag fired twice
 *       (30 and 90 minutes).
 *   <li>db-2 (PG 16): cache hit ratio 0.75 for the last 3 hours (critical alert open), 60
 *       deadlocks in the last 10 minutes (warning open), grows 5 GB a day from 50 GB, peaked at
 *       95 of 100 connections; today's daily cache hit ratio is 0.75.
 *   <li>db-3 (PG 15): the collector reports it down for the last 5 minutes.
 *   <li>db-4 (PG 18): silent for 30 minutes.
 * </ul>
 */
final class CookbookFixture {
    static final double GB = 1e9;

    final Instant now = Instant.now();
    final Instant minute = now.truncatedTo(ChronoUnit.MINUTES);
    final Instant hour = now.truncatedTo(ChronoUnit.HOURS);
    final LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
    final LocalDate lastTuesday = today.minusDays((today.getDayOfWeek().getValue() + 4) % 7 + 1);

    void write(StoreWriter w) throws Exception {
        if (lastTuesday.getDayOfWeek() != DayOfWeek.TUESDAY) {
            throw new IllegalStateException("last Tuesday computed as " + lastTuesday);
        }
        w.upsertInstances(List.of(
                new InstanceRow("db-1", Map.of("env", "prod"), 170004, now.minus(Duration.ofDays(30)).toEpochMilli()),
                new InstanceRow("db-1", Map.of("env", "prod"), 170004, now.toEpochMilli()),
                new InstanceRow("db-2", Map.of("env", "prod"), 160008, now.toEpochMilli()),
                new InstanceRow("db-3", Map.of("env", "staging"), 150012, now.toEpochMilli()),
                new InstanceRow("db-4", Map.of("env", "dev"), 180001, now.minus(Duration.ofMinutes(30)).toEpochMilli())));
        w.upsertRollups(Resolution.MINUTE, minuteRows());
        w.upsertRollups(Resolution.HOUR, hourRows());
        w.upsertRollups(Resolution.DAY, dayRows());
        w.upsertStatementRollups(statements());
        w.upsertStatementTexts("db-1", List.of(new QueryText("1001", "SELECT * FROM orders WHERE customer_id = $1", false),
                new QueryText("1002", "UPDATE customers SET last_login = $1 WHERE id = $2", false),
                new QueryText("1003", "SELECT count(*) FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.created > $1", false)),
                now.toEpochMilli());
        w.upsertStatementTexts("db-2", List.of(new QueryText("2001", "INSERT INTO events VALUES ($1, $2)", false)), now.toEpochMilli());
        w.insertAlertEvents(alerts());
        w.upsertInsights(List.of(
                new InsightRow("db-1", "sequence_exhaustion", "public.orders_id_seq", "critical", "orders_id_seq is 91% used",
                        "{\"used_ratio\": 0.91}", now.toEpochMilli()),
                new InsightRow("db-1", "unused_index", "public.orders_old_idx", "warning", "never scanned in 30 days, 12 GB",
                        "{\"size_bytes\": 12000000000}", now.toEpochMilli()),
                new InsightRow("db-2", "autovacuum_settings", "public.events", "info",
                        "lower autovacuum_vacuum_scale_factor on a 5M-row table", "{\"n_live_tup\": 5000000}", now.toEpochMilli())));
    }

    private static RollupRow gauge(String inst, String metric, Map<String, String> labels, Instant bucket, long count, double v) {
        return new RollupRow(inst, metric, labels, bucket.toEpochMilli(), count, v, v, v * count, v);
    }

    private static RollupRow spread(String inst, String metric, Map<String, String> labels, Instant bucket, long count,
            double min, double max, double avg) {
        return new RollupRow(inst, metric, labels, bucket.toEpochMilli(), count, min, max, avg * count, avg);
    }

    List<RollupRow> minuteRows() {
        List<RollupRow> r = new ArrayList<>();
        Map<String, String> server = Map.of("probe", "");
        Map<String, String> app = Map.of("datname", "app");
        Map<String, String> reporting = Map.of("datname", "reporting");
        Map<String, String> orders = Map.of("datname", "app", "schemaname", "public", "relname", "orders");
        Map<String, String> customers = Map.of("datname", "app", "schemaname", "public", "relname", "customers");
        Map<String, String> events = Map.of("datname", "app", "schemaname", "public", "relname", "events");
        double twoDaysAgo = now.minus(Duration.ofDays(2)).getEpochSecond();
        double tenMinutesAgo = now.minus(Duration.ofMinutes(10)).getEpochSecond();
        double hourAgo = now.minus(Duration.ofHours(1)).getEpochSecond();
        for (int k = 1; k <= 60; k++) {
            Instant b = minute.minus(Duration.ofMinutes(k));
            r.add(gauge("db-1", "datainsight_collector.up", server, b, 6, 1));
            // A per-probe row must not count as the server's up.
            r.add(gauge("db-1", "datainsight_collector.up", Map.of("probe", "pg_stat_io"), b, 6, 0));
            r.add(gauge("db-2", "datainsight_collector.up", server, b, 6, 1));
            r.add(gauge("db-3", "datainsight_collector.up", server, b, 6, k <= 5 ? 0 : 1));
            r.add(gauge("db-1", "pg_stat_activity.connections_total", Map.of(), b, 6, 40));
            r.add(gauge("db-2", "pg_stat_activity.connections_total", Map.of(), b, 6, 90));
            r.add(gauge("db-3", "pg_stat_activity.connections_total", Map.of(), b, 6, 5));
            for (String i : List.of("db-1", "db-2", "db-3")) {
                r.add(gauge(i, "pg_stat_activity.max_connections", Map.of(), b, 6, 100));
            }
            r.add(gauge("db-1", "pg_database.size_bytes", app, b, 1, 113 * GB));
            r.add(gauge("db-1", "pg_database.size_bytes", reporting, b, 1, 10 * GB));
            r.add(gauge("db-2", "pg_database.size_bytes", app, b, 1, 115 * GB));
            r.add(gauge("db-1", "pg_database.xid_age", app, b, 1, 1.2e9));
            r.add(gauge("db-1", "pg_database.xid_age", reporting, b, 1, 1e6));
            r.add(gauge("db-2", "pg_database.xid_age", app, b, 1, 5e6));
            r.add(gauge("db-1", "pg_stat_user_tables.n_dead_tup", orders, b, 1, 500_000));
            r.add(gauge("db-1", "pg_stat_user_tables.n_live_tup", orders, b, 1, 1_000_000));
            r.add(gauge("db-1", "pg_stat_user_tables.last_autovacuum", orders, b, 1, twoDaysAgo));
            r.add(gauge("db-1", "pg_stat_user_tables.n_dead_tup", customers, b, 1, 100));
            r.add(gauge("db-1", "pg_stat_user_tables.n_live_tup", customers, b, 1, 100_000));
            r.add(gauge("db-1", "pg_stat_user_tables.last_autovacuum", customers, b, 1, tenMinutesAgo));
            r.add(gauge("db-2", "pg_stat_user_tables.n_dead_tup", events, b, 1, 50_000));
            r.add(gauge("db-2", "pg_stat_user_tables.n_live_tup", events, b, 1, 5_000_000));
            r.add(gauge("db-2", "pg_stat_user_tables.last_autovacuum", events, b, 1, hourAgo));
            // Counter stored as a rate: 0.1/s over a minute = 6 deadlocks.
            r.add(gauge("db-2", "pg_stat_database.deadlocks", app, b, 6, k <= 10 ? 0.1 : 0));
            r.add(gauge("db-1", "pg_stat_database.deadlocks", app, b, 6, 0));
        }
        return r;
    }

    List<RollupRow> hourRows() {
        List<RollupRow> r = new ArrayList<>();
        Map<String, String> app = Map.of("datname", "app");
        for (int k = 1; k <= 48; k++) {
            Instant b = hour.minus(Duration.ofHours(k));
            r.add(spread("db-1", "pg_stat_database.blks_hit", app, b, 360, 900, 1100, 990));
            r.add(spread("db-1", "pg_stat_database.blks_read", app, b, 360, 5, 15, 10));
            r.add(spread("db-2", "pg_stat_database.blks_hit", app, b, 360, 700, 1000, k <= 3 ? 750 : 980));
            r.add(spread("db-2", "pg_stat_database.blks_read", app, b, 360, 10, 300, k <= 3 ? 250 : 20));
            r.add(spread("db-1", "pg_stat_checkpointer.num_requested", Map.of(), b, 360, 0, k <= 5 ? 0.05 : 0, k <= 5 ? 0.01 : 0));
            r.add(spread("db-1", "pg_stat_checkpointer.num_timed", Map.of(), b, 360, 0, 0.01, 0.002));
            r.add(spread("db-2", "pg_stat_checkpointer.num_requested", Map.of(), b, 360, 0, 0, 0));
            r.add(spread("db-1", "pg_stat_activity.connections_total", Map.of(), b, 360, 10, 40, 25));
            r.add(spread("db-2", "pg_stat_activity.connections_total", Map.of(), b, 360, 30, k == 7 ? 95 : 60, 50));
            r.add(gauge("db-1", "pg_stat_activity.max_connections", Map.of(), b, 360, 100));
            r.add(gauge("db-2", "pg_stat_activity.max_connections", Map.of(), b, 360, 100));
        }
        return r;
    }

    List<RollupRow> dayRows() {
        List<RollupRow> r = new ArrayList<>();
        Map<String, String> app = Map.of("datname", "app");
        for (int d = 0; d <= 14; d++) {
            LocalDate day = today.minusDays(d);
            Instant b = day.atStartOfDay(ZoneOffset.UTC).toInstant();
            // Daily cache: db-1 0.99 every day, db-2 0.75 today (0.98 before).
            r.add(spread("db-1", "pg_stat_database.blks_hit", app, b, 8640, 900, 1100, 990));
            r.add(spread("db-1", "pg_stat_database.blks_read", app, b, 8640, 5, 15, 10));
            r.add(spread("db-2", "pg_stat_database.blks_hit", app, b, 8640, 700, 1000, d == 0 ? 750 : 980));
            r.add(spread("db-2", "pg_stat_database.blks_read", app, b, 8640, 10, 300, d == 0 ? 250 : 20));
            r.add(gauge("db-1", "pg_database.size_bytes", app, b, 8640, (100 + 13 - d) * GB));
            r.add(gauge("db-1", "pg_database.size_bytes", Map.of("datname", "reporting"), b, 8640, 10 * GB));
            r.add(gauge("db-2", "pg_database.size_bytes", app, b, 8640, (50 + 5 * (13 - d)) * GB));
            r.add(spread("db-1", "pg_stat_database.xact_commit", app, b, 8640, 10, 900, day.equals(lastTuesday) ? 400 : 100));
            r.add(spread("db-2", "pg_stat_database.xact_commit", app, b, 8640, 10, 900, 200));
        }
        return r;
    }

    List<StatementRollupRow> statements() {
        List<StatementRollupRow> r = new ArrayList<>();
        for (int k = 1; k <= 335; k++) {
            long b = hour.minus(Duration.ofHours(k)).toEpochMilli();
            r.add(stmt("db-1", "1001", b, 1000, 20_000));
            r.add(stmt("db-1", "1002", b, 100, 5_000));
            // No rows for 1003 around the 7-day boundary, so the week split does not depend on
            // how many seconds pass between writing and querying.
            if (k < 166 || k > 169) {
                r.add(stmt("db-1", "1003", b, 10, k < 166 ? 500 : 100));
            }
            r.add(stmt("db-1", "other", b, 5000, 100_000));
            r.add(stmt("db-2", "2001", b, 10_000, 900_000));
        }
        return r;
    }

    private static StatementRollupRow stmt(String inst, String qid, long bucket, double calls, double totalMs) {
        return new StatementRollupRow(inst, qid, "app", "app_user", bucket, calls, totalMs, calls * 2, calls * 90, calls * 10,
                0, 0, 0, 0, calls * 100);
    }

    List<AlertEvent> alerts() {
        List<AlertEvent> a = new ArrayList<>();
        Instant cacheStart = now.minus(Duration.ofHours(3));
        a.add(alert("fp-db2-cache", "cache_hit_ratio", "db-2", Severity.WARNING, AlertStatus.FIRING, cacheStart, null, cacheStart));
        a.add(alert("fp-db2-cache", "cache_hit_ratio", "db-2", Severity.CRITICAL, AlertStatus.FIRING, cacheStart, null,
                now.minus(Duration.ofHours(2))));
        a.add(alert("fp-db2-deadlocks", "deadlocks", "db-2", Severity.WARNING, AlertStatus.FIRING, now.minus(Duration.ofMinutes(10)),
                null, now.minus(Duration.ofMinutes(8))));
        a.add(alert("fp-db3-down", "instance_down", "db-3", Severity.CRITICAL, AlertStatus.FIRING, now.minus(Duration.ofMinutes(5)),
                null, now.minus(Duration.ofMinutes(4))));
        Instant s1 = now.minus(Duration.ofDays(6));
        Instant s2 = now.minus(Duration.ofDays(2));
        a.add(alert("fp-db1-repl", "replication_lag", "db-1", Severity.WARNING, AlertStatus.FIRING, s1, null, s1));
        a.add(alert("fp-db1-repl", "replication_lag", "db-1", Severity.WARNING, AlertStatus.RESOLVED, s1,
                s1.plus(Duration.ofMinutes(30)), s1.plus(Duration.ofMinutes(30))));
        a.add(alert("fp-db1-repl", "replication_lag", "db-1", Severity.WARNING, AlertStatus.FIRING, s2, null, s2));
        a.add(alert("fp-db1-repl", "replication_lag", "db-1", Severity.WARNING, AlertStatus.RESOLVED, s2,
                s2.plus(Duration.ofMinutes(90)), s2.plus(Duration.ofMinutes(90))));
        return a;
    }

    private static AlertEvent alert(String fp, String rule, String inst, Severity sev, AlertStatus status, Instant started,
            Instant resolved, Instant at) {
        AlertEvent e = new AlertEvent();
        e.setFingerprint(fp);
        e.setRule(rule);
        e.setSeverity(sev);
        e.setStatus(status);
        e.setInstance(inst);
        e.setStartedAt(started.toEpochMilli());
        e.setResolvedAt(resolved == null ? null : resolved.toEpochMilli());
        e.setEventAt(at.toEpochMilli());
        e.setSummary(rule + " on " + inst + " (" + sev.wire() + ")");
        return e;
    }
}
