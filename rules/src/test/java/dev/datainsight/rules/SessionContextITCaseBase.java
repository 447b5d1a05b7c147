package dev.datainsight.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.datainsight.collector.Collector;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Snapshot;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Alerts that say who, on a real server: the real collector (1 s cycles) feeds the real rule
 * operators; a lock pile-up must name the root blocker's user, client, application, state, the
 * lock mode and relation it holds and its statement; a connection crowd must name the
 * application holding the slots. One subclass per PostgreSQL major.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
abstract class SessionContextITCaseBase {
    private final ConcurrentLinkedQueue<Snapshot> inbox = new ConcurrentLinkedQueue<>();
    private RulesHarness h;

    abstract EmbeddedPostgresServer server();

    @Test
    void lockPileUpAndSaturation_nameWhoIsDoingIt() throws Exception {
        EmbeddedPostgresServer pg = server();
        String db = pg.createDatabase("who");
        String svc = "svc_billing_" + ProcessHandle.current().pid();
        try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + svc + "') THEN "
                    + "CREATE ROLE " + svc + " LOGIN PASSWORD 'secret'; END IF; END $$");
            st.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int)");
            st.execute("INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 10) g");
            st.execute("GRANT SELECT, UPDATE ON accounts TO " + svc);
        }
        FleetConfig fleet = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("pg-who").url(pg.jdbcUrlNoUser(db)).user("postgres")
                        .intervals(Duration.ofSeconds(1), Duration.ofSeconds(2)).build())
                .build();
        h = new RulesHarness(RuleEvaluatorTest.only(Map.of(
                "lock_contention", "for: 2s, resolve_for: 2s",
                "connection_saturation", "warning: 0.5, critical: 0.99, for: 0s, resolve_for: 2s")));
        ExecutorService pool = Executors.newCachedThreadPool();
        List<Connection> open = new ArrayList<>();
        try (Collector collector = new Collector(fleet, inbox::add)) {
            collector.start();
            Connection root = connect(pg, db, svc, "billing-api", open);
            root.setAutoCommit(false);
            root.createStatement().execute("UPDATE accounts SET balance = balance - 10 WHERE id = 1");
            List<Future<?>> waiters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Connection w = connect(pg, db, svc, "billing-worker", open);
                waiters.add(pool.submit(() -> w.createStatement().executeUpdate(
                        "UPDATE accounts SET balance = balance + 1 WHERE id = 1")));
            }
            AlertEvent lock = await("lock_contention naming the blocker", a -> a.getRule().equals("lock_contention")
                    && a.getSummary().contains("blocks 3 session(s)"));
            String s = lock.getSummary();
            System.out.println("PostgreSQL " + pg.serverVersionNum() + " lock_contention: " + s);
            assertTrue(s.matches("pid \\d+ \\(" + svc + "@127\\.0\\.0\\.1, app billing-api, idle in transaction \\d+ s"
                    + (pg.serverVersionNum() >= 140000 ? ", query id -?\\d+" : "") + "\\) holds RowExclusiveLock on"
                    + " public\\.accounts — last statement `UPDATE accounts SET balance = balance - 10 WHERE id = 1`;"
                    + " blocks 3 session\\(s\\), longest wait \\d+ s"), s);
            assertTrue(lock.getDescription().contains("app billing-worker"), lock.getDescription());
            root.commit();
            for (Future<?> w : waiters) {
                w.get(30, TimeUnit.SECONDS);
            }
            await("lock_contention resolved", a -> a.getFingerprint().equals(lock.getFingerprint())
                    && a.getStatus() == AlertStatus.RESOLVED);

            int usable = sqlInt(pg, db, "SELECT current_setting('max_connections')::int"
                    + " - current_setting('superuser_reserved_connections')::int"
                    + (pg.serverVersionNum() >= 160000 ? " - current_setting('reserved_connections')::int" : ""));
            int crowd = (int) Math.ceil(0.6 * usable);
            for (int i = 0; i < crowd; i++) {
                connect(pg, db, svc, "billing-api", open);
            }
            AlertEvent sat = await("connection_saturation firing", a -> a.getRule().equals("connection_saturation")
                    && a.getStatus() == AlertStatus.FIRING);
            System.out.println("PostgreSQL " + pg.serverVersionNum() + " connection_saturation: " + sat.getSummary());
            assertTrue(sat.getSummary().matches("billing-api holds \\d+ of " + usable + " usable slots, \\d+ idle"
                    + "(; billing-worker holds 3, 3 idle)? — .*"), sat.getSummary());
            // once the crowd is complete, the evaluations count every slot billing-api holds
            String full = "billing-api holds " + (crowd + 1) + " of " + usable + " usable slots, " + (crowd + 1) + " idle";
            long deadline = System.currentTimeMillis() + 30_000;
            while (h.evaluations.stream().noneMatch(e -> e.rule.equals("connection_saturation")
                    && e.summary.startsWith(full)) && System.currentTimeMillis() < deadline) {
                drain();
                Thread.sleep(50);
            }
            assertTrue(h.evaluations.stream().anyMatch(e -> e.rule.equals("connection_saturation")
                    && e.summary.startsWith(full)), () -> "no evaluation says '" + full + "': " + h.evaluations.stream()
                    .filter(e -> e.rule.equals("connection_saturation")).map(e -> e.summary).toList());
            assertEquals(Map.of(), sat.getLabels(), "who holds the slots is wording, not identity");
        } finally {
            for (Connection x : open) {
                try {
                    x.close();
                } catch (Exception ignored) {
                    // closed already
                }
            }
            pool.shutdownNow();
            h.close();
        }
    }

    private static Connection connect(EmbeddedPostgresServer pg, String db, String user, String app,
            List<Connection> open) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", "secret");
        p.setProperty("ApplicationName", app);
        Connection c = DriverManager.getConnection(pg.jdbcUrlNoUser(db), p);
        open.add(c);
        return c;
    }

    private void drain() throws Exception {
        List<Snapshot> batch = new ArrayList<>();
        for (Snapshot s; (s = inbox.poll()) != null; ) {
            batch.add(s);
        }
        batch.sort(Comparator.comparingLong(Snapshot::getCollectedAt));
        for (Snapshot s : batch) {
            h.push(s);
        }
    }

    private AlertEvent await(String what, Predicate<AlertEvent> match) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            drain();
            for (AlertEvent a : h.events) {
                if (match.test(a)) {
                    return a;
                }
            }
            Thread.sleep(50);
        }
        fail("timed out waiting for " + what + "; events: " + h.events.stream().map(AlertEvent::getSummary).toList());
        return null;
    }

    private static int sqlInt(EmbeddedPostgresServer pg, String db, String sql) throws Exception {
        try (Connection c = pg.connect(db); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
