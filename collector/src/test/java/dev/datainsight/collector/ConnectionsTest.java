package dev.datainsight.collector;

import static dev.datainsight.collector.TestSupport.exec;
import static dev.datainsight.collector.TestSupport.row;
import static dev.datainsight.collector.TestSupport.view;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** How many connections the collector holds on a server, and what happens when the server closes one. */
class ConnectionsTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    static final String COUNT = "SELECT count(*) FROM pg_stat_activity WHERE usename = ? AND application_name = ?";

    @Test
    void atMostTwoConnectionsPerServer_whileVisitingManyDatabases() throws Exception {
        String role = TestSupport.createRole(PG.server(), "di_conn", true);
        List<String> dbs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String db = PG.freshDatabase("conn");
            exec(PG.server(), db, "CREATE TABLE t_here (id int)");
            dbs.add(db);
        }
        FleetConfig cfg = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("conn").url(PG.server().jdbcUrlNoUser(dbs.get(0))).user(role)
                        .password("secret").intervals(Duration.ofMillis(150), Duration.ofMillis(300)).build())
                .sizesInterval(Duration.ofMillis(400))
                .limits(new dev.datainsight.collector.probe.ProbeLimits(200, 20, 20, 10, 20, 200, 1000))
                .build();
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger max = new AtomicInteger();
        AtomicInteger samples = new AtomicInteger();
        Thread watcher = new Thread(() -> {
            try (Connection w = PG.server().connect("postgres"); PreparedStatement ps = w.prepareStatement(COUNT)) {
                ps.setString(1, role);
                ps.setString(2, InstanceSession.APPLICATION_NAME);
                while (!done.get()) {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        int n = rs.getInt(1);
                        max.accumulateAndGet(n, Math::max);
                        samples.incrementAndGet();
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Set<String> visited = ConcurrentHashMap.newKeySet();
        ConcurrentLinkedQueue<Snapshot> got = new ConcurrentLinkedQueue<>();
        watcher.start();
        try (Collector c = new Collector(cfg, s -> {
            got.add(s);
            if (s.getView().equals("pg_stat_user_tables")) {
                for (SnapshotRow r : s.getRows()) {
                    if ("t_here".equals(r.getLabels().get("relname"))) {
                        visited.add(r.getLabels().get("datname"));
                    }
                }
            }
        })) {
            c.start();
            ResilienceTest.await("every database visited twice over", Duration.ofSeconds(60),
                    () -> visited.containsAll(dbs) && got.stream().filter(s -> s.getView().equals("pg_stat_user_tables")).count() >= 6);
        } finally {
            done.set(true);
            watcher.join();
        }
        assertTrue(samples.get() > 20, "samples: " + samples.get());
        assertTrue(max.get() <= InstanceSession.MAX_CONNECTIONS, "connections at once: " + max.get());
        assertEquals(2, InstanceSession.MAX_CONNECTIONS);
        ResilienceTest.await("every connection closed with the collector", Duration.ofSeconds(10),
                () -> TestSupport.query(PG.server(), "postgres", "SELECT 1 FROM pg_stat_activity WHERE usename = '" + role + "'")
                        .isEmpty());
    }

    @Test
    void connectionsTerminatedByTheServer_areReplacedOnTheNextCycle() {
        String db = PG.freshDatabase("term");
        String role = TestSupport.createRole(PG.server(), "di_term", true);
        FleetConfig cfg = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("term").url(PG.server().jdbcUrlNoUser(db)).user(role)
                        .password("secret").build())
                .build();
        try (Collector c = new Collector(cfg, s -> { })) {
            List<Snapshot> first = c.collectOnce("term");
            assertEquals(1.0, health(first, "").getValues().get("up"));
            List<Map<String, Object>> killed = TestSupport.query(PG.server(), "postgres",
                    "SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE usename = '" + role + "'");
            assertTrue(!killed.isEmpty() && killed.size() <= InstanceSession.MAX_CONNECTIONS, "killed " + killed.size());
            ResilienceTest.await("backends gone", Duration.ofSeconds(10), () -> TestSupport.query(PG.server(), "postgres",
                    "SELECT 1 FROM pg_stat_activity WHERE usename = '" + role + "'").isEmpty());
            List<Snapshot> next = c.collectOnce("term");
            assertEquals(1.0, health(next, "").getValues().get("up"), () -> "recovered at once: " + c.status("term"));
            assertEquals(0.0, health(next, "").getValues().get("error"), () -> c.status("term").probeErrors().toString());
            assertEquals(0.0, health(next, "pg_stat_activity").getValues().get("error"));
            assertEquals(0.0, health(next, "pg_settings").getValues().get("error"));
            assertTrue(c.status("term").up());
        }
    }

    static SnapshotRow health(List<Snapshot> s, String probe) {
        return row(view(s, MetricCatalog.COLLECTOR_VIEW), Map.of("probe", probe));
    }
}
