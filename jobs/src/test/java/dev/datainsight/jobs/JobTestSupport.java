package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.embedded.PostgresExtension;
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
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the job's integration tests share: one Kafka broker, one PostgreSQL server (the store) and
 * a Flink mini cluster (one task manager, two slots), registered once here for every test class
 * that extends this one; fresh topics and the job's test configuration on them; producing;
 * reading dead letters and the store back.
 */
public abstract class JobTestSupport {
    @RegisterExtension
    protected static final KafkaExtension KAFKA = new KafkaExtension();
    @RegisterExtension
    protected static final PostgresExtension PG = new PostgresExtension();
    @RegisterExtension
    protected static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final ObjectMapper JSON = new ObjectMapper();
    static final WireCodec CODEC = new WireCodec();

    protected JobTestSupport() {}

    /** A test's own topics: metrics and statements (the job's source topics, in that order) and dead letters. */
    protected record Topics(String metrics, String statements, String dlq) {
        /** The job's source topics. */
        public List<String> sources() {
            return List.of(metrics, statements);
        }
    }

    /** New topics with unique names; the dead-letter topic has one partition. */
    protected static Topics newTopics(int metricsPartitions, int statementsPartitions) {
        return new Topics(KAFKA.newTopic("metrics", metricsPartitions), KAFKA.newTopic("statements", statementsPartitions),
                KAFKA.newTopic("dlq", 1));
    }

    /** The job's test configuration on a test's topics and store (see the other overload). */
    protected static JobConfig.Builder config(Topics t, String jdbcUrl) {
        return config(KAFKA.bootstrapServers(), t.metrics(), t.statements(), t.dlq(), jdbcUrl);
    }

    /**
     * The job's test configuration: the given topics read from the earliest offset (none
     * created), alerts to {@code dlq + "-alerts"}, no plans topic, the store's superuser URL, batches of 2,000 rows,
     * parallelism 2, checkpoints every second, 30 s idleness; every other key its default. Tests
     * change what they need on the builder.
     */
    public static JobConfig.Builder config(String bootstrap, String metrics, String statements, String dlq, String jdbcUrl) {
        return JobConfig.builder()
                .kafka(k -> k.bootstrapServers(bootstrap).sourceTopics(List.of(metrics, statements))
                        .deadLetterTopic(dlq).alertsTopic(dlq + "-alerts").plansTopic("").groupId("test-" + metrics)
                        .startingOffsets(JobConfig.StartingOffsets.EARLIEST).createTopicsPartitions(0))
                .store(s -> s.jdbcUrl(jdbcUrl).user(null).passwordEnv(null).batchRows(2000))
                .runtime(r -> r.parallelism(2).checkpointInterval(Duration.ofSeconds(1)))
                .time(t -> t.idleness(Duration.ofSeconds(30)));
    }

    /** The configuration built and validated. */
    public static JobConfig valid(JobConfig.Builder b) {
        JobConfig c = b.build();
        c.validate();
        return c;
    }

    /** The metrics topic of a test configuration (its first source topic). */
    public static String metricsTopic(JobConfig c) {
        return c.kafka().sourceTopics().get(0);
    }

    /** The statements topic of a test configuration (its second source topic). */
    public static String statementsTopic(JobConfig c) {
        return c.kafka().sourceTopics().get(1);
    }

    /**
     * A monitored server of a test's own: the default major version with these settings (the
     * store stays on the shared {@link #PG}).
     */
    protected static PostgresExtension monitoredServer(Map<String, String> settings) {
        return new PostgresExtension(EmbeddedPostgresServer.defaultMajor(), settings);
    }

    /** Waits until the store holds a 1-minute rollup of the minute starting at {@code minuteStart} (the watermark passed it). */
    static void awaitMinuteStored(String url, long minuteStart, String what, Duration timeout) throws InterruptedException {
        await("rollups of " + what, timeout, () -> {
            try {
                return count(url, "SELECT count(*) FROM metric_rollup_1m WHERE bucket = to_timestamp("
                        + minuteStart / 1000 + ")") > 0;
            } catch (Exception e) {
                return false;
            }
        });
    }

    static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p);
    }

    /**
     * Produces snapshots in list order, keyed by instance, to the topic of their kind, each
     * instance always to the same partition ({@link #partitionOf}), so its snapshots stay in order.
     */
    static void produce(KafkaProducer<byte[], byte[]> p, JobConfig c, List<Snapshot> snapshots) {
        Map<String, Integer> partitions = new HashMap<>();
        for (Snapshot s : snapshots) {
            String topic = s.kind() == SnapshotKind.STATEMENTS ? statementsTopic(c) : metricsTopic(c);
            int n = partitions.computeIfAbsent(topic, t -> p.partitionsFor(t).size());
            p.send(new ProducerRecord<>(topic, partitionOf(s.getInstance(), n), s.getInstance().getBytes(StandardCharsets.UTF_8),
                    CODEC.encode(s)));
        }
        p.flush();
    }

    /**
     * The partition of an instance's snapshots: its name's hash modulo the partition count, which
     * spreads numbered instances ({@code pg-00000}, {@code pg-00001}, ...) round-robin. Kafka's
     * key hash would put all four instances of a {@code SyntheticFleet(4, ...)} in partition 0 of
     * two: the other partition then carries no data, and the job's watermark (the minimum over
     * the partitions) would wait for the idleness timeout (30 s here) before any minute closed.
     */
    static int partitionOf(String instance, int partitions) {
        return Math.floorMod(instance.hashCode(), partitions);
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

    /**
     * Waits until the job's consumer group has committed (on a completed checkpoint) the end
     * offset of every partition of its source topics: every record produced so far went through
     * the job's operators. Tests that then jump the watermark (a far-future snapshot on every
     * partition) need it when the job has been waiting longer than the idleness timeout: a
     * partition resuming from idle is not counted in the watermark until its first periodic
     * watermark, so another partition's jump could overtake the records it is still reading and
     * make them late.
     */
    static void awaitConsumed(String bootstrap, JobConfig c, Duration timeout) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(props)) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (var d : admin.describeTopics(c.kafka().sourceTopics()).allTopicNames().get().values()) {
                d.partitions().forEach(pi -> latest.put(new TopicPartition(d.name(), pi.partition()), OffsetSpec.latest()));
            }
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, r) -> ends.put(tp, r.offset()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin
                        .listConsumerGroupOffsets(c.kafka().groupId()).partitionsToOffsetAndMetadata().get();
                List<String> behind = new ArrayList<>();
                ends.forEach((tp, end) -> {
                    OffsetAndMetadata o = committed.get(tp);
                    long at = o == null ? 0 : o.offset();
                    if (at < end) {
                        behind.add(tp + " at " + at + " of " + end);
                    }
                });
                if (behind.isEmpty()) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    fail("timed out waiting for the job to consume its source topics: " + behind);
                }
                Thread.sleep(250);
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
