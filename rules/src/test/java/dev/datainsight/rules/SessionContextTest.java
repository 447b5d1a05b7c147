package dev.datainsight.rules;

import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.datainsight.model.AlertContextItem;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.SnapshotRow;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The session rules put who is doing it in the structured context: blocker and waiters, holders, old sessions. */
class SessionContextTest {
    private static final long T0 = 1_700_000_000_000L;

    private static SnapshotRow session(String pid, String reasons, Map<String, String> more, Object... values) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("pid", pid);
        l.put("reasons", reasons);
        l.put("datname", "app");
        l.put("usename", "svc_billing");
        l.put("application_name", "billing-api");
        l.put("client_addr", "10.0.0.5");
        l.put("state", "idle in transaction");
        l.put("query", "UPDATE accounts SET balance = balance - 10 WHERE id = 1");
        l.putAll(more);
        return row(l, values);
    }

    @Test
    void lockContention_contextHasTheBlockerThenItsWaiters() throws Exception {
        try (RulesHarness h = new RulesHarness(RuleEvaluatorTest.only(Map.of("lock_contention", "for: 0s")))) {
            h.push(of("pg_stat_activity_sessions", T0,
                    session("12340", "blocker,idle_in_transaction", Map.of("lock_mode", "RowExclusiveLock",
                            "relation", "public.accounts"), "state_age_seconds", 75, "xact_age_seconds", 80),
                    session("12399", "waiter", Map.of("application_name", "billing-worker", "state", "active",
                            "blocked_by", "12340", "lock_mode", "ShareLock", "wait_event_type", "Lock",
                            "wait_event", "transactionid"), "lock_wait_seconds", 71),
                    session("12400", "waiter", Map.of("state", "active", "blocked_by", "12340"), "lock_wait_seconds", 9),
                    session("555", "waiter", Map.of("state", "active", "blocked_by", "777"), "lock_wait_seconds", 99)));
            List<AlertEvent> ev = h.push(of("pg_locks", T0, row(Map.of("blocker_pid", "12340", "datname", "app",
                    "blocker_state", "idle in transaction", "blocker_query_id", "-8812"), "waiters", 3,
                    "longest_wait_seconds", 71, "blocker_xact_age_seconds", 80)));
            assertEquals(1, ev.size());
            List<AlertContextItem> c = ev.get(0).getContext();
            assertEquals(List.of("blocker", "waiter", "waiter"), c.stream().map(i -> i.get("role")).toList(),
                    "another root's waiter is not listed");
            AlertContextItem blocker = c.get(0);
            assertEquals("session", blocker.getKind());
            assertEquals("12340", blocker.get("pid"));
            assertEquals("svc_billing", blocker.get("usename"));
            assertEquals("billing-api", blocker.get("application_name"));
            assertEquals("RowExclusiveLock", blocker.get("lock_mode"));
            assertEquals("public.accounts", blocker.get("relation"));
            assertEquals("UPDATE accounts SET balance = balance - 10 WHERE id = 1", blocker.get("query"));
            assertEquals("75 s", blocker.get("state_age"));
            assertEquals(List.of("12399", "12400"), c.subList(1, 3).stream().map(i -> i.get("pid")).toList(),
                    "longest wait first");
            assertEquals("Lock/transactionid", c.get(1).get("wait_event"));
            assertEquals("71 s", c.get(1).get("lock_wait"));
        }
    }

    @Test
    void connectionSaturation_contextHasTheLargestConnectionGroups() throws Exception {
        try (RulesHarness h = new RulesHarness(RuleEvaluatorTest.only(Map.of("connection_saturation", "for: 0s")))) {
            h.push(of("pg_stat_activity_connections", T0,
                    row(Map.of("usename", "svc_report", "application_name", "", "client_addr", "", "state", "active"),
                            "connections", 4),
                    row(Map.of("usename", "svc_billing", "application_name", "billing-api", "client_addr", "10.0.0.5",
                            "state", "idle"), "connections", 29, "oldest_state_age_seconds", 600)));
            List<AlertEvent> ev = h.push(of("pg_stat_activity", T0, row(Map.of(), "connections_total", 35,
                    "max_connections", 40, "reserved_connections", 3)));
            assertEquals(1, ev.size());
            List<AlertContextItem> c = ev.get(0).getContext();
            assertEquals(2, c.size());
            assertEquals("connections", c.get(0).getKind());
            assertEquals(Map.of("application_name", "billing-api", "usename", "svc_billing", "client_addr", "10.0.0.5",
                    "state", "idle", "connections", "29", "oldest_state_age", "10.0 min"), c.get(0).fields());
            assertEquals("svc_report", c.get(1).get("usename"));
        }
    }

    @Test
    void longAndIdleTransactions_contextNamesTheSessions() throws Exception {
        try (RulesHarness h = new RulesHarness(RuleEvaluatorTest.only(Map.of("long_transaction", "",
                "idle_in_transaction", "")))) {
            h.push(of("pg_stat_activity_sessions", T0,
                    session("4242", "idle_in_transaction,oldest_xact", Map.of("usename", "etl", "application_name",
                            "nightly-load", "query", "SELECT * FROM staging"), "state_age_seconds", 400,
                            "xact_age_seconds", 900, "backend_xmin_age", 1234)));
            List<AlertEvent> ev = h.push(of("pg_stat_activity", T0, row(Map.of(), "oldest_xact_age_seconds", 900,
                    "oldest_idle_in_transaction_seconds", 400, "connections_idle_in_transaction", 1)));
            assertEquals(2, ev.size(), ev::toString);
            AlertEvent lt = ev.stream().filter(e -> e.getRule().equals("long_transaction")).findFirst().orElseThrow();
            AlertContextItem s = lt.getContext().get(0);
            assertEquals("oldest transaction", s.get("role"));
            assertEquals("4242", s.get("pid"));
            assertEquals("15.0 min", s.get("xact_age"));
            assertEquals("1234 xids", s.get("backend_xmin_age"));
            assertEquals("SELECT * FROM staging", s.get("query"));
            AlertEvent it = ev.stream().filter(e -> e.getRule().equals("idle_in_transaction")).findFirst().orElseThrow();
            assertEquals("idle in transaction", it.getContext().get(0).get("role"));
            assertEquals("nightly-load", it.getContext().get(0).get("application_name"));
        }
    }

    @Test
    void sessionsWithAQueryId_carryTheNormalisedStatementText_orTextNotYetSeen() throws Exception {
        try (RulesHarness h = new RulesHarness(RuleEvaluatorTest.only(Map.of("lock_contention", "for: 0s")))) {
            dev.datainsight.model.StatementsSnapshot st = (dev.datainsight.model.StatementsSnapshot) of(
                    "pg_stat_statements", T0 - 5000, row(Map.of("queryid", "-8812", "datname", "app", "rolname",
                            "svc_billing", "toplevel", "true"), "calls", 10, "total_exec_time", 5));
            st.setTexts(new java.util.ArrayList<>(List.of(new dev.datainsight.model.QueryText("-8812",
                    "UPDATE accounts SET balance = balance - $1 WHERE id = $2", false))));
            assertEquals(List.of(), h.push(st));
            h.push(of("pg_stat_activity_sessions", T0,
                    session("12340", "blocker", Map.of("query_id", "-8812"), "state_age_seconds", 75),
                    session("12399", "waiter", Map.of("state", "active", "blocked_by", "12340", "query_id", "31"),
                            "lock_wait_seconds", 71)));
            List<AlertEvent> ev = h.push(of("pg_locks", T0, row(Map.of("blocker_pid", "12340", "datname", "app",
                    "blocker_state", "idle in transaction", "blocker_query_id", "-8812"), "waiters", 3,
                    "longest_wait_seconds", 71, "blocker_xact_age_seconds", 80)));
            assertEquals(1, ev.size());
            List<AlertContextItem> c = ev.get(0).getContext();
            assertEquals("UPDATE accounts SET balance = balance - $1 WHERE id = $2", c.get(0).get("statement_text"));
            assertEquals("UPDATE accounts SET balance = balance - 10 WHERE id = 1", c.get(0).get("query"),
                    "the session's own (truncated, not normalised) text stays beside it");
            assertEquals(dev.datainsight.rules.engine.QueryTexts.NOT_SEEN, c.get(1).get("statement_text"));
        }
    }
}
