package dev.datainsight.rules;

import static dev.datainsight.rules.RuleEvaluatorTest.only;
import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rules on failover, standbys, WAL volume and shared-table capacity (issue 18): each fires on
 * its condition, says what it found, and stays quiet on the look-alike that is not the condition.
 */
class FailoverAndCapacityRulesTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long S = 1000;
    private static final long MIN = 60 * S;

    private static Snapshot health(long t, Double high, Double low, Double inRecovery, Double timeline) {
        SnapshotRow r = row(Map.of("probe", ""), "up", 1);
        r.value("system_identifier_high", high);
        r.value("system_identifier_low", low);
        r.value("in_recovery", inRecovery);
        r.value("timeline_id", timeline);
        return of(MetricCatalog.COLLECTOR_VIEW, t, r);
    }

    private static Snapshot senders(long t, String... namesAndAddrs) {
        List<SnapshotRow> rows = new ArrayList<>();
        for (int i = 0; i < namesAndAddrs.length; i += 2) {
            rows.add(row(Map.of("application_name", namesAndAddrs[i], "client_addr", namesAndAddrs[i + 1], "state",
                    "streaming"), "pid", 100 + i, "replay_lag_seconds", 0.1, "replay_lag_bytes", 0, "logical", 0));
        }
        return of("pg_stat_replication", t, rows.toArray(new SnapshotRow[0]));
    }

    @Test
    void roleChanged_promotionSaysBeforeAndAfter_theFirstIdentityIsABaseline_andAnUnknownPartIsNoChange()
            throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("role_changed", "")))) {
            long t = T0;
            for (; t < T0 + 5 * MIN; t += 10 * S) {
                assertEquals(List.of(), h.push(health(t, 1_702_000_000.0, 42.0, 1.0, 1.0)), "baseline");
                assertEquals(List.of(), h.push(health(t + 1, null, null, null, null)), "down: says nothing");
            }
            List<AlertEvent> ev = h.push(health(t, 1_702_000_000.0, 42.0, 0.0, 1.0));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.CRITICAL, ev.get(0).getSeverity());
            String id = Long.toUnsignedString((1_702_000_000L << 32) | 42L);
            assertEquals("Role or identity changed: standby, timeline 1, system_identifier " + id
                    + " → primary, timeline 1, system_identifier " + id, ev.get(0).getSummary());
            long fired = t;
            // The checkpoint's new timeline follows: the same alert, the summary keeps the first "before".
            List<AlertEvent> later = new ArrayList<>();
            for (t += 10 * S; t <= fired + 31 * MIN; t += 10 * S) {
                later.addAll(h.push(health(t, 1_702_000_000.0, 42.0, 0.0, 2.0)));
            }
            assertEquals(1, later.size(), "one resolution, no second page: " + later);
            assertEquals(AlertStatus.RESOLVED, later.get(0).getStatus());
            assertTrue(later.get(0).getResolvedAt() >= fired + 30 * MIN + 10 * S, "the timeline change extended the hold");
            // Another server behind the address (VIP failover): a change.
            ev = h.push(health(t, 1_703_000_000.0, 7.0, 0.0, 1.0));
            assertEquals(1, ev.size(), ev.toString());
            assertTrue(ev.get(0).getSummary().contains("system_identifier " + id + " → primary, timeline 1, system_identifier "
                    + Long.toUnsignedString((1_703_000_000L << 32) | 7L)), ev.get(0).getSummary());
        }
    }

    @Test
    void standbyMissing_aLearntStandbyThatDisconnects_pagesInsteadOfResolvingItsLag() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("standby_missing", "for: 1m, resolve_for: 0s",
                "replication_lag", "")))) {
            long t = T0;
            // A sender seen for 2 min only is never learnt (a pg_basebackup, a test standby).
            for (; t < T0 + 2 * MIN; t += 10 * S) {
                assertEquals(List.of(), h.push(senders(t, "s1", "10.0.0.2", "pg_basebackup", "10.0.0.9")));
            }
            for (; t < T0 + 15 * MIN; t += 10 * S) {
                assertEquals(List.of(), h.push(senders(t, "s1", "10.0.0.2")));
            }
            long gone = t;
            List<AlertEvent> ev = new ArrayList<>();
            for (; t < gone + 2 * MIN; t += 10 * S) {
                ev.addAll(h.push(senders(t)));
            }
            assertEquals(1, ev.size(), "only the learnt standby pages: " + ev);
            assertEquals("standby_missing", ev.get(0).getRule());
            assertEquals(Severity.CRITICAL, ev.get(0).getSeverity());
            assertEquals(Map.of("application_name", "s1"), ev.get(0).getLabels());
            assertEquals("Standby s1 is not connected: 0 of 1 streaming (learnt)", ev.get(0).getSummary());
            ev = h.push(senders(t, "s1", "10.0.0.5"));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(AlertStatus.RESOLVED, ev.get(0).getStatus());
        }
    }

    /** Two standbys with the default name on one host, as the collector sends them: {@code walreceiver [pid N]}. */
    private static Snapshot twoOnOneHost(long t, Integer... pids) {
        List<SnapshotRow> rows = new ArrayList<>();
        for (Integer pid : pids) {
            String name = pids.length > 1 ? "walreceiver [pid " + pid + "]" : "walreceiver";
            rows.add(row(Map.of("application_name", name, "client_addr", "10.0.0.2", "state", "streaming"), "pid", pid,
                    "replay_lag_seconds", 0.1, "replay_lag_bytes", 0, "logical", 0));
        }
        return of("pg_stat_replication", t, rows.toArray(new SnapshotRow[0]));
    }

    @Test
    void standbyMissing_aStandbyReconnectingWithANewPid_neitherPagesNorResolves_andAGoneOneStillPages()
            throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("standby_missing", "for: 1m, resolve_for: 0s, learn_after: 2m")))) {
            long t = T0;
            for (; t < T0 + 5 * MIN; t += 10 * S) {
                assertEquals(List.of(), h.push(twoOnOneHost(t, 101, 102)));
            }
            // pid 102 reconnects four times (30 s away each time, a new pid every time): no event at all.
            int pid = 300;
            for (int i = 0; i < 4; i++) {
                for (long end = t + 30 * S; t < end; t += 10 * S) {
                    assertEquals(List.of(), h.push(twoOnOneHost(t, 101)), "away for 30 s");
                }
                pid++;
                for (long end = t + 3 * MIN; t < end; t += 10 * S) {
                    assertEquals(List.of(), h.push(twoOnOneHost(t, 101, pid)), "back with pid " + pid);
                }
            }
            assertEquals(List.of(), h.events, "no page, no resolve");
            // The first one (pid 101) now goes for good: walreceiver pages, 1 of 2.
            List<AlertEvent> ev = new ArrayList<>();
            for (long end = t + 2 * MIN; t < end; t += 10 * S) {
                ev.addAll(h.push(twoOnOneHost(t, pid)));
            }
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Map.of("application_name", "walreceiver"), ev.get(0).getLabels());
            assertEquals("Standby walreceiver (2 expected) is not connected: 1 of 2 streaming (learnt)",
                    ev.get(0).getSummary());
            ev = h.push(twoOnOneHost(t, pid, 777));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(AlertStatus.RESOLVED, ev.get(0).getStatus());
        }
    }

    @Test
    void standbyMissing_expectedList_pagesFromTheStart_twoOfTheDefaultNameCountTwice() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("standby_missing",
                "for: 0s, resolve_for: 0s, expected_standbys: [walreceiver, walreceiver]")))) {
            List<AlertEvent> ev = h.push(senders(T0, "walreceiver", "10.0.0.2"));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals("Standby walreceiver (2 expected) is not connected: 1 of 2 streaming", ev.get(0).getSummary());
            ev = h.push(senders(T0 + 10 * S, "walreceiver", "10.0.0.2", "walreceiver", "10.0.0.3"));
            assertEquals(AlertStatus.RESOLVED, ev.get(0).getStatus());
        }
    }

    @Test
    void standbyMissing_expectedStandbysPerInstance_byAnOverride() throws Exception {
        String yaml = "rules:\n"
                + dev.datainsight.rules.defs.RuleCatalog.all().stream().filter(r -> !r.name().equals("standby_missing"))
                        .map(r -> "  " + r.name() + ": {enabled: false}\n").reduce("", String::concat)
                + "  standby_missing:\n    for: 0s\n    resolve_for: 0s\n    overrides:\n"
                + "      - match: {instance: \"pg-main\"}\n        expected_standbys: [s1, s2]\n";
        try (RulesHarness h = new RulesHarness(RulesConfig.parse(yaml, "test"))) {
            List<AlertEvent> ev = h.push(of("pg-main", "pg_stat_replication", T0, senders(T0, "s1", "10.0.0.2")
                    .getRows().toArray(new SnapshotRow[0])));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals("pg-main", ev.get(0).getInstance());
            assertEquals(Map.of("application_name", "s2"), ev.get(0).getLabels());
            assertEquals(List.of(), h.push(of("pg-other", "pg_stat_replication", T0, senders(T0, "s1", "10.0.0.2")
                    .getRows().toArray(new SnapshotRow[0]))), "another instance learns, and nothing is learnt yet");
        }
    }

    @Test
    void standbyMissing_aStandbyRemovedOnPurpose_isForgottenAfterForgetAfter() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("standby_missing",
                "for: 0s, resolve_for: 0s, learn_after: 1m, forget_after: 10m")))) {
            long t = T0;
            for (; t < T0 + 3 * MIN; t += 10 * S) {
                h.push(senders(t, "old", "10.0.0.2"));
            }
            List<AlertEvent> ev = new ArrayList<>();
            for (; t < T0 + 20 * MIN; t += 10 * S) {
                ev.addAll(h.push(senders(t)));
            }
            assertEquals(2, ev.size(), ev.toString());
            assertEquals(AlertStatus.FIRING, ev.get(0).getStatus());
            assertEquals(AlertStatus.RESOLVED, ev.get(1).getStatus());
            assertTrue(ev.get(1).getResolvedAt() - ev.get(0).getStartedAt() >= 10 * MIN, "forgotten after 10 min");
        }
    }

    @Test
    void standbySide_receiverStopped_pagesOnTheStandby_andItsOwnReplayLagWarns() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("standby_missing", "for: 0s, resolve_for: 0s, learn_after: 1m",
                "replication_lag", "for: 0s, resolve_for: 0s")))) {
            long t = T0;
            for (; t < T0 + 3 * MIN; t += 10 * S) {
                // idle primary: nothing to replay, the last commit is an hour old: no lag
                assertEquals(List.of(), h.push(of("pg_stat_wal_receiver", t, row(Map.of(), "status", 2,
                        "receiver_running", 1, "receive_replay_lag_bytes", 0, "replay_timestamp_age_seconds", 3600))));
            }
            List<AlertEvent> ev = h.push(of("pg_stat_wal_receiver", t, row(Map.of(), "status", 2, "receiver_running", 1,
                    "receive_replay_lag_bytes", 300.0 * 1024 * 1024, "replay_timestamp_age_seconds", 45)));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals("replication_lag", ev.get(0).getRule());
            assertEquals(Severity.WARNING, ev.get(0).getSeverity());
            assertTrue(ev.get(0).getSummary().startsWith("This standby has 300"), ev.get(0).getSummary());
            ev = h.push(of("pg_stat_wal_receiver", t + 10 * S, row(Map.of(), "status", null, "receiver_running", 0,
                    "receive_replay_lag_bytes", 0, "replay_timestamp_age_seconds", 50)));
            assertEquals(2, ev.size(), ev.toString());
            AlertEvent missing = ev.stream().filter(e -> e.getRule().equals("standby_missing")).findFirst().orElseThrow();
            assertEquals(Severity.CRITICAL, missing.getSeverity());
            assertEquals("This standby's WAL receiver is not running: it is not streaming from its primary",
                    missing.getSummary());
        }
    }

    private static final double MB = 1024.0 * 1024;

    @Test
    void walRateSpike_aQuietServerTenfold_staysBelowTheFloor_andASpikeIsNotLearntIntoItsBaseline() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("wal_rate_spike", "for: 0s, resolve_for: 0s")))) {
            double wal = 0;
            long t = T0;
            for (; t < T0 + 3 * 60 * MIN; t += MIN) {
                wal += 0.1 * MB * 60; // 100 kB/s
                assertEquals(List.of(), h.push(of("pg_stat_wal", t, row(Map.of(), "wal_bytes", wal))));
            }
            for (long end = t + 30 * MIN; t < end; t += MIN) {
                wal += 2 * MB * 60; // 20x, but 2 MB/s: below the 5 MB/s floor
                assertEquals(List.of(), h.push(of("pg_stat_wal", t, row(Map.of(), "wal_bytes", wal))));
            }
        }
        try (RulesHarness h = new RulesHarness(only(Map.of("wal_rate_spike", "for: 0s, resolve_for: 0s")))) {
            double wal = 0;
            long t = T0;
            for (; t < T0 + 3 * 60 * MIN; t += MIN) {
                wal += 2 * MB * 60;
                h.push(of("pg_stat_wal", t, row(Map.of(), "wal_bytes", wal)));
            }
            List<AlertEvent> ev = new ArrayList<>();
            for (long end = t + 90 * MIN; t < end; t += MIN) {
                wal += 12 * MB * 60; // 6x for 90 min
                ev.addAll(h.push(of("pg_stat_wal", t, row(Map.of(), "wal_bytes", wal))));
            }
            assertEquals(1, ev.size(), "fires once and keeps firing: " + ev);
            assertEquals(Severity.WARNING, ev.get(0).getSeverity());
            assertTrue(ev.get(0).getSummary().matches("WAL is written at .+/s over the last .+, 4\\.\\dx its baseline of .+/s"),
                    ev.get(0).getSummary());
        }
    }

    @Test
    void lockTableFill_anOlderCollectorWithoutTheColumns_isSilent() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("lock_table_fill", "for: 0s")))) {
            assertEquals(List.of(), h.push(of("pg_stat_activity", T0, row(Map.of(), "connections_total", 10))));
            List<AlertEvent> ev = h.push(of("pg_stat_activity", T0 + 10 * S, row(Map.of(), "connections_total", 10,
                    "locks_held", 5500, "lock_table_slots", 6400)));
            assertEquals(1, ev.size());
            assertEquals(Severity.CRITICAL, ev.get(0).getSeverity());
            assertEquals("5500 of 6400 lock table slots in use (85.9%)", ev.get(0).getSummary());
        }
    }

    @Test
    void pgssDealloc_firesOnEvictions_notOnTheFirstValue_andAResetIsABaseline() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("pgss_dealloc", "")))) {
            assertEquals(List.of(), h.push(info(T0, 40, 1L)), "evictions before the job watched: baseline");
            assertEquals(List.of(), h.push(info(T0 + MIN, 40, 1L)));
            assertEquals(List.of(), h.push(info(T0 + 2 * MIN, 3, 2L)), "a reset restarts from the new value");
            List<AlertEvent> ev = h.push(info(T0 + 3 * MIN, 5, 2L));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.WARNING, ev.get(0).getSeverity());
            assertTrue(ev.get(0).getSummary().contains("pg_stat_statements.max = 5000"), ev.get(0).getSummary());
        }
    }

    private static Snapshot info(long t, double dealloc, Long reset) {
        Snapshot s = of("pg_stat_statements_info", t, row(Map.of(), "dealloc", dealloc, "max_entries", 5000));
        s.setStatsReset(reset);
        return s;
    }
}
