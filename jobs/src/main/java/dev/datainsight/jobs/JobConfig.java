package dev.datainsight.jobs;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.datainsight.model.WireFormat;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The job's configuration: a YAML file (see {@code jobs/job.example.yaml} and docs/job.md) plus
 * command-line overrides {@code --set section.key=value}. Durations are written {@code 500ms},
 * {@code 30s}, {@code 2m}, {@code 1h}, {@code 2d} or ISO-8601 ({@code PT30S}). The store password
 * comes from the environment variable named by {@code store.passwordEnv} or from the file
 * {@code store.passwordFile}, never from the YAML itself.
 */
public class JobConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Kafka settings. */
    public static class Kafka implements Serializable {
        private static final long serialVersionUID = 1L;
        public String bootstrapServers = "localhost:9092";
        public String metricsTopic = WireFormat.TOPIC_METRICS;
        public String statementsTopic = WireFormat.TOPIC_STATEMENTS;
        public String deadLetterTopic = WireFormat.TOPIC_DEADLETTER;
        public String alertsTopic = WireFormat.TOPIC_ALERTS;
        public String groupId = "datainsight-job";
        /** committed (falling back to earliest), earliest or latest. */
        public String startingOffsets = "committed";
        /** Stop at the offsets that are latest when the job starts (tests, benchmarks). */
        public boolean bounded = false;
        /** Create missing topics at start-up with this many partitions (0 = do not create). */
        public int createTopicsPartitions = 4;
        /** Records larger than this are rejected as oversized. */
        public int maxRecordBytes = WireFormat.DEFAULT_MAX_RECORD_BYTES;
        /** Extra consumer/producer properties. */
        public Map<String, String> properties = Map.of();
    }

    /** Store settings. */
    public static class Store implements Serializable {
        private static final long serialVersionUID = 1L;
        public String jdbcUrl = "jdbc:postgresql://localhost:5432/datainsight";
        public String user = "datainsight_writer";
        public String passwordEnv = "DATAINSIGHT_STORE_PASSWORD";
        public String passwordFile;
        /** Rows per store batch; a batch is also written at every checkpoint. */
        public int batchRows = 5000;
        /** Apply the store migrations before the job starts. */
        public boolean migrateOnStart = false;

        /** The password from {@link #passwordFile} or the {@link #passwordEnv} variable, or null. */
        public String password() {
            try {
                if (passwordFile != null && !passwordFile.isBlank()) {
                    return Files.readString(Path.of(passwordFile), StandardCharsets.UTF_8).strip();
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read store.passwordFile " + passwordFile + ": " + e.getMessage(), e);
            }
            return passwordEnv == null ? null : System.getenv(passwordEnv);
        }
    }

    /** Flink runtime settings. */
    public static class Runtime implements Serializable {
        private static final long serialVersionUID = 1L;
        public int parallelism = 2;
        public String checkpointInterval = "30s";
        /** hashmap or rocksdb. */
        public String stateBackend = "hashmap";
        /** Checkpoint storage, e.g. file:///var/lib/datainsight/checkpoints; null = JobManager memory. */
        public String checkpointDir;
    }

    /** Event-time settings. */
    public static class Time implements Serializable {
        private static final long serialVersionUID = 1L;
        public String watermarkBound = "30s";
        public String idleness = "1m";
        public String allowedLateness = "2m";
        /** No rate across a longer gap between two snapshots of a row. */
        public String maxGap = "5m";
        /** Snapshots further ahead of the job's clock are rejected as in_future. */
        public String maxFuture = "5m";
        /** Snapshots further behind the job's clock are rejected as too_old. */
        public String maxAge = "7d";
        public String inventoryInterval = "5m";
        /** Optional backstop TTL of keyed state; 0s = none (cleanup timers bound all state). */
        public String stateTtl = "0s";
    }

    /** Rules settings. */
    public static class Rules implements Serializable {
        private static final long serialVersionUID = 1L;
        public boolean enabled = false;
        public String file;
    }

    public Kafka kafka = new Kafka();
    public Store store = new Store();
    public Runtime runtime = new Runtime();
    public Time time = new Time();
    public Rules rules = new Rules();

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Loads a YAML file (null = defaults) and applies {@code section.key=value} overrides. */
    public static JobConfig load(Path file, List<String> overrides) {
        try {
            ObjectNode root = file == null ? YAML.createObjectNode()
                    : (ObjectNode) YAML.readTree(Files.readAllBytes(file));
            if (root == null) {
                root = YAML.createObjectNode();
            }
            for (String o : overrides == null ? List.<String>of() : overrides) {
                int eq = o.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("override must be section.key=value, got '" + o + "'");
                }
                String[] path = o.substring(0, eq).split("\\.");
                ObjectNode node = root;
                for (int i = 0; i < path.length - 1; i++) {
                    JsonNode child = node.get(path[i]);
                    node = child instanceof ObjectNode on ? on : node.putObject(path[i]);
                }
                node.put(path[path.length - 1], o.substring(eq + 1));
            }
            JobConfig c = YAML.treeToValue(root, JobConfig.class);
            c.validate();
            return c;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read job configuration " + file + ": " + e.getMessage(), e);
        }
    }

    /** Checks values and fails with a message that names the key. */
    public void validate() {
        for (String[] d : new String[][] {
            {"time.watermarkBound", time.watermarkBound}, {"time.idleness", time.idleness},
            {"time.allowedLateness", time.allowedLateness}, {"time.maxGap", time.maxGap},
            {"time.maxFuture", time.maxFuture}, {"time.maxAge", time.maxAge},
            {"time.inventoryInterval", time.inventoryInterval}, {"time.stateTtl", time.stateTtl},
            {"runtime.checkpointInterval", runtime.checkpointInterval}}) {
            try {
                duration(d[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(d[0] + ": " + e.getMessage());
            }
        }
        if (!List.of("hashmap", "rocksdb").contains(runtime.stateBackend.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("runtime.stateBackend must be hashmap or rocksdb, got " + runtime.stateBackend);
        }
        if (!List.of("committed", "earliest", "latest").contains(kafka.startingOffsets.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("kafka.startingOffsets must be committed, earliest or latest, got "
                    + kafka.startingOffsets);
        }
        if (runtime.parallelism < 1) {
            throw new IllegalArgumentException("runtime.parallelism must be at least 1");
        }
        if (store.batchRows < 1) {
            throw new IllegalArgumentException("store.batchRows must be at least 1");
        }
        if (rules.enabled && (rules.file == null || rules.file.isBlank())) {
            // The rules ship with defaults; a file only overrides them.
            rules.file = null;
        }
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, {@code 2d} or ISO-8601. */
    public static Duration duration(String s) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException("duration is empty");
        }
        String t = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("p")) {
                return Duration.parse(s.trim().toUpperCase(Locale.ROOT));
            }
            if (t.equals("0")) {
                return Duration.ZERO;
            }
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2).trim()));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1).trim());
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw new IllegalArgumentException("unknown unit");
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + s + "' is not a duration (use 500ms, 30s, 2m, 1h, 2d or PT30S)");
        }
    }
}
