package dev.datainsight.rules;

import static dev.datainsight.rules.RuleEvaluatorTest.only;
import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Pages that should not have been (issue 18, "false positives to remove"), on the real rule operators. */
class RuleFalsePositivesTest {
    static final long T0 = 1_700_000_000_000L;
    static final long S = 1000;
    static final long MIN = 60 * S;

    static SnapshotRow session(String pid, String reasons, Map<String, String> more, Object... values) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("pid", pid);
        l.put("reasons", reasons);
        l.put("datname", "app");
        l.put("usename", "svc");
        l.put("application_name", "api");
        l.put("client_addr", "10.0.0.5");
        l.put("backend_type", "client backend");
        l.put("state", "idle in transaction");
        l.putAll(more);
        return row(l, values);
    }

    // ------------------------------------------------------------------ idle_in_transaction

    @Test
    void idleInAbortedTransaction_doesNotPage_butIsReportedApartAtInfo() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("idle_in_transaction", "")))) {
            List<AlertEvent> ev = new ArrayList<>();
            for (long t = T0; t < T0 + 20 * MIN; t += 10 * S) {
                double age = 600 + (t - T0) / 1000.0; // 10 min and growing
                ev.addAll(h.push(of("pg_stat_activity", t, row(Map.of(), "oldest_idle_in_transaction_seconds", age,
                        "connections_idle_in_transaction", 0, "connections_idle_in_transaction_aborted", 1))));
            }
            assertEquals(List.of(), h.pages(), "an aborted transaction holds no locks and no xmin: no page");
            assertEquals(1, ev.size(), ev.toString());
            AlertEvent a = ev.get(0);
            assertEquals(Severity.INFO, a.getSeverity());
            assertEquals(Map.of("state", "aborted"), a.getLabels());
            assertEquals(AlertStatus.FIRING, a.getStatus());
            assertTrue(a.getSummary().contains("idle in an aborted transaction for 15.2 min"), a.getSummary());
        }
    }

    @Test
    void bothStatesOpen_theDetailSaysWhichIsOldest_thePlainOneStillPagesOnItsOwnAge() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("idle_in_transaction", "")))) {
            long t = T0;
            // the oldest (1000 s) is aborted; a plain one has been idle 400 s
            h.push(of("pg_stat_activity_sessions", t,
                    session("1", "idle_in_transaction", Map.of("state", "idle in transaction (aborted)"),
                            "state_age_seconds", 1000),
                    session("2", "idle_in_transaction", Map.of("application_name", "batch"), "state_age_seconds", 400)));
            List<AlertEvent> ev = h.push(of("pg_stat_activity", t, row(Map.of(), "oldest_idle_in_transaction_seconds",
                    1000, "connections_idle_in_transaction", 1, "connections_idle_in_transaction_aborted", 1)));
            AlertEvent page = ev.stream().filter(e -> e.getSeverity() != Severity.INFO).findFirst().orElseThrow();
            assertEquals(Severity.WARNING, page.getSeverity(), "400 s plain: warning, not the aborted one's critical");
            assertEquals(400.0, page.getValue());
            assertTrue(page.getSummary().startsWith("pid 2 (svc@10.0.0.5, app batch"), page.getSummary());
            AlertEvent info = ev.stream().filter(e -> e.getSeverity() == Severity.INFO).findFirst().orElseThrow();
            assertEquals(1000.0, info.getValue());
        }
    }

    // ------------------------------------------------------------------ deadlocks

    private static List<AlertEvent> deadlocks(RulesHarness h, long from, long to, double perMinute, double[] counter)
            throws Exception {
        List<AlertEvent> ev = new ArrayList<>();
        for (long t = from; t < to; t += 10 * S) {
            counter[0] += perMinute / 6;
            ev.addAll(h.push(of("pg_stat_database", t, row(Map.of("datname", "app"), "deadlocks",
                    Math.floor(counter[0])))));
        }
        return ev;
    }

    @Test
    void deadlocks_aSingleDeadlockDoesNotWarn_aSustainedRateDoes_andFivePerMinuteIsCritical() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("deadlocks", "")))) {
            double[] c = {0};
            long t = T0;
            deadlocks(h, t, t + 10 * MIN, 0, c);
            t += 10 * MIN;
            c[0] += 1; // one deadlock
            deadlocks(h, t, t + 10 * MIN, 0, c);
            t += 10 * MIN;
            c[0] += 3; // a burst of three
            deadlocks(h, t, t + 10 * MIN, 0, c);
            t += 10 * MIN;
            assertEquals(List.of(), h.events, "a few deadlocks are retried transactions, not a page");
            List<AlertEvent> ev = deadlocks(h, t, t + 5 * MIN, 2, c); // 2 per minute, sustained
            t += 5 * MIN;
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.WARNING, ev.get(0).getSeverity());
            assertTrue(ev.get(0).getSummary().contains("/min"), ev.get(0).getSummary());
            ev = deadlocks(h, t, t + 2 * MIN, 12, c);
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.CRITICAL, ev.get(0).getSeverity());
        }
    }

    // ------------------------------------------------------------------ standbys and cache_hit_ratio

    /** The collector's health snapshot with the server's role. */
    static Snapshot health(long t, boolean standby) {
        return of(dev.datainsight.model.MetricCatalog.COLLECTOR_VIEW, t, row(Map.of("probe", ""), "up", 1,
                "in_recovery", standby ? 1 : 0));
    }

    /** cache_hit_ratio for 20 min at {@code ratio} with {@code readsPerStep} blocks read per 10 s. */
    private static List<AlertEvent> cache(RulesHarness h, Boolean standby, double ratio, double readsPerStep)
            throws Exception {
        List<AlertEvent> ev = new ArrayList<>();
        double hits = 0;
        double reads = 0;
        for (long t = T0; t < T0 + 20 * MIN; t += 10 * S) {
            if (standby != null) {
                h.push(health(t, standby));
            }
            reads += readsPerStep;
            hits += readsPerStep * ratio / (1 - ratio);
            ev.addAll(h.push(of("pg_stat_database", t, row(Map.of("datname", "app"), "blks_hit", Math.floor(hits),
                    "blks_read", reads))));
        }
        return ev;
    }

    @Test
    void cacheHitRatio_isAWarningOnly_byDefault_evenFarBelowTheOldCritical() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("cache_hit_ratio", "")))) {
            List<AlertEvent> ev = cache(h, false, 0.50, 5000);
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.WARNING, ev.get(0).getSeverity());
        }
    }

    @Test
    void cacheHitRatio_needsALargerReadVolume_thanTenThousandBlocks() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("cache_hit_ratio", "")))) {
            // 50,000 blocks read per 5 min at 0.85: above the old 10,000 floor, below the new 100,000
            assertEquals(List.of(), cache(h, false, 0.85, 50000.0 / 30));
        }
    }

    @Test
    void cacheHitRatio_skipsStandbys_unlessAskedFor() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("cache_hit_ratio", "")))) {
            assertEquals(List.of(), cache(h, true, 0.50, 5000), "a reporting replica scans by design");
        }
        try (RulesHarness h = new RulesHarness(only(Map.of("cache_hit_ratio", "on_standbys: true")))) {
            assertEquals(1, cache(h, true, 0.50, 5000).size());
        }
    }

    @Test
    void xidWraparound_pagesOnThePrimaryOnly_notOncePerStandby() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("xid_wraparound", "")))) {
            for (String instance : List.of("primary", "standby-a", "standby-b")) {
                for (long t = T0; t < T0 + 10 * MIN; t += 10 * S) {
                    h.push(of(instance, dev.datainsight.model.MetricCatalog.COLLECTOR_VIEW, t,
                            row(Map.of("probe", ""), "up", 1, "in_recovery", instance.startsWith("standby") ? 1 : 0)));
                    h.push(of(instance, "pg_database", t, row(Map.of("datname", "app"), "xid_age", 0.6 * 2147483648.0,
                            "mxid_age", 10)));
                }
            }
            assertEquals(List.of("primary"), h.events.stream().map(AlertEvent::getInstance).toList(), h.events.toString());
        }
    }

    @Test
    void checkpointSpike_andDbGrowth_skipStandbys() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("checkpoint_spike", "for: 0s", "db_growth",
                "for: 0s, sample_every: 5m, min_history: 30m")))) {
            for (String instance : List.of("primary", "standby")) {
                double size = 1e9;
                for (long t = T0, i = 0; t < T0 + 2 * 60 * MIN; t += 30 * S, i++) {
                    h.push(of(instance, dev.datainsight.model.MetricCatalog.COLLECTOR_VIEW, t,
                            row(Map.of("probe", ""), "up", 1, "in_recovery", instance.equals("standby") ? 1 : 0)));
                    // every checkpoint requested; the database grows 30 % an hour
                    h.push(of(instance, "pg_stat_checkpointer", t, row(Map.of(), "num_timed", 0, "num_requested", i)));
                    size *= 1 + 0.3 / 120;
                    h.push(of(instance, "pg_database", t, row(Map.of("datname", "app"), "size_bytes", size,
                            "xid_age", 1000, "mxid_age", 10)));
                }
            }
            assertEquals(java.util.Set.of("checkpoint_spike", "db_growth"),
                    h.firing().stream().map(AlertEvent::getRule).collect(java.util.stream.Collectors.toSet()));
            assertEquals(List.of("primary", "primary"), h.firing().stream().map(AlertEvent::getInstance).toList(),
                    h.events.toString());
        }
    }

    // ------------------------------------------------------------------ replication_lag

    @Test
    void replicationLag_ignoresLogicalWalsendersAndBaseBackups() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("replication_lag", "for: 0s")))) {
            for (long t = T0; t < T0 + 10 * MIN; t += 10 * S) {
                h.push(of("pg_stat_replication", t,
                        row(Map.of("application_name", "debezium", "client_addr", "10.0.0.9", "state", "streaming"),
                                "replay_lag_seconds", 3600, "replay_lag_bytes", 5e9, "logical", 1),
                        row(Map.of("application_name", "pg_basebackup", "client_addr", "10.0.0.8", "state", "backup"),
                                "replay_lag_seconds", 900, "replay_lag_bytes", 5e9),
                        row(Map.of("application_name", "standby1", "client_addr", "10.0.0.2", "state", "streaming"),
                                "replay_lag_seconds", 60, "replay_lag_bytes", 1e6, "logical", 0)));
            }
            assertEquals(List.of("standby1"), h.firing().stream().map(e -> e.getLabels().get("application_name"))
                    .toList(), h.events.toString());
        }
    }

    // ------------------------------------------------------------------ instance_down

    @Test
    void instanceDown_oneGoodPollBetweenFailures_doesNotResolveAndRepage() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("instance_down", "")))) {
            long t = T0;
            for (int i = 0; i < 48; i++, t += 10 * S) {
                // a crash-looping server: down, with one good poll every 2 minutes
                h.push(up(t, i % 12 == 11 ? 1 : 0));
            }
            assertEquals(1, h.events.size(), "one alert, no flapping: " + h.events);
            assertEquals(AlertStatus.FIRING, h.events.get(0).getStatus());
            for (int i = 0; i < 13; i++, t += 10 * S) {
                h.push(up(t, 1));
            }
            assertEquals(1, h.resolved().size(), "up for 2 min: resolved " + h.events);
        }
    }

    @Test
    void whileTheInstanceIsDown_itsOtherAlertsAreHeld_notResolvedAsStale() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("instance_down", "", "long_transaction", "")))) {
            long t = T0;
            for (; t < T0 + MIN; t += 10 * S) {
                h.push(up(t, 1));
                h.push(of("pg_stat_activity", t, row(Map.of(), "oldest_xact_age_seconds", 4000)));
            }
            assertEquals(List.of("long_transaction"), h.firing().stream().map(AlertEvent::getRule).toList());
            // the server stops answering for 40 min (stale_after is 15 min): only health rows with up = 0
            for (long end = t + 40 * MIN; t < end; t += 10 * S) {
                h.push(up(t, 0));
            }
            assertEquals(List.of(), h.resolved(), "a down instance's alerts are not resolved as stale: " + h.events);
            assertEquals(List.of("long_transaction", "instance_down"),
                    h.firing().stream().map(AlertEvent::getRule).toList());
            // back, the transaction is gone: instance_down and long_transaction resolve on data
            for (long end = t + 5 * MIN; t < end; t += 10 * S) {
                h.push(up(t, 1));
                h.push(of("pg_stat_activity", t, row(Map.of(), "oldest_xact_age_seconds", 1)));
            }
            assertEquals(java.util.Set.of("long_transaction", "instance_down"),
                    h.resolved().stream().map(AlertEvent::getRule).collect(java.util.stream.Collectors.toSet()));
            AlertEvent lt = h.resolved().stream().filter(e -> e.getRule().equals("long_transaction")).findFirst()
                    .orElseThrow();
            assertTrue(!lt.getDescription().contains("stale"), lt.getDescription());
        }
    }

    // ------------------------------------------------------------------ long_transaction

    private static List<AlertEvent> longTx(RulesHarness h, long t, SnapshotRow... sessions) throws Exception {
        h.push(of("pg_stat_activity_sessions", t, sessions));
        return h.push(of("pg_stat_activity", t, row(Map.of(), "oldest_xact_age_seconds", 7200)));
    }

    @Test
    void longTransaction_exemptsPgDump_byDefault_andStillPagesOnTheNextOldest() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("long_transaction", "")))) {
            List<AlertEvent> ev = longTx(h, T0,
                    session("100", "oldest_xact", Map.of("application_name", "pg_dump", "state", "active"),
                            "xact_age_seconds", 7200),
                    session("101", "oldest_xact", Map.of("state", "active"), "xact_age_seconds", 10));
            assertEquals(List.of(), ev, "a two-hour pg_dump is not a page");
            ev = longTx(h, T0 + 10 * S,
                    session("100", "oldest_xact", Map.of("application_name", "pg_dump", "state", "active"),
                            "xact_age_seconds", 7210),
                    session("102", "oldest_xact", Map.of("application_name", "billing-api"), "xact_age_seconds", 400));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.WARNING, ev.get(0).getSeverity());
            assertEquals(400.0, ev.get(0).getValue());
            assertTrue(ev.get(0).getSummary().contains("pid 102"), ev.get(0).getSummary());
        }
    }

    @Test
    void longTransaction_exemptsConfiguredUsersAndApplicationGlobs() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("long_transaction",
                "exempt_users: etl, exempt_applications: [pg_dump, 'airflow-*']")))) {
            List<AlertEvent> ev = longTx(h, T0,
                    session("200", "oldest_xact", Map.of("usename", "etl"), "xact_age_seconds", 7200),
                    session("201", "oldest_xact", Map.of("application_name", "airflow-worker-3"),
                            "xact_age_seconds", 5000));
            assertEquals(List.of(), ev);
        }
        try (RulesHarness h = new RulesHarness(only(Map.of("long_transaction", "exempt_applications: []")))) {
            List<AlertEvent> ev = longTx(h, T0,
                    session("100", "oldest_xact", Map.of("application_name", "pg_dump"), "xact_age_seconds", 7200));
            assertEquals(1, ev.size(), "exemptions switched off: the dump counts " + ev);
        }
    }

    @Test
    void listSettings_areCheckedAtLoad() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> RulesConfig.parse("rules:\n  long_transaction: {exempt_users: 3}\n", "test"));
        assertTrue(e.getMessage().contains("expected a list of names"), e.getMessage());
    }

    // ------------------------------------------------------------------ autovacuum_lag

    private static Snapshot table(long t, double dead, double live, double autovacuumCount, Double lastAutovacuumSec,
            Object... more) {
        Object[] base = {"n_dead_tup", dead, "n_live_tup", live, "last_autovacuum", lastAutovacuumSec,
            "autovacuum_count", autovacuumCount, "autovacuum_vacuum_threshold", 50, "autovacuum_vacuum_scale_factor", 0.2};
        Object[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return of("pg_stat_user_tables", t, row(Map.of("datname", "app", "schemaname", "public", "relname", "orders"),
                all));
    }

    @Test
    void autovacuumLag_firesWhenVacuumRunsOftenButRemovesNothing_theXminIsHeld() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("autovacuum_lag", "")))) {
            double count = 0;
            long t = T0;
            for (; t < T0 + 2 * 60 * MIN; t += 30 * S) {
                if ((t - T0) % (5 * MIN) == 0) {
                    count++; // autovacuum runs every 5 minutes ...
                }
                // ... but the dead tuples stay: 300k dead of 1M live, trigger 200k
                h.push(table(t, 300_000, 1_000_000, count, (t - (t - T0) % (5 * MIN)) / 1000.0));
            }
            assertEquals(1, h.firing().size(), h.events.toString());
            AlertEvent a = h.firing().get(0);
            assertTrue(a.getStartedAt() >= T0 + 60 * MIN, "above the trigger for 1 h first: " + a);
            assertTrue(a.getSummary().contains("; above the trigger for 65m"), a.getSummary());
        }
    }

    @Test
    void autovacuumLag_holdsOffWhileAVacuumWorksOnTheTable() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("autovacuum_lag", "")))) {
            long t = T0;
            // never autovacuumed, far past the trigger, but a (long) VACUUM is running on it
            for (; t < T0 + 30 * MIN; t += 30 * S) {
                h.push(table(t, 600_000, 1_000_000, 0, null, "vacuum_running", 1));
            }
            assertEquals(List.of(), h.events, "a vacuum in progress is the cure, not a lag");
            for (long end = t + 10 * MIN; t < end; t += 30 * S) {
                h.push(table(t, 600_000, 1_000_000, 0, null, "vacuum_running", 0));
            }
            assertEquals(1, h.firing().size(), "it finished and removed nothing: " + h.events);
        }
    }

    @Test
    void autovacuumLag_honoursPostgres18sMaxThreshold() throws Exception {
        for (boolean perTable : List.of(true, false)) {
            try (RulesHarness h = new RulesHarness(only(Map.of("autovacuum_lag", "")))) {
                long t = T0;
                // 1 billion live rows: 0.2 x live = 200M, capped at 100M; 150M dead (13 %)
                for (; t < T0 + 20 * MIN; t += 30 * S) {
                    if (perTable) {
                        h.push(table(t, 150e6, 1e9, 0, null, "autovacuum_vacuum_max_threshold", 1e8));
                    } else {
                        h.push(of("pg_settings", t, row(Map.of(), "autovacuum_vacuum_max_threshold", 1e8)));
                        h.push(table(t, 150e6, 1e9, 0, null));
                    }
                }
                assertEquals(1, h.firing().size(), (perTable ? "per table: " : "from pg_settings: ") + h.events);
                assertTrue(h.firing().get(0).getSummary().contains("autovacuum trigger 100000000"),
                        h.firing().get(0).getSummary());
            }
        }
    }

    // ------------------------------------------------------------------ lock_waits

    @Test
    void rotatingBlocker_neverHoldsLockContentionsFor_butLockWaitsFires() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("lock_contention", "", "lock_waits", "")))) {
            long t = T0;
            for (int i = 0; i < 60; i++, t += 10 * S) {
                String blocker = String.valueOf(5000 + i / 2); // a new root blocker every 20 s
                h.push(of("pg_stat_activity_sessions", t,
                        session(blocker, "blocker", Map.of("state", "active")),
                        session("7001", "waiter", Map.of("state", "active", "wait_event_type", "Lock",
                                "lock_mode", "ShareLock", "relation", "public.counters", "blocked_by", blocker),
                                "lock_wait_seconds", 18)));
                h.push(of("pg_locks", t, row(Map.of("blocker_pid", blocker, "datname", "app", "blocker_state",
                        "active", "blocker_query_id", "1"), "waiters", 4, "longest_wait_seconds", 18,
                        "blocker_xact_age_seconds", 19)));
                h.push(of("pg_stat_activity", t, row(Map.of(), "connections_waiting_lock", 4,
                        "longest_lock_wait_seconds", 18)));
            }
            assertEquals(List.of(), h.events.stream().filter(e -> e.getRule().equals("lock_contention")).toList(),
                    "lock_contention restarts its `for` with every blocker");
            List<AlertEvent> waits = h.firing().stream().filter(e -> e.getRule().equals("lock_waits")).toList();
            assertEquals(1, waits.size(), h.events.toString());
            assertTrue(waits.get(0).getSummary().startsWith("4 sessions waiting on locks, the longest for 18 s; longest: "
                    + "pid 7001"), waits.get(0).getSummary());
            assertTrue(waits.get(0).getSummary().contains("waits for ShareLock on public.counters"),
                    waits.get(0).getSummary());
        }
    }

    static Snapshot up(long t, double up) {
        return Snapshots.up(t, up);
    }
}
