package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.StatementsSnapshot;
import dev.datainsight.model.WireCodec;
import dev.datainsight.store.Migrations;
import java.io.Reader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upgrade compatibility: the job of today restores a savepoint that the job of commit 8afd964
 * (before the structural refactor of issue 14; rules on) took mid-stream, and carries on as if it
 * had never stopped. The savepoint, the store's rows at that moment and the stream position are
 * committed under {@code src/test/resources/savepoints/} ({@link SavepointGenerator} made them;
 * the README there says how).
 *
 * <p>The test loads the old job's store rows, produces the same deterministic stream
 * ({@link SavepointStream}: the part before the savepoint lands at the very offsets the savepoint
 * holds, the rest after it), restores strictly (state the job cannot map fails the start) and
 * checks:
 * <ul>
 *   <li>every 1m/1h/1d rollup and statement-hour row equals the independent reference
 *       ({@link ReferenceRollups}) of the <em>whole</em> stream: the buckets the old job had
 *       written, the ones it held open in state (the savepoint is mid-minute, mid-hour, mid-day)
 *       and the ones after;
 *   <li>both alerts firing at the savepoint continue: same episode (started_at), the escalation
 *       and the resolution fall due when the stream says, each resolves exactly once, and no alert
 *       fires as new (a restore that lost the rules' state would fire both again).
 * </ul>
 * Alerts of {@code instance_silent} are left out: its processing-time timers depend on the wall
 * clock, and the far-ahead snapshots that close the last day make every instance look silent.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SavepointCompatibilityITCase extends JobTestSupport {
    /** The committed savepoint taken before the refactor. */
    static final String RESOURCE = "savepoints/pre-refactor-8afd964";
    static final String SILENT = "instance_silent";
    static final long MINUTE = 60_000L;

    @Test
    void preRefactorSavepoint_restoresStrictly_andEveryRollupAndOpenAlertContinues(@TempDir Path tmp) throws Exception {
        Path resource = resourceDir();
        Properties meta = new Properties();
        try (Reader r = Files.newBufferedReader(resource.resolve("stream.properties"), StandardCharsets.UTF_8)) {
            meta.load(r);
        }
        Path savepoint = tmp.resolve("savepoint");
        SavepointGenerator.copyTree(resource.resolve("savepoint"), savepoint);

        // ---- the store as the old job left it at the savepoint
        String url = PG.server().jdbcUrl(PG.freshDatabase("savepoint_compat"));
        Migrations.migrate(url, null, null);
        int loaded = SavepointStoreDump.load(url, resource.resolve("store"));
        assertEquals(Integer.parseInt(meta.getProperty("store.rows")), loaded, "rows loaded from the store dump");
        Map<String, AlertEvent> open = openAlerts(url);
        assertEquals(Set.of("long_transaction@sp-c", "replication_lag@sp-b"), new TreeSet<>(open.keySet()),
                "alerts firing at the savepoint (from the old job's alert_event rows)");

        // ---- the same stream: the first part at the savepoint's offsets, then the rest
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            Set<String> existing = admin.listTopics().names().get();
            for (String t : List.of(SavepointStream.METRICS_TOPIC, SavepointStream.STATEMENTS_TOPIC,
                    SavepointStream.DLQ_TOPIC, SavepointStream.ALERTS_TOPIC)) {
                assertFalse(existing.contains(t), "topic " + t + " must be fresh: the savepoint's offsets refer to it");
            }
        }
        KAFKA.broker().createTopics(List.of(SavepointStream.METRICS_TOPIC, SavepointStream.STATEMENTS_TOPIC),
                SavepointStream.PARTITIONS);
        KAFKA.broker().createTopics(List.of(SavepointStream.DLQ_TOPIC, SavepointStream.ALERTS_TOPIC), 1);
        List<Snapshot> before = SavepointStream.beforeSavepoint();
        List<Snapshot> after = SavepointStream.afterSavepoint();
        assertEquals(meta.getProperty("stream.digest.before.savepoint"), SavepointStream.digest(before),
                "SavepointStream no longer produces the stream the savepoint was taken on");
        JobConfig c = SavepointStream.config(KAFKA.bootstrapServers(), url);
        try (KafkaProducer<byte[], byte[]> p = JobTestSupport.producer(KAFKA.bootstrapServers())) {
            SavepointStream.produce(p, before);
            Map<TopicPartition, Long> ends = SavepointGenerator.endOffsets(KAFKA.bootstrapServers());
            for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
                assertEquals(meta.getProperty("offset." + e.getKey().topic() + "." + e.getKey().partition()),
                        e.getValue().toString(), "end offset of " + e.getKey() + " at the savepoint");
            }
            SavepointStream.produce(p, after);
            closeAllPartitions(p, SavepointStream.START + 86_400_000L + 90 * MINUTE);
        }

        // ---- restore, strictly
        Configuration restore = DataInsightJob.flinkConfiguration(c);
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint.toUri().toString());
        restore.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(restore);
        DataInsightJob.defineWorkflow(env, new KafkaIO(), new KafkaIO(), c);
        long t0 = System.nanoTime();
        JobClient job = env.executeAsync("savepoint-compatibility");
        List<Snapshot> all = new ArrayList<>(before);
        all.addAll(after);
        ReferenceRollups expected = new ReferenceRollups(all, 5 * MINUTE); // 5 min: the job's default maxGap
        try {
            AtomicReference<AssertionError> last = new AtomicReference<>();
            try {
                JobTestSupport.await("the store to hold the reference rollups of the whole stream and the alert events", Duration.ofSeconds(150),
                        () -> {
                            if (job.getJobStatus().join().isGloballyTerminalState()) {
                                // e.g. a savepoint the job cannot map (renamed uid): say why
                                throw new AssertionError("the restored job ended: " + job.getJobStatus().join(),
                                        failureOf(job));
                            }
                            try {
                                assertStoreEqualsReference(url, expected);
                                // The alert sink writes at checkpoints: wait for the restored job's
                                // three alert_event rows too (beside the old job's two) before the
                                // job is cancelled, or a slow machine cancels it before they land.
                                // Their exact content is asserted below.
                                List<String> rows = alertRows(url);
                                if (rows.size() < 5) {
                                    last.set(new AssertionError("alert_event rows so far: " + rows));
                                    return false;
                                }
                                return true;
                            } catch (AssertionError e) {
                                last.set(e);
                                return false;
                            } catch (Exception e) {
                                last.set(new AssertionError(e));
                                return false;
                            }
                        });
            } catch (AssertionError timeout) {
                if (last.get() != null) {
                    timeout.addSuppressed(last.get());
                }
                throw timeout;
            }
            System.out.printf("savepoint compatibility: store matched the reference %.1f s after the restore"
                    + " (%d 1m, %d 1h, %d 1d, %d statement rows)%n", (System.nanoTime() - t0) / 1e9,
                    expected.minutes.size(), expected.hours.size(), expected.days.size(), expected.statements.size());
        } finally {
            if (!job.getJobStatus().join().isGloballyTerminalState()) {
                job.cancel().get();
            }
        }
        assertStoreEqualsReference(url, expected);

        // ---- the open alerts continue
        List<AlertEvent> events = new ArrayList<>();
        for (AlertEvent a : readAlerts(SavepointStream.ALERTS_TOPIC)) {
            if (!SILENT.equals(a.getRule())) {
                events.add(a);
            }
        }
        AlertEvent lag = open.get("replication_lag@sp-b");
        AlertEvent tx = open.get("long_transaction@sp-c");
        // The stream's design with the rules' shipped defaults (replication_lag: for 2m, resolve_for
        // 2m, critical above 300 s; long_transaction: resolve_for 1m), see SavepointStream.
        List<String> want = List.of(
                describe(lag, "firing", "critical", SavepointStream.LAG_CRITICAL_FROM + 2 * MINUTE),
                describe(lag, "resolved", "critical", SavepointStream.LAG_UNTIL + 2 * MINUTE),
                describe(tx, "resolved", "warning", SavepointStream.TX_UNTIL + MINUTE));
        List<String> got = new ArrayList<>();
        for (AlertEvent a : events) {
            got.add(a.getRule() + "@" + a.getInstance() + " fp=" + a.getFingerprint() + " " + a.getStatus().name().toLowerCase()
                    + " " + a.getSeverity().name().toLowerCase() + " at " + Instant.ofEpochMilli(a.getEventAt())
                    + " started " + Instant.ofEpochMilli(a.getStartedAt()));
        }
        got.sort(null);
        List<String> wantSorted = new ArrayList<>(want);
        wantSorted.sort(null);
        assertEquals(wantSorted, got, "alert events of the restored job (alerts topic, " + SILENT + " left out): the two "
                + "episodes open at the savepoint go on (same fingerprint and started_at), each resolves once, none fires anew");

        // alert_event: the old job's rows plus the restored job's, nothing else
        List<String> table = alertRows(url);
        List<String> wantTable = new ArrayList<>(want);
        wantTable.add(describe(lag, "firing", "warning", lag.getEventAt()));
        wantTable.add(describe(tx, "firing", "warning", tx.getEventAt()));
        wantTable.sort(null);
        assertEquals(wantTable, table, "alert_event rows (" + SILENT + " left out)");
        assertTrue(lag.getEventAt() < SavepointStream.timeOf(SavepointStream.LAST_CYCLE_BEFORE_SAVEPOINT)
                && tx.getEventAt() < SavepointStream.timeOf(SavepointStream.LAST_CYCLE_BEFORE_SAVEPOINT),
                "both alerts fired before the savepoint");
    }

    static Throwable failureOf(JobClient job) {
        try {
            job.getJobExecutionResult().get(10, TimeUnit.SECONDS);
            return null;
        } catch (Exception e) {
            Throwable t = e;
            while (t.getCause() != null && t.getCause() != t) {
                t = t.getCause();
            }
            return t;
        }
    }

    static Path resourceDir() throws Exception {
        URL u = SavepointCompatibilityITCase.class.getClassLoader().getResource(RESOURCE + "/stream.properties");
        if (u == null) {
            fail("missing test resource " + RESOURCE);
        }
        return Path.of(u.toURI()).getParent();
    }

    static void assertStoreEqualsReference(String url, ReferenceRollups expected) throws Exception {
        JobTestSupport.assertRollupsEqual(expected.minutes, real(JobTestSupport.rollups(url, "metric_rollup_1m")), "1m");
        JobTestSupport.assertRollupsEqual(expected.hours, real(JobTestSupport.rollups(url, "metric_rollup_1h")), "1h");
        JobTestSupport.assertRollupsEqual(expected.days, real(JobTestSupport.rollups(url, "metric_rollup_1d")), "1d");
        Map<List<Object>, double[]> st = JobTestSupport.statementRollups(url);
        st.keySet().removeIf(k -> ((String) k.get(0)).startsWith("zz-"));
        JobTestSupport.assertStatementsEqual(expected.statements, st);
    }

    static Map<ReferenceRollups.Key, ReferenceRollups.Agg> real(Map<ReferenceRollups.Key, ReferenceRollups.Agg> m) {
        m.keySet().removeIf(k -> k.instance().startsWith("zz-"));
        return m;
    }

    static String describe(AlertEvent firing, String status, String severity, long at) {
        return firing.getRule() + "@" + firing.getInstance() + " fp=" + firing.getFingerprint() + " " + status + " "
                + severity + " at " + Instant.ofEpochMilli(at) + " started " + Instant.ofEpochMilli(firing.getStartedAt());
    }

    /** Alerts with a FIRING and no RESOLVED row in alert_event, as rule@instance → the firing event. */
    static Map<String, AlertEvent> openAlerts(String url) throws Exception {
        Map<String, AlertEvent> out = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT fingerprint, rule, instance,"
                        + " (extract(epoch FROM started_at) * 1000)::bigint, (extract(epoch FROM event_at) * 1000)::bigint"
                        + " FROM alert_event e WHERE status = 'firing' AND NOT EXISTS (SELECT 1 FROM alert_event r"
                        + " WHERE r.fingerprint = e.fingerprint AND r.status = 'resolved')")) {
            while (rs.next()) {
                AlertEvent a = new AlertEvent();
                a.setFingerprint(rs.getString(1));
                a.setRule(rs.getString(2));
                a.setInstance(rs.getString(3));
                a.setStartedAt(rs.getLong(4));
                a.setEventAt(rs.getLong(5));
                if (out.put(a.getRule() + "@" + a.getInstance(), a) != null) {
                    fail("two open alerts of " + a.getRule() + "@" + a.getInstance() + " in the dump");
                }
            }
        }
        return out;
    }

    /** Every alert_event row but instance_silent's, described like {@link #describe}, sorted. */
    static List<String> alertRows(String url) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT rule, instance, fingerprint, status, severity,"
                        + " (extract(epoch FROM event_at) * 1000)::bigint, (extract(epoch FROM started_at) * 1000)::bigint"
                        + " FROM alert_event WHERE rule <> '" + SILENT + "'")) {
            while (rs.next()) {
                out.add(rs.getString(1) + "@" + rs.getString(2) + " fp=" + rs.getString(3) + " " + rs.getString(4) + " "
                        + rs.getString(5) + " at " + Instant.ofEpochMilli(rs.getLong(6)) + " started "
                        + Instant.ofEpochMilli(rs.getLong(7)));
            }
        }
        out.sort(null);
        return out;
    }

    /** Every event in the alerts topic (the job is stopped: the topic is complete). */
    static List<AlertEvent> readAlerts(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "savepoint-alerts-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        WireCodec codec = new WireCodec();
        List<AlertEvent> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(codec.decodeAlert(r.value()).value());
                }
            }
            assertEquals(end, consumer.position(tp), "read the whole alerts topic");
        }
        return out;
    }

    /**
     * Moves every partition's watermark past the stream (so the last day closes): one snapshot far
     * later in each partition, from instances the comparison leaves out.
     */
    static void closeAllPartitions(KafkaProducer<byte[], byte[]> p, long ts) {
        WireCodec codec = new WireCodec();
        for (int part = 0; part < SavepointStream.PARTITIONS; part++) {
            MetricsSnapshot m = new MetricsSnapshot();
            m.setInstance("zz-close-m" + part);
            m.setServerVersionNum(170011);
            m.setCollectedAt(ts);
            m.setView("pg_stat_activity");
            m.setLabels(new LinkedHashMap<>());
            m.getRows().add(new SnapshotRow().value("connections_total", 1.0));
            p.send(new ProducerRecord<>(SavepointStream.METRICS_TOPIC, part,
                    m.getInstance().getBytes(StandardCharsets.UTF_8), codec.encode(m)));
            StatementsSnapshot s = new StatementsSnapshot();
            s.setInstance("zz-close-s" + part);
            s.setServerVersionNum(170011);
            s.setCollectedAt(ts);
            p.send(new ProducerRecord<>(SavepointStream.STATEMENTS_TOPIC, part,
                    s.getInstance().getBytes(StandardCharsets.UTF_8), codec.encode(s)));
        }
        p.flush();
    }
}
