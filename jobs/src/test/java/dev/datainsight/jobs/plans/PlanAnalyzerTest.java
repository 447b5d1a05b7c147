package dev.datainsight.jobs.plans;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.jobs.plans.PlanAnalyzer.Finding;
import dev.datainsight.jobs.plans.PlanAnalyzer.RelationStats;
import dev.datainsight.jobs.plans.PlanAnalyzer.StatementStats;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The analyzer on real plans: EXPLAIN (GENERIC_PLAN, FORMAT JSON, VERBOSE, SETTINGS) — the plans
 * probe's query — from PostgreSQL 16, of statements on a 100,000-row table with and without the
 * index the filter needs.
 */
class PlanAnalyzerTest {
    @RegisterExtension static final PostgresExtension PG16 = new PostgresExtension(16);
    /** The suite's default server (17; shared with the job tests, so no extra start). */
    @RegisterExtension static final PostgresExtension DEFAULT = new PostgresExtension();
    private static String url;

    @BeforeAll
    static void table() throws Exception {
        url = PG16.freshDatabaseUrl("analyze");
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL,"
                    + " created_at timestamptz NOT NULL, amount numeric NOT NULL)");
            st.execute("INSERT INTO orders SELECT i, i % 5000, CASE WHEN i % 10 = 0 THEN 'open' ELSE 'paid' END,"
                    + " '2026-01-01'::timestamptz + i * interval '1 minute', i FROM generate_series(1, 100000) i");
            st.execute("CREATE TABLE \"Mixed Case\" (\"Tenant\" int, v int)");
            st.execute("INSERT INTO \"Mixed Case\" SELECT i % 100, i FROM generate_series(1, 50000) i");
        }
        // ANALYZE once the inserting session's counts are in pg_stat_user_tables: counts flushed
        // after an ANALYZE would add to the n_live_tup it set
        counted("orders", "n_tup_ins", 100_000);
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("ANALYZE");
        }
    }

    /** Waits (at most 10 s) until the ended sessions' counts of {@code rel} are reported. */
    private static void counted(String rel, String column, long expected) throws Exception {
        for (int i = 0; i < 100; i++) {
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT " + column + " FROM pg_stat_user_tables WHERE relname = '" + rel + "'")) {
                if (rs.next() && rs.getLong(1) >= expected) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError(rel + "." + column + " never reached " + expected);
    }

    /** The plans probe's EXPLAIN, over the simple query protocol as the probe sends it ($n stay unbound). */
    private static String explain(String sql) throws Exception {
        return explain(url, sql);
    }

    private static String explain(String url, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url + (url.contains("?") ? "&" : "?") + "preferQueryMode=simple");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("EXPLAIN (GENERIC_PLAN, FORMAT JSON, VERBOSE, SETTINGS) " + sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** What the tables probe would report: n_live_tup and the table's size. */
    private static Map<String, RelationStats> stats(String rel) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT n_live_tup, pg_table_size(relid), n_mod_since_analyze FROM pg_stat_user_tables"
                        + " WHERE relname = '" + rel + "'")) {
            assertTrue(rs.next());
            return Map.of("public." + rel, new RelationStats(rs.getDouble(1), rs.getDouble(2), rs.getDouble(3)));
        }
    }

    private static List<Finding> indexFindings(List<Finding> all) {
        return all.stream().filter(f -> f.kind().equals("index")).toList();
    }

    @Test
    void filteredSeqScan_recommendsIndexOnFilteredColumn_notValidated_thenNoneWithTheIndex() throws Exception {
        String sql = "SELECT * FROM orders WHERE customer_id = $1";
        String plan = explain(sql);
        assertTrue(plan.contains("\"Seq Scan\""), plan);

        // plan only (the relation's size is not known): the scan's cost stands for its size
        List<Finding> planOnly = indexFindings(PlanAnalyzer.analyze("app", "42", plan, Map.of(), null));
        assertEquals(1, planOnly.size(), planOnly.toString());
        Finding f = planOnly.get(0);
        assertEquals("public.orders (customer_id)", f.target());
        assertEquals("index|app|42|public.orders (customer_id)", f.key());
        assertEquals("CREATE INDEX CONCURRENTLY ON public.orders (customer_id)", f.action());
        assertEquals(List.of("customer_id"), f.evidence().get("columns"));
        assertEquals("(orders.customer_id = $1)", f.evidence().get("filter"));
        double cost = (Double) f.evidence().get("scan_cost");
        assertEquals(PlanAnalyzer.round2(Math.min(1, Math.log10(cost) / 5) * 0.5), f.confidence(), 1e-9);

        // with the tables probe's numbers the selectivity is known: 20 of 100,000 rows
        Finding withStats = indexFindings(PlanAnalyzer.analyze("app", "42", plan, stats("orders"), null)).get(0);
        double pages = ((Number) withStats.evidence().get("relation_pages")).doubleValue();
        double share = (Double) withStats.evidence().get("row_share");
        assertEquals(100_000.0, (Double) withStats.evidence().get("relation_rows"), 0.0);
        assertTrue(share < 0.001, "share " + share);
        assertEquals(PlanAnalyzer.round2(Math.min(1, Math.log10(pages) / 5) * (1 - share)), withStats.confidence(), 1e-9);
        assertTrue(withStats.confidence() > f.confidence(), withStats + " vs " + f);
        assertTrue(withStats.summary().contains("filtered by customer_id"), withStats.summary());
        // as the job stores it: no hypopg in these servers (nor in the embedded bundle), so not validated
        dev.datainsight.jobs.records.CapturedPlan cp = new dev.datainsight.jobs.records.CapturedPlan();
        cp.instance = "pg-1";
        cp.datname = "app";
        cp.queryid = "42";
        cp.fingerprint = "ffff";
        cp.summary = "Seq Scan on orders";
        cp.plan = plan;
        cp.capturedAt = 1;
        assertEquals("not validated (hypopg absent)", RecommendationFunction.of(cp, withStats, 1).validated);
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_available_extensions WHERE name = 'hypopg'")) {
            rs.next();
            assertEquals(0, rs.getInt(1), "hypopg is not in the embedded PostgreSQL");
        }
        System.out.println("index finding: " + withStats.summary() + " confidence " + withStats.confidence()
                + " (plan only " + f.confidence() + ") evidence " + withStats.evidence());

        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("CREATE INDEX orders_customer_id_idx ON orders (customer_id)");
            String indexed = explain(sql);
            assertTrue(indexed.contains("orders_customer_id_idx"), indexed);
            assertEquals(List.of(), indexFindings(PlanAnalyzer.analyze("app", "42", indexed, stats("orders"), null)));
            assertNotNull(PlanAnalyzer.indexAccess(indexed, "public.orders"));
            assertTrue(PlanAnalyzer.indexAccess(indexed, "public.orders").contains("using orders_customer_id_idx"));
            System.out.println("with the index: " + PlanAnalyzer.indexAccess(indexed, "public.orders"));
        } finally {
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                st.execute("DROP INDEX IF EXISTS orders_customer_id_idx");
            }
        }
    }

    @Test
    void sameFindingOnTheDefaultServer_andNoneOnceTheIndexExists() throws Exception {
        String other = DEFAULT.freshDatabaseUrl("analyze");
        String sql = "SELECT * FROM orders WHERE customer_id = $1";
        try (Connection c = DriverManager.getConnection(other); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, amount numeric NOT NULL)");
            st.execute("INSERT INTO orders SELECT i, i % 1000, i FROM generate_series(1, 20000) i");
            st.execute("ANALYZE orders");
            Finding f = indexFindings(PlanAnalyzer.analyze("app", "42", explain(other, sql), Map.of(), null)).get(0);
            assertEquals("public.orders (customer_id)", f.target());
            st.execute("CREATE INDEX orders_customer_id_idx ON orders (customer_id)");
            assertEquals(List.of(), indexFindings(PlanAnalyzer.analyze("app", "42", explain(other, sql), Map.of(), null)));
            System.out.println("PostgreSQL " + DEFAULT.server().major() + ": " + f.summary() + " confidence " + f.confidence());
        }
    }

    @Test
    void andedFilter_equalityColumnsFirst_thenOneRange_unusableConjunctLowersConfidence() throws Exception {
        String plan = explain("SELECT id FROM orders WHERE created_at >= $1 AND customer_id = $2 AND status = 'open'");
        Finding f = indexFindings(PlanAnalyzer.analyze("app", "7", plan, stats("orders"), null)).get(0);
        assertEquals(List.of("customer_id", "status", "created_at"), f.evidence().get("columns"));
        assertEquals(1.0, (Double) f.evidence().get("parse_factor"));

        String partly = explain("SELECT id FROM orders WHERE customer_id = $1 AND lower(status) = 'open'");
        Finding p = indexFindings(PlanAnalyzer.analyze("app", "8", partly, stats("orders"), null)).get(0);
        assertEquals(List.of("customer_id"), p.evidence().get("columns"));
        assertEquals(0.5, (Double) p.evidence().get("parse_factor"));
        assertTrue(p.confidence() < f.confidence(), p + " vs " + f);

        // an OR, or an expression only, gives nothing to index
        assertEquals(List.of(), indexFindings(PlanAnalyzer.analyze("app", "9",
                explain("SELECT id FROM orders WHERE customer_id = $1 OR status = $2"), stats("orders"), null)));
        assertEquals(List.of(), indexFindings(PlanAnalyzer.analyze("app", "9",
                explain("SELECT id FROM orders WHERE amount + 1 = $1"), stats("orders"), null)));
    }

    @Test
    void unselectiveFilter_andSmallTable_giveNoIndex_quotedNamesAreQuoted() throws Exception {
        // status = 'paid' keeps 90% of the rows: a seq scan is right
        assertEquals(List.of(), indexFindings(PlanAnalyzer.analyze("app", "1",
                explain("SELECT id FROM orders WHERE status = 'paid'"), stats("orders"), null)));
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE tiny (k int, v int)");
            st.execute("INSERT INTO tiny SELECT i, i FROM generate_series(1, 50) i");
            st.execute("ANALYZE tiny");
        }
        assertEquals(List.of(), indexFindings(PlanAnalyzer.analyze("app", "2",
                explain("SELECT v FROM tiny WHERE k = $1"), Map.of(), null)));
        Finding q = indexFindings(PlanAnalyzer.analyze("app", "3",
                explain("SELECT v FROM \"Mixed Case\" WHERE \"Tenant\" = $1"), Map.of(), null)).get(0);
        assertEquals("CREATE INDEX CONCURRENTLY ON public.\"Mixed Case\" (\"Tenant\")", q.action());
        // a cut plan (not JSON) is not read at all
        assertNull(PlanAnalyzer.analyze("app", "3", plan("SELECT 1").substring(0, 10), Map.of(), null));
    }

    @Test
    void spillingSort_recommendsWorkMemThatFits_fromTempBlocksPerCall() throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("ALTER DATABASE " + c.getCatalog() + " SET work_mem = '1MB'");
        }
        String plan = explain("SELECT * FROM orders ORDER BY amount DESC");
        assertTrue(plan.contains("\"work_mem\": \"1MB\""), plan);
        // 3,000 calls that wrote 24,000 blocks of temp (8 blocks = 64 kB per call) vs 1 MB: no finding is wrong,
        // 8 MB per call (1,024 blocks) over 1 MB: 16 MB fits
        List<Finding> small = PlanAnalyzer.analyze("app", "5", plan, Map.of(), new StatementStats(3000, 24_000));
        Finding s = small.stream().filter(x -> x.kind().equals("work_mem")).findFirst().orElseThrow();
        assertEquals(0.06, s.confidence(), 1e-9, s.toString());
        List<Finding> big = PlanAnalyzer.analyze("app", "5", plan, Map.of(), new StatementStats(200, 200 * 1024));
        Finding b = big.stream().filter(x -> x.kind().equals("work_mem")).findFirst().orElseThrow();
        assertEquals("16MB", b.evidence().get("suggested_work_mem"));
        assertEquals(1L << 20, b.evidence().get("work_mem_bytes"));
        assertEquals(1.0, b.confidence(), 1e-9);
        assertEquals("work_mem|app|5", b.key());
        System.out.println("work_mem finding: " + b.summary() + " confidence " + b.confidence());
        // no temp blocks, or a plan with nothing that spills: no finding
        assertTrue(PlanAnalyzer.analyze("app", "5", plan, Map.of(), new StatementStats(200, 0)).stream()
                .noneMatch(x -> x.kind().equals("work_mem")));
        assertTrue(PlanAnalyzer.analyze("app", "6", explain("SELECT id FROM orders WHERE id = $1"), Map.of(),
                new StatementStats(200, 1000)).isEmpty());
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("ALTER DATABASE " + c.getCatalog() + " RESET work_mem");
        }
    }

    @Test
    void manyChangesSinceTheLastAnalyze_recommendAnalyze_onlyForRelationsThePlanReads() throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            // autovacuum off for this table, so autoanalyze cannot catch up during the test
            st.execute("CREATE TABLE events (id int, kind int) WITH (autovacuum_enabled = false)");
            st.execute("INSERT INTO events SELECT i, i % 7 FROM generate_series(1, 20000) i");
        }
        counted("events", "n_tup_ins", 20_000);
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("ANALYZE events");
            st.execute("UPDATE events SET kind = kind + 1 WHERE id <= 9000");
        }
        counted("events", "n_tup_upd", 9_000);
        Map<String, RelationStats> stats = stats("events");
        assertEquals(9000.0, stats.get("public.events").modsSinceAnalyze(), 0.0);
        assertEquals(20_000.0, stats.get("public.events").liveTuples(), 0.0);
        String plan = explain("SELECT count(*) FROM events WHERE kind = $1");
        List<Finding> a = PlanAnalyzer.analyze("app", "11", plan, stats, null).stream()
                .filter(f -> f.kind().equals("analyze")).toList();
        assertEquals(1, a.size(), a.toString());
        assertEquals("ANALYZE public.events", a.get(0).action());
        assertEquals("analyze|app|11|public.events", a.get(0).key());
        assertEquals(PlanAnalyzer.round2((9000 / stats.get("public.events").liveTuples() - 0.1) / 0.9), a.get(0).confidence(), 1e-9);
        System.out.println("analyze finding: " + a.get(0).summary() + " confidence " + a.get(0).confidence());
        // a plan that does not read it gets nothing for it
        assertTrue(PlanAnalyzer.analyze("app", "12", explain("SELECT id FROM orders WHERE id = $1"), stats, null).isEmpty());
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("ANALYZE events");
        }
        assertTrue(PlanAnalyzer.analyze("app", "11", plan, stats("events"), null).stream().noneMatch(f -> f.kind().equals("analyze")));
    }

    private static String plan(String sql) throws Exception {
        return explain(sql);
    }
}
