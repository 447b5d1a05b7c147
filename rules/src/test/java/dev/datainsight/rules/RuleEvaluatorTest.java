package dev.datainsight.rules;

import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.defs.RuleCatalog;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleEvaluatorFunction;
import org.apache.flink.runtime.state.VoidNamespace;
import dev.datainsight.store.InsightRow;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rule-specific behaviour beyond the lifecycle battery, on the same real operators. */
class RuleEvaluatorTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long S = 1000;
    private static final long MIN = 60 * S;

    /** Config with only the named rules enabled, plus extra YAML per rule. */
    static RulesConfig only(Map<String, String> rules) {
        StringBuilder sb = new StringBuilder("rules:\n");
        for (Rule r : RuleCatalog.all()) {
            String extra = rules.get(r.name());
            if (extra == null) {
                sb.append("  ").append(r.name()).append(": {enabled: false}\n");
            } else {
                sb.append("  ").append(r.name()).append(": {").append(extra).append("}\n");
            }
        }
        return RulesConfig.parse(sb.toString(), "test");
    }

    private static Snapshot locks(long t, String pid, int waiters, double wait) {
        return of("pg_locks", t, row(Map.of("blocker_pid", pid, "datname", "app", "blocker_state",
                "idle in transaction", "blocker_query_id", "-8812"), "waiters", waiters, "longest_wait_seconds", wait,
                "blocker_xact_age_seconds", 120));
    }

    @Test
    void lockContention_namesRootBlockerWaitersAndQueryId_andResolvesWhenTheBlockerIsGone() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("lock_contention", "")))) {
            long t = T0;
            for (; t < T0 + 30 * S; t += 10 * S) {
                assertEquals(List.of(), h.push(locks(t, "4242", 4, 12)));
            }
            List<AlertEvent> ev = h.push(locks(t, "4242", 4, 22));
            assertEquals(1, ev.size());
            AlertEvent a = ev.get(0);
            assertEquals(Severity.WARNING, a.getSeverity());
            assertEquals(Map.of("blocker_pid", "4242", "datname", "app"), a.getLabels());
            assertTrue(a.getSummary().contains("pid 4242"), a.getSummary());
            assertTrue(a.getSummary().contains("blocks 4 session(s)"), a.getSummary());
            assertTrue(a.getSummary().contains("query id -8812"), a.getSummary());
            // the blocker commits: pg_locks has no rows any more
            t += 10 * S;
            long gone = t;
            for (; t < gone + 30 * S; t += 10 * S) {
                assertEquals(List.of(), h.push(of("pg_locks", t)));
            }
            ev = h.push(of("pg_locks", t));
            assertEquals(1, ev.size());
            assertEquals(AlertStatus.RESOLVED, ev.get(0).getStatus());
            assertEquals(gone + 30 * S, ev.get(0).getResolvedAt());
            assertEquals(0, h.lifecycle.numKeyedStateEntries());
        }
    }

    @Test
    void healthySeries_sendNoEvaluationsDownstream() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("connection_saturation", "")))) {
            for (long t = T0; t < T0 + 10 * MIN; t += 10 * S) {
                h.push(of("pg_stat_activity", t, row(Map.of(), "connections_total", 10, "max_connections", 100)));
            }
            assertEquals(List.of(), h.evaluations);
            assertEquals(0, h.lifecycle.numKeyedStateEntries());
        }
    }

    @Test
    void instanceSilent_firesByEventTime_whenOtherInstancesMoveTheWatermark_andResolvesOnReturn() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("instance_silent", "")))) {
            long t = T0;
            for (; t < T0 + 2 * MIN; t += 10 * S) {
                assertEquals(List.of(), h.push(of("pg-1", MetricCatalog.COLLECTOR_VIEW, t, row(Map.of("probe", ""), "up", 1))));
                assertEquals(List.of(), h.push(of("pg-2", MetricCatalog.COLLECTOR_VIEW, t, row(Map.of("probe", ""), "up", 1))));
            }
            long lastPg2 = t - 10 * S;
            AlertEvent fired = null;
            for (; t < T0 + 5 * MIN; t += 10 * S) {
                List<AlertEvent> ev = h.push(of("pg-1", MetricCatalog.COLLECTOR_VIEW, t, row(Map.of("probe", ""), "up", 1)));
                if (!ev.isEmpty()) {
                    assertEquals(null, fired, "one firing event only: " + ev);
                    fired = ev.get(0);
                }
            }
            assertTrue(fired != null, "pg-2 went silent and nobody noticed");
            assertEquals("instance_silent", fired.getRule());
            assertEquals("pg-2", fired.getInstance());
            assertEquals(Severity.WARNING, fired.getSeverity());
            assertEquals(lastPg2 + 30 * S, fired.getEventAt(), "3 observed intervals of 10 s");
            List<AlertEvent> ev = h.push(of("pg-2", MetricCatalog.COLLECTOR_VIEW, t, row(Map.of("probe", ""), "up", 1)));
            assertEquals(1, ev.size());
            assertEquals(AlertStatus.RESOLVED, ev.get(0).getStatus());
            assertEquals("pg-2", ev.get(0).getInstance());
            assertEquals(0, h.lifecycle.numKeyedStateEntries());
        }
    }

    @Test
    void instanceSilent_firesByProcessingTime_whenTheWholeInputIsIdle() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("instance_silent", "")))) {
            long proc = 5_000_000;
            long t = T0;
            for (; t < T0 + MIN; t += 10 * S, proc += 10 * S) {
                h.setProcessingTime(proc);
                h.push(Snapshots.up(t, 1));
            }
            long lastProc = proc - 10 * S;
            long lastT = t - 10 * S;
            // nothing arrives any more: the watermark stands still, processing time goes on
            h.setProcessingTime(lastProc + 29 * S);
            assertEquals(List.of(), h.events);
            h.setProcessingTime(lastProc + 30 * S);
            assertEquals(1, h.events.size(), h.events.toString());
            assertEquals(AlertStatus.FIRING, h.events.get(0).getStatus());
            assertEquals(lastT + 30 * S, h.events.get(0).getEventAt());
            h.setProcessingTime(lastProc + 5 * MIN);
            assertEquals(1, h.events.size(), "keeps firing, no repeats");
            h.setProcessingTime(lastProc + 5 * MIN + 1);
            h.push(Snapshots.up(lastT + 5 * MIN, 1));
            assertEquals(2, h.events.size());
            assertEquals(AlertStatus.RESOLVED, h.events.get(1).getStatus());
        }
    }

    @Test
    void instanceSilent_doesNotLearnTheIntervalFromTheFirstShortGapBetweenProbeGroups() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("instance_silent", "interval: 10s")))) {
            long proc = 7_000_000;
            h.setProcessingTime(proc);
            // first cycle: the fast and the slow group report 300 ms apart
            h.push(Snapshots.up(T0, 1));
            h.setProcessingTime(proc + 300);
            h.push(Snapshots.up(T0 + 300, 1));
            // a second later nothing new has come, as expected with a 10 s interval
            h.setProcessingTime(proc + 300 + 5 * S);
            assertEquals(List.of(), h.events, "0.3 s between two groups is not the collection interval");
            h.setProcessingTime(proc + 300 + 29 * S);
            assertEquals(List.of(), h.events);
            h.setProcessingTime(proc + 300 + 30 * S);
            assertEquals(1, h.events.size(), "silent after 3 configured intervals: " + h.events);
            assertEquals(AlertStatus.FIRING, h.events.get(0).getStatus());
        }
    }

    @Test
    void instanceSilent_afterRestore_givesTheBacklogGraceInsteadOfPaging() throws Exception {
        RulesHarness h = new RulesHarness(only(Map.of("instance_silent", "")));
        long proc = 1_000_000;
        long t = T0;
        for (; t < T0 + MIN; t += 10 * S, proc += 10 * S) {
            h.setProcessingTime(proc);
            h.push(Snapshots.up(t, 1));
        }
        h = h.restart();
        // the job was down for 10 minutes; the restored timers are long overdue
        proc += 10 * MIN;
        h.setProcessingTime(proc);
        assertEquals(List.of(), h.events, "no silence page right after a restore");
        // the backlog is replayed within the grace
        for (int i = 0; i < 5; i++, t += 10 * S) {
            h.push(Snapshots.up(t, 1));
        }
        h.setProcessingTime(proc + 20 * S);
        assertEquals(List.of(), h.events);
        h.close();
    }

    @Test
    void perInstanceOverride_disablesOneInstanceOnly() throws Exception {
        RulesConfig c = only(Map.of("connection_saturation",
                "for: 0s, overrides: [{match: {instance: pg-2}, enabled: false}]"));
        try (RulesHarness h = new RulesHarness(c)) {
            for (String inst : List.of("pg-1", "pg-2")) {
                h.push(of(inst, "pg_stat_activity", T0, row(Map.of(), "connections_total", 99, "max_connections", 100)));
            }
            assertEquals(1, h.events.size());
            assertEquals("pg-1", h.events.get(0).getInstance());
            assertEquals(Severity.CRITICAL, h.events.get(0).getSeverity());
        }
    }

    @Test
    void perLabelOverride_raisesTheThresholdForOneDatabase() throws Exception {
        RulesConfig c = only(Map.of("xid_wraparound",
                "for: 0s, overrides: [{match: {datname: legacy}, warning: 0.7, critical: 0.9}]"));
        try (RulesHarness h = new RulesHarness(c)) {
            h.push(of("pg_database", T0, row(Map.of("datname", "app"), "xid_age", 0.6 * 2147483648.0),
                    row(Map.of("datname", "legacy"), "xid_age", 0.6 * 2147483648.0)));
            assertEquals(1, h.events.size());
            assertEquals(Map.of("datname", "app"), h.events.get(0).getLabels());
            assertTrue(h.events.get(0).getSummary().contains("60.0%"), h.events.get(0).getSummary());
        }
    }

    private static Snapshot checkpointer(int version, long t, double timed, double requested, Long reset) {
        Snapshot s = of("pg_stat_checkpointer", t, row(Map.of(), "num_timed", timed, "num_requested", requested,
                "num_done", timed + requested));
        s.setServerVersionNum(version);
        s.setStatsReset(reset);
        return s;
    }

    @Test
    void checkpointSpike_firesOnPostgres13To16AndOn17And18() throws Exception {
        for (int version : new int[] {130023, 160015, 170011, 180006}) {
            try (RulesHarness h = new RulesHarness(only(Map.of("checkpoint_spike", "")))) {
                long t = T0;
                double timed = 100;
                double req = 5;
                for (int i = 0; i < 6 * 40; i++, t += 10 * S) { // 40 min: a requested checkpoint every minute
                    if (i % 30 == 0) {
                        timed++;
                    }
                    if (i % 6 == 0) {
                        req++;
                    }
                    h.push(checkpointer(version, t, timed, req, 1L));
                }
                assertEquals(1, h.events.size(), "version " + version + ": " + h.events);
                assertTrue(h.events.get(0).getSummary().contains("were requested"));
            }
        }
    }

    @Test
    void checkpointSpike_rateFarAboveItsBaseline_firesEvenAtHalfRequested() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("checkpoint_spike", "warning: 0.5")))) {
            long t = T0;
            double timed = 0;
            double req = 0;
            int i = 0;
            for (; i < 6 * 150; i++, t += 10 * S) { // 2.5 h: one checkpoint every 5 min, alternating kinds
                if (i % 30 == 0) {
                    if ((i / 30) % 2 == 0) {
                        timed++;
                    } else {
                        req++;
                    }
                }
                h.push(checkpointer(170011, t, timed, req, 1L));
            }
            assertEquals(List.of(), h.events, "steady rate at a 50% share is quiet");
            for (int j = 0; j < 6 * 30; j++, t += 10 * S) { // a checkpoint every 30 s, still half requested
                if (j % 3 == 0) {
                    if ((j / 3) % 2 == 0) {
                        timed++;
                    } else {
                        req++;
                    }
                }
                h.push(checkpointer(170011, t, timed, req, 1L));
            }
            assertEquals(1, h.events.size(), h.events.toString());
            assertTrue(h.events.get(0).getSummary().contains("baseline"), h.events.get(0).getSummary());
        }
    }

    @Test
    void checkpointSpike_statsResetDoesNotLookLikeABurst() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("checkpoint_spike", "for: 0s")))) {
            long t = T0;
            for (int i = 0; i < 100; i++, t += 10 * S) {
                h.push(checkpointer(170011, t, 1000 + i / 30, 10, 1L));
            }
            for (int i = 0; i < 100; i++, t += 10 * S) { // pg_stat_reset_shared: counters restart from zero
                h.push(checkpointer(170011, t, i / 30, 0, 2L));
            }
            assertEquals(List.of(), h.events);
        }
    }

    private static Snapshot table(long t, double dead, double live, Double lastAutovacuumSec, double count) {
        return of("pg_stat_user_tables", t, row(Map.of("datname", "app", "schemaname", "public", "relname", "orders"),
                "n_dead_tup", dead, "n_live_tup", live, "last_autovacuum", lastAutovacuumSec, "autovacuum_count", count,
                "autovacuum_vacuum_threshold", 50, "autovacuum_vacuum_scale_factor", 0.2, "autovacuum_enabled", 1));
    }

    @Test
    void autovacuumLag_quietWhileAutovacuumKeepsUp_firesWhenItStandsStill() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("autovacuum_lag", "")))) {
            long t = T0;
            // 2 h of autovacuum every 20 min that brings the dead tuples back below the trigger (20,050):
            // they climb 1,000 a minute from 10,000 and are above it for 9 minutes at most
            for (; t <= T0 + 2 * 3_600_000L; t += MIN) { // the last sample just after a vacuum
                long sinceVacuum = (t - T0) % (20 * MIN);
                h.push(table(t, 10_000 + sinceVacuum / MIN * 1000.0, 100_000, (t - sinceVacuum) / 1000.0,
                        (t - T0) / (20 * MIN)));
            }
            assertEquals(List.of(), h.events);
            // autovacuum stops: last run at t, count stands still; dead tuples keep growing
            long stop = t;
            double count = (t - T0) / (20 * MIN);
            for (; t < stop + 3 * 3_600_000L && h.events.isEmpty(); t += MIN) {
                h.push(table(t, 40_000 + (t - stop) / 1000.0, 100_000, stop / 1000.0, count));
            }
            assertEquals(1, h.events.size());
            AlertEvent a = h.events.get(0);
            assertEquals(Severity.WARNING, a.getSeverity());
            assertEquals(stop + 3_600_000L + 5 * MIN, a.getEventAt(), "1 h without autovacuum, then `for` 5 min");
            assertTrue(a.getSummary().contains("app.public.orders"), a.getSummary());
            assertTrue(a.getSummary().contains("last autovacuum"), a.getSummary());
        }
    }

    @Test
    void dbGrowth_summarySaysHowMuchInHowLong() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("db_growth", "for: 0s")))) {
            long t = T0;
            double size = 2e9;
            for (; t < T0 + 6 * 3_600_000L && h.events.isEmpty(); t += 5 * MIN) {
                h.push(of("pg_database", t, row(Map.of("datname", "app"), "size_bytes", size)));
                size += 0.5e9 / 12; // 0.5 GB per hour
            }
            assertEquals(1, h.events.size());
            String s = h.events.get(0).getSummary();
            assertTrue(s.matches("Database app grew \\d+\\.\\d% \\(\\d+(\\.\\d)?[MG]B\\) in \\d+\\.\\d h, now .*"), s);
        }
    }

    @Test
    void dbGrowth_forecastReachingTheSizeLimit_warns() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("db_growth", "for: 0s, size_limit: 100GB")))) {
            long t = T0;
            double size = 80e9;
            for (; t < T0 + 4 * 3_600_000L && h.events.isEmpty(); t += 5 * MIN) {
                h.push(of("pg_database", t, row(Map.of("datname", "app"), "size_bytes", size)));
                size += 0.2e9 / 12; // 0.2 GB/h: 0.25% per hour, far from 15%/day, but 100 GB in ~4 days
            }
            assertEquals(1, h.events.size());
            assertTrue(h.events.get(0).getSummary().contains("reaches the size limit"), h.events.get(0).getSummary());
        }
    }

    @Test
    void unusedIndex_reportedAfterSevenDaysWithoutScans_notForUniqueOrSmall() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("unused_index", "")))) {
            long t = T0;
            for (int i = 0; i < 24 * 8; i++, t += 3_600_000L) {
                h.push(of("pg_stat_user_indexes", t,
                        row(Map.of("datname", "app", "schemaname", "public", "relname", "orders", "indexrelname",
                                "orders_note_idx"), "idx_scan", 0, "index_size_bytes", 50e6, "is_unique", 0,
                                "is_primary", 0),
                        row(Map.of("datname", "app", "schemaname", "public", "relname", "orders", "indexrelname",
                                "orders_pkey"), "idx_scan", 0, "index_size_bytes", 50e6, "is_unique", 1,
                                "is_primary", 1),
                        row(Map.of("datname", "app", "schemaname", "public", "relname", "orders", "indexrelname",
                                "orders_tiny_idx"), "idx_scan", 0, "index_size_bytes", 1e6, "is_unique", 0,
                                "is_primary", 0),
                        row(Map.of("datname", "app", "schemaname", "public", "relname", "orders", "indexrelname",
                                "orders_used_idx"), "idx_scan", i, "index_size_bytes", 50e6, "is_unique", 0,
                                "is_primary", 0)));
            }
            List<InsightRow> rows = h.insights;
            assertEquals(1, rows.stream().map(InsightRow::subject).distinct().count(), rows.toString());
            assertEquals("app.public.orders_note_idx", rows.get(0).subject());
            assertEquals("unused_index", rows.get(0).kind());
            assertEquals(T0 + 7 * 24 * 3_600_000L, rows.get(0).observedAt());
            assertTrue(rows.get(0).evidenceJson().contains("\"index_size_bytes\":50000000"), rows.get(0).evidenceJson());
            assertEquals(24, rows.size(), "refreshed hourly during the 8th day");
            assertEquals(List.of(), h.events, "insights never page");
        }
    }

    @Test
    void sequencesOver75Percent_andRollbackRatioOver10Percent_areInsights() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("sequence_exhaustion", "", "rollback_ratio", "")))) {
            long t = T0;
            double commits = 0;
            double rollbacks = 0;
            for (int i = 0; i < 90; i++, t += MIN) {
                commits += 100;
                rollbacks += i < 30 ? 1 : 20;
                h.push(of("pg_sequences", t,
                        row(Map.of("datname", "app", "schemaname", "public", "sequencename", "orders_id_seq"),
                                "last_value", 1.8e9, "max_value", 2147483647, "used_ratio", 0.838),
                        row(Map.of("datname", "app", "schemaname", "public", "sequencename", "users_id_seq"),
                                "last_value", 1000, "max_value", 2147483647, "used_ratio", 0.0000005)));
                h.push(of("pg_stat_database", t, row(Map.of("datname", "app"), "xact_commit", commits,
                        "xact_rollback", rollbacks)));
            }
            List<InsightRow> seq = h.insights.stream().filter(r -> r.kind().equals("sequence_exhaustion")).toList();
            assertEquals(2, seq.size(), "first finding and one hourly refresh: " + seq);
            assertEquals("app.public.orders_id_seq", seq.get(0).subject());
            assertTrue(seq.get(0).summary().contains("83.8%"), seq.get(0).summary());
            List<InsightRow> rb = h.insights.stream().filter(r -> r.kind().equals("rollback_ratio")).toList();
            assertEquals(1, rb.size(), rb.toString());
            assertEquals("app", rb.get(0).subject());
            assertEquals(List.of(), h.events);
        }
    }

    @Test
    void inactiveReplicationSlotRetainingWal_warns_andResolvesWhenItReconnects() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("replication_lag", "")))) {
            long t = T0;
            for (int i = 0; i < 30; i++, t += 10 * S) {
                h.push(of("pg_replication_slots", t, row(Map.of("slot_name", "etl", "slot_type", "logical"),
                        "active", 0, "retained_wal_bytes", 200e6 + i * 1e6)));
            }
            assertEquals(1, h.events.size());
            assertEquals(Map.of("slot_name", "etl"), h.events.get(0).getLabels());
            assertTrue(h.events.get(0).getSummary().contains("inactive"), h.events.get(0).getSummary());
            for (int i = 0; i < 30; i++, t += 10 * S) {
                h.push(of("pg_replication_slots", t, row(Map.of("slot_name", "etl", "slot_type", "logical"),
                        "active", 1, "retained_wal_bytes", 1e6)));
            }
            assertEquals(2, h.events.size());
            assertEquals(AlertStatus.RESOLVED, h.events.get(1).getStatus());
        }
    }

    @Test
    void slowQuery_ignoresTheRemainderRow() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("slow_query", "for: 0s")))) {
            long t = T0;
            for (int i = 0; i < 60; i++, t += 10 * S) {
                h.push(of("pg_stat_statements", t, row(Map.of("queryid", "other", "datname", "", "rolname", "",
                        "toplevel", ""), "calls", 100.0 * i, "total_exec_time", 100.0 * i * 9000)));
            }
            assertEquals(List.of(), h.events);
        }
    }

    @Test
    void instanceSilentForLong_isForgotten_stateDroppedAndItsAlertsResolveAsStale() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("instance_silent", "forget_after: 1h",
                "connection_saturation", "for: 0s")))) {
            long t = T0;
            for (; t < T0 + MIN; t += 10 * S) {
                h.push(of("pg-gone", "pg_stat_activity", t, row(Map.of(), "connections_total", 99,
                        "max_connections", 100)));
                h.push(of("pg-gone", MetricCatalog.COLLECTOR_VIEW, t, row(Map.of("probe", ""), "up", 1)));
                h.push(of("pg-1", MetricCatalog.COLLECTOR_VIEW, t, row(Map.of("probe", ""), "up", 1)));
            }
            for (; t < T0 + 3 * 3_600_000L; t += 10 * S) {
                h.push(of("pg-1", MetricCatalog.COLLECTOR_VIEW, t, row(Map.of("probe", ""), "up", 1)));
            }
            List<String> seen = h.events.stream().filter(a -> a.getInstance().equals("pg-gone"))
                    .map(a -> a.getRule() + " " + a.getStatus().wire()).toList();
            assertEquals(List.of("connection_saturation firing", "instance_silent firing",
                    "connection_saturation resolved", "instance_silent resolved"), seen);
            assertEquals(0, h.lifecycle.numKeyedStateEntries());
            // nothing is kept for pg-gone in any of the evaluator's states
            for (String state : List.of(RuleEvaluatorFunction.MEMORY_STATE, RuleEvaluatorFunction.ACTIVE_STATE,
                    RuleEvaluatorFunction.INSTANCE_STATE)) {
                List<Object> keys = h.evaluator.getOperator().getKeyedStateBackend()
                        .getKeys(state, VoidNamespace.INSTANCE).map(k -> (Object) k).toList();
                assertTrue(!keys.contains("pg-gone"), state + " still holds " + keys);
            }
            assertEquals(0, h.evaluator.numEventTimeTimers() - 1, "only pg-1's silence timer is left");
        }
    }

    @Test
    void instanceSilent_learnsTheFastIntervalFromTwoProbeGroups_andStaysQuietWhileTheyReport() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("instance_silent", "interval: 60s")))) {
            long t = T0;
            // a fast group every 2 s and a slow group every 4 s, 300 ms apart: health gaps 0.3 s, 1.7 s, 2 s
            for (int i = 0; i < 150; i++, t += 2 * S) {
                h.push(of("pg-1", MetricCatalog.COLLECTOR_VIEW, t, row(Map.of("probe", ""), "up", 1)));
                if (i % 2 == 0) {
                    h.push(of("pg-1", MetricCatalog.COLLECTOR_VIEW, t + 300, row(Map.of("probe", ""), "up", 1)));
                }
                h.push(of("pg-2", MetricCatalog.COLLECTOR_VIEW, t + 500, row(Map.of("probe", ""), "up", 1)));
            }
            assertEquals(List.of(), h.events, "reporting instances are not silent");
            long last = t - 2 * S + 300; // pg-1's last health snapshot
            for (int i = 0; i < 10; i++, t += 2 * S) {
                h.push(of("pg-2", MetricCatalog.COLLECTOR_VIEW, t + 500, row(Map.of("probe", ""), "up", 1)));
            }
            assertEquals(1, h.events.size(), h.events.toString());
            assertEquals("pg-1", h.events.get(0).getInstance());
            assertEquals(last - 300 + 6 * S, h.events.get(0).getEventAt(), "3 learnt intervals of 2 s");
        }
    }

    @Test
    void counterResets_doNotLookLikeDeadlocksOrCacheMisses() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("deadlocks", "", "cache_hit_ratio", "for: 0s",
                "temp_spill", "for: 0s")))) {
            long t = T0;
            double hits = 5e9;
            double reads = 1e6;
            for (int i = 0; i < 60; i++, t += 10 * S) {
                hits += 99_000;
                reads += 1_000;
                h.push(of("pg_stat_database", t, row(Map.of("datname", "app"), "deadlocks", 12, "blks_hit", hits,
                        "blks_read", reads, "temp_bytes", 9e12)));
            }
            // pg_stat_reset(): every counter of the database restarts near zero, stats_reset moves
            hits = 0;
            reads = 0;
            for (int i = 0; i < 60; i++, t += 10 * S) {
                hits += 99_000;
                reads += 1_000;
                Snapshot s = of("pg_stat_database", t, row(Map.of("datname", "app"), "deadlocks", 0, "blks_hit", hits,
                        "blks_read", reads, "temp_bytes", 0));
                s.getRows().get(0).setStatsReset(t - i * 10 * S);
                h.push(s);
            }
            assertEquals(List.of(), h.events);
        }
    }
}
