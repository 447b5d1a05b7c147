package dev.datainsight.jobs;

import dev.datainsight.config.Binder;
import dev.datainsight.config.ConfigException;
import dev.datainsight.config.DataSize;
import dev.datainsight.config.Problem;
import dev.datainsight.config.Problems;
import dev.datainsight.config.YamlDocument;
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
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's configuration: a YAML file (see {@code jobs/job.example.yaml}, docs/job.md and
 * docs/configuration.md for the syntax) plus command-line overrides {@code --set section.key=value},
 * bound into typed fields at load ({@link Duration}, {@link DataSize}, enums) so nothing downstream
 * parses a string. Keys are snake_case; the camelCase keys of earlier releases are still accepted,
 * each with a one-line deprecation warning. Relative paths ({@code store.password_file},
 * {@code rules.file}) resolve against the directory of the job file. The store password comes from
 * the environment variable named by {@code store.password_env} or from the file
 * {@code store.password_file}, never from the YAML itself.
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
        public StartingOffsets startingOffsets = StartingOffsets.COMMITTED;
        /** Stop at the offsets that are latest when the job starts (tests, benchmarks). */
        public boolean bounded = false;
        /** Create missing topics at start-up with this many partitions (0 = do not create). */
        public int createTopicsPartitions = 4;
        /** Records larger than this are rejected as oversized. */
        public DataSize maxRecordBytes = new DataSize(WireFormat.DEFAULT_MAX_RECORD_BYTES);
        /** Extra consumer/producer properties. */
        public Map<String, String> properties = Map.of();
    }

    /** Store settings. */
    public static class Store implements Serializable {
        private static final long serialVersionUID = 1L;
        public String jdbcUrl = "jdbc:postgresql://localhost:5432/datainsight";
        public String user = "datainsight_writer";
        public String passwordEnv = "DATAINSIGHT_STORE_PASSWORD";
        /** A file holding the password; relative to the job file. */
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
                throw new IllegalArgumentException("cannot read store.password_file " + passwordFile + ": " + e.getMessage(), e);
            }
            return passwordEnv == null ? null : System.getenv(passwordEnv);
        }
    }

    /** Flink runtime settings. */
    public static class Runtime implements Serializable {
        private static final long serialVersionUID = 1L;
        public int parallelism = 2;
        /** 0s: no checkpoints. */
        public Duration checkpointInterval = Duration.ofSeconds(30);
        public StateBackend stateBackend = StateBackend.HASHMAP;
        /** Checkpoint storage, e.g. file:///var/lib/datainsight/checkpoints; null = JobManager memory. */
        public String checkpointDir;
    }

    /** Event-time settings. */
    public static class Time implements Serializable {
        private static final long serialVersionUID = 1L;
        public Duration watermarkBound = Duration.ofSeconds(30);
        public Duration idleness = Duration.ofMinutes(1);
        public Duration allowedLateness = Duration.ofMinutes(2);
        /** No rate across a longer gap between two snapshots of a row. */
        public Duration maxGap = Duration.ofMinutes(5);
        /** Snapshots further ahead of the job's clock are rejected as in_future. */
        public Duration maxFuture = Duration.ofMinutes(5);
        /** Snapshots further behind the job's clock are rejected as too_old. */
        public Duration maxAge = Duration.ofDays(7);
        public Duration inventoryInterval = Duration.ofMinutes(5);
        /** Optional backstop TTL of keyed state; 0s = none (cleanup timers bound all state). */
        public Duration stateTtl = Duration.ZERO;
    }

    /** Rules settings. */
    public static class Rules implements Serializable {
        private static final long serialVersionUID = 1L;
        public boolean enabled = false;
        /** Rules file (relative to the job file); null = the shipped defaults. */
        public String file;
    }

    public Kafka kafka = new Kafka();
    public Store store = new Store();
    public Runtime runtime = new Runtime();
    public Time time = new Time();
    public Rules rules = new Rules();

    /** Where the job reads its snapshots from when it starts without a committed offset. */
    public enum StartingOffsets { COMMITTED, EARLIEST, LATEST }

    /** Flink state backend. */
    public enum StateBackend {
        HASHMAP, ROCKSDB;

        /** The name Flink's {@code state.backend.type} takes. */
        public String flinkName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Title of the exception listing a job file's problems. */
    public static final String TITLE = "invalid job configuration";

    private static final Logger LOG = LoggerFactory.getLogger(JobConfig.class);
    private static final Pattern CAMEL = Pattern.compile("([a-z0-9])([A-Z])");
    private static final String DEPRECATED =
            "deprecated camelCase key, write %s (camelCase keys are accepted for one release)";

    /**
     * Loads a YAML file (null = defaults) and applies {@code section.key=value} overrides; every
     * problem of the file and the overrides fails the load at once, warnings are logged.
     *
     * @throws ConfigException listing every problem
     */
    public static JobConfig load(Path file, List<String> overrides) {
        YamlDocument doc = file == null ? YamlDocument.empty("<defaults>") : YamlDocument.read(file, "job configuration");
        JobConfig c = bind(doc, overrides);
        doc.problems().throwIfErrors(TITLE);
        for (Problem w : doc.problems().warnings()) {
            LOG.warn("{}", w);
        }
        return c;
    }

    /** Checks a job file (and overrides) without running anything: its problems, for {@code check}. */
    public static Problems check(YamlDocument doc, List<String> overrides) {
        bind(doc, overrides);
        return doc.problems();
    }

    private static JobConfig bind(YamlDocument doc, List<String> overrides) {
        doc.renameKeys(JobConfig::snake, Set.of("kafka.properties"), DEPRECATED);
        for (String o : overrides == null ? List.<String>of() : overrides) {
            int eq = o.indexOf('=');
            String key = eq > 0 ? o.substring(0, eq) : o;
            String snakeKey = key.startsWith("kafka.properties.") ? key : snake(key);
            if (!snakeKey.equals(key)) {
                doc.problems().warn(new Problem("--set " + o, 0, 0, key, String.format(DEPRECATED, snakeKey), ""));
            }
            doc.override(eq > 0 ? snakeKey + o.substring(eq) : o);
        }
        JobConfig c = Binder.bind(doc, JobConfig.class);
        if (c == null) {
            return new JobConfig();
        }
        // An empty section ("time:") means its defaults, as a missing one does.
        c.kafka = c.kafka == null ? new Kafka() : c.kafka;
        c.store = c.store == null ? new Store() : c.store;
        c.runtime = c.runtime == null ? new Runtime() : c.runtime;
        c.time = c.time == null ? new Time() : c.time;
        c.rules = c.rules == null ? new Rules() : c.rules;
        c.validate(doc.problems());
        if (c.rules.file != null && !c.rules.file.isBlank()) {
            c.rules.file = doc.locations().resolve(c.rules.file, doc.locations().isOverride("rules.file")).toString();
        }
        if (c.store.passwordFile != null && !c.store.passwordFile.isBlank()) {
            c.store.passwordFile = doc.locations()
                    .resolve(c.store.passwordFile, doc.locations().isOverride("store.password_file")).toString();
        }
        return c;
    }

    /** {@code bootstrapServers} to {@code bootstrap_servers}, per path segment. */
    static String snake(String key) {
        Matcher m = CAMEL.matcher(key);
        return m.replaceAll("$1_$2").toLowerCase(Locale.ROOT);
    }

    /**
     * Checks a configuration built in code (tests, benchmarks).
     *
     * @throws ConfigException listing every problem
     */
    public void validate() {
        Problems p = new Problems(new dev.datainsight.config.Locations("<job configuration>", null));
        validate(p);
        p.throwIfErrors(TITLE);
    }

    /** Checks value ranges; every problem names its key. */
    private void validate(Problems p) {
        if (kafka == null || store == null || runtime == null || time == null || rules == null) {
            p.error("", "every section (kafka, store, runtime, time, rules) must be set");
            return;
        }
        if (runtime.parallelism < 1) {
            p.error("runtime.parallelism", "must be at least 1, got " + runtime.parallelism);
        }
        if (store.batchRows < 1) {
            p.error("store.batch_rows", "must be at least 1, got " + store.batchRows);
        }
        if (kafka.createTopicsPartitions < 0) {
            p.error("kafka.create_topics_partitions", "must be 0 (never) or more, got " + kafka.createTopicsPartitions);
        }
        if (kafka.maxRecordBytes != null && (kafka.maxRecordBytes.bytes() < 1024 || kafka.maxRecordBytes.bytes() > Integer.MAX_VALUE)) {
            p.error("kafka.max_record_bytes", "must be 1KB to 2GB, got " + kafka.maxRecordBytes);
        }
        // An explicit empty value binds to null; a value that did not parse was reported already.
        Map<String, Object> required = new java.util.LinkedHashMap<>();
        required.put("time.watermark_bound", time.watermarkBound);
        required.put("time.idleness", time.idleness);
        required.put("time.allowed_lateness", time.allowedLateness);
        required.put("time.max_gap", time.maxGap);
        required.put("time.max_future", time.maxFuture);
        required.put("time.max_age", time.maxAge);
        required.put("time.inventory_interval", time.inventoryInterval);
        required.put("time.state_ttl", time.stateTtl);
        required.put("runtime.checkpoint_interval", runtime.checkpointInterval);
        required.put("runtime.state_backend", runtime.stateBackend);
        required.put("kafka.starting_offsets", kafka.startingOffsets);
        required.put("kafka.max_record_bytes", kafka.maxRecordBytes);
        required.forEach((key, value) -> {
            if (value == null && p.errors().stream().noneMatch(e -> e.path().equals(key))) {
                p.error(key, "must not be empty");
            }
        });
    }

    /** The record size limit as the codec takes it. */
    public int maxRecordBytes() {
        return (int) kafka.maxRecordBytes.bytes();
    }
}
