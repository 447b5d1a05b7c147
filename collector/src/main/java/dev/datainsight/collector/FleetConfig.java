package dev.datainsight.collector;

import dev.datainsight.collector.probe.ProbeLimits;
import dev.datainsight.model.WireFormat;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The collector's configuration: the fleet of servers to watch, their schedules and labels, the
 * safety timeouts and the bounds of every probe, and where to publish.
 *
 * <p>Load a fleet file with {@link #load(Path)} (strict: unknown keys, missing fields, bad URLs or
 * durations and duplicate ids fail with one message naming file, line and field), or build one in
 * code with {@link #builder()}. See docs/collector.md for the file reference and
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
    private final Duration statementTimeout;
    private final Duration lockTimeout;
    private final Duration connectTimeout;
    private final Duration maxBackoff;
    private final Duration sizesInterval;
    private final int workers;
    private final Kafka kafka;

    private FleetConfig(Builder b) {
        this.instances = List.copyOf(b.instances);
        this.limits = b.limits;
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

    /** Worker threads shared by all instances (default: min(instances, 32), at least 2). */
    public int workers() {
        return workers > 0 ? workers : Math.max(2, Math.min(32, instances.size()));
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
     */
    public record Kafka(String bootstrapServers, String metricsTopic, String statementsTopic, int bufferRecords) {
        public static Kafka defaults() {
            return new Kafka(null, WireFormat.TOPIC_METRICS, WireFormat.TOPIC_STATEMENTS, 10_000);
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
        private final String hosts;
        private final String database;
        private final String params;
        private final String user;
        private final String password;
        private final Map<String, String> labels;
        private final Intervals intervals;

        private Instance(String id, String hosts, String database, String params, String user, String password,
                Map<String, String> labels, Intervals intervals) {
            this.id = id;
            this.hosts = hosts;
            this.database = database;
            this.params = params;
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
            return database;
        }

        /** JDBC URL of the configured database, without credentials. */
        public String jdbcUrl() {
            return jdbcUrl(database);
        }

        /** JDBC URL of another database on the same server, without credentials. */
        public String jdbcUrl(String db) {
            return "jdbc:postgresql://" + hosts + "/" + URLEncoder.encode(db, StandardCharsets.UTF_8).replace("+", "%20")
                    + (params.isEmpty() ? "" : "?" + params);
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

        /** @throws IllegalArgumentException for a blank id or a URL that is not PostgreSQL's */
        public Instance build() {
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("instance id is blank");
            }
            ParsedUrl u = ParsedUrl.parse(Objects.requireNonNull(url, "url"));
            String usr = user != null ? user : u.user;
            String pw = password != null ? password : u.password;
            if (usr == null || usr.isBlank()) {
                throw new IllegalArgumentException("instance " + id + ": no user (set user, or user= in the URL)");
            }
            return new Instance(id, u.hosts, u.database, u.params, usr, pw, labels, intervals);
        }
    }

    /** Builds a {@link FleetConfig} in code; every setting has the documented default. */
    public static final class Builder {
        private final List<Instance> instances = new ArrayList<>();
        private ProbeLimits limits = ProbeLimits.defaults();
        private Duration statementTimeout = Duration.ofSeconds(5);
        private Duration lockTimeout = Duration.ofSeconds(1);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration maxBackoff = Duration.ofSeconds(60);
        private Duration sizesInterval = Duration.ofMinutes(5);
        private int workers;
        private Kafka kafka = Kafka.defaults();

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

        public FleetConfig build() {
            return new FleetConfig(this);
        }
    }

    // ------------------------------------------------------------------------------- URL parsing

    /** A PostgreSQL URL split into its parts. */
    static final class ParsedUrl {
        private static final Pattern JDBC = Pattern.compile("^jdbc:postgresql://([^/?]+)(?:/([^?]*))?(?:\\?(.*))?$");
        private static final Pattern LIBPQ = Pattern.compile("^postgres(?:ql)?://(?:([^@/]*)@)?([^/?]*)(?:/([^?]*))?(?:\\?(.*))?$");

        String hosts;
        String database;
        String params;
        String user;
        String password;

        static ParsedUrl parse(String url) {
            ParsedUrl p = new ParsedUrl();
            Map<String, String> q = new LinkedHashMap<>();
            Matcher m = JDBC.matcher(url.trim());
            String query;
            if (m.matches()) {
                p.hosts = m.group(1);
                p.database = decode(m.group(2));
                query = m.group(3);
            } else {
                m = LIBPQ.matcher(url.trim());
                if (!m.matches()) {
                    throw new IllegalArgumentException("not a PostgreSQL URL (expected jdbc:postgresql://host[:port]/db"
                            + " or postgresql://[user[:password]@]host[:port]/db)");
                }
                if (m.group(1) != null) {
                    String[] up = m.group(1).split(":", 2);
                    p.user = decode(up[0]);
                    p.password = up.length > 1 ? decode(up[1]) : null;
                }
                p.hosts = m.group(2).isEmpty() ? "localhost" : m.group(2);
                p.database = decode(m.group(3));
                query = m.group(4);
            }
            if (p.hosts.isBlank()) {
                throw new IllegalArgumentException("URL has no host");
            }
            for (String h : p.hosts.split(",")) {
                int colon = h.lastIndexOf(':');
                if (colon > 0 && !h.endsWith("]")) {
                    String port = h.substring(colon + 1);
                    if (!port.matches("\\d{1,5}") || Integer.parseInt(port) > 65535 || Integer.parseInt(port) == 0) {
                        throw new IllegalArgumentException("bad port '" + port + "' in URL");
                    }
                }
            }
            if (p.database == null || p.database.isEmpty()) {
                p.database = "postgres";
            }
            if (query != null && !query.isEmpty()) {
                for (String kv : query.split("&")) {
                    if (kv.isEmpty()) {
                        continue;
                    }
                    String[] a = kv.split("=", 2);
                    String k = decode(a[0]);
                    String v = a.length > 1 ? decode(a[1]) : "";
                    switch (k) {
                        case "user" -> p.user = v;
                        case "password" -> p.password = v;
                        case "dbname" -> p.database = v;
                        case "application_name", "ApplicationName", "options" -> {
                            // the collector sets its own (marker name and safety timeouts)
                        }
                        default -> q.put(k, v);
                    }
                }
            }
            StringBuilder sb = new StringBuilder();
            q.forEach((k, v) -> {
                if (sb.length() > 0) {
                    sb.append('&');
                }
                sb.append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
            });
            p.params = sb.toString();
            return p;
        }

        private static String decode(String s) {
            return s == null ? null : URLDecoder.decode(s, StandardCharsets.UTF_8);
        }
    }

    // ------------------------------------------------------------------------------ file loading

    /** Loads a fleet file, with {@code ${VAR}} substitution and overrides from the environment. */
    public static FleetConfig load(Path file) {
        return load(file, System.getenv());
    }

    /** As {@link #load(Path)}, with an explicit environment (tests). */
    public static FleetConfig load(Path file, Map<String, String> env) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("cannot read fleet file " + file + ": " + e.getMessage(), e);
        }
        return parse(new StringReader(text), file.toString(), env, file.toAbsolutePath().getParent());
    }

    /** Parses fleet YAML from a reader; {@code name} is used in error messages. */
    public static FleetConfig parse(Reader yaml, String name, Map<String, String> env, Path baseDir) {
        return new FileLoader(name, env, baseDir).load(YamlNode.parse(yaml, name));
    }

    private static final class FileLoader {
        private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");
        private static final Pattern DURATION = Pattern.compile("^(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?$");

        private final String file;
        private final Map<String, String> env;
        private final Path baseDir;
        private final List<String> errors = new ArrayList<>();

        FileLoader(String file, Map<String, String> env, Path baseDir) {
            this.file = file;
            this.env = env;
            this.baseDir = baseDir;
        }

        private void error(YamlNode n, String field, String msg) {
            errors.add((n == null ? file : n.where(file)) + ": " + field + ": " + msg);
        }

        FleetConfig load(YamlNode root) {
            Builder b = builder();
            if (root.kind != YamlNode.Kind.MAP) {
                error(root, "(top level)", "expected a mapping with 'instances'");
                throw fail();
            }
            keys(root, "", Set.of("instances", "defaults", "kafka", "workers"));
            Intervals defIntervals = Intervals.defaults();
            YamlNode d = root.map.get("defaults");
            if (d != null && d.kind == YamlNode.Kind.MAP) {
                keys(d, "defaults.", Set.of("intervals", "sizes_interval", "statement_timeout", "lock_timeout", "connect_timeout",
                        "max_backoff", "max_databases", "top_tables", "top_indexes", "top_sequences", "top_statements",
                        "query_text_max_chars", "max_database_rows"));
                defIntervals = intervals(d.map.get("intervals"), "defaults.intervals", defIntervals);
                b.statementTimeout(duration(d, "statement_timeout", "defaults.", b.statementTimeout));
                b.lockTimeout(duration(d, "lock_timeout", "defaults.", b.lockTimeout));
                b.connectTimeout(duration(d, "connect_timeout", "defaults.", b.connectTimeout));
                b.maxBackoff(duration(d, "max_backoff", "defaults.", b.maxBackoff));
                b.sizesInterval(duration(d, "sizes_interval", "defaults.", b.sizesInterval));
                ProbeLimits l = ProbeLimits.defaults();
                b.limits(new ProbeLimits(
                        integer(d, "max_databases", "defaults.", l.maxDatabases(), 1),
                        integer(d, "top_tables", "defaults.", l.topTables(), 1),
                        integer(d, "top_indexes", "defaults.", l.topIndexes(), 1),
                        integer(d, "top_sequences", "defaults.", l.topSequences(), 1),
                        integer(d, "top_statements", "defaults.", l.topStatements(), 1),
                        integer(d, "query_text_max_chars", "defaults.", l.queryTextMaxChars(), 16),
                        integer(d, "max_database_rows", "defaults.", l.maxDatabaseRows(), 1)));
            } else if (d != null && d.kind != YamlNode.Kind.NULL) {
                error(d, "defaults", "expected a mapping");
            }
            b.workers(integer(root, "workers", "", 0, 1));

            Kafka k = Kafka.defaults();
            YamlNode kn = root.map.get("kafka");
            if (kn != null && kn.kind == YamlNode.Kind.MAP) {
                keys(kn, "kafka.", Set.of("bootstrap_servers", "metrics_topic", "statements_topic", "buffer_records"));
                k = new Kafka(string(kn, "bootstrap_servers", "kafka.", null),
                        string(kn, "metrics_topic", "kafka.", k.metricsTopic()),
                        string(kn, "statements_topic", "kafka.", k.statementsTopic()),
                        integer(kn, "buffer_records", "kafka.", k.bufferRecords(), 1));
            } else if (kn != null && kn.kind != YamlNode.Kind.NULL) {
                error(kn, "kafka", "expected a mapping");
            }
            String envBootstrap = env.get("DATAINSIGHT_KAFKA_BOOTSTRAP_SERVERS");
            k = new Kafka(envBootstrap != null && !envBootstrap.isBlank() ? envBootstrap : k.bootstrapServers(),
                    env.getOrDefault("DATAINSIGHT_METRICS_TOPIC", k.metricsTopic()),
                    env.getOrDefault("DATAINSIGHT_STATEMENTS_TOPIC", k.statementsTopic()), k.bufferRecords());
            b.kafka(k);

            YamlNode list = root.map.get("instances");
            if (list == null) {
                error(root, "instances", "missing: list at least one server");
            } else if (list.kind != YamlNode.Kind.SEQ) {
                error(list, "instances", "expected a list of servers");
            } else if (list.seq.isEmpty()) {
                error(list, "instances", "empty: list at least one server");
            } else {
                Set<String> ids = new HashSet<>();
                for (int i = 0; i < list.seq.size(); i++) {
                    Instance inst = instance(list.seq.get(i), "instances[" + i + "].", defIntervals);
                    if (inst != null) {
                        if (!ids.add(inst.id())) {
                            error(list.seq.get(i).map.get("id"), "instances[" + i + "].id", "duplicate instance id '" + inst.id() + "'");
                        } else {
                            b.instances.add(inst);
                        }
                    }
                }
            }
            if (!errors.isEmpty()) {
                throw fail();
            }
            return b.build();
        }

        private ConfigException fail() {
            return new ConfigException(errors.size() == 1 ? "invalid fleet file: " + errors.get(0)
                    : "invalid fleet file (" + errors.size() + " problems):\n  " + String.join("\n  ", errors));
        }

        private Instance instance(YamlNode n, String path, Intervals defIntervals) {
            if (n.kind != YamlNode.Kind.MAP) {
                error(n, path.substring(0, path.length() - 1), "expected a mapping with id and url");
                return null;
            }
            int before = errors.size();
            keys(n, path, Set.of("id", "url", "host", "port", "dbname", "user", "password", "password_env",
                    "password_file", "labels", "intervals"));
            String id = string(n, "id", path, null);
            if (id == null) {
                error(n, path + "id", "missing");
            } else if (!id.matches("[A-Za-z0-9][A-Za-z0-9._:-]*")) {
                error(n.map.get("id"), path + "id", "'" + id + "' must be letters, digits, '.', '_', ':' or '-'");
            }
            String url = string(n, "url", path, null);
            String host = string(n, "host", path, null);
            Integer port = n.map.containsKey("port") ? integer(n, "port", path, 5432, 1) : null;
            String dbname = string(n, "dbname", path, null);
            if (url != null && (host != null || port != null || dbname != null)) {
                error(n.map.get("url"), path + "url", "give either url or host/port/dbname, not both");
            }
            if (url == null && host == null) {
                error(n, path + "url", "missing (or give host, port, dbname)");
            }
            if (url == null && host != null) {
                url = "jdbc:postgresql://" + host + ":" + (port == null ? 5432 : port) + "/" + (dbname == null ? "postgres" : dbname);
            }
            String user = string(n, "user", path, null);
            String password = string(n, "password", path, null);
            String pwEnv = string(n, "password_env", path, null);
            String pwFile = string(n, "password_file", path, null);
            int sources = (password != null ? 1 : 0) + (pwEnv != null ? 1 : 0) + (pwFile != null ? 1 : 0);
            if (sources > 1) {
                error(n, path + "password", "give only one of password, password_env, password_file");
            }
            if (pwEnv != null) {
                password = env.get(pwEnv);
                if (password == null) {
                    error(n.map.get("password_env"), path + "password_env", "environment variable " + pwEnv + " is not set");
                }
            }
            if (pwFile != null) {
                Path p = baseDir == null ? Path.of(pwFile) : baseDir.resolve(pwFile);
                try {
                    password = Files.readString(p, StandardCharsets.UTF_8).strip();
                } catch (IOException e) {
                    error(n.map.get("password_file"), path + "password_file", "cannot read " + p + ": " + e.getMessage());
                }
            }
            Map<String, String> labels = new LinkedHashMap<>();
            YamlNode ln = n.map.get("labels");
            if (ln != null && ln.kind == YamlNode.Kind.MAP) {
                ln.map.forEach((k, v) -> {
                    if (v.kind != YamlNode.Kind.SCALAR) {
                        error(v, path + "labels." + k, "expected a string");
                    } else {
                        labels.put(k, subst(v, path + "labels." + k));
                    }
                });
            } else if (ln != null && ln.kind != YamlNode.Kind.NULL) {
                error(ln, path + "labels", "expected a mapping of label names to values");
            }
            Intervals iv = intervals(n.map.get("intervals"), path + "intervals", defIntervals);
            if (errors.size() > before) {
                return null;
            }
            try {
                InstanceBuilder ib = Instance.builder(id).url(url).user(user).password(password).labels(labels);
                return ib.intervals(iv.fast(), iv.slow()).build();
            } catch (IllegalArgumentException e) {
                YamlNode at = n.map.containsKey("url") ? n.map.get("url") : n;
                error(at, path + (e.getMessage().contains(": no user") ? "user" : "url"), e.getMessage());
                return null;
            }
        }

        private Intervals intervals(YamlNode n, String path, Intervals def) {
            if (n == null || n.kind == YamlNode.Kind.NULL) {
                return def;
            }
            if (n.kind != YamlNode.Kind.MAP) {
                error(n, path, "expected a mapping with fast and slow");
                return def;
            }
            keys(n, path + ".", Set.of("fast", "slow"));
            Duration fast = duration(n, "fast", path + ".", def.fast());
            Duration slow = duration(n, "slow", path + ".", def.slow());
            if (fast.isZero() || slow.isZero()) {
                return def;
            }
            return new Intervals(fast, slow);
        }

        private void keys(YamlNode n, String path, Set<String> allowed) {
            for (String k : n.map.keySet()) {
                if (!allowed.contains(k)) {
                    error(n.map.get(k), path + k, "unknown key (allowed: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
                }
            }
        }

        private String subst(YamlNode v, String field) {
            Matcher m = VAR.matcher(v.text);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String val = env.get(m.group(1));
                if (val == null) {
                    val = m.group(2);
                }
                if (val == null) {
                    error(v, field, "environment variable " + m.group(1) + " is not set (use ${" + m.group(1) + ":-default})");
                    val = "";
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(val));
            }
            m.appendTail(sb);
            return sb.toString();
        }

        private String string(YamlNode parent, String key, String path, String def) {
            YamlNode v = parent.map.get(key);
            if (v == null || v.kind == YamlNode.Kind.NULL) {
                return def;
            }
            if (v.kind != YamlNode.Kind.SCALAR) {
                error(v, path + key, "expected a string");
                return def;
            }
            String s = subst(v, path + key);
            if (s.isBlank()) {
                error(v, path + key, "is blank");
                return def;
            }
            return s;
        }

        private int integer(YamlNode parent, String key, String path, int def, int min) {
            String s = string(parent, key, path, null);
            if (s == null) {
                return def;
            }
            try {
                int i = Integer.parseInt(s.trim());
                if (i < min) {
                    error(parent.map.get(key), path + key, "must be at least " + min + ", got " + i);
                    return def;
                }
                return i;
            } catch (NumberFormatException e) {
                error(parent.map.get(key), path + key, "expected a whole number, got '" + s + "'");
                return def;
            }
        }

        private Duration duration(YamlNode parent, String key, String path, Duration def) {
            String s = string(parent, key, path, null);
            if (s == null) {
                return def;
            }
            Matcher m = DURATION.matcher(s.trim());
            if (!m.matches()) {
                error(parent.map.get(key), path + key, "expected a duration like 500ms, 10s, 5m or 1h, got '" + s + "'");
                return def;
            }
            double v = Double.parseDouble(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            long ms = Math.round(switch (unit) {
                case "ms" -> v;
                case "s" -> v * 1000;
                case "m" -> v * 60_000;
                default -> v * 3_600_000;
            });
            if (ms <= 0) {
                error(parent.map.get(key), path + key, "must be positive, got '" + s + "'");
                return def;
            }
            return Duration.ofMillis(ms);
        }
    }
}
