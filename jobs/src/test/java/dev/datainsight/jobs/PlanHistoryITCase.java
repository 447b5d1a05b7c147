package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.Collector;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.collector.KafkaSnapshotSink;
import dev.datainsight.collector.probe.PlansProbe;
import dev.datainsight.collector.probe.PlansSettings;
import dev.datainsight.collector.probe.StatementsProbe;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.PlansSnapshot;
import dev.datainsight.model.QueryPlan;
import dev.datainsight.model.QueryText;
import dev.datainsight.model.RejectReason;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.StatementsSnapshot;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 16 end to end: the real plans probe explains a statement on a real PostgreSQL 16 (index
 * scan), the index is dropped, the next capture has another fingerprint (seq scan); both plans
 * snapshots go through the collector's Kafka sink to a real broker, and the job on a Flink
 * MiniCluster reads the plans topic with its second source: the store gets two {@code query_plan}
 * rows, the rules a plan change ({@code plan_change} insight naming both plans), and a bad record on
 * the plans topic goes to the dead letters. Then the same query regresses: its pg_stat_statements
 * counters (2 h at 0.4 ms, then 10 min at 38 ms: built here, with the real query id and text, as an
 * hour of real slowness would take an hour) go to the statements topic, and the
 * {@code query_regression} alert in the store names both captured plans.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PlanHistoryITCase extends JobTestSupport {
    @RegisterExtension
    static final PostgresExtension MONITORED = new PostgresExtension(16);

    private static final String INSTANCE = "pg-plans-e2e";
    private static final String BY_CUSTOMER = "SELECT * FROM orders WHERE customer_id = ?";

    @Test
    void droppedIndex_newFingerprint_twoPlanRows_planChange_andARegressionNamingBothPlans() throws Exception {
        String db = MONITORED.freshDatabase("app");
        String appUrl = MONITORED.server().jdbcUrl(db);
        try (Connection c = DriverManager.getConnection(appUrl); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            st.execute("CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, amount numeric NOT NULL)");
            st.execute("INSERT INTO orders SELECT i, i, i FROM generate_series(1, 20000) i");
            st.execute("CREATE INDEX orders_customer_id_idx ON orders (customer_id)");
            st.execute("ANALYZE orders");
            // The probe ignores its own role's statements: the collector is not the application.
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'di_collector') THEN"
                    + " CREATE ROLE di_collector LOGIN PASSWORD 'secret'; END IF; END $$");
            st.execute("GRANT pg_monitor, pg_read_all_data TO di_collector");
        }

        String metrics = KAFKA.newTopic("metrics", 1);
        String statements = KAFKA.newTopic("statements", 1);
        String plans = KAFKA.newTopic("plans", 1);
        String dlq = KAFKA.newTopic("dlq", 1);
        String alerts = KAFKA.newTopic("alerts", 1);
        String store = PG.freshDatabaseUrl("plans_store");

        // ---- the collector: capture, drop the index, capture again ---------------------------
        FleetConfig fleet = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder(INSTANCE).url(MONITORED.server().jdbcUrlNoUser(db))
                        .user("di_collector").password("secret").labels(Map.of("env", "e2e"))
                        .plans(new PlansSettings(true, 5, Duration.ofMillis(1))).build())
                .build();
        List<PlansSnapshot> captured = new ArrayList<>();
        String qid;
        String text;
        try (Collector collector = new Collector(fleet, s -> { }, List.of(new StatementsProbe(), new PlansProbe()))) {
            collector.collectOnce(INSTANCE); // priming: from here on the ranking is by change since the previous cycle
            run(appUrl);
            captured.add(plansOf(collector.collectOnce(INSTANCE)));
            try (Connection c = DriverManager.getConnection(appUrl); Statement st = c.createStatement()) {
                st.execute("DROP INDEX orders_customer_id_idx");
            }
            run(appUrl);
            captured.add(plansOf(collector.collectOnce(INSTANCE)));
        }
        try (Connection c = DriverManager.getConnection(appUrl); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT queryid::text, query FROM pg_stat_statements"
                        + " WHERE query LIKE 'SELECT * FROM orders WHERE customer_id = $1'")) {
            assertTrue(rs.next(), "the statement is in pg_stat_statements");
            qid = rs.getString(1);
            text = rs.getString(2);
        }
        QueryPlan before = planOf(captured.get(0), qid);
        QueryPlan after = planOf(captured.get(1), qid);
        assertEquals("Index Scan using orders_customer_id_idx on orders", before.summary());
        assertTrue(after.summary().startsWith("Seq Scan on orders"), after.summary());
        assertNotEquals(before.fingerprint(), after.fingerprint(), "the dropped index gives another plan");

        try (KafkaSnapshotSink sink = new KafkaSnapshotSink(KAFKA.bootstrapServers(), metrics, statements, plans, 1000,
                Map.of())) {
            for (PlansSnapshot p : captured) {
                sink.publish(p);
            }
        }
        try (KafkaProducer<byte[], byte[]> p = producer(KAFKA.bootstrapServers())) {
            produceRaw(p, plans, INSTANCE, "{\"schema\": 1, \"kind\": \"plans\", oops".getBytes(StandardCharsets.UTF_8));
        }

        // ---- the job: plans through its second source ------------------------------------------
        JobConfig c = valid(config(KAFKA.bootstrapServers(), metrics, statements, dlq, store)
                .kafka(k -> k.plansTopic(plans).alertsTopic(alerts))
                .store(s -> s.migrateOnStart(true))
                .rules(r -> r.enabled(true)));
        DataInsightJob.prepare(c);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(DataInsightJob.flinkConfiguration(c));
        DataInsightJob.defineWorkflow(env, new KafkaIO(), new KafkaIO(), c);
        JobClient job = env.executeAsync("plan-history-e2e");
        try {
            await("two query_plan rows, the plan_change insight and the index recommendation", Duration.ofSeconds(60), () -> {
                try {
                    return count(store, "SELECT count(*) FROM query_plan WHERE queryid = '" + qid + "'") == 2
                            && count(store, "SELECT count(*) FROM insight WHERE kind = 'plan_change'") == 1
                            && count(store, "SELECT count(*) FROM recommendation WHERE queryid = '" + qid + "'") == 1;
                } catch (Exception e) {
                    return false;
                }
            });
            try (Connection s = connect(store); Statement st = s.createStatement();
                    ResultSet rs = st.executeQuery("SELECT fingerprint, summary, datname, truncated, plan->0->'Plan'->>'Node Type'"
                            + " FROM query_plan WHERE instance = '" + INSTANCE + "' ORDER BY first_seen")) {
                assertTrue(rs.next());
                assertEquals(before.fingerprint(), rs.getString(1));
                assertEquals(before.summary(), rs.getString(2));
                assertEquals(db, rs.getString(3));
                assertEquals("Index Scan", rs.getString(5), "the plan is stored as jsonb");
                assertTrue(rs.next());
                assertEquals(after.fingerprint(), rs.getString(1));
                assertEquals("Seq Scan", rs.getString(5));
            }
            // the seq scan of the second capture: an index on the filtered column, not validated (no hypopg)
            try (Connection s = connect(store); Statement st = s.createStatement();
                    ResultSet rs = st.executeQuery("SELECT kind, target, status, validated, confidence, action, datname,"
                            + " evidence->>'fingerprint' FROM recommendation WHERE instance = '" + INSTANCE + "'")) {
                assertTrue(rs.next());
                assertEquals("index", rs.getString(1));
                assertEquals("public.orders (customer_id)", rs.getString(2));
                assertEquals("open", rs.getString(3));
                assertEquals("not validated (hypopg absent)", rs.getString(4));
                assertTrue(rs.getDouble(5) > 0 && rs.getDouble(5) < 1, "confidence " + rs.getDouble(5));
                assertEquals("CREATE INDEX CONCURRENTLY ON public.orders (customer_id)", rs.getString(6));
                assertEquals(db, rs.getString(7));
                assertEquals(after.fingerprint(), rs.getString(8));
                System.out.println("recommendation: confidence " + rs.getDouble(5) + " " + rs.getString(6));
            }
            String insight = one(store, "SELECT summary FROM insight WHERE kind = 'plan_change'");
            assertTrue(insight.contains("from `" + before.summary() + "` to `" + after.summary() + "`"), insight);

            List<DeadLetterRecord> letters = deadLetters(KAFKA.bootstrapServers(), dlq, 1, Duration.ofSeconds(20));
            assertEquals(1, letters.size(), letters.toString());
            assertEquals(RejectReason.NOT_JSON.code(), letters.get(0).getReason());
            assertEquals(plans, letters.get(0).getSourceTopic());

            // ---- the regression: the same query, 2 h at 0.4 ms, then 38 ms ------------------------
            long end = System.currentTimeMillis() - 5_000;
            long slowFrom = end - Duration.ofMinutes(10).toMillis();
            long t = slowFrom - Duration.ofHours(2).toMillis();
            double calls = 0;
            double time = 0;
            try (KafkaSnapshotSink sink = new KafkaSnapshotSink(KAFKA.bootstrapServers(), metrics, statements, plans,
                    1000, Map.of())) {
                for (boolean first = true; t <= end; t += 30_000, first = false) {
                    calls += 60;
                    time += 60 * (t < slowFrom ? 0.4 : 38);
                    sink.publish(statementsSnapshot(t, db, qid, first ? text : null, calls, time));
                }
            }
            await("the query_regression alert", Duration.ofSeconds(60), () -> {
                try {
                    return count(store, "SELECT count(*) FROM alert_event WHERE rule = 'query_regression'"
                            + " AND status = 'firing'") > 0;
                } catch (Exception e) {
                    return false;
                }
            });
            String regression = one(store, "SELECT summary FROM alert_event WHERE rule = 'query_regression'"
                    + " AND status = 'firing' ORDER BY event_at LIMIT 1");
            assertTrue(regression.contains("vs a baseline of 0.40 ms"), regression);
            assertTrue(regression.contains("plan changed at ") && regression.contains(" from `" + before.summary()
                    + "` to `" + after.summary() + "`"), regression);
            assertTrue(regression.contains("SELECT * FROM orders WHERE customer_id = $1"), regression);
            System.out.println("plan_change insight: " + insight);
            System.out.println("query_regression: " + regression);
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    /** 20 executions of the statement as the application (postgres), so it tops the cycle's ranking. */
    private static void run(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url); PreparedStatement ps = c.prepareStatement(BY_CUSTOMER)) {
            for (int i = 0; i < 20; i++) {
                ps.setInt(1, i);
                ps.executeQuery().close();
            }
        }
    }

    private static PlansSnapshot plansOf(List<Snapshot> out) {
        for (Snapshot s : out) {
            if (s instanceof PlansSnapshot p) {
                return p;
            }
        }
        throw new AssertionError("no plans snapshot in " + out);
    }

    private static QueryPlan planOf(PlansSnapshot s, String qid) {
        for (QueryPlan p : s.getPlans()) {
            if (qid.equals(p.queryid())) {
                assertEquals(QueryPlan.CAPTURED, p.status(), p::detail);
                assertNotNull(p.fingerprint());
                return p;
            }
        }
        throw new AssertionError(qid + " not explained: " + s.getPlans());
    }

    private static StatementsSnapshot statementsSnapshot(long t, String db, String qid, String text, double calls,
            double time) {
        StatementsSnapshot s = new StatementsSnapshot();
        s.setInstance(INSTANCE);
        s.setServerVersionNum(160000);
        s.setCollectedAt(t);
        s.setLabels(Map.of("env", "e2e"));
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("queryid", qid);
        labels.put("datname", db);
        labels.put("rolname", "postgres");
        labels.put("toplevel", "true");
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("calls", calls);
        values.put("total_exec_time", time);
        values.put("rows", calls);
        s.getRows().add(new SnapshotRow(labels, values, null));
        if (text != null) {
            s.setTexts(List.of(new QueryText(qid, text, false)));
        }
        return s;
    }

    private static String one(String url, String sql) throws Exception {
        try (Connection c = connect(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getString(1);
        }
    }
}
