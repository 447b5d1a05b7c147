package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotKind;
import dev.datainsight.model.WireCodec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Shared helpers of the end-to-end tests: producing, the job's configuration, reading the store. */
final class JobTestSupport {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final WireCodec CODEC = new WireCodec();

    private JobTestSupport() {}

    static JobConfig config(String bootstrap, String metrics, String statements, String dlq, String jdbcUrl) {
        JobConfig c = new JobConfig();
        c.kafka.bootstrapServers = bootstrap;
        c.kafka.metricsTopic = metrics;
        c.kafka.statementsTopic = statements;
        c.kafka.deadLetterTopic = dlq;
        c.kafka.alertsTopic = dlq + "-alerts";
        c.kafka.groupId = "test-" + metrics;
        c.kafka.startingOffsets = JobConfig.StartingOffsets.EARLIEST;
        c.kafka.createTopicsPartitions = 0;
        c.store.jdbcUrl = jdbcUrl;
        c.store.user = null;
        c.store.passwordEnv = null;
        c.store.batchRows = 2000;
        c.runtime.parallelism = 2;
        c.runtime.checkpointInterval = java.time.Duration.ofSeconds(1);
        c.time.idleness = java.time.Duration.ofSeconds(30);
        c.validate();
        return c;
    }

    static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p);
    }

    /** Produces snapshots in list order, keyed by instance, to the topic of their kind. */
    static void produce(KafkaProducer<byte[], byte[]> p, JobConfig c, List<Snapshot> snapshots) {
        for (Snapshot s : snapshots) {
            String topic = s.kind() == SnapshotKind.STATEMENTS ? c.kafka.statementsTopic : c.kafka.metricsTopic;
            p.send(new ProducerRecord<>(topic, s.getInstance().getBytes(StandardCharsets.UTF_8), CODEC.encode(s)));
        }
        p.flush();
    }

    static void produceRaw(KafkaProducer<byte[], byte[]> p, String topic, String key, byte[] value) {
        p.send(new ProducerRecord<>(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value));
    }

    /** Reads every dead letter currently in the topic. */
    static List<DeadLetterRecord> deadLetters(String bootstrap, String topic, int atLeast, Duration timeout) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "dlq-reader-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<DeadLetterRecord> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            while (out.size() < atLeast && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(CODEC.decodeDeadLetter(r.value()).value());
                }
            }
        }
        return out;
    }

    static Connection connect(String url) throws Exception {
        return DriverManager.getConnection(url);
    }

    /** Every row of a rollup table, by series and bucket. */
    static Map<ReferenceRollups.Key, ReferenceRollups.Agg> rollups(String url, String table) throws Exception {
        Map<ReferenceRollups.Key, ReferenceRollups.Agg> out = new HashMap<>();
        try (Connection c = connect(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT s.instance, s.metric, s.labels::text,"
                        + " (extract(epoch FROM r.bucket) * 1000)::bigint, r.count, r.min, r.max, r.sum, r.last"
                        + " FROM " + table + " r JOIN series s ON s.id = r.series_id")) {
            while (rs.next()) {
                Map<String, String> labels = new TreeMap<>(JSON.readValue(rs.getString(3),
                        new TypeReference<Map<String, String>>() {}));
                ReferenceRollups.Agg a = new ReferenceRollups.Agg();
                a.count = rs.getLong(5);
                a.min = rs.getDouble(6);
                a.max = rs.getDouble(7);
                a.sum = rs.getDouble(8);
                a.last = rs.getDouble(9);
                out.put(new ReferenceRollups.Key(rs.getString(1), rs.getString(2), labels, rs.getLong(4)), a);
            }
        }
        return out;
    }

    /** Every statement_rollup_1h row. */
    static Map<List<Object>, double[]> statementRollups(String url) throws Exception {
        Map<List<Object>, double[]> out = new HashMap<>();
        try (Connection c = connect(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT instance, queryid, datname, rolname,"
                        + " (extract(epoch FROM bucket) * 1000)::bigint, calls, total_exec_time_ms, rows, shared_blks_hit,"
                        + " shared_blks_read, shared_blks_dirtied, shared_blks_written, temp_blks_read, temp_blks_written,"
                        + " wal_bytes FROM statement_rollup_1h")) {
            while (rs.next()) {
                double[] v = new double[10];
                for (int i = 0; i < 10; i++) {
                    v[i] = rs.getDouble(6 + i);
                }
                out.put(List.of(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5)), v);
            }
        }
        return out;
    }

    static long count(String url, String sql) throws Exception {
        try (Connection c = connect(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static boolean close(double a, double b) {
        return a == b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
    }

    /** Asserts the store table holds exactly the expected rows (values equal up to float rounding). */
    static void assertRollupsEqual(Map<ReferenceRollups.Key, ReferenceRollups.Agg> expected,
            Map<ReferenceRollups.Key, ReferenceRollups.Agg> actual, String what) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<ReferenceRollups.Key, ReferenceRollups.Agg> e : expected.entrySet()) {
            ReferenceRollups.Agg a = actual.get(e.getKey());
            ReferenceRollups.Agg x = e.getValue();
            if (a == null) {
                problems.add("missing " + e.getKey() + " expected " + x);
            } else if (a.count != x.count || !close(a.min, x.min) || !close(a.max, x.max) || !close(a.sum, x.sum)
                    || !close(a.last, x.last)) {
                problems.add("differs " + e.getKey() + ": expected " + x + ", stored " + a);
            }
        }
        for (ReferenceRollups.Key k : actual.keySet()) {
            if (!expected.containsKey(k)) {
                problems.add("unexpected " + k + " " + actual.get(k));
            }
        }
        if (!problems.isEmpty()) {
            fail(what + ": " + problems.size() + " problems of " + expected.size() + " rows, first: "
                    + problems.subList(0, Math.min(5, problems.size())));
        }
    }

    static void assertStatementsEqual(Map<List<Object>, double[]> expected, Map<List<Object>, double[]> actual) {
        assertEquals(expected.keySet(), actual.keySet(), "statement_rollup_1h keys");
        for (Map.Entry<List<Object>, double[]> e : expected.entrySet()) {
            double[] a = actual.get(e.getKey());
            for (int i = 0; i < a.length; i++) {
                if (!close(e.getValue()[i], a[i])) {
                    fail("statement " + e.getKey() + " column " + ReferenceRollups.STATEMENT_COLUMNS[i] + ": expected "
                            + e.getValue()[i] + ", stored " + a[i]);
                }
            }
        }
    }

    /** Polls until the condition holds, failing after the timeout. */
    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(250);
        }
    }
}
