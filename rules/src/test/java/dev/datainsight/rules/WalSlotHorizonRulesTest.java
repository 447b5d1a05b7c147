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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rules on the signals added for issue 18 (archiver, checksums, slots, xmin horizon, restarts):
 * each fires on its condition, says what it found, and stays quiet on the look-alike that is not
 * the condition.
 */
class WalSlotHorizonRulesTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long S = 1000;
    private static final long MIN = 60 * S;
    private static final double GB = 1024.0 * 1024 * 1024;

    private static Snapshot archiver(long t, double failed, double lastArchivedAge, Double ready) {
        return of("pg_stat_archiver", t, row(Map.of(), "archived_count", 10, "failed_count", failed,
                "last_archived_age_seconds", lastArchivedAge, "ready_count", ready));
    }

    private static List<AlertEvent> pushAll(RulesHarness h, List<Snapshot> snaps) throws Exception {
        List<AlertEvent> out = new ArrayList<>();
        for (Snapshot s : snaps) {
            out.addAll(h.push(s));
        }
        return out;
    }

    @Test
    void archiverFailing_firesOnNewFailures_andResolvesWhenTheyStop() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("archiver_failing", "")))) {
            // Old failures (before the job watched) are a baseline: quiet.
            assertEquals(List.of(), h.push(archiver(T0, 7, 20, 1.0)));
            assertEquals(List.of(), h.push(archiver(T0 + 10 * S, 7, 30, 1.0)));
            List<AlertEvent> ev = h.push(archiver(T0 + 20 * S, 9, 40, 3.0));
            assertEquals(1, ev.size(), ev.toString());
            AlertEvent a = ev.get(0);
            assertEquals(Severity.CRITICAL, a.getSeverity());
            assertTrue(a.getSummary().startsWith("WAL archiving is failing: failed_count rose by 2 just now;"), a.getSummary());
            assertTrue(a.getSummary().contains("3 segment(s) waiting"), a.getSummary());
            // No failure for the 5 min window: resolves.
            List<AlertEvent> later = new ArrayList<>();
            for (long t = T0 + 30 * S; t <= T0 + 6 * MIN; t += 10 * S) {
                later.addAll(h.push(archiver(t, 9, 10, 0.0)));
            }
            assertEquals(1, later.size(), later.toString());
            assertEquals(AlertStatus.RESOLVED, later.get(0).getStatus());
        }
    }

    @Test
    void archiverFailing_stuckWithSegmentsReady_butAnIdleServerIsQuiet() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("archiver_failing", "")))) {
            // Nothing archived for 5 h, nothing ready: an idle server.
            assertEquals(List.of(), h.push(archiver(T0, 0, 5 * 3600, 0.0)));
            // ready_count unknown (no pg_monitor): the age check is not applied.
            assertEquals(List.of(), h.push(archiver(T0 + 10 * S, 0, 5 * 3600, null)));
            // Segments waiting, last archive 61 min ago, no failures counted (a hanging command).
            List<AlertEvent> ev = h.push(archiver(T0 + 20 * S, 0, 3660, 40.0));
            assertEquals(1, ev.size(), ev.toString());
            assertTrue(ev.get(0).getSummary().startsWith("WAL archiving is stuck: 40 segment(s) waiting"),
                    ev.get(0).getSummary());
        }
    }

    private static Snapshot db(long t, String name, Double checksumFailures) {
        return of("pg_stat_database", t, row(Map.of("datname", name), "deadlocks", 0, "checksum_failures",
                checksumFailures));
    }

    @Test
    void checksumFailures_anyIncreaseIsCritical_checksumsOffAndTheBaselineAreQuiet() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("checksum_failures", "hold: 10m")))) {
            assertEquals(List.of(), pushAll(h, List.of(db(T0, "app", 4.0), db(T0, "nosums", null))));
            assertEquals(List.of(), pushAll(h, List.of(db(T0 + 10 * S, "app", 4.0), db(T0 + 10 * S, "nosums", null))));
            List<AlertEvent> ev = h.push(db(T0 + 20 * S, "app", 5.0));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.CRITICAL, ev.get(0).getSeverity());
            assertEquals(Map.of("datname", "app"), ev.get(0).getLabels());
            assertEquals("1 new data checksum failure(s) in database app (5 counted since the statistics reset)",
                    ev.get(0).getSummary());
            // Held for `hold` after the last increase, then resolved.
            List<AlertEvent> later = new ArrayList<>();
            long t = T0 + 30 * S;
            for (; t < T0 + 20 * S + 10 * MIN; t += 10 * S) {
                later.addAll(h.push(db(t, "app", 5.0)));
            }
            assertEquals(List.of(), later, "held for 10 min");
            later.addAll(h.push(db(t, "app", 5.0)));
            assertEquals(1, later.size(), later.toString());
            assertEquals(AlertStatus.RESOLVED, later.get(0).getStatus());
        }
    }

    private static Snapshot slot(long t, String name, double active, double retained, double lost, Double safe) {
        return of("pg_replication_slots", t, row(Map.of("slot_name", name, "slot_type", "physical"), "active", active,
                "retained_wal_bytes", retained, "wal_status", lost > 0 ? 3 : 0, "lost", lost, "safe_wal_size_bytes",
                safe, "inactive_seconds", active > 0 ? null : 7200));
    }

    @Test
    void replicationSlot_lostIsCritical_lowSafeWalWarns_andInactiveRetainingWalWarns() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("replication_slot", "for: 0s")))) {
            List<AlertEvent> ev = pushAll(h, List.of(
                    slot(T0, "busy", 1, 50 * GB, 0, null), // active, retains a lot: a consumer catching up
                    slot(T0, "idle_small", 0, 0.5 * GB, 0, null), // inactive, retains little
                    slot(T0, "gone", 0, 0, 1, null),
                    slot(T0, "capped", 1, 3 * GB, 0, 0.2 * GB),
                    slot(T0, "abandoned", 0, 4 * GB, 0, null)));
            Map<String, AlertEvent> by = new java.util.TreeMap<>();
            for (AlertEvent a : ev) {
                by.put(a.getLabels().get("slot_name"), a);
            }
            assertEquals(java.util.Set.of("gone", "capped", "abandoned"), by.keySet(), ev.toString());
            assertEquals(Severity.CRITICAL, by.get("gone").getSeverity());
            assertTrue(by.get("gone").getSummary().contains("lost (invalidated)"), by.get("gone").getSummary());
            assertEquals(Severity.WARNING, by.get("capped").getSeverity());
            assertTrue(by.get("capped").getSummary().contains("max_slot_wal_keep_size"), by.get("capped").getSummary());
            assertEquals(Severity.WARNING, by.get("abandoned").getSeverity());
            assertTrue(by.get("abandoned").getSummary().contains("inactive and retaining 4"),
                    by.get("abandoned").getSummary());
            assertTrue(by.get("abandoned").getSummary().contains("(inactive for 2.0 h)"),
                    by.get("abandoned").getSummary());
            // The abandoned slot keeps growing past 10 GB: escalates.
            List<AlertEvent> up = h.push(slot(T0 + 10 * S, "abandoned", 0, 11 * GB, 0, null));
            assertEquals(1, up.size(), up.toString());
            assertEquals(Severity.CRITICAL, up.get(0).getSeverity());
        }
    }

    private static Snapshot horizon(long t, double age, Double holder, Double pid) {
        return of("xmin_horizon", t, row(Map.of(), "horizon_age", age, "holder", holder, "holder_pid", pid,
                "holder_xact_age_seconds", pid == null ? null : 7200.0));
    }

    @Test
    void xminHorizon_namesTheHolder_andSkipsStandbys() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("xmin_horizon", "for: 0s")))) {
            assertEquals(List.of(), h.push(horizon(T0, 40e6, 1.0, 4242.0)));
            List<AlertEvent> ev = h.push(horizon(T0 + 10 * S, 120e6, 1.0, 4242.0));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.WARNING, ev.get(0).getSeverity());
            assertEquals("The xmin horizon is 120000000 transactions old, held by a session (pid 4242), "
                    + "transaction open for 2.0 h", ev.get(0).getSummary());
        }
        try (RulesHarness h = new RulesHarness(only(Map.of("xmin_horizon", "for: 0s")))) {
            List<AlertEvent> ev = h.push(horizon(T0, 250e6, 4.0, null));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.CRITICAL, ev.get(0).getSeverity());
            assertTrue(ev.get(0).getSummary().endsWith("held by a replication slot's xmin"), ev.get(0).getSummary());
        }
        try (RulesHarness h = new RulesHarness(only(Map.of("xmin_horizon", "for: 0s")))) {
            h.push(RuleFalsePositivesTest.health(T0, true));
            assertEquals(List.of(), h.push(horizon(T0 + S, 250e6, 1.0, 4242.0)), "a standby's horizon pages on the primary");
        }
    }

    private static Snapshot settings(long t, double startEpoch) {
        return of("pg_settings", t, row(Map.of(), "max_connections", 100, "server_start_epoch", startEpoch));
    }

    @Test
    void serverRestarted_firesOnAChangedStartTime_notOnTheFirstOne_andResolvesAfterHold() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("server_restarted", "")))) {
            long t = T0;
            for (; t < T0 + 5 * MIN; t += 10 * S) {
                assertEquals(List.of(), h.push(settings(t, 1_650_000_000)), "the first start time is a baseline");
            }
            List<AlertEvent> ev = h.push(settings(t, T0 / 1000 + 290));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.WARNING, ev.get(0).getSeverity());
            assertEquals("The server restarted: it has been up since 2023-11-14T22:18:10Z", ev.get(0).getSummary());
            List<AlertEvent> later = new ArrayList<>();
            long fired = t;
            for (t += 10 * S; t <= fired + 31 * MIN; t += 10 * S) {
                later.addAll(h.push(settings(t, T0 / 1000 + 290)));
            }
            assertEquals(1, later.size(), later.toString());
            assertEquals(AlertStatus.RESOLVED, later.get(0).getStatus());
            assertTrue(later.get(0).getResolvedAt() >= fired + 30 * MIN, "held for 30 min");
        }
    }
    private static Snapshot table(long t, String rel, double heap, Double toast) {
        return of("pg_stat_user_tables", t, row(Map.of("datname", "app", "schemaname", "public", "relname", rel),
                "relfrozenxid_age", heap, "toast_relfrozenxid_age", toast, "vacuum_running", 1));
    }

    @Test
    void tableFreezeAge_againstTheServersFreezeMaxAge_toastCounts_standbysSkipped() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("table_freeze_age", "for: 0s")))) {
            // Default 200M: 250M (1.25x) is a routine anti-wraparound vacuum, quiet.
            assertEquals(List.of(), h.push(table(T0, "orders", 250e6, null)));
            // The server's autovacuum_freeze_max_age is 100M: now 250M is 2.5x.
            h.push(of("pg_settings", T0 + S, row(Map.of(), "autovacuum_freeze_max_age", 100e6)));
            List<AlertEvent> ev = h.push(table(T0 + 10 * S, "orders", 250e6, null));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.WARNING, ev.get(0).getSeverity());
            assertEquals("Table app.public.orders is 250000000 transactions old, 2.5x autovacuum_freeze_max_age "
                    + "(100000000); a VACUUM is running on it", ev.get(0).getSummary());
            ev = h.push(table(T0 + 20 * S, "events", 10e6, 450e6));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.CRITICAL, ev.get(0).getSeverity());
            assertTrue(ev.get(0).getSummary().startsWith("The TOAST table of app.public.events is 450000000"),
                    ev.get(0).getSummary());
        }
        try (RulesHarness h = new RulesHarness(only(Map.of("table_freeze_age", "for: 0s")))) {
            h.push(RuleFalsePositivesTest.health(T0, true));
            assertEquals(List.of(), h.push(table(T0 + S, "orders", 1e9, null)), "a standby's ages are the primary's");
        }
    }

    private static Snapshot index(long t, String name, double valid) {
        return of("pg_stat_user_indexes", t, row(Map.of("datname", "app", "schemaname", "public", "relname", "orders",
                "indexrelname", name), "idx_scan", 0, "index_size_bytes", 20e6, "is_unique", 0, "is_primary", 0,
                "is_valid", valid));
    }

    @Test
    void invalidIndex_reportedAfterAnHourInvalid_aBuildThatFinishesIsNot() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("invalid_index", "")))) {
            long t = T0;
            for (; t < T0 + 3 * 3_600_000L; t += MIN) {
                h.push(index(t, "orders_broken_idx", 0));
                // Invalid for 50 min while a concurrent build runs, then valid.
                h.push(index(t, "orders_building_idx", t < T0 + 50 * MIN ? 0 : 1));
                h.push(index(t, "orders_ok_idx", 1));
            }
            List<dev.datainsight.store.InsightRow> rows = h.insights;
            assertEquals(java.util.Set.of("app.public.orders_broken_idx"),
                    rows.stream().map(dev.datainsight.store.InsightRow::subject).collect(
                            java.util.stream.Collectors.toSet()), rows.toString());
            assertEquals("invalid_index", rows.get(0).kind());
            assertEquals("warning", rows.get(0).severity());
            assertEquals(T0 + 3_600_000L, rows.get(0).observedAt());
            assertEquals(2, rows.size(), "reported at 1 h and refreshed at 2 h: " + rows);
            assertEquals(List.of(), h.events, "insights never page");
        }
    }

    @Test
    void pendingRestart_listsTheSettings_andIsQuietWithNone() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("pending_restart", "")))) {
            h.push(of("pg_settings_pending_restart", T0));
            assertEquals(List.of(), h.insights);
            h.push(of("pg_settings_pending_restart", T0 + MIN,
                    row(Map.of("name", "shared_buffers"), "pending_restart", 1),
                    row(Map.of("name", "max_connections"), "pending_restart", 1)));
            h.push(of("pg_settings_pending_restart", T0 + 2 * MIN,
                    row(Map.of("name", "shared_buffers"), "pending_restart", 1),
                    row(Map.of("name", "max_connections"), "pending_restart", 1)));
            assertEquals(1, h.insights.size(), h.insights.toString());
            assertEquals("2 setting(s) changed but pending a restart: max_connections, shared_buffers",
                    h.insights.get(0).summary());
            // A further setting: reported at once.
            h.push(of("pg_settings_pending_restart", T0 + 3 * MIN,
                    row(Map.of("name", "wal_level"), "pending_restart", 1)));
            assertEquals(2, h.insights.size(), h.insights.toString());
            assertEquals("1 setting(s) changed but pending a restart: wal_level", h.insights.get(1).summary());
            assertEquals(List.of(), h.events);
        }
    }
    private static Snapshot sessions(long t, Double fatal, Double killed) {
        return of("pg_stat_database", t, row(Map.of("datname", "app"), "deadlocks", 0, "sessions_fatal", fatal,
                "sessions_killed", killed));
    }

    @Test
    void sessionsFatalKilled_aBurstWarns_aTrickleAndPg13AreQuiet() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("sessions_fatal_killed", "")))) {
            long t = T0;
            double fatal = 100; // counted before the job watched: a baseline
            for (; t < T0 + 30 * MIN; t += 10 * S) {
                fatal += (t - T0) % MIN == 0 ? 1 : 0; // one per minute: 5 per bucket
                assertEquals(List.of(), h.push(sessions(t, fatal, 3.0)), "a trickle is housekeeping");
            }
            List<AlertEvent> ev = new ArrayList<>();
            for (int i = 0; i < 12 && ev.isEmpty(); i++, t += 10 * S) {
                ev.addAll(h.push(sessions(t, fatal, 3.0 + 2 * i))); // 2 killed per step
            }
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.WARNING, ev.get(0).getSeverity());
            assertTrue(ev.get(0).getSummary().contains("session(s) of database app ended by a fatal error or killed "
                    + "within 5m"), ev.get(0).getSummary());
        }
        try (RulesHarness h = new RulesHarness(only(Map.of("sessions_fatal_killed", "for: 0s")))) {
            for (long t = T0; t < T0 + 5 * MIN; t += 10 * S) {
                assertEquals(List.of(), h.push(sessions(t, null, null)), "13: no counters");
            }
        }
    }

    private static Snapshot conflicts(long t, double snapshot, double lock) {
        return of("pg_stat_database_conflicts", t, row(Map.of("datname", "reports"), "confl_tablespace", 0,
                "confl_lock", lock, "confl_snapshot", snapshot, "confl_bufferpin", 0, "confl_deadlock", 0));
    }

    @Test
    void recoveryConflicts_aStreamOfCancelledQueriesWarns_andNamesTheKinds() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("recovery_conflicts", "")))) {
            long t = T0;
            assertEquals(List.of(), h.push(conflicts(t, 40, 0)), "the first value is a baseline");
            // Three conflicts in 10 min: quiet.
            for (t += 10 * S; t < T0 + 10 * MIN; t += 10 * S) {
                assertEquals(List.of(), h.push(conflicts(t, t < T0 + 5 * MIN ? 41 : 43, 0)));
            }
            List<AlertEvent> ev = h.push(conflicts(t, 47, 2));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.WARNING, ev.get(0).getSeverity());
            assertEquals(Map.of("datname", "reports"), ev.get(0).getLabels());
            assertTrue(ev.get(0).getSummary().endsWith("(so far: snapshot 47, lock 2)"), ev.get(0).getSummary());
        }
    }

    @Test
    void walReadyBacklog_countsSegmentsWaiting_andSaysHowBigPgWalIs() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("wal_ready_backlog", "for: 0s")))) {
            assertEquals(List.of(), h.push(of("pg_stat_archiver", T0, row(Map.of(), "failed_count", 0,
                    "ready_count", 100, "wal_dir_bytes", 3 * GB))));
            List<AlertEvent> ev = h.push(of("pg_stat_archiver", T0 + 10 * S, row(Map.of(), "failed_count", 0,
                    "ready_count", 200, "wal_dir_bytes", 4 * GB)));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.WARNING, ev.get(0).getSeverity());
            assertTrue(ev.get(0).getSummary().startsWith("200 WAL segment(s) waiting to be archived; pg_wal holds 4"),
                    ev.get(0).getSummary());
        }
    }
}
