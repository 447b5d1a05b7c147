package dev.datainsight.jobs.plans;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.jobs.records.CapturedPlan;
import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.Recommendation;
import dev.datainsight.jobs.records.StatsReading;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.WireCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Recommendations per statement: opened by a plan that needs them, refreshed (not duplicated) by
 * later captures, closed with the evidence when the plan changes to an index scan or the spill
 * stops; replays change nothing; state is per statement and has a TTL. The plans are the shape
 * PostgreSQL 16 prints for them (PlanAnalyzerTest reads the real ones).
 */
class RecommendationFunctionTest {
    private static final long T = 1_790_000_000_000L;
    private static final long MIN = 60_000L;
    static final String SEQ = "[{\"Plan\": {\"Node Type\": \"Seq Scan\", \"Relation Name\": \"orders\", \"Schema\": \"public\","
            + " \"Alias\": \"orders\", \"Total Cost\": 1887.0, \"Plan Rows\": 20, \"Filter\": \"(orders.customer_id = $1)\"}}]";
    static final String INDEX = "[{\"Plan\": {\"Node Type\": \"Index Scan\", \"Index Name\": \"orders_customer_id_idx\","
            + " \"Relation Name\": \"orders\", \"Schema\": \"public\", \"Alias\": \"orders\", \"Total Cost\": 80.4,"
            + " \"Plan Rows\": 20, \"Index Cond\": \"(orders.customer_id = $1)\"}}]";
    static final String SORT = "[{\"Plan\": {\"Node Type\": \"Sort\", \"Total Cost\": 20000.0, \"Plan Rows\": 100000,"
            + " \"Plans\": [{\"Node Type\": \"Seq Scan\", \"Relation Name\": \"orders\", \"Schema\": \"public\", \"Alias\": \"orders\","
            + " \"Total Cost\": 1637.0, \"Plan Rows\": 100000}]}, \"Settings\": {\"work_mem\": \"1MB\"}}]";

    private KeyedTwoInputStreamOperatorTestHarness<String, CapturedPlan, StatsReading, Recommendation> h;

    @BeforeEach
    void open() throws Exception {
        h = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(
                new RecommendationFunction(Duration.ofDays(7))), RecommendationFunction::key, StatsReading::databaseKey, Types.STRING);
        h.open();
    }

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    static CapturedPlan plan(String queryid, String fp, String summary, String json, long at) {
        CapturedPlan p = new CapturedPlan();
        p.instance = "db-1";
        p.datname = "app";
        p.queryid = queryid;
        p.rolname = "web";
        p.fingerprint = fp;
        p.summary = summary;
        p.plan = json;
        p.capturedAt = at;
        return p;
    }

    static StatsReading temp(String queryid, double calls, double blocks, long at) {
        StatsReading t = new StatsReading();
        t.instance = "db-1";
        t.datname = "app";
        t.kind = StatsReading.STATEMENT;
        t.queryid = queryid;
        t.calls = calls;
        t.tempBlksWritten = blocks;
        t.collectedAt = at;
        return t;
    }

    private List<Recommendation> out() {
        return new ArrayList<>(h.extractOutputValues());
    }

    @Test
    void seqScanOpens_laterCaptureRefreshes_replayIsIgnored_indexScanCloses() throws Exception {
        h.processElement1(plan("42", "aaaa", "Seq Scan on orders", SEQ, T), T);
        h.processElement1(plan("42", "aaaa", "Seq Scan on orders", SEQ, T + 15 * MIN), T + 15 * MIN);
        h.processElement1(plan("42", "aaaa", "Seq Scan on orders", SEQ, T), T); // replay
        List<Recommendation> o = out();
        assertEquals(2, o.size(), o.toString());
        Recommendation first = o.get(0);
        assertEquals("index|app|42|public.orders (customer_id)", first.dedupKey);
        assertTrue(first.open);
        assertEquals("not validated (hypopg absent)", first.validated);
        assertEquals(first.dedupKey, o.get(1).dedupKey, "a refresh, not a second recommendation");
        assertEquals(T, o.get(1).firstSeen);
        assertEquals(T + 15 * MIN, o.get(1).seenAt);
        // confidence from the evidence: size log10(1887)/5, selectivity unknown 0.5, one usable conjunct of one
        assertEquals(PlanAnalyzer.round2(Math.log10(1887.0) / 5 * 0.5), first.confidence, 1e-9);
        assertEquals("aaaa", WireCodec.mapper().readTree(first.evidence).get("fingerprint").asText());

        h.processElement1(plan("42", "bbbb", "Index Scan using orders_customer_id_idx on orders", INDEX, T + 30 * MIN), T + 30 * MIN);
        o = out();
        assertEquals(3, o.size(), o.toString());
        Recommendation closed = o.get(2);
        assertFalse(closed.open);
        assertEquals(first.dedupKey, closed.dedupKey);
        assertEquals(T + 30 * MIN, closed.seenAt);
        assertEquals("the plan now uses Index Scan using orders_customer_id_idx on orders (plan bbbb)", closed.closedReason);
        assertEquals("orders_customer_id_idx", WireCodec.mapper().readTree(closed.evidence).path("closed_by")
                .path("index_access").asText().replaceAll(".* using (\\S+) on .*", "$1"));
        // the next capture of the index plan: nothing open, nothing to close
        h.processElement1(plan("42", "bbbb", "Index Scan using orders_customer_id_idx on orders", INDEX, T + 45 * MIN), T + 45 * MIN);
        assertEquals(3, out().size());
    }

    @Test
    void spillingSort_opensWorkMem_fromTheLatestInterval_closesWhenTheSpillStops() throws Exception {
        h.processElement2(temp("9", 100, 100 * 1024, T - 2 * MIN), T - 2 * MIN);
        h.processElement2(temp("9", 200, 200 * 1024, T - MIN), T - MIN); // 100 calls, 8 MB each
        h.processElement1(plan("9", "ssss", "Sort(Seq Scan on orders)", SORT, T), T);
        List<Recommendation> o = out();
        assertEquals(1, o.size(), o.toString());
        assertEquals("work_mem|app|9", o.get(0).dedupKey);
        assertTrue(o.get(0).summary.contains("work_mem 16MB would fit it"), o.get(0).summary);
        // work_mem raised: the statement runs 100 more times without a temp block
        h.processElement2(temp("9", 300, 200 * 1024, T + 10 * MIN), T + 10 * MIN);
        h.processElement1(plan("9", "ssss", "Sort(Seq Scan on orders)", SORT, T + 15 * MIN), T + 15 * MIN);
        o = out();
        assertEquals(2, o.size(), o.toString());
        assertFalse(o.get(1).open);
        assertEquals("no temp blocks written in the latest interval (plan ssss)", o.get(1).closedReason);
    }

    static StatsReading relation(String rel, double rows, double bytes, double mods, long at) {
        StatsReading t = new StatsReading();
        t.instance = "db-1";
        t.datname = "app";
        t.kind = StatsReading.RELATION;
        t.relation = rel;
        t.liveTuples = rows;
        t.tableBytes = bytes;
        t.modsSinceAnalyze = mods;
        t.collectedAt = at;
        return t;
    }

    @Test
    void relationStats_makeSelectivityKnown_andStaleStatisticsOpenAnAnalyze_closedAfterAnalyze() throws Exception {
        h.processElement2(relation("public.orders", 100_000, 740 * 8192.0, 60_000, T - MIN), T - MIN);
        h.processElement1(plan("42", "aaaa", "Seq Scan on orders", SEQ, T), T);
        List<Recommendation> o = out();
        assertEquals(2, o.size(), o.toString());
        Recommendation index = o.stream().filter(r -> r.kind.equals("index")).findFirst().orElseThrow();
        // S = log10(740)/5, F = 1 - 20/100,000
        assertEquals(PlanAnalyzer.round2(Math.log10(740) / 5 * (1 - 20 / 100_000.0)), index.confidence, 1e-9);
        Recommendation analyze = o.stream().filter(r -> r.kind.equals("analyze")).findFirst().orElseThrow();
        assertEquals("ANALYZE public.orders", analyze.action);
        assertEquals(PlanAnalyzer.round2((0.6 - 0.1) / 0.9), analyze.confidence, 1e-9);
        // ANALYZE ran: the next reading has few changes, the next capture closes it
        h.processElement2(relation("public.orders", 100_000, 740 * 8192.0, 12, T + 10 * MIN), T + 10 * MIN);
        h.processElement1(plan("42", "aaaa", "Seq Scan on orders", SEQ, T + 15 * MIN), T + 15 * MIN);
        o = out();
        assertEquals(4, o.size(), o.toString());
        Recommendation closed = o.stream().filter(r -> r.kind.equals("analyze") && !r.open).findFirst().orElseThrow();
        assertEquals("public.orders now has 12 rows changed since its last analyze of 100000", closed.closedReason);
        assertTrue(o.get(2).open || o.get(3).open, "the index one is refreshed");
        // another statement of the same database is its own: nothing of 42 is closed by it
        h.processElement1(plan("43", "cccc", "Result", "[{\"Plan\": {\"Node Type\": \"Result\"}}]", T + 20 * MIN), T + 20 * MIN);
        assertEquals(4, out().size());
    }

    @Test
    void cutPlanChangesNothing_andStateIsForgottenAfterItsTtl() throws Exception {
        h.setStateTtlProcessingTime(0);
        h.processElement1(plan("42", "aaaa", "Seq Scan on orders", SEQ, T), T);
        CapturedPlan cut = plan("42", "bbbb", "Index Scan using orders_customer_id_idx on orders", INDEX.substring(0, 40), T + MIN);
        cut.truncated = true;
        h.processElement1(cut, T + MIN);
        assertEquals(1, out().size(), "a cut plan closes nothing");
        assertTrue(h.numKeyedStateEntries() > 0);
        h.setStateTtlProcessingTime(Duration.ofDays(8).toMillis());
        // after the TTL the statement starts over: its next capture opens again (first_seen new)
        h.processElement1(plan("42", "aaaa", "Seq Scan on orders", SEQ, T + Duration.ofDays(8).toMillis()), T);
        List<Recommendation> o = out();
        assertEquals(2, o.size());
        assertEquals(T + Duration.ofDays(8).toMillis(), o.get(1).firstSeen);
    }

    @Test
    void statsReadings_sumRolesPerQuery_skipStatementsWithoutTemp_andReadRelations() {
        List<String> names = new ArrayList<>(MetricCatalog.view("pg_stat_statements").columns().keySet());
        CompactSnapshot s = new CompactSnapshot();
        s.instance = "db-1";
        s.view = "pg_stat_statements";
        s.collectedAt = T;
        s.columns = new int[] {names.indexOf("calls"), names.indexOf("temp_blks_written")};
        char sep = CompactSnapshot.LABEL_SEPARATOR;
        s.rowKeys = new String[] {"42" + sep + "app" + sep + "web" + sep + "t", "42" + sep + "app" + sep + "batch" + sep + "t",
                "7" + sep + "app" + sep + "web" + sep + "t"};
        s.values = new double[] {10, 100, 5, 50, 1000, 0};
        List<StatsReading> t = StatsReadings.extract(s);
        assertEquals(1, t.size());
        assertEquals("42", t.get(0).queryid);
        assertEquals(15, t.get(0).calls);
        assertEquals(150, t.get(0).tempBlksWritten);
        assertEquals(RecommendationFunction.key(plan("42", "x", "x", "[]", T)), t.get(0).databaseKey());
        List<String> tables = new ArrayList<>(MetricCatalog.view("pg_stat_user_tables").columns().keySet());
        CompactSnapshot u = new CompactSnapshot();
        u.instance = "db-1";
        u.view = "pg_stat_user_tables";
        u.collectedAt = T;
        u.columns = new int[] {tables.indexOf("n_live_tup"), tables.indexOf("n_mod_since_analyze"), tables.indexOf("table_size_bytes")};
        u.rowKeys = new String[] {"app" + sep + "public" + sep + "orders"};
        u.values = new double[] {100_000, 40_000, Double.NaN};
        List<StatsReading> rel = StatsReadings.extract(u);
        assertEquals(1, rel.size());
        assertEquals("public.orders", rel.get(0).relation);
        assertEquals(StatsReading.RELATION, rel.get(0).kind);
        assertEquals(100_000.0, rel.get(0).liveTuples);
        assertEquals(40_000.0, rel.get(0).modsSinceAnalyze);
        assertEquals(null, rel.get(0).tableBytes, "NULL stays null");
        assertEquals(t.get(0).databaseKey(), rel.get(0).databaseKey());
        s.view = "pg_stat_database";
        assertEquals(List.of(), StatsReadings.extract(s));
    }
}
