package dev.datainsight.jobs;

import dev.datainsight.embedded.EmbeddedKafka;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.model.Snapshot;
import dev.datainsight.store.Migrations;
import java.io.IOException;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;

/**
 * Takes the committed savepoint of {@link SavepointCompatibilityITCase}: runs the job exactly as
 * production wires it ({@link DataInsightJob#defineWorkflow} with {@link KafkaIO}, rules on) on a
 * local MiniCluster with an embedded Kafka and PostgreSQL, feeds the first part of
 * {@link SavepointStream}, waits until a checkpoint covers all of it, stops with a canonical
 * savepoint and writes, under the output directory: {@code savepoint/} (the savepoint),
 * {@code store/} (the store's rows at that moment, {@link SavepointStoreDump}) and
 * {@code stream.properties} (commit, stream digest, Kafka offsets). Not a test: run on demand
 * (see jobs/src/test/resources/savepoints/README.md):
 *
 * <pre>
 * java -cp ... dev.datainsight.jobs.SavepointGenerator OUTPUT_DIR [COMMIT]
 * </pre>
 */
public final class SavepointGenerator {
    private SavepointGenerator() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: SavepointGenerator OUTPUT_DIR [COMMIT]");
            System.exit(2);
        }
        Path out = Path.of(args[0]).toAbsolutePath();
        String commit = args.length > 1 ? args[1] : "unknown";
        if (Files.exists(out) && Files.list(out).findAny().isPresent()) {
            throw new IllegalStateException(out + " is not empty");
        }
        Path work = Files.createTempDirectory("savepoint-generator");
        long t0 = System.nanoTime();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"));
                EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(EmbeddedPostgresServer.defaultMajor(),
                        work.resolve("pg"))) {
            kafka.createTopics(List.of(SavepointStream.METRICS_TOPIC, SavepointStream.STATEMENTS_TOPIC),
                    SavepointStream.PARTITIONS);
            kafka.createTopics(List.of(SavepointStream.DLQ_TOPIC, SavepointStream.ALERTS_TOPIC), 1);
            String url = pg.jdbcUrl(pg.createDatabase("savepoint"));
            Migrations.migrate(url, null, null);
            JobConfig c = SavepointStream.config(kafka.bootstrapServers(), url);

            List<Snapshot> before = SavepointStream.beforeSavepoint();
            try (KafkaProducer<byte[], byte[]> p = JobTestSupport.producer(kafka.bootstrapServers())) {
                SavepointStream.produce(p, before);
            }
            Map<TopicPartition, Long> ends = endOffsets(kafka.bootstrapServers());
            System.out.println("produced " + before.size() + " snapshots, end offsets " + ends);

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                    DataInsightJob.flinkConfiguration(c));
            DataInsightJob.defineWorkflow(env, new KafkaIO(), new KafkaIO(), c);
            JobClient job = env.executeAsync("savepoint-generator");
            // A checkpoint that committed the end offsets covers every record: all of them are in
            // the operators' state and everything the sinks got before it is in the store.
            JobTestSupport.await("a checkpoint covering the whole first part", Duration.ofSeconds(120),
                    () -> ends.equals(committed(kafka.bootstrapServers(), c.kafka().groupId())));
            Path savepoints = work.resolve("savepoints");
            String location = job.stopWithSavepoint(false, savepoints.toUri().toString(),
                    SavepointFormatType.CANONICAL).get();
            System.out.println("savepoint at " + location);

            Path savepointDir = Path.of(URI.create(location.startsWith("file:") ? location : "file:" + location));
            copyTree(savepointDir, out.resolve("savepoint"));
            int rows = SavepointStoreDump.dump(url, out.resolve("store"));
            List<String> open = openAlerts(url);
            if (open.size() < 2) {
                throw new IllegalStateException("expected the two incidents firing at the savepoint, found " + open);
            }

            Properties meta = new Properties();
            meta.setProperty("commit", commit);
            meta.setProperty("flink.version", EnvironmentInformation.getVersion());
            meta.setProperty("generated.at", Instant.now().toString());
            meta.setProperty("stream.start", Instant.ofEpochMilli(SavepointStream.START).toString());
            meta.setProperty("stream.last.cycle.before.savepoint", Integer.toString(SavepointStream.LAST_CYCLE_BEFORE_SAVEPOINT));
            meta.setProperty("stream.last.time.before.savepoint",
                    Instant.ofEpochMilli(SavepointStream.timeOf(SavepointStream.LAST_CYCLE_BEFORE_SAVEPOINT)).toString());
            meta.setProperty("stream.snapshots.before.savepoint", Integer.toString(before.size()));
            meta.setProperty("stream.digest.before.savepoint", SavepointStream.digest(before));
            for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
                meta.setProperty("offset." + e.getKey().topic() + "." + e.getKey().partition(), e.getValue().toString());
            }
            meta.setProperty("store.rows", Integer.toString(rows));
            meta.setProperty("alerts.firing.at.savepoint", String.join(" ", open));
            try (Writer w = Files.newBufferedWriter(out.resolve("stream.properties"), StandardCharsets.UTF_8)) {
                meta.store(w, "written by SavepointGenerator; read by SavepointCompatibilityITCase");
            }
            System.out.printf("done in %.1f s: %d store rows, savepoint %d bytes, open alerts %s%n",
                    (System.nanoTime() - t0) / 1e9, rows, size(out.resolve("savepoint")), open);
        }
    }

    static Map<TopicPartition, Long> endOffsets(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            Map<TopicPartition, OffsetSpec> q = new TreeMap<>(SavepointGenerator::compare);
            for (String t : List.of(SavepointStream.METRICS_TOPIC, SavepointStream.STATEMENTS_TOPIC)) {
                for (int p = 0; p < SavepointStream.PARTITIONS; p++) {
                    q.put(new TopicPartition(t, p), OffsetSpec.latest());
                }
            }
            Map<TopicPartition, Long> out = new TreeMap<>(SavepointGenerator::compare);
            admin.listOffsets(q).all().get().forEach((tp, r) -> out.put(tp, r.offset()));
            return out;
        }
    }

    private static Map<TopicPartition, Long> committed(String bootstrap, String group) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            Map<TopicPartition, OffsetAndMetadata> m = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, Long> out = new TreeMap<>(SavepointGenerator::compare);
            m.forEach((tp, o) -> {
                if (o != null) {
                    out.put(tp, o.offset());
                }
            });
            return out;
        } catch (Exception e) {
            return Map.of();
        }
    }

    private static int compare(TopicPartition a, TopicPartition b) {
        int c = a.topic().compareTo(b.topic());
        return c != 0 ? c : Integer.compare(a.partition(), b.partition());
    }

    /** Fingerprint/rule/instance of every alert with a FIRING and no RESOLVED event in the store. */
    private static List<String> openAlerts(String url) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT fingerprint, rule, instance, string_agg(status || ':' || severity, ',')"
                        + " FROM alert_event GROUP BY 1, 2, 3"
                        + " HAVING bool_or(status = 'firing') AND NOT bool_or(status = 'resolved') ORDER BY 2, 3")) {
            while (rs.next()) {
                out.add(rs.getString(2) + "@" + rs.getString(3));
            }
        }
        return out;
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    static long size(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
