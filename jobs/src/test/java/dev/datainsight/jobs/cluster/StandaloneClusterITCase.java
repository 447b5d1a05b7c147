package dev.datainsight.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.FlinkStandaloneCluster;
import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.WireCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shaded job jar ({@code jobs/target/datainsight-job.jar}) on a REAL standalone Flink session
 * cluster (JobManager and TaskManager JVMs, {@link FlinkStandaloneCluster}), submitted over the
 * REST API, reading the real broker and writing the real store: rollups arrive; a savepoint with
 * cancel stops it; snapshots produced while it is down are processed after it resumes from the
 * savepoint; every 1-minute bucket holds exactly the samples that were produced (nothing lost,
 * nothing counted twice); and an alert that fired before the savepoint is carried across it (no
 * second firing after the resume) and resolves after it, each transition once on the alerts
 * topic and once in alert_event.
 *
 * <p>The jar is made by the {@code package} phase, so this test runs in the jobs module's
 * {@code integration-test} phase (see jobs/pom.xml), after the jar exists.
 */
class StandaloneClusterITCase {
    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension();

    private static final long MINUTE = 60_000;
    private static final int SAMPLES_PER_MINUTE = 6; // one snapshot every 10 s
    private static final List<String> INSTANCES = List.of("pg-a", "pg-b");
    private final WireCodec codec = new WireCodec();

    @Test
    void rollupsArrive_andSurviveSavepointCancelAndResume_withoutLossOrDoubles() throws Exception {
        Path jar = jobJar();
        String metrics = KAFKA.newTopic("metrics", 2);
        String statements = KAFKA.newTopic("statements", 2);
        String dlq = KAFKA.newTopic("deadletter", 1);
        String alerts = KAFKA.newTopic("alerts", 1);
        String db = PG.freshDatabase("cluster");
        String jdbcUrl = PG.server().jdbcUrlNoUser(db);
        // Event time: 20 whole minutes that ended a few minutes ago (inside the job's max age).
        long t0 = (System.currentTimeMillis() / MINUTE - 25) * MINUTE;

        Path dir = KafkaExtension.tmpBase().resolve("flink-cluster-" + UUID.randomUUID());
        try (FlinkStandaloneCluster cluster = FlinkStandaloneCluster.start(dir)) {
            String jarId = cluster.uploadJar(jar);
            List<String> args = List.of(
                    "--set", "kafka.bootstrapServers=" + KAFKA.bootstrapServers(),
                    "--set", "kafka.source_topics=[" + metrics + ", " + statements + "]",
                    "--set", "kafka.deadLetterTopic=" + dlq,
                    "--set", "kafka.alertsTopic=" + alerts,
                    "--set", "kafka.startingOffsets=earliest",
                    "--set", "store.jdbcUrl=" + jdbcUrl,
                    "--set", "store.user=postgres",
                    "--set", "store.migrateOnStart=true",
                    "--set", "runtime.parallelism=2",
                    "--set", "runtime.checkpointInterval=3s",
                    "--set", "time.idleness=3s",
                    "--set", "time.watermarkBound=5s",
                    "--set", "rules.enabled=true");

            // Phase 1: minutes 0..9 on the running job; minutes 0..8 close (watermark 9:50 - 5 s).
            produce(metrics, t0, 0, 10);
            String job1 = cluster.runJar(jarId, args, 2, null);
            cluster.awaitAllTasksRunning(job1, Duration.ofMinutes(1));
            awaitBuckets(jdbcUrl, 9, Duration.ofSeconds(90));
            awaitAlerts(alerts, List.of("firing"), Duration.ofSeconds(60));

            // Savepoint + cancel, then more data while the job is down.
            String savepoint = cluster.savepoint(job1, cluster.savepointDir(), true);
            cluster.awaitJobState(job1, "CANCELED", Duration.ofMinutes(1));
            assertTrue(Files.exists(Paths.get(java.net.URI.create(savepoint)).resolve("_metadata")), savepoint);
            produce(metrics, t0, 10, 20);

            // Phase 2: resume from the savepoint; minutes 9..18 close.
            String job2 = cluster.runJar(jarId, args, 2, savepoint);
            cluster.awaitAllTasksRunning(job2, Duration.ofMinutes(1));
            awaitBuckets(jdbcUrl, 19, Duration.ofSeconds(90));
            awaitAlerts(alerts, List.of("firing", "resolved"), Duration.ofSeconds(60));
            cluster.cancel(job2);
        }

        // Every closed minute of every instance: exactly 6 samples with the values produced.
        Map<String, List<long[]>> rows = bucketRows(jdbcUrl);
        assertEquals(INSTANCES, new ArrayList<>(rows.keySet()));
        for (String inst : INSTANCES) {
            List<long[]> r = rows.get(inst);
            assertEquals(19, r.size(), inst + " buckets: one per closed minute, none missing, none extra");
            for (int m = 0; m < 19; m++) {
                long[] b = r.get(m);
                assertEquals(t0 + m * MINUTE, b[0], inst + " bucket " + m);
                assertEquals(SAMPLES_PER_MINUTE, b[1], inst + " minute " + m + ": samples counted");
                assertEquals(expectedSum(m), b[2], inst + " minute " + m + ": sum of the produced values");
            }
        }

        // The idle-in-transaction alert of pg-a: fired once before the savepoint, resolved once after.
        List<AlertEvent> idle = idleAlerts(alerts);
        assertEquals(List.of("firing", "resolved"), idle.stream().map(a -> a.getStatus().wire()).toList(), idle.toString());
        assertEquals(idle.get(0).getFingerprint(), idle.get(1).getFingerprint());
        assertEquals(t0 + IDLE_FROM * MINUTE, idle.get(0).getStartedAt(), "started when the condition first held");
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", ""); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT status FROM alert_event WHERE rule = 'idle_in_transaction' ORDER BY event_at")) {
            List<String> stored = new ArrayList<>();
            while (rs.next()) {
                stored.add(rs.getString(1));
            }
            assertEquals(List.of("firing", "resolved"), stored, "alert_event holds each transition once");
        }
    }

    /** Minutes [IDLE_FROM, IDLE_TO) of pg-a have a session idle in transaction for 400 s (> 300 s warning). */
    private static final int IDLE_FROM = 3;
    private static final int IDLE_TO = 13;

    private static double idleSeconds(int sample) {
        int minute = sample / SAMPLES_PER_MINUTE;
        return minute >= IDLE_FROM && minute < IDLE_TO ? 400 : 0;
    }

    private void awaitAlerts(String topic, List<String> statuses, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<AlertEvent> got = List.of();
        while (System.nanoTime() < deadline) {
            got = idleAlerts(topic);
            if (got.stream().map(a -> a.getStatus().wire()).toList().equals(statuses)) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("expected idle_in_transaction alerts " + statuses + " within " + timeout + ", have " + got);
    }

    /** Every idle_in_transaction event on the alerts topic, in order. */
    private List<AlertEvent> idleAlerts(String topic) {
        Properties p = new Properties();
        p.put("bootstrap.servers", KAFKA.bootstrapServers());
        List<AlertEvent> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    AlertEvent a = codec.decodeAlert(r.value()).value();
                    if (a.getRule().equals("idle_in_transaction")) {
                        out.add(a);
                    }
                }
            }
        }
        return out;
    }

    /** numbackends of sample i (0-based over the whole run) is i % 50, so each minute's sum is known. */
    private static long value(int sample) {
        return sample % 50;
    }

    private static long expectedSum(int minute) {
        long s = 0;
        for (int k = 0; k < SAMPLES_PER_MINUTE; k++) {
            s += value(minute * SAMPLES_PER_MINUTE + k);
        }
        return s;
    }

    private void produce(String topic, long t0, int fromMinute, int toMinute) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", KAFKA.bootstrapServers());
        p.put("acks", "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = fromMinute * SAMPLES_PER_MINUTE; i < toMinute * SAMPLES_PER_MINUTE; i++) {
                for (String inst : INSTANCES) {
                    MetricsSnapshot s = new MetricsSnapshot();
                    s.setInstance(inst);
                    s.setServerVersionNum(170011);
                    s.setCollectedAt(t0 + i * 10_000L);
                    s.setView("pg_stat_database");
                    SnapshotRow r = new SnapshotRow();
                    r.label("datname", "app");
                    r.value("numbackends", (double) value(i));
                    s.getRows().add(r);
                    producer.send(new ProducerRecord<>(topic, inst.getBytes(StandardCharsets.UTF_8), codec.encode(s)));
                    if (inst.equals("pg-a")) {
                        MetricsSnapshot a = new MetricsSnapshot();
                        a.setInstance(inst);
                        a.setServerVersionNum(170011);
                        a.setCollectedAt(t0 + i * 10_000L);
                        a.setView("pg_stat_activity");
                        a.getRows().add(new SnapshotRow().value("oldest_idle_in_transaction_seconds", idleSeconds(i))
                                .value("connections_total", 5.0).value("max_connections", 100.0).value("reserved_connections", 3.0));
                        producer.send(new ProducerRecord<>(topic, inst.getBytes(StandardCharsets.UTF_8), codec.encode(a)));
                    }
                }
            }
            producer.flush();
        }
    }

    /** Waits until every instance has at least {@code n} 1-minute buckets of numbackends. */
    private void awaitBuckets(String jdbcUrl, int n, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, List<long[]>> rows = Map.of();
        while (System.nanoTime() < deadline) {
            rows = bucketRows(jdbcUrl);
            if (rows.size() == INSTANCES.size() && rows.values().stream().allMatch(l -> l.size() >= n)) {
                return;
            }
            Thread.sleep(500);
        }
        Map<String, Integer> sizes = new TreeMap<>();
        rows.forEach((k, v) -> sizes.put(k, v.size()));
        throw new AssertionError("expected " + n + " minute buckets per instance within " + timeout + ", have " + sizes);
    }

    /** instance -> [bucket epoch ms, count, sum] of pg_stat_database.numbackends, by bucket. */
    private static Map<String, List<long[]>> bucketRows(String jdbcUrl) throws Exception {
        Map<String, List<long[]>> out = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "");
                Statement st = c.createStatement()) {
            ResultSet exists = st.executeQuery("SELECT to_regclass('metric_rollup_1m') IS NOT NULL");
            exists.next();
            if (!exists.getBoolean(1)) {
                return out; // migrations not applied yet
            }
            try (ResultSet rs = st.executeQuery("SELECT s.instance, extract(epoch FROM r.bucket)::bigint * 1000, r.count, r.sum"
                    + " FROM metric_rollup_1m r JOIN series s ON s.id = r.series_id"
                    + " WHERE s.metric = 'pg_stat_database.numbackends' ORDER BY s.instance, r.bucket")) {
                while (rs.next()) {
                    out.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                            .add(new long[] {rs.getLong(2), rs.getLong(3), Math.round(rs.getDouble(4))});
                }
            }
        }
        return out;
    }

    private static Path jobJar() {
        Path jar = Paths.get(System.getProperty("basedir", System.getProperty("user.dir")), "target", "datainsight-job.jar");
        assertTrue(Files.isRegularFile(jar), jar + " does not exist: it is built by the package phase (./mvnw -pl jobs verify)");
        return jar;
    }

    static void sleep(long ms) {
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
