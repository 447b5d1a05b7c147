package dev.datainsight.collector;

import dev.datainsight.collector.probe.ProbeLimits;
import dev.datainsight.config.YamlDocument;
import dev.datainsight.model.WireFormat;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The collector's configuration: the fleet of servers to watch, their schedules and labels, the
 * safety timeouts and the bounds of every probe, and where to publish.
 *
 * <p>Load a fleet file with {@link #load(Path)} ({@link FleetConfigLoader}: strict, every problem of
 * the file reported at once with file, line, column and key), or build one in code with
 * {@link #builder()}. See docs/configuration.md for the syntax, docs/collector.md for the keys and
 * collector/fleet.example.yaml for an example.
 *
 * <p>Secrets: passwords come from an environment variable ({@code password_env}) or a file
 * ({@code password_file}); an inline {@code password} is accepted but discouraged. They never
 * appear in {@link #toString()} or in log lines.
 */
public final class FleetConfig {

    /** Default interval of the fast group (activity, locks, database counters, replication). */
    public static final Duration DEFAULT_FAST = Duration.ofSeconds(10);
    /** Default interval of the slow group (sizes, tables, statements, ...). */
    public static final Duration DEFAULT_SLOW = Duration.ofSeconds(60);

    private final List<Instance> instances;
    private final ProbeLimits limits;
    private final dev.datainsight.collector.probe.SessionLimits sessionLimits;
    private final Duration statementTimeout;
    private final Duration lockTimeout;
    private final Duration connectTimeout;
    private final Duration maxBackoff;
    private final Duration sizesInterval;
    private final int workers;
    private final Kafka kafka;
    private final dev.datainsight.collector.logs.LogSettings logs;
    private final String metricsListen;

    private FleetConfig(Builder b) {
        this.logs = b.logs;
        this.metricsListen = b.metricsListen;
        this.instances = List.copyOf(b.instances);
        this.limits = b.limits;
        this.sessionLimits = b.sessionLimits;
        this.statementTimeout = b.statementTimeout;
        this.lockTimeout = b.lockTimeout;
        this.connectTimeout = b.connectTimeout;
        this.maxBackoff = b.maxBackoff;
        this.sizesInterval = b.sizesInterval;
        this.workers = b.workers;
        this.kafka = b.kafka;
    }

    public List<Instance> instances() {
        return instances;
    }

    /** The instance with that id, or null. */
    public Instance instance(String id) {
        for (Instance i : instances) {
            if (i.id().equals(id)) {
                return i;
            }
        }
        return null;
    }

    public ProbeLimits limits() {
        return limits;
    }

    /** Bounds of the session detail (rows, floors, whether session query text is sent). */
    public dev.datainsight.collector.probe.SessionLimits sessionLimits() {
        return sessionLimits;
    }

    /** statement_timeout of every collector session (default 5 s). */
    public Duration statementTimeout() {
        return statementTimeout;
    }

    /** lock_timeout of every collector session (default 1 s). */
    public Duration lockTimeout() {
        return lockTimeout;
    }

    /** TCP connect / login timeout (default 5 s). */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Upper bound of the reconnect backoff (default 60 s; it starts at 1 s and doubles). */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** Interval of the sizes group (pg_database sizes and freeze ages), default 5 min, fleet-wide. */
    public Duration sizesInterval() {
        return sizesInterval;
    }

    /**
     * Worker threads shared by all instances (default: two per instance, one per lane, at most 64
     * and at least 2): with one worker per lane a hung server can never take another server's.
     */
    public int workers() {
        return workers > 0 ? workers : Math.max(2, Math.min(64, 2 * instances.size()));
    }

    /** Fleet-wide log collection settings (state file, bytes per cycle, statement text). */
    public dev.datainsight.collector.logs.LogSettings logs() {
        return logs;
    }

    /**
     * Where {@code collect} serves {@code /metrics} and {@code /health} ({@code metrics_listen}:
     * {@code PORT} on the loopback interface or {@code HOST:PORT}); null: not served.
     */
    public String metricsListen() {
        return metricsListen;
    }

    /** Kafka settings (null bootstrap servers when the file has no kafka section). */
    public Kafka kafka() {
        return kafka;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A configuration of one target with default settings, e.g. for {@code collect --once}. */
    public static FleetConfig single(String id, String url, String user, String password) {
        return builder().instance(Instance.builder(id).url(url).user(user).password(password).build()).build();
    }

    @Override
    public String toString() {
        return "FleetConfig{instances=" + instances + ", limits=" + limits + ", statementTimeout=" + statementTimeout
                + ", lockTimeout=" + lockTimeout + ", kafka=" + kafka + "}";
    }

    // ------------------------------------------------------------------------------------ types

    /**
     * Kafka settings of the fleet file.
     *
     * @param bootstrapServers host:port list, null when not configured
     * @param metricsTopic topic of metrics snapshots
     * @param statementsTopic topic of pg_stat_statements snapshots
     * @param bufferRecords snapshots held while Kafka is unreachable before the oldest are dropped
     * @param plansTopic topic of plans snapshots (the plans probe)
     * @param logsTopic topic of server log batches
     * @param properties extra Kafka producer settings ({@code kafka.properties}: TLS, SASL,
     *     tuning), the same keys the job's and the notifier's {@code kafka.properties} take
     */
    public record Kafka(String bootstrapServers, String metricsTopic, String statementsTopic, int bufferRecords,
            String plansTopic, String logsTopic, Map<String, String> properties) {
        public Kafka {
            properties = properties == null ? Map.of() : Map.copyOf(properties);
        }

        /** Without extra producer settings. */
        public Kafka(String bootstrapServers, String metricsTopic, String statementsTopic, int bufferRecords,
                String plansTopic, String logsTopic) {
            this(bootstrapServers, metricsTopic, statementsTopic, bufferRecords, plansTopic, logsTopic, Map.of());
        }

        /** With the default logs topic and extra producer settings. */
        public Kafka(String bootstrapServers, String metricsTopic, String statementsTopic, int bufferRecords,
                String plansTopic, Map<String, String> properties) {
            this(bootstrapServers, metricsTopic, statementsTopic, bufferRecords, plansTopic, WireFormat.TOPIC_LOGS,
                    properties);
        }

        /** With the default plans and logs topics. */
        public Kafka(String bootstrapServers, String metricsTopic, String statementsTopic, int bufferRecords) {
            this(bootstrapServers, metricsTopic, statementsTopic, bufferRecords, WireFormat.TOPIC_PLANS);
        }

        /** With the default logs topic. */
        public Kafka(String bootstrapServers, String metricsTopic, String statementsTopic, int bufferRecords,
                String plansTopic) {
            this(bootstrapServers, metricsTopic, statementsTopic, bufferRecords, plansTopic, WireFormat.TOPIC_LOGS);
        }

        public static Kafka defaults() {
            return new Kafka(null, WireFormat.TOPIC_METRICS, WireFormat.TOPIC_STATEMENTS, 10_000, WireFormat.TOPIC_PLANS,
                    WireFormat.TOPIC_LOGS);
        }
    }

    /**
     * Collection intervals of one instance.
     *
     * @param fast activity, locks, database counters, replication
     * @param slow sizes, tables, indexes, sequences, statements, settings, checkpoints, WAL, I/O
     */
    public record Intervals(Duration fast, Duration slow) {
        public Intervals {
            Objects.requireNonNull(fast, "fast");
            Objects.requireNonNull(slow, "slow");
            if (fast.isNegative() || fast.isZero() || slow.isNegative() || slow.isZero()) {
                throw new IllegalArgumentException("intervals must be positive");
            }
        }

        public static Intervals defaults() {
            return new Intervals(DEFAULT_FAST, DEFAULT_SLOW);
        }
    }

    /** One monitored server. The password is held but never printed. */
    public static final class Instance {
        private final String id;
        private final PostgresUrl url;
        private final String user;
        private final String password;
        private final Map<String, String> labels;
        private final Intervals intervals;
        private final dev.datainsight.collector.probe.PlansSettings plans;
        private final dev.datainsight.collector.logs.InstanceLogs logs;

        private Instance(String id, PostgresUrl url, String user, String password, Map<String, String> labels,
                Intervals intervals, dev.datainsight.collector.probe.PlansSettings plans,
                dev.datainsight.collector.logs.InstanceLogs logs) {
            this.plans = plans;
            this.logs = logs;
            this.id = id;
            this.url = url;
            this.user = user;
            this.password = password;
            this.labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
            this.intervals = intervals;
        }

        public static InstanceBuilder builder(String id) {
            return new InstanceBuilder(id);
        }

        /** Stable id: the Kafka key and the {@code instance} field of every snapshot. */
        public String id() {
            return id;
        }

        /** The database the collector connects to first (and where pg_stat_statements lives). */
        public String database() {
            return url.database();
        }

        /** JDBC URL of the configured database, without credentials. */
        public String jdbcUrl() {
            return url.jdbcUrl(url.database());
        }

        /** JDBC URL of another database on the same server, without credentials. */
        public String jdbcUrl(String db) {
            return url.jdbcUrl(db);
        }

        public String user() {
            return user;
        }

        /** The password (may be null for trust / certificate auth). Never log it. */
        public String password() {
            return password;
        }

        public Map<String, String> labels() {
            return labels;
        }

        public Intervals intervals() {
            return intervals;
        }

        /** The plans probe of this instance (off unless {@code plans.enabled}). */
        public dev.datainsight.collector.probe.PlansSettings plans() {
            return plans;
        }

        /** Log collection of this instance (off unless {@code logs.enabled}). */
        public dev.datainsight.collector.logs.InstanceLogs logs() {
            return logs;
        }

        @Override
        public String toString() {
            return "Instance{id=" + id + ", url=" + jdbcUrl() + ", user=" + user + ", password="
                    + (password == null ? "none" : "***") + ", labels=" + labels + ", intervals=" + intervals + "}";
        }
    }

    /** Builds an {@link Instance} in code. */
    public static final class InstanceBuilder {
        private final String id;
        private String url;
        private String user;
        private String password;
        private Map<String, String> labels = Map.of();
        private Intervals intervals = Intervals.defaults();
        private dev.datainsight.collector.probe.PlansSettings plans = dev.datainsight.collector.probe.PlansSettings.defaults();
        private dev.datainsight.collector.logs.InstanceLogs logs = dev.datainsight.collector.logs.InstanceLogs.off();
        private final Map<String, String> defaultParams = new LinkedHashMap<>();

        private InstanceBuilder(String id) {
            this.id = id;
        }

        /** A JDBC URL ({@code jdbc:postgresql://...}) or a libpq URL ({@code postgresql://...}). */
        public InstanceBuilder url(String url) {
            this.url = url;
            return this;
        }

        public InstanceBuilder user(String user) {
            this.user = user;
            return this;
        }

        public InstanceBuilder password(String password) {
            this.password = password;
            return this;
        }

        public InstanceBuilder labels(Map<String, String> labels) {
            this.labels = labels;
            return this;
        }

        public InstanceBuilder intervals(Duration fast, Duration slow) {
            this.intervals = new Intervals(fast, slow);
            return this;
        }

        /** The plans probe of this instance. */
        public InstanceBuilder plans(dev.datainsight.collector.probe.PlansSettings p) {
            this.plans = Objects.requireNonNull(p);
            return this;
        }

        /** Log collection of this instance. */
        public InstanceBuilder logs(dev.datainsight.collector.logs.InstanceLogs l) {
            this.logs = Objects.requireNonNull(l);
            return this;
        }

        /**
         * A URL parameter used unless the URL sets its own (the fleet's {@code defaults.sslmode}
         * and {@code defaults.sslrootcert}); checked like the URL's own parameters.
         */
        public InstanceBuilder defaultParam(String key, String value) {
            if (value != null) {
                defaultParams.put(key, value);
            }
            return this;
        }

        /** @throws IllegalArgumentException for a blank id or a URL that is not PostgreSQL's */
        public Instance build() {
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("instance id is blank");
            }
            PostgresUrl u = PostgresUrl.parse(Objects.requireNonNull(url, "url"));
            for (Map.Entry<String, String> e : defaultParams.entrySet()) {
                u = u.withDefault(e.getKey(), e.getValue());
            }
            String usr = user != null ? user : u.user();
            String pw = password != null ? password : u.password();
            if (usr == null || usr.isBlank()) {
                throw new IllegalArgumentException("instance " + id + ": no user (set user, or user= in the URL)");
            }
            return new Instance(id, u, usr, pw, labels, intervals, plans, logs);
        }
    }

    /** Builds a {@link FleetConfig} in code; every setting has the documented default. */
    public static final class Builder {
        private final List<Instance> instances = new ArrayList<>();
        private ProbeLimits limits = ProbeLimits.defaults();
        private dev.datainsight.collector.probe.SessionLimits sessionLimits =
                dev.datainsight.collector.probe.SessionLimits.defaults();
        private Duration statementTimeout = Duration.ofSeconds(5);
        private Duration lockTimeout = Duration.ofSeconds(1);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration maxBackoff = Duration.ofSeconds(60);
        private Duration sizesInterval = Duration.ofMinutes(5);
        private int workers;
        private Kafka kafka = Kafka.defaults();
        private dev.datainsight.collector.logs.LogSettings logs = dev.datainsight.collector.logs.LogSettings.defaults();
        private String metricsListen;

        public Builder instance(Instance i) {
            for (Instance o : instances) {
                if (o.id().equals(i.id())) {
                    throw new IllegalArgumentException("duplicate instance id " + i.id());
                }
            }
            instances.add(i);
            return this;
        }

        public Builder limits(ProbeLimits l) {
            this.limits = Objects.requireNonNull(l);
            return this;
        }

        public Builder sessionLimits(dev.datainsight.collector.probe.SessionLimits l) {
            this.sessionLimits = Objects.requireNonNull(l);
            return this;
        }

        public Builder statementTimeout(Duration d) {
            this.statementTimeout = Objects.requireNonNull(d);
            return this;
        }

        public Builder lockTimeout(Duration d) {
            this.lockTimeout = Objects.requireNonNull(d);
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = Objects.requireNonNull(d);
            return this;
        }

        public Builder maxBackoff(Duration d) {
            this.maxBackoff = Objects.requireNonNull(d);
            return this;
        }

        public Builder sizesInterval(Duration d) {
            this.sizesInterval = Objects.requireNonNull(d);
            return this;
        }

        public Builder workers(int n) {
            this.workers = n;
            return this;
        }

        public Builder kafka(Kafka k) {
            this.kafka = Objects.requireNonNull(k);
            return this;
        }

        public Builder logs(dev.datainsight.collector.logs.LogSettings l) {
            this.logs = Objects.requireNonNull(l);
            return this;
        }

        /** {@code PORT} or {@code HOST:PORT} to serve {@code /metrics} and {@code /health} on; null: off. */
        public Builder metricsListen(String listen) {
            this.metricsListen = listen;
            return this;
        }

        public FleetConfig build() {
            return new FleetConfig(this);
        }
    }

    // ------------------------------------------------------------------------------ file loading

    /** Loads a fleet file, with {@code ${VAR}} substitution and overrides from the environment. */
    public static FleetConfig load(Path file) {
        return load(file, System.getenv());
    }

    /** As {@link #load(Path)}, with an explicit environment (tests). See {@link FleetConfigLoader}. */
    public static FleetConfig load(Path file, Map<String, String> env) {
        return FleetConfigLoader.load(file, env);
    }

    /** Parses fleet YAML from a reader; {@code name} is used in error messages. */
    public static FleetConfig parse(Reader yaml, String name, Map<String, String> env, Path baseDir) {
        String text;
        try {
            text = new String(readAll(yaml));
        } catch (IOException e) {
            throw new ConfigException("cannot read fleet file " + name + ": " + e.getMessage(), e);
        }
        return FleetConfigLoader.load(FleetConfigLoader.document(() -> YamlDocument.parse(text, name, baseDir)), env);
    }

    private static char[] readAll(Reader r) throws IOException {
        StringBuilder sb = new StringBuilder();
        char[] buf = new char[8192];
        int n;
        while ((n = r.read(buf)) > 0) {
            sb.append(buf, 0, n);
        }
        return sb.toString().toCharArray();
    }
}
