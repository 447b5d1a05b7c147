package dev.datainsight.rules;

import static dev.datainsight.rules.RuleEvaluatorTest.only;
import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertContextItem;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.QueryText;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.StatementsSnapshot;
import dev.datainsight.rules.engine.Fingerprint;
import dev.datainsight.rules.engine.QueryTexts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rules that name what drives an alert put it in the summary and the structured context. */
class AlertContextRulesTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long S = 1000;
    private static final long MIN = 60 * S;
    private static final String SLOW_TEXT = "SELECT * FROM logs WHERE created_at > $1 ORDER BY id";

    private static Map<String, String> q(String id) {
        return Map.of("queryid", id, "datname", "app", "rolname", "web", "toplevel", "true");
    }

    /** A statements snapshot of two statements (cumulative calls and time), with texts when given. */
    private static Snapshot statements(long t, double calls42, double time42, double calls7, double time7,
            QueryText... texts) {
        StatementsSnapshot s = (StatementsSnapshot) of("pg_stat_statements", t,
                row(q("42"), "calls", calls42, "total_exec_time", time42),
                row(q("7"), "calls", calls7, "total_exec_time", time7));
        s.setTexts(new ArrayList<>(List.of(texts)));
        return s;
    }

    @Test
    void slowQuery_quotesTheStatementText_andCarriesItInTheContext_textNotYetSeenOtherwise() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("slow_query", "for: 0s")))) {
            long t = T0;
            h.push(statements(t, 0, 0, 0, 0, new QueryText("42", SLOW_TEXT + "\n  -- from the\u001b[31m report", false)));
            List<AlertEvent> fired = new ArrayList<>();
            for (int i = 1; i <= 6; i++) {
                t += 10 * S;
                // 42: 20 calls of 5 s per interval; 7: 20 calls of 4 s, and its text never came.
                fired.addAll(h.push(statements(t, 20.0 * i, 100_000.0 * i, 20.0 * i, 80_000.0 * i)));
            }
            assertEquals(2, fired.size(), fired.toString());
            AlertEvent a = fired.stream().filter(e -> "42".equals(e.getLabels().get("queryid"))).findFirst().orElseThrow();
            assertTrue(a.getSummary().startsWith("Query `SELECT * FROM logs WHERE created_at > $1 ORDER BY id -- from the [31m"),
                    a.getSummary());
            assertTrue(a.getSummary().contains("(id 42) in database app"), a.getSummary());
            assertEquals(1, a.getContext().size());
            AlertContextItem st = a.getContext().get(0);
            assertEquals("statement", st.getKind());
            assertEquals(List.of("queryid", "datname", "rolname", "mean", "calls", "total_time", "window", "spread", "text"),
                    st.getNames());
            assertEquals("SELECT * FROM logs WHERE created_at > $1 ORDER BY id -- from the [31m report", st.get("text"),
                    "the context has the whole (cleaned) text");
            assertEquals("5 s", st.get("mean"));
            assertEquals(Map.of("env", "test"), a.getInstanceLabels(), "the instance's fleet labels ride along");
            assertEquals(Fingerprint.of("slow_query", Snapshots.INSTANCE, a.getLabels()), a.getFingerprint(),
                    "context and instance labels stay outside the fingerprint");

            AlertEvent other = fired.stream().filter(e -> "7".equals(e.getLabels().get("queryid"))).findFirst().orElseThrow();
            assertTrue(other.getSummary().startsWith("Query (text not yet seen) (id 7)"), other.getSummary());
            assertEquals(QueryTexts.NOT_SEEN, other.getContext().get(0).get("text"));

            // The queries get fast: the resolution keeps the context of what fired.
            List<AlertEvent> resolved = new ArrayList<>();
            for (int i = 7; i <= 60 && resolved.size() < 2; i++) {
                t += 10 * S;
                resolved.addAll(h.push(statements(t, 20.0 * i, 600_000 + 20.0 * i, 20.0 * i, 480_000 + 20.0 * i)).stream()
                        .filter(e -> e.getStatus() == AlertStatus.RESOLVED).toList());
            }
            assertEquals(2, resolved.size());
            AlertEvent r42 = resolved.stream().filter(e -> "42".equals(e.getLabels().get("queryid"))).findFirst().orElseThrow();
            // The context of the last evaluation that held: the same statement, its latest numbers.
            assertEquals(1, r42.getContext().size());
            assertEquals(st.get("text"), r42.getContext().get(0).get("text"));
            assertEquals(Map.of("env", "test"), r42.getInstanceLabels());
        }
    }

    @Test
    void queryRegression_namesTheStatementThatGotSlower_withTextAndBaseline() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("query_regression", "window: 5m, min_baseline: 30m")))) {
            long t = T0;
            double c42 = 0, t42 = 0;
            h.push(statements(t, 0, 0, 0, 0, new QueryText("42", SLOW_TEXT, false)));
            // 90 min at 10 ms per call, then 50x slower (500 ms).
            List<AlertEvent> fired = new ArrayList<>();
            for (int i = 1; i <= 90 * 6 + 10 * 6; i++) {
                t += 10 * S;
                c42 += 20;
                t42 += 20 * (i <= 90 * 6 ? 10 : 500);
                fired.addAll(h.push(statements(t, c42, t42, c42, c42 * 10)));
            }
            assertEquals(1, fired.size(), fired.toString());
            AlertEvent a = fired.get(0);
            assertEquals("42", a.getLabels().get("queryid"));
            assertTrue(a.getSummary().startsWith("Query `" + SLOW_TEXT + "` (id 42) in database app got "), a.getSummary());
            AlertContextItem st = a.getContext().get(0);
            assertEquals("statement", st.getKind());
            assertEquals(SLOW_TEXT, st.get("text"));
            assertEquals("10 ms", st.get("baseline"));
            assertTrue(st.get("ratio").endsWith("x"), st.toString());
        }
    }

    @Test
    void summaryTextLength_isConfigurable() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("slow_query", "for: 0s, text_chars: 12")))) {
            long t = T0;
            h.push(statements(t, 0, 0, 0, 0, new QueryText("42", SLOW_TEXT, false)));
            List<AlertEvent> fired = new ArrayList<>();
            for (int i = 1; i <= 6; i++) {
                t += 10 * S;
                fired.addAll(h.push(statements(t, 20.0 * i, 100_000.0 * i, 0, 0)));
            }
            assertEquals(1, fired.size(), fired.toString());
            assertTrue(fired.get(0).getSummary().startsWith("Query `SELECT * FR…` (id 42)"), fired.get(0).getSummary());
            assertEquals(SLOW_TEXT, fired.get(0).getContext().get(0).get("text"));
        }
    }

    /** A statements snapshot of three statements of database app, cumulative {@code column} values, with texts. */
    private static Snapshot statementsWith(long t, String column, double a, double b, double c, QueryText... texts) {
        StatementsSnapshot s = (StatementsSnapshot) of("pg_stat_statements", t,
                row(q("1"), "calls", t / 1000.0, "total_exec_time", t / 100.0, column, a),
                row(q("2"), "calls", t / 1000.0, "total_exec_time", t / 100.0, column, b),
                row(Map.of("queryid", "3", "datname", "other_db", "rolname", "etl", "toplevel", "true"),
                        "calls", t / 1000.0, "total_exec_time", t / 100.0, column, c));
        s.setTexts(new ArrayList<>(List.of(texts)));
        return s;
    }

    @Test
    void tempSpill_namesTheStatementsWritingTheMostTempBlocks() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("temp_spill", "")))) {
            long t = T0;
            List<AlertEvent> fired = new ArrayList<>();
            for (int i = 0; i <= 7 * 6; i++, t += 10 * S) {
                // app spills 300 MB/min; statement 2 writes most of it, 1 a little; 3 is in another database.
                h.push(statementsWith(t, "temp_blks_written", 100.0 * i, 5000.0 * i, 9000.0 * i,
                        i == 0 ? new QueryText[] {new QueryText("2", "SELECT * FROM events ORDER BY payload", false)}
                                : new QueryText[0]));
                fired.addAll(h.push(of("pg_stat_database", t, row(Map.of("datname", "app"),
                        "temp_bytes", 50e6 * i))));
            }
            assertEquals(1, fired.size(), fired.toString());
            AlertEvent a = fired.get(0);
            assertEquals("temp_spill", a.getRule());
            assertTrue(a.getSummary().contains("; most by `SELECT * FROM events ORDER BY payload` (id 2, 150000 blocks"),
                    a.getSummary());
            assertEquals(List.of("2", "1"), a.getContext().stream().map(i -> i.get("queryid")).toList(),
                    "the database's statements, largest first; other_db's statement is not named");
            assertEquals("SELECT * FROM events ORDER BY payload", a.getContext().get(0).get("text"));
            assertEquals(QueryTexts.NOT_SEEN, a.getContext().get(1).get("text"));
            assertTrue(a.getContext().get(0).get("temp_written").startsWith("150000 blocks ("), a.getContext().toString());
            assertEquals("5m", a.getContext().get(0).get("window"));
        }
    }

    @Test
    void cacheHitRatio_namesTheStatementsReadingTheMostBlocks() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("cache_hit_ratio", "for: 0s")))) {
            long t = T0;
            List<AlertEvent> fired = new ArrayList<>();
            for (int i = 0; i <= 4 * 6 && fired.isEmpty(); i++, t += 10 * S) {
                h.push(statementsWith(t, "shared_blks_read", 4000.0 * i, 100.0 * i, 0,
                        i == 0 ? new QueryText[] {new QueryText("1", "SELECT sum(amount) FROM ledger", false)}
                                : new QueryText[0]));
                fired.addAll(h.push(of("pg_stat_database", t, row(Map.of("datname", "app"),
                        "blks_hit", 20000.0 * i, "blks_read", 10000.0 * i))));
            }
            assertEquals(1, fired.size(), fired.toString());
            AlertEvent a = fired.get(0);
            assertTrue(a.getSummary().contains("; most by `SELECT sum(amount) FROM ledger` (id 1, "), a.getSummary());
            assertEquals(List.of("1", "2"), a.getContext().stream().map(i -> i.get("queryid")).toList());
            assertTrue(a.getContext().get(0).get("blocks_read").endsWith(" blocks"), a.getContext().toString());
        }
    }

    @Test
    void checkpointSpike_saysTheWalRateAgainstMaxWalSize_andTheTopWalWriters() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("checkpoint_spike", "for: 0s")))) {
            long t = T0;
            List<AlertEvent> fired = new ArrayList<>();
            h.push(of("pg_settings", t, row(Map.of(), "max_wal_size_bytes", 1024.0 * 1024 * 1024,
                    "checkpoint_timeout_seconds", 300)));
            for (int i = 0; i <= 16 * 6 && fired.isEmpty(); i++, t += 10 * S) {
                // 1 GB of WAL per minute; statement 3 (other_db) writes most of it.
                h.push(of("pg_stat_wal", t, row(Map.of(), "wal_bytes", 1024.0 * 1024 * 1024 / 6 * i)));
                h.push(statementsWith(t, "wal_bytes", 1e6 * i, 2e6 * i, 1.5e8 * i,
                        i == 0 ? new QueryText[] {new QueryText("3", "INSERT INTO audit SELECT * FROM staging", false)}
                                : new QueryText[0]));
                fired.addAll(h.push(of("pg_stat_checkpointer", t, row(Map.of(), "num_timed", 1.0,
                        "num_requested", (double) (i / 6)))));
            }
            assertEquals(1, fired.size(), fired.toString());
            AlertEvent a = fired.get(0);
            assertTrue(a.getSummary().contains("; WAL 1GB/min, 5.0x max_wal_size (1GB) per checkpoint_timeout"),
                    a.getSummary());
            assertTrue(a.getSummary().contains("most by `INSERT INTO audit SELECT * FROM staging` (id 3, "), a.getSummary());
            AlertContextItem setting = a.getContext().get(0);
            assertEquals("setting", setting.getKind());
            assertEquals("1GB", setting.get("max_wal_size"));
            assertEquals("5.0x", setting.get("vs_max_wal_size"));
            assertEquals(List.of("3", "2", "1"), a.getContext().subList(1, 4).stream().map(i -> i.get("queryid")).toList());
            assertEquals("etl@other_db", a.getContext().get(1).get("rolname"), "instance-wide: the database is named");
        }
    }

    @Test
    void dbGrowth_namesTheFastestGrowingTables() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("db_growth", "")))) {
            long t = T0;
            List<AlertEvent> fired = new ArrayList<>();
            double gb = 1024.0 * 1024 * 1024;
            for (int i = 0; i <= 3 * 12 && fired.isEmpty(); i++, t += 5 * MIN) {
                // app: 2 GB growing by 0.5 GB per hour, almost all of it in public.events.
                // (the tables probe's cycle also reports the series: db_growth's minute-rate test reads it)
                fired.addAll(h.push(of("pg_stat_user_tables", t,
                        row(Map.of("datname", "app", "schemaname", "public", "relname", "events"),
                                "total_size_bytes", gb + 0.4 * gb * i / 12),
                        row(Map.of("datname", "app", "schemaname", "public", "relname", "users"),
                                "total_size_bytes", 0.1 * gb + 0.05 * gb * i / 12),
                        row(Map.of("datname", "app", "schemaname", "public", "relname", "static"),
                                "total_size_bytes", 0.2 * gb))));
                fired.addAll(h.push(of("pg_database", t, row(Map.of("datname", "app"),
                        "size_bytes", 2 * gb + 0.5 * gb * i / 12))));
            }
            assertEquals(1, fired.size(), fired.toString());
            AlertEvent a = fired.get(0);
            assertTrue(a.getSummary().contains("; fastest: public.events +"), a.getSummary());
            assertEquals(List.of("public.events", "public.users"),
                    a.getContext().stream().map(i -> i.get("relation")).toList(), "a table that did not grow is not named");
            assertEquals("table", a.getContext().get(0).getKind());
            assertTrue(a.getContext().get(0).get("grew").endsWith("MB"), a.getContext().toString());
        }
    }

    @Test
    void autovacuumLag_saysWhatMayHoldTheXminHorizon() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("autovacuum_lag", "for: 0s")))) {
            long t = T0;
            h.push(of("pg_stat_activity", t, row(Map.of(), "connections_total", 10, "oldest_xact_age_seconds", 3 * 3600,
                    "oldest_idle_in_transaction_seconds", 2 * 3600)));
            h.push(of("pg_replication_slots", t,
                    row(Map.of("slot_name", "standby_gone", "slot_type", "physical"), "active", 0,
                            "retained_wal_bytes", 5e9),
                    row(Map.of("slot_name", "live", "slot_type", "physical"), "active", 1, "retained_wal_bytes", 1e6)));
            List<AlertEvent> fired = h.push(of("pg_stat_user_tables", t + 10 * S, row(
                    Map.of("datname", "app", "schemaname", "public", "relname", "orders"), "n_dead_tup", 30000,
                    "n_live_tup", 100000, "last_autovacuum", null, "autovacuum_count", 0,
                    "autovacuum_vacuum_threshold", 50, "autovacuum_vacuum_scale_factor", 0.05)));
            assertEquals(1, fired.size(), fired.toString());
            AlertEvent a = fired.get(0);
            assertTrue(a.getSummary().endsWith("; the oldest transaction is 3.0 h old and may hold the xmin horizon"),
                    a.getSummary());
            assertEquals(List.of("session", "session", "slot"), a.getContext().stream().map(AlertContextItem::getKind).toList());
            assertEquals("3.0 h", a.getContext().get(0).get("xact_age"));
            assertEquals("2.0 h", a.getContext().get(1).get("state_age"));
            assertEquals("standby_gone", a.getContext().get(2).get("slot_name"), "only the inactive slot is named");
        }
    }

    @Test
    void autovacuumLag_youngTransactionsAreNotBlamed() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("autovacuum_lag", "for: 0s")))) {
            long t = T0;
            h.push(of("pg_stat_activity", t, row(Map.of(), "connections_total", 10, "oldest_xact_age_seconds", 30,
                    "oldest_idle_in_transaction_seconds", 5)));
            List<AlertEvent> fired = h.push(of("pg_stat_user_tables", t + 10 * S, row(
                    Map.of("datname", "app", "schemaname", "public", "relname", "orders"), "n_dead_tup", 30000,
                    "n_live_tup", 100000, "last_autovacuum", null, "autovacuum_count", 0,
                    "autovacuum_vacuum_threshold", 50, "autovacuum_vacuum_scale_factor", 0.05)));
            assertEquals(1, fired.size(), fired.toString());
            assertEquals(List.of(), fired.get(0).getContext());
            assertTrue(!fired.get(0).getSummary().contains("xmin"), fired.get(0).getSummary());
        }
    }

    @Test
    void autovacuumLag_namesTheSessionHoldingTheOldestXmin_fromTheSessionDetail() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("autovacuum_lag", "for: 0s")))) {
            long t = T0;
            h.push(of("pg_stat_activity_sessions", t,
                    row(Map.of("pid", "4242", "reasons", "idle_in_transaction,oldest_xact", "usename", "etl",
                            "application_name", "nightly-load", "client_addr", "10.0.0.9", "state", "idle in transaction",
                            "query", "SELECT * FROM staging"), "state_age_seconds", 10800, "xact_age_seconds", 10900,
                            "backend_xmin_age", 50000),
                    row(Map.of("pid", "4300", "reasons", "oldest_xact", "state", "active"), "xact_age_seconds", 5,
                            "backend_xmin_age", 12)));
            h.push(of("pg_stat_activity", t, row(Map.of(), "connections_total", 10, "oldest_xact_age_seconds", 10900,
                    "oldest_idle_in_transaction_seconds", 10800)));
            List<AlertEvent> fired = h.push(of("pg_stat_user_tables", t + 30 * S, row(
                    Map.of("datname", "app", "schemaname", "public", "relname", "orders"), "n_dead_tup", 30000,
                    "n_live_tup", 100000, "last_autovacuum", null, "autovacuum_count", 0,
                    "autovacuum_vacuum_threshold", 50, "autovacuum_vacuum_scale_factor", 0.05)));
            assertEquals(1, fired.size(), fired.toString());
            AlertEvent a = fired.get(0);
            assertTrue(a.getSummary().endsWith("; xmin held by pid 4242 (etl@10.0.0.9, app nightly-load, idle in"
                    + " transaction 3.0 h), 50000 xids back"), a.getSummary());
            AlertContextItem holder = a.getContext().get(0);
            assertEquals("xmin holder", holder.get("role"));
            assertEquals("4242", holder.get("pid"));
            assertEquals("SELECT * FROM staging", holder.get("query"));
            assertEquals("50000 xids", holder.get("backend_xmin_age"));
        }
    }
}
