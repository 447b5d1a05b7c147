package dev.datainsight.collector;

import static dev.datainsight.collector.TestSupport.exec;
import static dev.datainsight.collector.TestSupport.query;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.probe.PlansProbe;
import dev.datainsight.collector.probe.PlansSettings;
import dev.datainsight.collector.probe.StatementsProbe;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.model.DecodeResult;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.PlansSnapshot;
import dev.datainsight.model.QueryPlan;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.WireCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The plans probe against a real PostgreSQL 16+: plans are captured for top statements with a
 * fingerprint of their shape, nothing is executed or locked beyond AccessShareLock, and a role
 * that may not read a table gets one "no privilege" entry. Each test has its own database and
 * collector.
 */
abstract class PlansProbeBase {
    static final String ID = "plans";
    static final String BY_CUSTOMER = "SELECT * FROM orders WHERE customer_id = ?";

    EmbeddedPostgresServer pg;
    String db;
    String reader;
    final List<Collector> collectors = new ArrayList<>();
    final WireCodec codec = new WireCodec();

    abstract EmbeddedPostgresServer server();

    @BeforeEach
    void setUp() {
        pg = server();
        db = pg.createDatabase("plans");
        exec(pg, db, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
                "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, amount numeric NOT NULL)",
                "INSERT INTO orders SELECT i, i, i FROM generate_series(1, 1000) i",
                "CREATE INDEX orders_customer_idx ON orders (customer_id)",
                "ANALYZE orders");
        reader = TestSupport.createRole(pg, "di_plans", true);
        exec(pg, db, "GRANT pg_read_all_data TO " + reader);
    }

    @AfterEach
    void tearDown() {
        for (Collector c : collectors) {
            c.close();
        }
        // The server is shared with the other test classes of this major: a database left here
        // would push their fresh databases out of the collector's top databases by activity.
        exec(pg, "postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    }

    Collector collector(String role, PlansSettings plans) {
        FleetConfig cfg = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder(ID).url(pg.jdbcUrlNoUser(db)).user(role).password("secret")
                        .plans(plans).build())
                .build();
        Collector c = new Collector(cfg, s -> { }, List.of(new StatementsProbe(), new PlansProbe()));
        collectors.add(c);
        return c;
    }

    /** One cycle's plans snapshot (null when the probe sent none), after a wire round trip. */
    PlansSnapshot cycle(Collector c, List<Double> durations) {
        List<Snapshot> out = c.collectOnce(ID);
        SnapshotRow health = TestSupport.row(TestSupport.view(out, MetricCatalog.COLLECTOR_VIEW), Map.of("probe", PlansSnapshot.VIEW));
        assertNotNull(health, "health row of the plans probe");
        assertEquals(0.0, health.getValues().get("error"), () -> "plans probe error: " + c.status(ID).probeErrors());
        if (durations != null) {
            durations.add(health.getValues().get("duration_ms"));
        }
        for (Snapshot s : out) {
            if (s instanceof PlansSnapshot p) {
                DecodeResult<PlansSnapshot> r = codec.decodePlans(codec.encode(p));
                assertTrue(r.isOk(), r::toString);
                assertEquals(p.getPlans(), r.value().getPlans());
                assertFalse(codec.decodeSnapshot(codec.encode(p)).isOk(), "a snapshot reader refuses plans");
                return r.value();
            }
        }
        return null;
    }

    void run(String sql, Object... params) {
        try (Connection c = pg.connect(db); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < 20; i++) {
                for (int j = 0; j < params.length; j++) {
                    ps.setObject(j + 1, params[j] instanceof Integer n ? n + i : params[j]);
                }
                ps.execute();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    String queryId(String like) {
        List<Map<String, Object>> r = query(pg, db, "SELECT queryid::text AS q FROM pg_stat_statements s JOIN pg_database d"
                + " ON d.oid = s.dbid WHERE d.datname = current_database() AND s.query LIKE '" + like.replace("'", "''") + "'");
        assertEquals(1, r.size(), () -> "entries like " + like + ": " + r);
        return (String) r.get(0).get("q");
    }

    static QueryPlan plan(PlansSnapshot s, String queryid) {
        if (s == null) {
            return null;
        }
        for (QueryPlan p : s.getPlans()) {
            if (p.queryid().equals(queryid)) {
                return p;
            }
        }
        return null;
    }

    @Test
    void topStatementGetsAPlan_whoseFingerprintSurvivesNewEstimates_andChangesWhenItsIndexIsDropped() {
        Collector c = collector(reader, new PlansSettings(true, 5, Duration.ofMillis(1)));
        cycle(c, null); // priming: from here on the ranking is by change since the previous cycle
        run(BY_CUSTOMER, 1);
        String qid = queryId("SELECT * FROM orders WHERE customer_id = $1");

        QueryPlan first = plan(cycle(c, null), qid);
        assertNotNull(first, "the top statement was explained");
        assertEquals(QueryPlan.CAPTURED, first.status(), first::detail);
        assertTrue(first.fingerprint().matches("[0-9a-f]{16}"), first.fingerprint());
        assertTrue(first.summary().contains("orders_customer_idx") && first.summary().contains("on orders"), first.summary());
        assertTrue(first.plan().contains("\"Settings\"") || first.plan().contains("\"Plan\""), first.plan());
        assertTrue(first.plan().contains("\"Output\""), "VERBOSE: " + first.plan());
        assertFalse(first.truncated());
        assertEquals(db, first.datname());

        // New estimates: 50x the rows, analyzed. Same plan shape, other costs.
        exec(pg, db, "INSERT INTO orders SELECT i, i, i FROM generate_series(1001, 50000) i", "ANALYZE orders");
        run(BY_CUSTOMER, 1);
        QueryPlan second = plan(cycle(c, null), qid);
        assertNotNull(second);
        assertEquals(QueryPlan.CAPTURED, second.status(), second::detail);
        assertNotEquals(first.totalCost(), second.totalCost(), "the estimates changed");
        assertEquals(first.fingerprint(), second.fingerprint(), first.summary() + " vs " + second.summary());

        // The index the plan used is gone: another plan, another fingerprint.
        exec(pg, db, "DROP INDEX orders_customer_idx");
        run(BY_CUSTOMER, 1);
        PlansSnapshot after = cycle(c, null);
        QueryPlan third = plan(after, qid);
        assertNotNull(third, () -> qid + " not in " + (after == null ? null : after.getPlans()) + "; pgss: "
                + query(pg, db, "SELECT queryid, calls, query FROM pg_stat_statements WHERE query LIKE '%customer_id%'"));
        assertEquals(QueryPlan.CAPTURED, third.status(), third::detail);
        assertTrue(third.summary().contains("Seq Scan on orders"), third.summary());
        assertNotEquals(first.fingerprint(), third.fingerprint());
    }

    /** Seven statements with seven query ids (constants alone would normalise to one). */
    static String distinct(int i) {
        return "SELECT id, amount FROM orders WHERE customer_id = ?" + " AND amount IS NOT NULL".repeat(i + 1);
    }

    @Test
    void atMostKPerCycle_eachOncePerInterval_withTheProbeTimePrinted() {
        Collector c = collector(reader, PlansSettings.on());
        cycle(c, null); // priming: from here on the ranking is by change since the previous cycle
        for (int i = 0; i < 7; i++) {
            run(distinct(i), 1);
        }
        List<Double> ms = new ArrayList<>();
        PlansSnapshot one = cycle(c, ms);
        assertNotNull(one);
        Set<String> explained = new TreeSet<>();
        for (QueryPlan p : one.getPlans()) {
            if (!p.status().equals(QueryPlan.SKIPPED)) {
                explained.add(p.queryid());
            }
        }
        assertEquals(PlansSettings.DEFAULT_PER_CYCLE, explained.size(), one.getPlans().toString());
        for (QueryPlan p : one.getPlans()) {
            if (p.status().equals(QueryPlan.CAPTURED)) {
                assertNotNull(p.fingerprint());
            }
        }
        // Same workload again: the five are not explained again within the interval; the rest are.
        for (int i = 0; i < 7; i++) {
            run(distinct(i), 1);
        }
        PlansSnapshot two = cycle(c, ms);
        assertNotNull(two);
        Set<String> again = new TreeSet<>();
        for (QueryPlan p : two.getPlans()) {
            assertFalse(explained.contains(p.queryid()), "explained twice within the interval: " + p.queryid());
            again.add(p.queryid());
        }
        assertTrue(again.size() >= 2, two.getPlans().toString());
        System.out.printf("plans probe on PostgreSQL %d: %d statements explained in %.1f ms (K = 5), %d in %.1f ms%n",
                pg.major(), explained.size(), ms.get(0), again.size(), ms.get(1));
        assertTrue(ms.get(0) <= 2000, "plans probe took " + ms.get(0) + " ms for 5 statements");
    }

    @Test
    void dmlTexts_changeNoRow_andTakeNoLockBeyondAccessShare_evenWhileAShareLockIsHeld() throws Exception {
        Collector c = collector(reader, PlansSettings.on());
        cycle(c, null);
        run("DELETE FROM orders WHERE id = ?", -1);
        run("UPDATE orders SET amount = amount + 1 WHERE id = ?", -1);
        run("SELECT amount FROM orders WHERE id = ?", 1);
        String delete = queryId("DELETE FROM orders WHERE id = $1");
        String update = queryId("UPDATE orders SET amount = amount + % WHERE id = %");
        String select = queryId("SELECT amount FROM orders WHERE id = $1");
        Object before = query(pg, db, "SELECT count(*)::text || '/' || sum(amount)::text AS v FROM orders").get(0).get("v");

        // SHARE conflicts with the RowExclusiveLock an EXPLAIN of UPDATE/DELETE would take, not with AccessShareLock.
        Set<String> modes = new ConcurrentSkipListSet<>();
        AtomicBoolean done = new AtomicBoolean();
        PlansSnapshot s;
        try (Connection locker = pg.connect(db); Connection watcher = pg.connect(db)) {
            locker.setAutoCommit(false);
            try (Statement st = locker.createStatement()) {
                st.execute("LOCK TABLE orders IN SHARE MODE");
            }
            Thread watch = new Thread(() -> {
                try (PreparedStatement ps = watcher.prepareStatement("SELECT l.mode FROM pg_locks l JOIN pg_stat_activity a"
                        + " ON a.pid = l.pid WHERE a.application_name = 'datainsight-collector' AND l.locktype = 'relation'")) {
                    while (!done.get()) {
                        try (var rs = ps.executeQuery()) {
                            while (rs.next()) {
                                modes.add(rs.getString(1));
                            }
                        }
                    }
                } catch (SQLException e) {
                    modes.add("watch failed: " + e.getMessage());
                }
            });
            watch.start();
            long t0 = System.nanoTime();
            try {
                s = cycle(c, null);
            } finally {
                done.set(true);
                watch.join();
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 1000, "the probe never waited for lock_timeout (1 s): " + ms + " ms");
            locker.rollback();
        }
        assertNotNull(s);
        for (String dml : List.of(delete, update)) {
            QueryPlan p = plan(s, dml);
            assertNotNull(p, "reported: " + s.getPlans());
            assertEquals(QueryPlan.SKIPPED, p.status());
            assertTrue(p.detail().contains("RowExclusiveLock"), p.detail());
        }
        QueryPlan sel = plan(s, select);
        assertNotNull(sel);
        assertEquals(QueryPlan.CAPTURED, sel.status(), sel::detail);
        assertTrue(modes.stream().allMatch("AccessShareLock"::equals), "locks of the collector: " + modes);
        Object after = query(pg, db, "SELECT count(*)::text || '/' || sum(amount)::text AS v FROM orders").get(0).get("v");
        assertEquals(before, after);
    }

    @Test
    void anAccessExclusiveLock_makesTheExplainFailWithLockTimeout_notWaitForever() throws Exception {
        Collector c = collector(reader, PlansSettings.on());
        cycle(c, null);
        run("SELECT amount FROM orders WHERE id = ?", 1);
        String select = queryId("SELECT amount FROM orders WHERE id = $1");
        PlansSnapshot s;
        try (Connection locker = pg.connect(db)) {
            locker.setAutoCommit(false);
            try (Statement st = locker.createStatement()) {
                st.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE");
            }
            s = cycle(c, null);
            locker.rollback();
        }
        QueryPlan p = plan(s, select);
        assertNotNull(p, () -> String.valueOf(s == null ? null : s.getPlans()));
        assertEquals(QueryPlan.FAILED, p.status());
        assertTrue(p.detail().contains("55P03"), p.detail());
    }

    @Test
    void anOversizedPlan_isCutWithAMarker_notDropped() throws Exception {
        Collector c = collector(reader, PlansSettings.on());
        cycle(c, null);
        // 600 branches: a plan of about a megabyte in VERBOSE JSON, from a text of 25,000 characters.
        StringBuilder sql = new StringBuilder();
        for (int i = 0; i < 600; i++) {
            sql.append(i == 0 ? "" : " UNION ALL ").append("SELECT amount FROM orders WHERE id = ").append(i);
        }
        try (Connection x = pg.connect(db); Statement st = x.createStatement()) {
            for (int i = 0; i < 3; i++) {
                st.execute(sql.toString());
            }
        }
        PlansSnapshot s = cycle(c, null);
        assertNotNull(s);
        QueryPlan big = null;
        for (QueryPlan p : s.getPlans()) {
            if (p.summary() != null && p.summary().contains("Append(")) {
                big = p;
            }
        }
        assertNotNull(big, () -> s.getPlans().toString());
        assertEquals(QueryPlan.CAPTURED, big.status());
        assertTrue(big.truncated(), "marked truncated");
        assertTrue(big.planBytes() > dev.datainsight.model.WireFormat.MAX_PLAN_BYTES, "whole size: " + big.planBytes());
        assertTrue(big.plan().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= dev.datainsight.model.WireFormat.MAX_PLAN_BYTES);
        assertTrue(big.fingerprint().matches("[0-9a-f]{16}"));
        assertTrue(big.summary().length() <= 500, big.summary());
        assertTrue(codec.encode(s).length < dev.datainsight.model.WireFormat.DEFAULT_MAX_RECORD_BYTES);
    }

    @Test
    void aRoleWithoutSelect_getsNoPrivilegeOnce_notAnErrorPerCycle() {
        String monitorOnly = TestSupport.createRole(pg, "di_plans_nopriv", true);
        Collector c = collector(monitorOnly, PlansSettings.on());
        cycle(c, null);
        run(BY_CUSTOMER, 1);
        String qid = queryId("SELECT * FROM orders WHERE customer_id = $1");
        QueryPlan p = plan(cycle(c, null), qid);
        assertNotNull(p);
        assertEquals(QueryPlan.NO_PRIVILEGE, p.status());
        assertTrue(p.detail().contains("42501") && p.detail().contains("pg_read_all_data"), p.detail());
        assertNull(p.fingerprint());
        run(BY_CUSTOMER, 1);
        assertNull(plan(cycle(c, null), qid), "reported once per interval");
    }
}
