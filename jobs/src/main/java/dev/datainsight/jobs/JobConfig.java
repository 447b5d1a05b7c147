package dev.datainsight.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.datainsight.config.Binder;
import dev.datainsight.config.ConfigException;
import dev.datainsight.config.DataSize;
import dev.datainsight.config.Locations;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's configuration: a YAML file (see {@code jobs/job.example.yaml}, docs/job.md and
 * docs/configuration.md for the syntax) plus command-line overrides {@code --set section.key=value},
 * bound at load into immutable typed records ({@link Duration}, {@link DataSize}, enums, lists) so
 * nothing downstream parses a string. Keys are snake_case; the camelCase keys of earlier releases
 * are still accepted, each with a one-line deprecation warning, and so are the former
 * {@code kafka.metrics_topic} / {@code statements_topic} keys and a comma-separated
 * {@code kafka.source_topics} string. Relative paths ({@code store.password_file},
 * {@code rules.file}) resolve against the directory of the job file. The store password comes from
 * the environment variable named by {@code store.password_env} or from the file
 * {@code store.password_file}, never from the YAML itself.
 *
 * <p>Code (tests, benchmarks) builds one with {@link #builder()} or edits a copy with
 * {@link #toBuilder()}: {@code c.toBuilder().kafka(k -> k.bounded(true)).build()}. A missing (or
 * empty) section takes its defaults.
 */
public record JobConfig(Kafka kafka, Store store, Runtime runtime, Time time, Rules rules) implements Serializable {
    private static final long serialVersionUID = 2L;

    public JobConfig {
        kafka = kafka == null ? new Kafka.Builder().build() : kafka;
        store = store == null ? new Store.Builder().build() : store;
        runtime = runtime == null ? new Runtime.Builder().build() : runtime;
        time = time == null ? new Time.Builder().build() : time;
        rules = rules == null ? new Rules.Builder().build() : rules;
    }

    /**
     * Kafka settings.
     *
     * @param sourceTopics the topics the job reads snapshots from (the collector's metrics and statements topics)
     * @param plansTopic the collector's plans topic (the plans probe), read by a second source; blank = no plans source
     * @param startingOffsets committed (falling back to earliest), earliest or latest
     * @param bounded stop at the offsets that are latest when the job starts (tests, benchmarks)
     * @param createTopicsPartitions create missing topics at start-up with this many partitions (0 = do not create)
     * @param maxRecordBytes records larger than this are rejected as oversized
     * @param properties extra consumer/producer properties
     */
    @JsonDeserialize(builder = Kafka.Builder.class)
    public record Kafka(
            String bootstrapServers,
            List<String> sourceTopics,
            String deadLetterTopic,
            String alertsTopic,
            String plansTopic,
            String groupId,
            StartingOffsets startingOffsets,
            boolean bounded,
            int createTopicsPartitions,
            DataSize maxRecordBytes,
            Map<String, String> properties) implements Serializable {
        private static final long serialVersionUID = 2L;

        public Kafka {
            sourceTopics = sourceTopics == null ? null : Collections.unmodifiableList(new ArrayList<>(sourceTopics));
            properties = properties == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(properties));
        }

        /** Whether the job reads the plans topic (a plans topic is set). */
        public boolean readsPlans() {
            return plansTopic != null && !plansTopic.isBlank();
        }

        public Builder toBuilder() {
            return new Builder().bootstrapServers(bootstrapServers).sourceTopics(sourceTopics)
                    .deadLetterTopic(deadLetterTopic).alertsTopic(alertsTopic).plansTopic(plansTopic).groupId(groupId)
                    .startingOffsets(startingOffsets).bounded(bounded).createTopicsPartitions(createTopicsPartitions)
                    .maxRecordBytes(maxRecordBytes).properties(properties);
        }

        /** Kafka settings, starting from the defaults. */
        @JsonPOJOBuilder(withPrefix = "")
        public static final class Builder {
            private String bootstrapServers = "localhost:9092";
            private List<String> sourceTopics = List.of(WireFormat.TOPIC_METRICS, WireFormat.TOPIC_STATEMENTS);
            private String deadLetterTopic = WireFormat.TOPIC_DEADLETTER;
            private String alertsTopic = WireFormat.TOPIC_ALERTS;
            private String plansTopic = WireFormat.TOPIC_PLANS;
            private String groupId = "datainsight-job";
            private StartingOffsets startingOffsets = StartingOffsets.COMMITTED;
            private boolean bounded = false;
            private int createTopicsPartitions = 4;
            private DataSize maxRecordBytes = new DataSize(WireFormat.DEFAULT_MAX_RECORD_BYTES);
            private Map<String, String> properties = Map.of();

            public Builder bootstrapServers(String v) { bootstrapServers = v; return this; }
            public Builder sourceTopics(List<String> v) { sourceTopics = v; return this; }
            public Builder deadLetterTopic(String v) { deadLetterTopic = v; return this; }
            public Builder alertsTopic(String v) { alertsTopic = v; return this; }
            public Builder plansTopic(String v) { plansTopic = v; return this; }
            public Builder groupId(String v) { groupId = v; return this; }
            public Builder startingOffsets(StartingOffsets v) { startingOffsets = v; return this; }
            public Builder bounded(boolean v) { bounded = v; return this; }
            public Builder createTopicsPartitions(int v) { createTopicsPartitions = v; return this; }
            public Builder maxRecordBytes(DataSize v) { maxRecordBytes = v; return this; }
            public Builder properties(Map<String, String> v) { properties = v; return this; }

            public Kafka build() {
                return new Kafka(bootstrapServers, sourceTopics, deadLetterTopic, alertsTopic, plansTopic, groupId,
                        startingOffsets, bounded, createTopicsPartitions, maxRecordBytes, properties);
            }
        }
    }

    /**
     * Store settings.
     *
     * @param passwordFile a file holding the password; relative to the job file
     * @param batchRows rows per store batch; a batch is also written at every checkpoint
     * @param migrateOnStart apply the store migrations before the job starts
     * @param retryAttempts retries of a store call after a transient error (connection lost,
     *     serialization failure, deadlock, server shutting down, too many connections) before the
     *     task fails; 0 = fail at once
     * @param retryBackoff the wait before the first retry; doubled for each next one, at most 30 s
     */
    @JsonDeserialize(builder = Store.Builder.class)
    public record Store(
            String jdbcUrl,
            String user,
            String passwordEnv,
            String passwordFile,
            int batchRows,
            boolean migrateOnStart,
            int retryAttempts,
            Duration retryBackoff) implements Serializable {
        private static final long serialVersionUID = 3L;
        /** The longest wait between two retries of a store call. */
        public static final Duration MAX_RETRY_BACKOFF = Duration.ofSeconds(30);

        /**
         * The password from {@link #passwordFile} or the {@link #passwordEnv} variable, or null,
         * read when called: the job's store writers call it when they open, on the task manager,
         * so the password itself is never part of the job graph (only where to find it).
         */
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

        public Builder toBuilder() {
            return new Builder().jdbcUrl(jdbcUrl).user(user).passwordEnv(passwordEnv).passwordFile(passwordFile)
                    .batchRows(batchRows).migrateOnStart(migrateOnStart).retryAttempts(retryAttempts)
                    .retryBackoff(retryBackoff);
        }

        /** Store settings, starting from the defaults. */
        @JsonPOJOBuilder(withPrefix = "")
        public static final class Builder {
            private String jdbcUrl = "jdbc:postgresql://localhost:5432/datainsight";
            private String user = "datainsight_writer";
            private String passwordEnv = "DATAINSIGHT_STORE_PASSWORD";
            private String passwordFile;
            private int batchRows = 5000;
            private boolean migrateOnStart = false;
            private int retryAttempts = 5;
            private Duration retryBackoff = Duration.ofSeconds(1);

            public Builder jdbcUrl(String v) { jdbcUrl = v; return this; }
            public Builder user(String v) { user = v; return this; }
            public Builder passwordEnv(String v) { passwordEnv = v; return this; }
            public Builder passwordFile(String v) { passwordFile = v; return this; }
            public Builder batchRows(int v) { batchRows = v; return this; }
            public Builder migrateOnStart(boolean v) { migrateOnStart = v; return this; }
            public Builder retryAttempts(int v) { retryAttempts = v; return this; }
            public Builder retryBackoff(Duration v) { retryBackoff = v; return this; }

            public Store build() {
                return new Store(jdbcUrl, user, passwordEnv, passwordFile, batchRows, migrateOnStart, retryAttempts,
                        retryBackoff);
            }
        }
    }

    /**
     * Flink runtime settings. Unset values leave the cluster's own configuration in force.
     *
     * @param parallelism 0 (the default) = not set: {@code flink run -p} or the cluster's
     *     {@code parallelism.default} decide; a value here wins over both. Embedded runs
     *     ({@code ./datainsight job}, the demo) use {@link #EMBEDDED_PARALLELISM} when unset
     * @param maxParallelism {@code pipeline.max-parallelism}: the number of key groups keyed state is
     *     split into, the most the job can ever be rescaled to. It is fixed for the life of the
     *     job's state: a savepoint does not restore under another value. 128 is what Flink
     *     derives by itself for any parallelism up to 85, so savepoints taken before it was set
     *     explicitly keep restoring
     * @param checkpointInterval 0s: no checkpoints
     * @param stateBackend null (the default) = the cluster's {@code state.backend.type}; embedded
     *     runs use hashmap
     * @param checkpointDir checkpoint storage, e.g. s3://bucket/datainsight or
     *     file:///shared/checkpoints; null (the default) = the cluster's
     *     {@code execution.checkpointing.dir}; embedded runs use a temporary directory, which
     *     a job submitted to a cluster refuses
     */
    @JsonDeserialize(builder = Runtime.Builder.class)
    public record Runtime(
            int parallelism,
            int maxParallelism,
            Duration checkpointInterval,
            StateBackend stateBackend,
            String checkpointDir) implements Serializable {
        private static final long serialVersionUID = 3L;
        /** The parallelism of embedded runs when {@code runtime.parallelism} is unset. */
        public static final int EMBEDDED_PARALLELISM = 2;
        /** The default {@code runtime.max_parallelism}. */
        public static final int DEFAULT_MAX_PARALLELISM = 128;
        /** Flink's upper bound of the max parallelism (2^15). */
        public static final int UPPER_MAX_PARALLELISM = 1 << 15;

        /** The configured parallelism, or {@code fallback} when it is unset. */
        public int parallelismOr(int fallback) {
            return parallelism > 0 ? parallelism : fallback;
        }

        public Builder toBuilder() {
            return new Builder().parallelism(parallelism).maxParallelism(maxParallelism)
                    .checkpointInterval(checkpointInterval).stateBackend(stateBackend).checkpointDir(checkpointDir);
        }

        /** Runtime settings, starting from the defaults. */
        @JsonPOJOBuilder(withPrefix = "")
        public static final class Builder {
            private int parallelism = 0;
            private int maxParallelism = DEFAULT_MAX_PARALLELISM;
            private Duration checkpointInterval = Duration.ofSeconds(30);
            private StateBackend stateBackend;
            private String checkpointDir;

            public Builder parallelism(int v) { parallelism = v; return this; }
            public Builder maxParallelism(int v) { maxParallelism = v; return this; }
            public Builder checkpointInterval(Duration v) { checkpointInterval = v; return this; }
            public Builder stateBackend(StateBackend v) { stateBackend = v; return this; }
            public Builder checkpointDir(String v) { checkpointDir = v; return this; }

            public Runtime build() {
                return new Runtime(parallelism, maxParallelism, checkpointInterval, stateBackend, checkpointDir);
            }
        }
    }

    /**
     * Event-time settings.
     *
     * @param maxGap no rate across a longer gap between two snapshots of a row
     * @param maxFuture snapshots further ahead of the job's clock are rejected as in_future; at
     *     most {@code watermarkBound} (a snapshot from a fast clock would otherwise move the
     *     watermark past the other servers' current data and make it late); unset: equal to it
     * @param maxAge snapshots further behind the job's clock are rejected as too_old
     * @param stateTtl optional backstop TTL of keyed state; 0s = none (cleanup timers bound all state)
     * @param planHistoryTtl how long the plan history remembers a query's last plan without a new
     *     capture (a query captured again after that is a first sighting, not a change)
     */
    @JsonDeserialize(builder = Time.Builder.class)
    public record Time(
            Duration watermarkBound,
            Duration idleness,
            Duration allowedLateness,
            Duration maxGap,
            Duration maxFuture,
            Duration maxAge,
            Duration inventoryInterval,
            Duration stateTtl,
            Duration planHistoryTtl) implements Serializable {
        private static final long serialVersionUID = 2L;

        /** An unset {@code max_future} is the watermark bound (the most it may be). */
        public Time {
            maxFuture = maxFuture == null ? watermarkBound : maxFuture;
        }

        public Builder toBuilder() {
            return new Builder().watermarkBound(watermarkBound).idleness(idleness).allowedLateness(allowedLateness)
                    .maxGap(maxGap).maxFuture(maxFuture).maxAge(maxAge).inventoryInterval(inventoryInterval)
                    .stateTtl(stateTtl).planHistoryTtl(planHistoryTtl);
        }

        /** Event-time settings, starting from the defaults. */
        @JsonPOJOBuilder(withPrefix = "")
        public static final class Builder {
            private Duration watermarkBound = Duration.ofSeconds(30);
            private Duration idleness = Duration.ofMinutes(1);
            private Duration allowedLateness = Duration.ofMinutes(2);
            private Duration maxGap = Duration.ofMinutes(5);
            /** null: the watermark bound. */
            private Duration maxFuture;
            private Duration maxAge = Duration.ofDays(7);
            private Duration inventoryInterval = Duration.ofMinutes(5);
            private Duration stateTtl = Duration.ZERO;
            private Duration planHistoryTtl = Duration.ofDays(7);

            public Builder watermarkBound(Duration v) { watermarkBound = v; return this; }
            public Builder idleness(Duration v) { idleness = v; return this; }
            public Builder allowedLateness(Duration v) { allowedLateness = v; return this; }
            public Builder maxGap(Duration v) { maxGap = v; return this; }
            public Builder maxFuture(Duration v) { maxFuture = v; return this; }
            public Builder maxAge(Duration v) { maxAge = v; return this; }
            public Builder inventoryInterval(Duration v) { inventoryInterval = v; return this; }
            public Builder stateTtl(Duration v) { stateTtl = v; return this; }
            public Builder planHistoryTtl(Duration v) { planHistoryTtl = v; return this; }

            public Time build() {
                return new Time(watermarkBound, idleness, allowedLateness, maxGap, maxFuture, maxAge,
                        inventoryInterval, stateTtl, planHistoryTtl);
            }
        }
    }

    /**
     * Rules settings.
     *
     * @param file rules file (relative to the job file); null = the shipped defaults
     */
    @JsonDeserialize(builder = Rules.Builder.class)
    public record Rules(
            boolean enabled,
            String file) implements Serializable {
        private static final long serialVersionUID = 2L;

        public Builder toBuilder() {
            return new Builder().enabled(enabled).file(file);
        }

        /** Rules settings, starting from the defaults. */
        @JsonPOJOBuilder(withPrefix = "")
        public static final class Builder {
            private boolean enabled = false;
            private String file;

            public Builder enabled(boolean v) { enabled = v; return this; }
            public Builder file(String v) { file = v; return this; }

            public Rules build() {
                return new Rules(enabled, file);
            }
        }
    }

    /** A whole configuration, section by section; each section starts from its defaults. */
    public static final class Builder {
        private Kafka.Builder kafka = new Kafka.Builder();
        private Store.Builder store = new Store.Builder();
        private Runtime.Builder runtime = new Runtime.Builder();
        private Time.Builder time = new Time.Builder();
        private Rules.Builder rules = new Rules.Builder();

        private Builder() {}

        public Builder kafka(Consumer<Kafka.Builder> edit) { edit.accept(kafka); return this; }
        public Builder store(Consumer<Store.Builder> edit) { edit.accept(store); return this; }
        public Builder runtime(Consumer<Runtime.Builder> edit) { edit.accept(runtime); return this; }
        public Builder time(Consumer<Time.Builder> edit) { edit.accept(time); return this; }
        public Builder rules(Consumer<Rules.Builder> edit) { edit.accept(rules); return this; }

        /** The configuration, not validated (see {@link JobConfig#validate()}). */
        public JobConfig build() {
            return new JobConfig(kafka.build(), store.build(), runtime.build(), time.build(), rules.build());
        }
    }

    /** A configuration built in code, starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values, to make an edited copy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.kafka = kafka.toBuilder();
        b.store = store.toBuilder();
        b.runtime = runtime.toBuilder();
        b.time = time.toBuilder();
        b.rules = rules.toBuilder();
        return b;
    }

    /** The defaults of every key. */
    public static JobConfig defaults() {
        return builder().build();
    }

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
    private static final String SOURCE_TOPICS = "kafka.source_topics";
    private static final String PROPERTIES_PREFIX = "kafka.properties.";
    private static final List<String> FORMER_TOPIC_KEYS = List.of("metrics_topic", "statements_topic");

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
            String snakeKey = key.startsWith(PROPERTIES_PREFIX) ? key : snake(key);
            if (!snakeKey.equals(key)) {
                doc.problems().warn(new Problem("--set " + o, 0, 0, key, String.format(DEPRECATED, snakeKey), ""));
            }
            if (eq > 0 && snakeKey.startsWith(PROPERTIES_PREFIX) && snakeKey.length() > PROPERTIES_PREFIX.length()
                    && doc.root() instanceof ObjectNode root) {
                // A Kafka client property has dots of its own (security.protocol): the rest of the
                // key is one name, not a path.
                JsonNode kafka = root.get("kafka");
                ObjectNode k = kafka instanceof ObjectNode on ? on : root.putObject("kafka");
                JsonNode props = k.get("properties");
                ObjectNode pn = props instanceof ObjectNode on ? on : k.putObject("properties");
                pn.put(snakeKey.substring(PROPERTIES_PREFIX.length()), o.substring(eq + 1));
                doc.locations().putOverride(snakeKey, "--set " + o);
                continue;
            }
            doc.override(eq > 0 ? snakeKey + o.substring(eq) : o);
        }
        sourceTopics(doc);
        JobConfig c = Binder.bind(doc, JobConfig.class);
        if (c == null) {
            return defaults();
        }
        c.validate(doc.problems());
        Builder b = c.toBuilder();
        if (c.rules.file != null && !c.rules.file.isBlank()) {
            b.rules(r -> r.file(doc.locations().resolve(c.rules.file, doc.locations().isOverride("rules.file")).toString()));
        }
        if (c.store.passwordFile != null && !c.store.passwordFile.isBlank()) {
            b.store(s -> s.passwordFile(doc.locations()
                    .resolve(c.store.passwordFile, doc.locations().isOverride("store.password_file")).toString()));
        }
        return b.build();
    }

    /**
     * Brings the earlier spellings of the source topics into {@code kafka.source_topics}, a list:
     * the former {@code metrics_topic} / {@code statements_topic} keys and a comma-separated
     * string (the only form a {@code --set} had before lists were accepted there) each still work
     * for one release, with a one-line deprecation warning.
     */
    private static void sourceTopics(YamlDocument doc) {
        if (!(doc.root().get("kafka") instanceof ObjectNode kafka)) {
            return;
        }
        List<String> former = FORMER_TOPIC_KEYS.stream().filter(kafka::has).toList();
        if (!former.isEmpty()) {
            if (kafka.has("source_topics")) {
                for (String k : former) {
                    doc.problems().error("kafka." + k, "both kafka." + k + " and " + SOURCE_TOPICS + " are set",
                            "keep " + SOURCE_TOPICS);
                    kafka.remove(k);
                }
                return;
            }
            ArrayNode list = JsonNodeFactory.instance.arrayNode();
            List<String> defaults = List.of(WireFormat.TOPIC_METRICS, WireFormat.TOPIC_STATEMENTS);
            for (int i = 0; i < FORMER_TOPIC_KEYS.size(); i++) {
                String k = FORMER_TOPIC_KEYS.get(i);
                JsonNode v = kafka.remove(k);
                if (v != null) {
                    doc.problems().warn("kafka." + k, "deprecated key, write " + SOURCE_TOPICS
                            + ": [metrics topic, statements topic] (accepted for one release)");
                }
                list.add(v == null ? JsonNodeFactory.instance.textNode(defaults.get(i)) : v);
            }
            kafka.set("source_topics", list);
            doc.locations().alias("kafka." + former.get(0), SOURCE_TOPICS);
        }
        JsonNode v = kafka.get("source_topics");
        if (v != null && v.isTextual()) {
            List<String> topics = Arrays.stream(v.asText().split(",")).map(String::strip).toList();
            ArrayNode list = JsonNodeFactory.instance.arrayNode();
            topics.forEach(list::add);
            kafka.set("source_topics", list);
            doc.problems().warn(SOURCE_TOPICS, "a comma-separated string is deprecated, write a list: ["
                    + String.join(", ", topics) + "]");
        }
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
        Problems p = new Problems(new Locations("<job configuration>", null));
        validate(p);
        p.throwIfErrors(TITLE);
    }

    /** Checks value ranges; every problem names its key. */
    private void validate(Problems p) {
        if (runtime.parallelism < 0) {
            p.error("runtime.parallelism", "must be 0 (not set: flink run -p or the cluster's default) or more, got "
                    + runtime.parallelism);
        }
        if (runtime.maxParallelism < 1 || runtime.maxParallelism > Runtime.UPPER_MAX_PARALLELISM) {
            p.error("runtime.max_parallelism", "must be 1 to " + Runtime.UPPER_MAX_PARALLELISM + ", got "
                    + runtime.maxParallelism);
        } else if (runtime.parallelism > runtime.maxParallelism) {
            p.error("runtime.parallelism", "must not exceed runtime.max_parallelism (" + runtime.maxParallelism
                    + "), got " + runtime.parallelism, "raise runtime.max_parallelism only for a job without state"
                    + " to keep: a savepoint does not restore under another max parallelism");
        }
        if (store.batchRows < 1) {
            p.error("store.batch_rows", "must be at least 1, got " + store.batchRows);
        }
        if (store.retryAttempts < 0) {
            p.error("store.retry_attempts", "must be 0 (no retry) or more, got " + store.retryAttempts);
        }
        if (store.retryBackoff != null && (store.retryBackoff.isNegative()
                || store.retryBackoff.compareTo(Store.MAX_RETRY_BACKOFF) > 0)) {
            p.error("store.retry_backoff", "must be 0s to " + Store.MAX_RETRY_BACKOFF.toSeconds() + "s, got "
                    + store.retryBackoff);
        }
        if (store.jdbcUrl != null && store.jdbcUrl.toLowerCase(Locale.ROOT).matches(".*[?&]password=.*")) {
            p.warn("store.jdbc_url", "carries a password: it travels inside the job graph; use store.password_env"
                    + " or store.password_file (read on the task managers)");
        }
        if (time.maxFuture != null && time.watermarkBound != null && time.maxFuture.compareTo(time.watermarkBound) > 0) {
            p.error("time.max_future", "must not exceed time.watermark_bound (" + time.watermarkBound + "), got "
                    + time.maxFuture + ": a snapshot that far ahead moves the watermark past every other server's"
                    + " current data, which then arrives late",
                    "lower time.max_future or raise time.watermark_bound to at least " + time.maxFuture);
        }
        if (kafka.readsPlans() && kafka.sourceTopics != null && kafka.sourceTopics.contains(kafka.plansTopic)) {
            p.error("kafka.plans_topic", "topic " + kafka.plansTopic + " is also a source topic: plans snapshots are"
                    + " not metrics snapshots", "set kafka.plans_topic to the collector's plans topic ("
                    + WireFormat.TOPIC_PLANS + ") or to \"\" to read no plans");
        }
        if (time.planHistoryTtl != null && (time.planHistoryTtl.isZero() || time.planHistoryTtl.isNegative())) {
            p.error("time.plan_history_ttl", "must be positive, got " + time.planHistoryTtl);
        }
        if (kafka.createTopicsPartitions < 0) {
            p.error("kafka.create_topics_partitions", "must be 0 (never) or more, got " + kafka.createTopicsPartitions);
        }
        if (kafka.maxRecordBytes != null && (kafka.maxRecordBytes.bytes() < 1024 || kafka.maxRecordBytes.bytes() > Integer.MAX_VALUE)) {
            p.error("kafka.max_record_bytes", "must be 1KB to 2GB, got " + kafka.maxRecordBytes);
        }
        if (kafka.sourceTopics != null) {
            if (kafka.sourceTopics.isEmpty()) {
                p.error(SOURCE_TOPICS, "must name at least one topic", "e.g. [" + WireFormat.TOPIC_METRICS + ", "
                        + WireFormat.TOPIC_STATEMENTS + "]");
            }
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < kafka.sourceTopics.size(); i++) {
                String t = kafka.sourceTopics.get(i);
                if (t == null || t.isBlank()) {
                    p.error(SOURCE_TOPICS + "[" + i + "]", "a topic name must not be empty");
                } else if (!seen.add(t)) {
                    p.error(SOURCE_TOPICS + "[" + i + "]", "topic " + t + " is listed twice");
                }
            }
        }
        // An explicit empty value binds to null; a value that did not parse was reported already.
        Map<String, Object> required = new LinkedHashMap<>();
        required.put("time.watermark_bound", time.watermarkBound);
        required.put("time.idleness", time.idleness);
        required.put("time.allowed_lateness", time.allowedLateness);
        required.put("time.max_gap", time.maxGap);
        required.put("time.max_future", time.maxFuture);
        required.put("time.max_age", time.maxAge);
        required.put("time.inventory_interval", time.inventoryInterval);
        required.put("time.state_ttl", time.stateTtl);
        required.put("time.plan_history_ttl", time.planHistoryTtl);
        required.put("runtime.checkpoint_interval", runtime.checkpointInterval);
        required.put("store.retry_backoff", store.retryBackoff);
        required.put("kafka.starting_offsets", kafka.startingOffsets);
        required.put("kafka.max_record_bytes", kafka.maxRecordBytes);
        required.put(SOURCE_TOPICS, kafka.sourceTopics);
        required.forEach((key, value) -> {
            if (value == null && p.errors().stream().noneMatch(e -> e.path().equals(key) || e.path().startsWith(key + "["))) {
                p.error(key, "must not be empty");
            }
        });
    }

    /** The record size limit as the codec takes it. */
    public int maxRecordBytes() {
        return (int) kafka.maxRecordBytes.bytes();
    }
}
