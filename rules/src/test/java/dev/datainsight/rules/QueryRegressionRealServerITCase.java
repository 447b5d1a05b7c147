package dev.datainsight.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.datainsight.collector.Collector;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.AlertContextItem;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.StatementsSnapshot;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 15 on a real server, rule side: the real collector reads a PostgreSQL with
 * pg_stat_statements where heavy statements ({@code pg_sleep(0.2)}, run without pause by two
 * sessions) dominate cumulative time, while a light statement {@code SELECT lookup($1)} runs many
 * times at ~2 ms; then the function it calls starts sleeping 100 ms (50x) while the heavy ones keep
 * running. query_regression must fire for the light statement's queryid with its normalised text
 * in the summary and the context, and never for the heavy statements.
 *
 * <p>Time: real (wall-clock) time with the rule's windows shrunk through {@link RulesConfig}
 * (window 10 s, baseline half-life 20 s, min baseline 20 s, min mean 20 ms) rather than an
 * accelerated collector clock: the statements snapshots come every 2 s, so the baseline is a few
 * dozen real intervals and the EWMA sees the same per-interval means as in production.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class QueryRegressionRealServerITCase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(EmbeddedPostgresServer.defaultMajor(),
            Map.of("max_connections", "70"));

    private static final String LIGHT = "SELECT lookup($1)";
    private static final String[] HEAVY = {
        "SELECT pg_sleep(0.2), count(*) FROM heavy_a", "SELECT pg_sleep(0.2), count(*) FROM heavy_b",
        "SELECT pg_sleep(0.2), count(*) FROM heavy_c"};
    private static final long BASELINE_MS = 40_000;

    private final ConcurrentLinkedQueue<Snapshot> inbox = new ConcurrentLinkedQueue<>();
    /** Query ids of the statements rows the rules saw. */
    private final java.util.Set<String> published = new java.util.HashSet<>();

    @Test
    void aStatement50xSlower_whileHeavierOnesDominate_firesWithItsText() throws Exception {
        String db = PG.freshDatabase("regress");
        String url = PG.server().jdbcUrl(db);
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            st.execute("CREATE TABLE items (id int PRIMARY KEY, v text)");
            st.execute("INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 10000) g");
            st.execute("CREATE TABLE knob (delay float8 NOT NULL)");
            st.execute("INSERT INTO knob VALUES (0.002)");
            st.execute("CREATE FUNCTION lookup(k int) RETURNS text LANGUAGE plpgsql AS $$ BEGIN "
                    + "PERFORM pg_sleep((SELECT delay FROM knob)); RETURN (SELECT v FROM items WHERE id = k); END $$");
            for (String t : List.of("heavy_a", "heavy_b", "heavy_c")) {
                st.execute("CREATE TABLE " + t + " AS SELECT g AS id FROM generate_series(1, 1000) g");
            }
        }
        FleetConfig fleet = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("pg-regress").url(PG.server().jdbcUrlNoUser(db)).user("postgres")
                        .intervals(Duration.ofSeconds(1), Duration.ofSeconds(2)).build())
                .build();
        RulesConfig rules = RuleEvaluatorTest.only(Map.of("query_regression",
                "window: 10s, baseline_half_life: 20s, min_baseline: 20s, min_mean_ms: 20, min_calls: 10,"
                        + " warning: 2, critical: 20"));
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (RulesHarness h = new RulesHarness(rules);
                Collector collector = new Collector(fleet, inbox::add);
                Connection light = DriverManager.getConnection(url);
                PreparedStatement lookup = light.prepareStatement("SELECT lookup(?)")) {
            List<Future<?>> heavy = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int first = w;
                heavy.add(pool.submit(() -> {
                    try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                        for (int i = first; !stop.get(); i++) {
                            st.executeQuery(HEAVY[i % HEAVY.length]).close();
                        }
                    }
                    return null;
                }));
            }
            lookup.setInt(1, 1);
            lookup.executeQuery().close();
            String lightId = queryId(url, LIGHT);
            collector.start();
            long regressAt = System.currentTimeMillis() + BASELINE_MS;
            long deadline = regressAt + 90_000;
            boolean regressed = false;
            AlertEvent fired = null;
            int k = 0;
            while (fired == null && System.currentTimeMillis() < deadline) {
                if (!regressed && System.currentTimeMillis() >= regressAt) {
                    try (Statement st = light.createStatement()) {
                        st.execute("UPDATE knob SET delay = 0.1"); // 50x the 2 ms it took so far
                    }
                    regressed = true;
                }
                lookup.setInt(1, 1 + (k++ % 10000));
                try (ResultSet rs = lookup.executeQuery()) {
                    assertTrue(rs.next());
                }
                if (!regressed) {
                    Thread.sleep(10); // ~80 calls per 2 s cycle, ~0.2 s of it: far below the heavy ones
                }
                drain(h);
                fired = h.events.stream().filter(a -> a.getRule().equals(QueryRegressionRuleName.NAME)
                        && a.getStatus() == AlertStatus.FIRING && a.getSeverity() == Severity.CRITICAL
                        && lightId.equals(a.getLabels().get("queryid"))).findFirst().orElse(null);
            }
            stop.set(true);
            for (Future<?> f : heavy) {
                f.get(30, TimeUnit.SECONDS);
            }
            List<String> heavyIds = new ArrayList<>();
            for (String q : HEAVY) {
                heavyIds.add(queryId(url, q.replace("0.2", "$1")));
            }
            assertTrue(totalExecTime(url, LIGHT) < 0.5 * heavyIds.stream().mapToDouble(id -> time(url, id)).sum(),
                    "the heavy statements dominate cumulative time");
            if (fired == null) {
                fail("query_regression did not fire critical; events: " + h.events.stream()
                        .filter(a -> a.getRule().equals(QueryRegressionRuleName.NAME)).map(AlertEvent::getSummary).toList());
            }
            System.out.println("query_regression: " + fired.getSummary());
            assertEquals(db, fired.getLabels().get("datname"));
            assertTrue(fired.getSummary().startsWith("Query `" + LIGHT + "` (id " + lightId + ") in database " + db
                    + " got "), fired.getSummary());
            assertTrue(!fired.getSummary().contains("text not yet seen"), fired.getSummary());
            AlertContextItem item = fired.getContext().get(0);
            assertEquals("statement", item.getKind());
            assertEquals(lightId, item.get("queryid"));
            assertEquals(LIGHT, item.get("text"));
            double ratio = Double.parseDouble(item.get("ratio").replace("x", ""));
            assertTrue(ratio > 20 && ratio < 80, "about 50x: " + item);
            for (AlertEvent a : h.events) {
                if (a.getRule().equals(QueryRegressionRuleName.NAME)) {
                    assertTrue(!heavyIds.contains(a.getLabels().get("queryid")),
                            "a heavy statement fired query_regression: " + a.getSummary());
                }
            }
            // The rule only emits evaluations that hold or change an alert, so what shows the heavy statements were
            // judged (and stayed quiet) is that they reached it: published with enough calls and time to qualify.
            assertTrue(published.containsAll(heavyIds) && published.contains(lightId),
                    "the heavy and the light statements reached the rule: " + published + " vs " + heavyIds);
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
    }

    /** The rule's name, kept in one place. */
    private static final class QueryRegressionRuleName {
        static final String NAME = dev.datainsight.rules.defs.QueryRegressionRule.NAME;
    }

    private static String queryId(String url, String text) throws Exception {
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement ps = c.prepareStatement("SELECT queryid::text FROM pg_stat_statements s "
                        + "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() AND s.query = ?")) {
            ps.setString(1, text);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "no pg_stat_statements row for " + text);
                String id = rs.getString(1);
                assertNotNull(id);
                return id;
            }
        }
    }

    private static double totalExecTime(String url, String text) throws Exception {
        return time(url, queryId(url, text));
    }

    private static double time(String url, String queryId) {
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement ps = c.prepareStatement(
                        "SELECT sum(total_exec_time) FROM pg_stat_statements WHERE queryid::text = ?")) {
            ps.setString(1, queryId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getDouble(1);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void drain(RulesHarness h) throws Exception {
        List<Snapshot> batch = new ArrayList<>();
        for (Snapshot s; (s = inbox.poll()) != null; ) {
            batch.add(s);
        }
        batch.sort(Comparator.comparingLong(Snapshot::getCollectedAt));
        for (Snapshot s : batch) {
            if (s instanceof StatementsSnapshot st) {
                st.getRows().forEach(r -> published.add(r.getLabels().get("queryid")));
            }
            h.push(s);
        }
    }
}
