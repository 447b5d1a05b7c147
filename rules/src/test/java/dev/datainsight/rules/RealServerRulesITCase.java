package dev.datainsight.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.datainsight.collector.Collector;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.collector.SnapshotSink;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The rules on real data: the real collector polls a real (embedded) PostgreSQL every second and
 * its snapshots go straight into the two rule operators (Flink's keyed harness, event time from
 * the collection timestamps). Induced incidents — lock contention, idle in transaction, autovacuum
 * lag, a requested-checkpoint burst, connection saturation — must each fire with the right
 * severity, name the right objects, and resolve once removed. Kafka and the job are exercised by
 * {@code jobs/.../e2e/IncidentDetectionITCase}; this test pins the collector ↔ rules contract.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RealServerRulesITCase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(EmbeddedPostgresServer.defaultMajor(),
            Map.of("max_connections", "70"));

    private static final String RULES = """
            rules:
              anomaly: {enabled: false}
              lock_contention: {for: 3s, resolve_for: 3s}
              idle_in_transaction: {warning: 4, critical: 600, for: 0s, resolve_for: 3s}
              long_transaction: {warning: 600, critical: 1800}
              autovacuum_lag: {for: 3s, resolve_for: 3s}
              checkpoint_spike: {window: 20s, min_checkpoints: 3, for: 3s, resolve_for: 3s}
              connection_saturation: {warning: 0.80, critical: 0.95, for: 3s, resolve_for: 3s}
              instance_silent: {interval: 1s}
            """;

    private final ConcurrentLinkedQueue<Snapshot> inbox = new ConcurrentLinkedQueue<>();
    private final List<String> latencies = new ArrayList<>();
    private RulesHarness h;
    private final Map<String, Snapshot> last = new java.util.concurrent.ConcurrentHashMap<>();

    @Test
    void inducedIncidents_onARealServer_fireAndResolve() throws Exception {
        String db = PG.freshDatabase("rules");
        String url = PG.server().jdbcUrl(db);
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE locked (id int PRIMARY KEY, v int)");
            st.execute("INSERT INTO locked SELECT g, 0 FROM generate_series(1, 100) g");
            st.execute("CREATE TABLE ticks (id serial PRIMARY KEY, at timestamptz DEFAULT now())");
            st.execute("CREATE TABLE bloat (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = false)");
            st.execute("INSERT INTO bloat SELECT g, 0 FROM generate_series(1, 60000) g");
        }
        FleetConfig fleet = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("pg-real").url(PG.server().jdbcUrlNoUser(db)).user("postgres")
                        .intervals(Duration.ofSeconds(1), Duration.ofSeconds(2)).build())
                .build();
        SnapshotSink sink = inbox::add;
        ExecutorService pool = Executors.newCachedThreadPool();
        List<Connection> open = new ArrayList<>();
        h = new RulesHarness(RulesConfig.parse(RULES, "real-server"));
        try (Collector collector = new Collector(fleet, sink)) {
            collector.start();
            pump(Duration.ofSeconds(5));
            assertEquals(List.of(), h.pages(), "an idle server pages nobody");

            Connection idle = open(url, open);
            idle.setAutoCommit(false);
            idle.createStatement().execute("SELECT 1");
            long idleOnset = System.currentTimeMillis();

            Connection blocker = open(url, open);
            blocker.setAutoCommit(false);
            String pid;
            try (Statement st = blocker.createStatement()) {
                ResultSet rs = st.executeQuery("SELECT pg_backend_pid()");
                rs.next();
                pid = rs.getString(1);
                st.executeQuery("SELECT * FROM locked WHERE id = 1 FOR UPDATE").close();
            }
            List<Future<?>> waiters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Connection w = open(url, open);
                waiters.add(pool.submit(() -> w.createStatement().executeUpdate(
                        "UPDATE locked SET v = v + 1 WHERE id = 1")));
            }
            long lockOnset = System.currentTimeMillis();
            try (Connection w = DriverManager.getConnection(url); Statement st = w.createStatement()) {
                st.execute("UPDATE bloat SET v = v + 1 WHERE id <= 20000");
            }
            long vacuumOnset = System.currentTimeMillis();
            long checkpointOnset = System.currentTimeMillis();
            try (Connection w = DriverManager.getConnection(url); Statement st = w.createStatement()) {
                for (int i = 0; i < 5; i++) {
                    st.execute("INSERT INTO ticks DEFAULT VALUES");
                    st.execute("CHECKPOINT");
                }
            }

            AlertEvent lock = await("lock_contention", a -> a.getRule().equals("lock_contention"), lockOnset);
            assertEquals(Severity.WARNING, lock.getSeverity());
            assertEquals(pid, lock.getLabels().get("blocker_pid"));
            assertTrue(lock.getSummary().contains("blocks 3 session(s)"), lock.getSummary());
            assertTrue(lock.getSummary().matches(".*query id -?\\d+.*"), lock.getSummary());
            AlertEvent idleAlert = await("idle_in_transaction", a -> a.getRule().equals("idle_in_transaction"),
                    idleOnset);
            assertEquals(Severity.WARNING, idleAlert.getSeverity());
            AlertEvent vacuum = await("autovacuum_lag", a -> a.getRule().equals("autovacuum_lag"), vacuumOnset);
            assertEquals(Severity.WARNING, vacuum.getSeverity());
            assertEquals(Map.of("datname", db, "schemaname", "public", "relname", "bloat"), vacuum.getLabels());
            assertTrue(vacuum.getSummary().contains("autovacuum is disabled"), vacuum.getSummary());
            AlertEvent checkpoint = await("checkpoint_spike", a -> a.getRule().equals("checkpoint_spike"),
                    checkpointOnset);
            assertEquals(Severity.WARNING, checkpoint.getSeverity());

            blocker.commit();
            for (Future<?> w : waiters) {
                w.get(30, TimeUnit.SECONDS);
            }
            idle.commit();
            try (Connection w = DriverManager.getConnection(url); Statement st = w.createStatement()) {
                st.execute("VACUUM bloat");
            }
            for (AlertEvent a : List.of(lock, idleAlert, vacuum, checkpoint)) {
                await(a.getRule() + " resolved", e -> e.getFingerprint().equals(a.getFingerprint())
                        && e.getStatus() == AlertStatus.RESOLVED, -1);
            }

            int usable = sqlInt(url, "SELECT current_setting('max_connections')::int"
                    + " - current_setting('superuser_reserved_connections')::int"
                    + (PG.major() >= 16 ? " - current_setting('reserved_connections')::int" : ""));
            List<Connection> crowd = new ArrayList<>();
            fill(url, open, crowd, (int) Math.ceil(0.85 * usable));
            long connOnset = System.currentTimeMillis();
            AlertEvent warn = await("connection_saturation warning",
                    a -> a.getRule().equals("connection_saturation"), connOnset);
            assertEquals(Severity.WARNING, warn.getSeverity(), warn.getSummary());
            fill(url, open, crowd, usable - 1); // ~98 %, leaving slots for the collector's own connections
            long critOnset = System.currentTimeMillis();
            AlertEvent crit = await("connection_saturation critical", a -> a.getRule().equals("connection_saturation")
                    && a.getSeverity() == Severity.CRITICAL, critOnset);
            assertEquals(warn.getFingerprint(), crit.getFingerprint());
            for (Connection x : crowd) {
                x.close();
            }
            AlertEvent res = await("connection_saturation resolved", a -> a.getFingerprint().equals(
                    warn.getFingerprint()) && a.getStatus() == AlertStatus.RESOLVED, -1);
            assertEquals(Severity.CRITICAL, res.getSeverity());

            for (AlertEvent a : List.of(lock, idleAlert, vacuum, checkpoint)) {
                assertEquals(2, h.events.stream().filter(e -> e.getFingerprint().equals(a.getFingerprint())).count(),
                        a.getRule() + ": one firing, one resolved");
            }
            assertEquals(3, h.events.stream().filter(e -> e.getFingerprint().equals(warn.getFingerprint())).count());
            List<AlertEvent> other = h.pages().stream().filter(a -> !List.of("lock_contention", "idle_in_transaction",
                    "autovacuum_lag", "checkpoint_spike", "connection_saturation").contains(a.getRule())).toList();
            assertEquals(List.of(), other);
        } finally {
            latencies.forEach(l -> System.out.println("real-server detection latency: " + l));
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

    /**
     * A quiet run on the real server: light read-only load for 45 s with every alert rule at its
     * default thresholds but {@code for: 0s} (the strictest setting: any single crossing would page)
     * must not produce a single warning or critical alert.
     */
    @Test
    void lightReadOnlyLoad_withForZeroEverywhere_pagesNobody() throws Exception {
        String db = PG.freshDatabase("quiet");
        String url = PG.server().jdbcUrl(db);
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id int PRIMARY KEY, name text)");
            st.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 5000) g");
            st.execute("ANALYZE items");
        }
        StringBuilder yaml = new StringBuilder("rules:\n");
        for (dev.datainsight.rules.engine.Rule r : dev.datainsight.rules.defs.RuleCatalog.all()) {
            if (r.definition().kind() == dev.datainsight.rules.engine.RuleDefinition.Kind.ALERT) {
                yaml.append("  ").append(r.name()).append(": {for: 0s}\n");
            }
        }
        FleetConfig fleet = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("pg-quiet").url(PG.server().jdbcUrlNoUser(db)).user("postgres")
                        .intervals(Duration.ofSeconds(1), Duration.ofSeconds(2)).build())
                .build();
        h = new RulesHarness(RulesConfig.parse(yaml.toString(), "quiet"));
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<Integer>> readers = new ArrayList<>();
        try (Collector collector = new Collector(fleet, inbox::add)) {
            collector.start();
            for (int i = 0; i < 2; i++) {
                readers.add(pool.submit(() -> {
                    int n = 0;
                    try (Connection c = DriverManager.getConnection(url);
                            java.sql.PreparedStatement ps = c.prepareStatement("SELECT name FROM items WHERE id = ?")) {
                        java.util.Random rnd = new java.util.Random();
                        while (!stop.get()) {
                            ps.setInt(1, 1 + rnd.nextInt(5000));
                            ps.executeQuery().close();
                            n++;
                            Thread.sleep(20);
                        }
                    }
                    return n;
                }));
            }
            pump(Duration.ofSeconds(45));
            stop.set(true);
            int queries = 0;
            for (Future<Integer> f : readers) {
                queries += f.get(10, TimeUnit.SECONDS);
            }
            drain();
            System.out.printf("quiet real-server run: %d read-only queries, %d evaluations, %d events (%d pages)%n",
                    queries, h.evaluations.size(), h.events.size(), h.pages().size());
            assertTrue(queries > 500, "the load ran");
            assertEquals(List.of(), h.pages(), "light read-only load must not page");
        } finally {
            stop.set(true);
            pool.shutdownNow();
            h.close();
        }
    }

    /** Feeds what the collector published so far into the rule operators, in collection order. */
    private void pump(Duration forAtLeast) throws Exception {
        long end = System.currentTimeMillis() + forAtLeast.toMillis();
        do {
            drain();
            Thread.sleep(50);
        } while (System.currentTimeMillis() < end);
    }

    private void drain() throws Exception {
        List<Snapshot> batch = new ArrayList<>();
        for (Snapshot s; (s = inbox.poll()) != null; ) {
            batch.add(s);
        }
        batch.sort(Comparator.comparingLong(Snapshot::getCollectedAt));
        for (Snapshot s : batch) {
            if (s.getView().equals("pg_stat_user_tables") || s.getView().equals("pg_stat_activity")
                    || s.getView().equals("datainsight_collector")) {
                last.put(s.getView(), s);
            }
            h.push(s);
        }
    }

    private AlertEvent await(String what, Predicate<AlertEvent> match, long onset) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            drain();
            for (AlertEvent a : h.events) {
                if (match.test(a)) {
                    if (onset > 0) {
                        latencies.add(String.format(Locale.ROOT, "%-32s %5d ms wall, %5d ms event time: %s", what,
                                System.currentTimeMillis() - onset, a.getEventAt() - onset, a.getSummary()));
                    }
                    return a;
                }
            }
            Thread.sleep(50);
        }
        fail("timed out waiting for " + what + "; events: " + h.events + "; last snapshots: "
                + last.values().stream().map(x -> x.getView() + x.getRows()).toList());
        return null;
    }

    private static Connection open(String url, List<Connection> open) throws Exception {
        Connection c = DriverManager.getConnection(url);
        open.add(c);
        return c;
    }

    /** Opens connections until the server counts {@code target} client backends (as the collector counts them). */
    private static void fill(String url, List<Connection> open, List<Connection> crowd, int target) throws Exception {
        while (sqlInt(url, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'") - 1
                < target) {
            crowd.add(open(url, open));
        }
    }

    private static int sqlInt(String url, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
