package dev.datainsight.rules;

import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The session-naming summaries: the rules read the detail views ({@code pg_stat_activity_sessions},
 * {@code pg_stat_activity_connections}) of the same cycle, which the collector sends before the
 * aggregates, on the real rule operators.
 */
class SessionWordingTest {
    private static final long T0 = 1_700_000_000_000L;

    private static SnapshotRow session(String pid, String reasons, Map<String, String> more, Object... values) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("pid", pid);
        l.put("reasons", reasons);
        l.put("datname", "app");
        l.put("usename", "svc_billing");
        l.put("application_name", "billing-api");
        l.put("client_addr", "10.0.0.5");
        l.put("backend_type", "client backend");
        l.put("state", "idle in transaction");
        l.put("query_id", "-8812");
        l.put("query", "UPDATE accounts SET balance = balance - 10 WHERE id = 1");
        l.putAll(more);
        return row(l, values);
    }

    private static Snapshot blockerDetail(long t) {
        return of("pg_stat_activity_sessions", t,
                session("12340", "blocker,idle_in_transaction,oldest_xact",
                        Map.of("lock_mode", "RowExclusiveLock", "relation", "public.accounts"),
                        "state_age_seconds", 75, "xact_age_seconds", 80, "waiters", 5, "longest_wait_seconds", 71),
                session("12399", "waiter", Map.of("application_name", "billing-worker", "state", "active",
                        "blocked_by", "12340", "lock_mode", "ShareLock", "wait_event_type", "Lock",
                        "query", "UPDATE accounts SET balance = balance + 1 WHERE id = 1"),
                        "state_age_seconds", 71, "lock_wait_seconds", 71));
    }

    private static Snapshot locks(long t) {
        return of("pg_locks", t, row(Map.of("blocker_pid", "12340", "datname", "app", "blocker_state",
                "idle in transaction", "blocker_query_id", "-8812"), "waiters", 5, "longest_wait_seconds", 71,
                "blocker_xact_age_seconds", 80));
    }

    @Test
    void lockContention_namesTheRootBlockerItsLockAndStatement_fromTheDetailOfTheSameCycle() throws Exception {
        try (RulesHarness h = new RulesHarness(RuleEvaluatorTest.only(Map.of("lock_contention", "for: 0s")))) {
            assertEquals(List.of(), h.push(blockerDetail(T0)), "detail alone alerts nobody");
            List<AlertEvent> ev = h.push(locks(T0));
            assertEquals(1, ev.size());
            AlertEvent a = ev.get(0);
            assertEquals("pid 12340 (svc_billing@10.0.0.5, app billing-api, idle in transaction 75 s, query id -8812)"
                    + " holds RowExclusiveLock on public.accounts — last statement `UPDATE accounts SET balance ="
                    + " balance - 10 WHERE id = 1`; blocks 5 session(s), longest wait 71 s", a.getSummary());
            assertTrue(a.getDescription().contains("Waiting: pid 12399 (svc_billing@10.0.0.5, app billing-worker, active"
                    + " 71 s, query id -8812) waiting 71 s for ShareLock, running `UPDATE accounts SET balance = balance"
                    + " + 1 WHERE id = 1`"), a.getDescription());
            assertEquals(Map.of("blocker_pid", "12340", "datname", "app"), a.getLabels(), "detail is not in the fingerprint");
        }
    }

    @Test
    void detailOfAnotherCycle_isNotUsed_theSummaryFallsBackToTheAggregate() throws Exception {
        try (RulesHarness h = new RulesHarness(RuleEvaluatorTest.only(Map.of("lock_contention", "for: 0s")))) {
            h.push(blockerDetail(T0 - 10_000));
            AlertEvent a = h.push(locks(T0)).get(0);
            assertEquals("pid 12340 (idle in transaction, query id -8812) in database app blocks 5 session(s); longest"
                    + " wait 71 s", a.getSummary());
        }
    }

    @Test
    void aPreparedTransactionAsRootBlocker_isNamedAsSuch() throws Exception {
        try (RulesHarness h = new RulesHarness(RuleEvaluatorTest.only(Map.of("lock_contention", "for: 0s")))) {
            h.push(of("pg_stat_activity_sessions", T0, row(Map.of("pid", "0", "reasons", "blocker", "state", "prepared",
                    "lock_mode", "RowExclusiveLock", "relation", "public.accounts"), "waiters", 3)));
            String s = h.push(of("pg_locks", T0, row(Map.of("blocker_pid", "0", "datname", "app", "blocker_state",
                    "prepared", "blocker_query_id", ""), "waiters", 3, "longest_wait_seconds", 5))).get(0).getSummary();
            assertEquals("a prepared transaction (pid 0; see pg_prepared_xacts) holds RowExclusiveLock on public.accounts;"
                    + " blocks 3 session(s), longest wait 5 s", s);
        }
    }

    @Test
    void untrustedText_staysOneBoundedLine() throws Exception {
        String evil = "UPDATE accounts\n\tSET x = 1\u0007\u001b[2J\r\n" + "-- ".repeat(300) + "`; rm -rf";
        try (RulesHarness h = new RulesHarness(RuleEvaluatorTest.only(Map.of("lock_contention", "for: 0s")))) {
            h.push(of("pg_stat_activity_sessions", T0, session("12340", "blocker",
                    Map.of("query", evil, "application_name", "app\nwith\u0000newline" + "x".repeat(500),
                            "lock_mode", "RowExclusiveLock", "relation", "public.accounts"),
                    "state_age_seconds", 75, "waiters", 5)));
            String s = h.push(locks(T0)).get(0).getSummary();
            assertFalse(s.chars().anyMatch(ch -> Character.isISOControl(ch)), s);
            assertTrue(s.contains("last statement `UPDATE accounts SET x = 1 [2J -- -- "), s);
            assertTrue(s.contains(", app app with newlinexxx"), s);
            assertTrue(s.length() < 400, () -> s.length() + ": " + s);
        }
    }

    @Test
    void connectionSaturation_namesTheApplicationsHoldingTheSlots() throws Exception {
        try (RulesHarness h = new RulesHarness(RuleEvaluatorTest.only(Map.of("connection_saturation", "for: 0s")))) {
            h.push(of("pg_stat_activity_connections", T0,
                    row(Map.of("usename", "svc_billing", "application_name", "billing-api", "client_addr", "10.0.0.5",
                            "state", "idle"), "connections", 29),
                    row(Map.of("usename", "svc_billing", "application_name", "billing-api", "client_addr", "10.0.0.6",
                            "state", "active"), "connections", 2),
                    row(Map.of("usename", "svc_report", "application_name", "", "client_addr", "", "state", "active"),
                            "connections", 4)));
            List<AlertEvent> ev = h.push(of("pg_stat_activity", T0, row(Map.of(), "connections_total", 35,
                    "max_connections", 40, "reserved_connections", 3, "collector_connections", 1)));
            assertEquals(1, ev.size());
            assertEquals("billing-api holds 31 of 37 usable slots, 29 idle; user svc_report holds 4"
                    + " — 36 of 37 usable connections in use (97.3%; max_connections 40; 1 of them the collector's)",
                    ev.get(0).getSummary());
        }
    }

    @Test
    void longAndIdleTransactions_nameTheSession() throws Exception {
        try (RulesHarness h = new RulesHarness(RuleEvaluatorTest.only(Map.of("long_transaction", "",
                "idle_in_transaction", "")))) {
            h.push(of("pg_stat_activity_sessions", T0,
                    session("4242", "idle_in_transaction,oldest_xact", Map.of("usename", "etl", "application_name",
                            "nightly-load", "query", "SELECT * FROM staging"), "state_age_seconds", 400,
                            "xact_age_seconds", 900, "backend_xmin_age", 1234),
                    session("4300", "oldest_xact", Map.of("state", "active"), "state_age_seconds", 1,
                            "xact_age_seconds", 5)));
            List<AlertEvent> ev = h.push(of("pg_stat_activity", T0, row(Map.of(), "oldest_xact_age_seconds", 900,
                    "oldest_idle_in_transaction_seconds", 400, "connections_idle_in_transaction", 1)));
            assertEquals(2, ev.size(), ev::toString);
            AlertEvent lt = ev.stream().filter(e -> e.getRule().equals("long_transaction")).findFirst().orElseThrow();
            assertEquals("The oldest transaction has been open for 15.0 min: pid 4242 (etl@10.0.0.5, app nightly-load,"
                    + " idle in transaction 6.7 min, query id -8812) — last statement `SELECT * FROM staging`",
                    lt.getSummary());
            assertTrue(lt.getDescription().contains("holding the xmin horizon 1234 transactions back"), lt.getDescription());
            AlertEvent it = ev.stream().filter(e -> e.getRule().equals("idle_in_transaction")).findFirst().orElseThrow();
            assertEquals("pid 4242 (etl@10.0.0.5, app nightly-load, idle in transaction 6.7 min, query id -8812) has been"
                    + " idle in transaction for 6.7 min — last statement `SELECT * FROM staging` (1 sessions idle in"
                    + " transaction)", it.getSummary());
        }
    }
}
