package dev.datainsight.jobs.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.datainsight.collector.Collector;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.collector.KafkaSnapshotSink;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.jobs.DataInsightJob;
import dev.datainsight.jobs.JobConfig;
import dev.datainsight.jobs.JobTestSupport;
import dev.datainsight.jobs.KafkaIO;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Severity;
import dev.datainsight.model.WireCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end, nothing mocked: the real collector polls a real (embedded) PostgreSQL every 2 s and
 * publishes to a real Kafka broker; the DataInsight job runs on a Flink MiniCluster with the rules
 * attached; alert events are read back from the real alerts topic. Incidents are induced on the
 * server — lock contention, a session idle in transaction, autovacuum lag (autovacuum disabled on a
 * table plus a mass update), a burst of requested checkpoints, connection saturation (warning then
 * critical) — and each must page with the right severity, exactly once, and resolve once its cause
 * is removed. Before that, 30 s of light read-only load must not page at all. Detection latency (onset → firing event read from Kafka) is printed per incident and
 * checked against the target: the rule's {@code for} + 2 collection intervals + 5 s.
 *
 * <p>Short {@code for}, windows and thresholds come from the rules file below, so the whole test
 * stays well under four minutes.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class IncidentDetectionITCase extends JobTestSupport {
    /** The monitored server: few connections so saturation is cheap to induce. The store is on
     * the shared server of {@link JobTestSupport}, so the job's writers do not count as monitored connections. */
    @RegisterExtension
    static final PostgresExtension MONITORED = monitoredServer(Map.of("max_connections", "70"));

    private static final String INSTANCE = "pg-e2e";
    private static final Duration FAST = Duration.ofSeconds(2);
    private static final Duration SLOW = Duration.ofSeconds(4);
    private static final Duration QUIET = Duration.ofSeconds(30);
    private static final WireCodec CODEC = new WireCodec();

    private static final String RULES = """
            rules:
              anomaly: {enabled: false}
              lock_contention: {for: 4s, resolve_for: 4s}
              idle_in_transaction: {warning: 6, critical: 600, for: 0s, resolve_for: 4s}
              long_transaction: {warning: 600, critical: 1800}
              autovacuum_lag: {for: 4s, resolve_for: 4s}
              checkpoint_spike: {window: 30s, min_checkpoints: 3, for: 4s, resolve_for: 4s}
              connection_saturation: {warning: 0.80, critical: 0.95, for: 4s, resolve_for: 4s}
              instance_silent: {interval: 2s}
            """;

    /** An alert read from the alerts topic, with when it arrived. */
    record Received(AlertEvent alert, long arrivedAt) {}

    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<String> latencies = new ArrayList<>();

    @Test
    void inducedIncidents_pageWithTheRightSeverity_andResolve(@TempDir Path tmp) throws Exception {
        String db = MONITORED.freshDatabase("app");
        String appUrl = MONITORED.server().jdbcUrl(db);
        try (Connection c = DriverManager.getConnection(appUrl); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE locked (id int PRIMARY KEY, v int)");
            st.execute("INSERT INTO locked SELECT g, 0 FROM generate_series(1, 100) g");
            st.execute("CREATE TABLE ticks (id serial PRIMARY KEY, at timestamptz DEFAULT now())");
            st.execute("CREATE TABLE bloat (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = false)");
            st.execute("INSERT INTO bloat SELECT g, 0 FROM generate_series(1, 60000) g");
        }

        String metrics = KAFKA.newTopic("metrics", 2);
        String statements = KAFKA.newTopic("statements", 2);
        String dlq = KAFKA.newTopic("dlq", 1);
        String alerts = KAFKA.newTopic("alerts", 2);
        Path rulesFile = tmp.resolve("rules.yaml");
        Files.writeString(rulesFile, RULES);

        JobConfig c = valid(config(KAFKA.bootstrapServers(), metrics, statements, dlq, PG.freshDatabaseUrl("store"))
                .kafka(k -> k.alertsTopic(alerts))
                .store(st -> st.migrateOnStart(true))
                .runtime(r -> r.checkpointInterval(Duration.ofSeconds(2)))
                .time(t -> t.watermarkBound(Duration.ofSeconds(2)).idleness(Duration.ofSeconds(10)))
                .rules(r -> r.enabled(true).file(rulesFile.toString())));

        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newCachedThreadPool();
        Future<?> reader = pool.submit(() -> readAlerts(alerts, stop));

        FleetConfig fleet = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder(INSTANCE).url(MONITORED.server().jdbcUrlNoUser(db))
                        .user("postgres").intervals(FAST, SLOW).labels(Map.of("env", "e2e")).build())
                .build();
        DataInsightJob.prepare(c);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                DataInsightJob.flinkConfiguration(c));
        DataInsightJob.defineWorkflow(env, new KafkaIO(), new KafkaIO(), c);
        JobClient job = env.executeAsync("incident-detection-e2e");
        List<Connection> open = new ArrayList<>();
        try (KafkaSnapshotSink sink = new KafkaSnapshotSink(KAFKA.bootstrapServers(), metrics, statements);
                Collector collector = new Collector(fleet, sink)) {
            collector.start();
            awaitJobConsuming(c.kafka().groupId());

            // ---------------------------------------------------------------- phase 0: a quiet run
            AtomicBoolean quiet = new AtomicBoolean(true);
            Future<Integer> load = pool.submit(() -> {
                int n = 0;
                try (Connection r = DriverManager.getConnection(appUrl);
                        java.sql.PreparedStatement ps = r.prepareStatement("SELECT v FROM locked WHERE id = ?")) {
                    while (quiet.get()) {
                        ps.setInt(1, 1 + n % 100);
                        ps.executeQuery().close();
                        n++;
                        Thread.sleep(10);
                    }
                }
                return n;
            });
            Thread.sleep(QUIET.toMillis());
            quiet.set(false);
            int reads = load.get(10, TimeUnit.SECONDS);
            List<Received> quietPages = received.stream().filter(r -> r.alert().getSeverity() != Severity.INFO).toList();
            latencies.add("quiet run: " + QUIET.toSeconds() + " s of light read-only load (" + reads + " queries), "
                    + quietPages.size() + " pages");
            assertEquals(List.of(), quietPages, "a quiet run must not page");

            // ---------------------------------------------------------------- phase 1: four at once
            Connection idle = connect(appUrl, open);
            idle.setAutoCommit(false);
            try (Statement st = idle.createStatement()) {
                st.execute("SELECT 1");
            }
            long idleOnset = System.currentTimeMillis();

            Connection blocker = connect(appUrl, open);
            blocker.setAutoCommit(false);
            String blockerPid;
            try (Statement st = blocker.createStatement()) {
                ResultSet rs = st.executeQuery("SELECT pg_backend_pid()");
                rs.next();
                blockerPid = rs.getString(1);
                // a row lock, not a table lock: the collector's own catalog reads must not queue behind it
                st.executeQuery("SELECT * FROM locked WHERE id = 1 FOR UPDATE").close();
            }
            List<Future<?>> waiters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Connection w = connect(appUrl, open);
                waiters.add(pool.submit(() -> {
                    try (Statement st = w.createStatement()) {
                        st.executeUpdate("UPDATE locked SET v = v + 1 WHERE id = 1");
                    }
                    return null;
                }));
            }
            awaitSql(appUrl, "SELECT count(*) >= 3 FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
            long lockOnset = System.currentTimeMillis();

            try (Connection w = DriverManager.getConnection(appUrl); Statement st = w.createStatement()) {
                st.execute("UPDATE bloat SET v = v + 1 WHERE id <= 20000");
            }
            long vacuumOnset = System.currentTimeMillis();

            long checkpointOnset = System.currentTimeMillis();
            try (Connection w = DriverManager.getConnection(appUrl); Statement st = w.createStatement()) {
                for (int i = 0; i < 5; i++) {
                    st.execute("INSERT INTO ticks DEFAULT VALUES");
                    st.execute("CHECKPOINT");
                }
            }

            AlertEvent lock = awaitAlert("lock_contention firing", a -> a.getRule().equals("lock_contention")
                    && a.getStatus() == AlertStatus.FIRING, lockOnset, 4_000, FAST);
            assertEquals(Severity.WARNING, lock.getSeverity());
            assertEquals(blockerPid, lock.getLabels().get("blocker_pid"), lock.getSummary());
            assertTrue(lock.getSummary().contains("pid " + blockerPid) && lock.getSummary().contains("blocks 3"),
                    lock.getSummary());
            assertTrue(lock.getSummary().matches(".*query id -?\\d+.*"), "names the blocker's query id: "
                    + lock.getSummary());

            AlertEvent idleAlert = awaitAlert("idle_in_transaction firing", a -> a.getRule().equals(
                    "idle_in_transaction") && a.getStatus() == AlertStatus.FIRING, idleOnset, 6_000, FAST);
            assertEquals(Severity.WARNING, idleAlert.getSeverity());

            AlertEvent vacuum = awaitAlert("autovacuum_lag firing", a -> a.getRule().equals("autovacuum_lag")
                    && a.getStatus() == AlertStatus.FIRING, vacuumOnset, 4_000, SLOW);
            assertEquals(Severity.WARNING, vacuum.getSeverity());
            assertEquals("bloat", vacuum.getLabels().get("relname"));
            assertTrue(vacuum.getSummary().contains("autovacuum is disabled"), vacuum.getSummary());

            AlertEvent checkpoint = awaitAlert("checkpoint_spike firing", a -> a.getRule().equals("checkpoint_spike")
                    && a.getStatus() == AlertStatus.FIRING, checkpointOnset, 4_000, SLOW);
            assertEquals(Severity.WARNING, checkpoint.getSeverity());

            // remove the causes
            blocker.commit();
            for (Future<?> w : waiters) {
                w.get(30, TimeUnit.SECONDS);
            }
            idle.commit();
            try (Connection w = DriverManager.getConnection(appUrl); Statement st = w.createStatement()) {
                st.execute("VACUUM bloat");
            }
            long removed = System.currentTimeMillis();
            for (AlertEvent a : List.of(lock, idleAlert, vacuum)) {
                awaitResolved(a, removed);
            }
            // checkpoint_spike resolves only once the burst has left its 30 s window: phase 2 runs
            // meanwhile (it requests no checkpoint), and its resolution is awaited afterwards, its
            // latency still measured from here (arrival times are recorded by the reader).

            // ---------------------------------------------------------------- phase 2: connections
            int usable = intSql(appUrl, "SELECT current_setting('max_connections')::int"
                    + " - current_setting('superuser_reserved_connections')::int"
                    + (MONITORED.major() >= 16 ? " - current_setting('reserved_connections')::int" : ""));
            List<Connection> crowd = new ArrayList<>();
            fill(appUrl, open, crowd, (int) Math.ceil(0.85 * usable));
            long connOnset = System.currentTimeMillis();
            AlertEvent warn = awaitAlert("connection_saturation warning", a -> a.getRule().equals(
                    "connection_saturation") && a.getStatus() == AlertStatus.FIRING, connOnset, 4_000, FAST);
            assertEquals(Severity.WARNING, warn.getSeverity(), warn.getSummary());
            fill(appUrl, open, crowd, usable - 1); // ~98 %, leaving slots for the collector's own connections
            long critOnset = System.currentTimeMillis();
            AlertEvent crit = awaitAlert("connection_saturation critical", a -> a.getRule().equals(
                    "connection_saturation") && a.getSeverity() == Severity.CRITICAL, critOnset, 4_000, FAST);
            assertEquals(warn.getFingerprint(), crit.getFingerprint(), "escalation of the same alert");
            for (Connection x : crowd) {
                x.close();
            }
            long closed = System.currentTimeMillis();
            AlertEvent resolved = awaitAlert("connection_saturation resolved", r -> r.getFingerprint().equals(
                    warn.getFingerprint()) && r.getStatus() == AlertStatus.RESOLVED, -1, 0, null);
            assertEquals(Severity.CRITICAL, resolved.getSeverity());
            resolved(resolved, closed);
            awaitResolved(checkpoint, removed);

            // exactly one event per transition for the induced incidents
            for (AlertEvent a : List.of(lock, idleAlert, vacuum, checkpoint)) {
                assertEquals(2, count(a.getFingerprint()), a.getRule() + ": one firing and one resolved event");
            }
            assertEquals(3, count(warn.getFingerprint()), "connection_saturation: firing, escalation, resolved");
            List<Received> pages = received.stream().filter(r -> r.alert().getSeverity() != Severity.INFO
                    && !List.of("lock_contention", "idle_in_transaction", "autovacuum_lag", "checkpoint_spike",
                            "connection_saturation").contains(r.alert().getRule())).toList();
            assertEquals(List.of(), pages, "no other page during the run");
        } finally {
            System.out.println("IncidentDetectionITCase detection latencies (onset -> firing event read from the "
                    + "alerts topic):");
            latencies.forEach(l -> System.out.println("  " + l));
            for (Connection x : open) {
                try {
                    x.close();
                } catch (Exception ignored) {
                    // already closed
                }
            }
            job.cancel().get(30, TimeUnit.SECONDS);
            stop.set(true);
            reader.get(30, TimeUnit.SECONDS);
            pool.shutdownNow();
        }
    }

    /** Waits for the resolved event of an alert and records its latency from the removal of the cause. */
    private void awaitResolved(AlertEvent a, long removedAt) throws Exception {
        AlertEvent r = awaitAlert(a.getRule() + " resolved", e -> e.getFingerprint().equals(a.getFingerprint())
                && e.getStatus() == AlertStatus.RESOLVED, -1, 0, null);
        resolved(r, removedAt);
    }

    /** Records how long after the cause was removed the resolved event arrived. */
    private void resolved(AlertEvent r, long removedAt) {
        long arrived = received.stream().filter(x -> x.alert() == r).mapToLong(Received::arrivedAt).findFirst()
                .orElse(System.currentTimeMillis());
        latencies.add(String.format(Locale.ROOT, "%-32s %6d ms after the cause was removed", r.getRule() + " resolved",
                arrived - removedAt));
    }

    private long count(String fingerprint) {
        return received.stream().filter(r -> r.alert().getFingerprint().equals(fingerprint)).count();
    }

    private static Connection connect(String url, List<Connection> open) throws Exception {
        Connection c = DriverManager.getConnection(url);
        open.add(c);
        return c;
    }

    /** Opens connections until the server counts {@code target} client backends (as the collector counts them). */
    private static void fill(String url, List<Connection> open, List<Connection> crowd, int target) throws Exception {
        while (intSql(url, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'") - 1
                < target) {
            crowd.add(connect(url, open));
        }
    }

    private static int intSql(String url, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void awaitSql(String url, String sql) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        fail("timed out waiting for: " + sql);
    }

    /** Waits until the job has committed offsets for its consumer group: it is reading. */
    private static void awaitJobConsuming(String group) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            long deadline = System.currentTimeMillis() + 90_000;
            while (System.currentTimeMillis() < deadline) {
                if (!admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().isEmpty()) {
                    return;
                }
                Thread.sleep(250);
            }
        }
        fail("the job did not start consuming within 90 s");
    }

    /**
     * Waits for an alert matching {@code what}; with an onset, records and checks the detection
     * latency against the target ({@code for} + 2 collection intervals + 5 s).
     */
    private AlertEvent awaitAlert(String what, Predicate<AlertEvent> match, long onset, long forMs, Duration interval)
            throws Exception {
        long deadline = System.currentTimeMillis() + 100_000;
        while (System.currentTimeMillis() < deadline) {
            for (Received r : received) {
                if (match.test(r.alert())) {
                    if (onset > 0) {
                        long latency = r.arrivedAt() - onset;
                        long target = forMs + 2 * interval.toMillis() + 5_000;
                        latencies.add(String.format(Locale.ROOT, "%-32s %6d ms (target <= %d ms; event time - onset "
                                + "%d ms) %s", what, latency, target, r.alert().getEventAt() - onset,
                                r.alert().getSummary()));
                        assertTrue(latency <= target, what + ": detection latency " + latency + " ms above target "
                                + target + " ms");
                    }
                    return r.alert();
                }
            }
            Thread.sleep(100);
        }
        fail("timed out waiting for " + what + "; received: " + received.stream().map(r -> r.alert().toString())
                .toList());
        return null;
    }

    private Void readAlerts(String topic, AtomicBoolean stop) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "alerts-reader-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            while (!stop.get()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    AlertEvent a = CODEC.decodeAlert(r.value()).value();
                    assertEquals(a.getFingerprint(), new String(r.key(), java.nio.charset.StandardCharsets.UTF_8),
                            "alerts are keyed by fingerprint");
                    received.add(new Received(a, System.currentTimeMillis()));
                    System.out.println("alert: " + a);
                }
            }
        }
        return null;
    }
}
