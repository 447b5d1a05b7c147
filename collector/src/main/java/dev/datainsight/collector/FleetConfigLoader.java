package dev.datainsight.collector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.datainsight.collector.probe.ProbeLimits;
import dev.datainsight.config.Binder;
import dev.datainsight.config.Problems;
import dev.datainsight.config.YamlDocument;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a fleet file into a {@link FleetConfig}: {@code ${VAR}} / {@code ${VAR:-default}}
 * substitution in every value, binding into {@link FleetFile} (unknown keys and wrong types are
 * errors), then the checks only the fleet knows (one password source, positive intervals, unique
 * ids, parseable URLs). Every problem of the file is reported at once, with line and column; see
 * docs/configuration.md.
 */
public final class FleetConfigLoader {
    /** Title of the exception listing a fleet file's problems. */
    public static final String TITLE = "invalid fleet file";

    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final Map<String, String> env;
    private final Problems problems;
    private final YamlDocument doc;
    /** Checking only: the machine that runs the collector may have the variables and files this one lacks. */
    private final boolean checkOnly;

    private FleetConfigLoader(YamlDocument doc, Map<String, String> env, boolean checkOnly) {
        this.doc = doc;
        this.env = env;
        this.problems = doc.problems();
        this.checkOnly = checkOnly;
    }

    /** An unset variable or unreadable file: an error at load, a warning when only checking. */
    private void environment(String path, String message, String hint) {
        if (checkOnly) {
            problems.warn(path, message + (hint.isEmpty() ? "" : " (" + hint + ")"));
        } else {
            problems.error(path, message, hint);
        }
    }

    /** Loads a file; relative {@code password_file}s resolve against its directory. */
    public static FleetConfig load(Path file, Map<String, String> env) {
        return load(document(() -> YamlDocument.read(file, "fleet file")), env);
    }

    /** Reads a document, failing with the collector's {@link ConfigException}. */
    static YamlDocument document(Supplier<YamlDocument> read) {
        try {
            return read.get();
        } catch (ConfigException e) {
            throw e;
        } catch (dev.datainsight.config.ConfigException e) {
            throw e.problems().isEmpty() ? new ConfigException(e.getMessage(), e) : new ConfigException("", e.problems());
        }
    }

    /** Loads a parsed document; throws {@link ConfigException} listing every problem. */
    public static FleetConfig load(YamlDocument doc, Map<String, String> env) {
        FleetConfigLoader l = new FleetConfigLoader(doc, env, false);
        FleetConfig c = l.build();
        if (l.problems.hasErrors()) {
            throw new ConfigException(TITLE, l.problems.errors());
        }
        return c;
    }

    /**
     * Checks a document without connecting anywhere, for {@code check}: its problems. Unset
     * environment variables and unreadable password files are warnings here.
     */
    public static Problems check(YamlDocument doc, Map<String, String> env) {
        FleetConfigLoader l = new FleetConfigLoader(doc, env, true);
        l.build();
        return l.problems;
    }

    private FleetConfig build() {
        JsonNode root = doc.root();
        if (!root.isObject()) {
            problems.error("", "expected a mapping with 'instances'");
            return null;
        }
        substitute("", root);
        FleetFile f = Binder.bind(doc, FleetFile.class);
        if (f == null) {
            return null;
        }
        FleetConfig.Builder b = FleetConfig.builder();
        FleetConfig base = FleetConfig.builder().build();
        FleetConfig.Intervals defIntervals = FleetConfig.Intervals.defaults();
        FleetFile.Defaults d = f.defaults();
        if (d != null && d.sslmode() != null && !PostgresUrl.SSL_MODES.contains(d.sslmode())) {
            problems.error("defaults.sslmode", "'" + d.sslmode() + "' is not one of " + new java.util.TreeSet<>(PostgresUrl.SSL_MODES));
        }
        sslDefaults = d == null ? Map.of() : sslDefaults(d);
        if (d != null) {
            defIntervals = intervals(d.intervals(), "defaults.intervals", defIntervals);
            b.statementTimeout(positive(d.statementTimeout(), "defaults.statement_timeout", base.statementTimeout()));
            b.lockTimeout(positive(d.lockTimeout(), "defaults.lock_timeout", base.lockTimeout()));
            b.connectTimeout(positive(d.connectTimeout(), "defaults.connect_timeout", base.connectTimeout()));
            b.maxBackoff(positive(d.maxBackoff(), "defaults.max_backoff", base.maxBackoff()));
            b.sizesInterval(positive(d.sizesInterval(), "defaults.sizes_interval", base.sizesInterval()));
            ProbeLimits l = ProbeLimits.defaults();
            b.limits(new ProbeLimits(
                    atLeast(d.maxDatabases(), "defaults.max_databases", l.maxDatabases(), 1),
                    atLeast(d.topTables(), "defaults.top_tables", l.topTables(), 1),
                    atLeast(d.topIndexes(), "defaults.top_indexes", l.topIndexes(), 1),
                    atLeast(d.topSequences(), "defaults.top_sequences", l.topSequences(), 1),
                    atLeast(d.topStatements(), "defaults.top_statements", l.topStatements(), 1),
                    atLeast(d.queryTextMaxChars(), "defaults.query_text_max_chars", l.queryTextMaxChars(), 16),
                    atLeast(d.maxDatabaseRows(), "defaults.max_database_rows", l.maxDatabaseRows(), 1)));
            dev.datainsight.collector.probe.SessionLimits sl = dev.datainsight.collector.probe.SessionLimits.defaults();
            b.sessionLimits(sl.withQueryText(d.sessionQueryText() == null ? sl.queryText() : d.sessionQueryText(),
                    atLeast(d.sessionQueryTextMaxChars(), "defaults.session_query_text_max_chars", sl.queryTextMaxChars(),
                            16)));
        }
        b.workers(atLeast(f.workers(), "workers", 0, 1));
        if (f.metricsListen() != null) {
            try {
                CollectorHttpServer.listenAddress(f.metricsListen());
                b.metricsListen(f.metricsListen());
            } catch (IllegalArgumentException e) {
                problems.error("metrics_listen", e.getMessage());
            }
        }

        FleetConfig.Kafka k = FleetConfig.Kafka.defaults();
        if (f.kafka() != null) {
            FleetFile.Kafka fk = f.kafka();
            k = new FleetConfig.Kafka(fk.bootstrapServers(),
                    fk.metricsTopic() == null ? k.metricsTopic() : fk.metricsTopic(),
                    fk.statementsTopic() == null ? k.statementsTopic() : fk.statementsTopic(),
                    atLeast(fk.bufferRecords(), "kafka.buffer_records", k.bufferRecords(), 1),
                    fk.plansTopic() == null ? k.plansTopic() : fk.plansTopic(),
                    fk.logsTopic() == null ? k.logsTopic() : fk.logsTopic(), fk.properties());
        }
        String envBootstrap = env.get("DATAINSIGHT_KAFKA_BOOTSTRAP_SERVERS");
        k = new FleetConfig.Kafka(envBootstrap != null && !envBootstrap.isBlank() ? envBootstrap : k.bootstrapServers(),
                env.getOrDefault("DATAINSIGHT_METRICS_TOPIC", k.metricsTopic()),
                env.getOrDefault("DATAINSIGHT_STATEMENTS_TOPIC", k.statementsTopic()), k.bufferRecords(),
                env.getOrDefault("DATAINSIGHT_PLANS_TOPIC", k.plansTopic()),
                env.getOrDefault("DATAINSIGHT_LOGS_TOPIC", k.logsTopic()), k.properties());
        b.kafka(k);
        b.logs(logs(f.logs()));

        if (f.instances() == null) {
            problems.error("instances", "missing: list at least one server");
        } else if (f.instances().isEmpty()) {
            problems.error("instances", "empty: list at least one server");
        } else {
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < f.instances().size(); i++) {
                FleetFile.Instance fi = f.instances().get(i);
                String path = "instances[" + i + "]";
                if (fi == null) {
                    problems.error(path, "expected a mapping with id and url");
                    continue;
                }
                FleetConfig.Instance inst = instance(fi, path, defIntervals);
                if (inst != null) {
                    if (!ids.add(inst.id())) {
                        problems.error(path + ".id", "duplicate instance id '" + inst.id() + "'", "ids are unique in a fleet");
                    } else {
                        b.instance(inst);
                    }
                }
            }
        }
        return problems.hasErrors() ? null : b.build();
    }

    /** {@code defaults.sslmode} / {@code sslrootcert}, applied to every URL that does not set its own. */
    private Map<String, String> sslDefaults = Map.of();

    private static Map<String, String> sslDefaults(FleetFile.Defaults d) {
        Map<String, String> m = new LinkedHashMap<>();
        if (d.sslmode() != null && PostgresUrl.SSL_MODES.contains(d.sslmode())) {
            m.put("sslmode", d.sslmode());
        }
        if (d.sslrootcert() != null) {
            m.put("sslrootcert", d.sslrootcert());
        }
        return m;
    }

    private FleetConfig.Instance instance(FleetFile.Instance n, String path, FleetConfig.Intervals defIntervals) {
        int before = problems.errorCount();
        String id = n.id();
        if (id == null) {
            problems.error(path + ".id", "missing");
        } else if (!id.matches("[A-Za-z0-9][A-Za-z0-9._:-]*")) {
            problems.error(path + ".id", "'" + id + "' must be letters, digits, '.', '_', ':' or '-'");
        }
        String url = n.url();
        if (url != null && (n.host() != null || n.port() != null || n.dbname() != null)) {
            problems.error(path + ".url", "give either url or host/port/dbname, not both");
        }
        if (url == null && n.host() == null) {
            problems.error(path + ".url", "missing (or give host, port, dbname)");
        }
        if (n.port() != null && (n.port() < 1 || n.port() > 65535)) {
            problems.error(path + ".port", "must be 1 to 65535, got " + n.port());
        }
        if (url == null && n.host() != null) {
            url = "jdbc:postgresql://" + n.host() + ":" + (n.port() == null ? 5432 : n.port()) + "/"
                    + (n.dbname() == null ? "postgres" : n.dbname());
        }
        String password = n.password();
        int sources = (password != null ? 1 : 0) + (n.passwordEnv() != null ? 1 : 0) + (n.passwordFile() != null ? 1 : 0);
        if (sources > 1) {
            problems.error(path + ".password", "give only one of password, password_env, password_file");
        }
        if (n.passwordEnv() != null) {
            password = env.get(n.passwordEnv());
            if (password == null) {
                environment(path + ".password_env", "environment variable " + n.passwordEnv() + " is not set", "");
            }
        }
        if (n.passwordFile() != null) {
            Path p = doc.locations().resolve(n.passwordFile(), false);
            try {
                password = Files.readString(p, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                environment(path + ".password_file", "cannot read " + p + ": "
                        + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()), "");
            }
        }
        FleetConfig.Intervals iv = intervals(n.intervals(), path + ".intervals", defIntervals);
        dev.datainsight.collector.probe.PlansSettings plans = plans(n.plans(), path + ".plans");
        dev.datainsight.collector.logs.InstanceLogs logs = instanceLogs(n.logs(), path + ".logs");
        if (problems.errorCount() > before) {
            return null;
        }
        try {
            FleetConfig.InstanceBuilder ib = FleetConfig.Instance.builder(id).url(url).user(n.user()).password(password)
                    .labels(n.labels() == null ? Map.of() : new LinkedHashMap<>(n.labels()))
                    .intervals(iv.fast(), iv.slow()).plans(plans).logs(logs);
            sslDefaults.forEach(ib::defaultParam);
            return ib.build();
        } catch (IllegalArgumentException e) {
            problems.error(path + (e.getMessage().contains(": no user") ? ".user" : ".url"), e.getMessage());
            return null;
        }
    }

    /** The {@code logs} section; the state file resolves against the fleet file's directory. */
    private dev.datainsight.collector.logs.LogSettings logs(FleetFile.Logs n) {
        dev.datainsight.collector.logs.LogSettings d = dev.datainsight.collector.logs.LogSettings.defaults();
        String state = n == null || n.stateFile() == null ? dev.datainsight.collector.logs.LogSettings.DEFAULT_STATE_FILE
                : n.stateFile();
        d = d.withStateFile(doc.locations().resolve(state, false));
        if (n == null) {
            return d;
        }
        return d.withMaxBytesPerCycle(atLeast(n.maxBytesPerCycle(), "logs.max_bytes_per_cycle", d.maxBytesPerCycle(), 1024))
                .withMaxEntryChars(atLeast(n.maxEntryChars(), "logs.max_entry_chars", d.maxEntryChars(), 256))
                .withStatementText(n.statementText() == null || n.statementText());
    }

    private dev.datainsight.collector.logs.InstanceLogs instanceLogs(FleetFile.InstanceLogs n, String path) {
        if (n == null || !Boolean.TRUE.equals(n.enabled())) {
            if (n != null && n.logDirectory() != null && n.enabled() == null) {
                problems.error(path + ".enabled", "missing: log_directory is set but logs are off", "add enabled: true");
            }
            return dev.datainsight.collector.logs.InstanceLogs.off();
        }
        if (n.logDirectory() == null) {
            return dev.datainsight.collector.logs.InstanceLogs.agentless();
        }
        Path dir = doc.locations().resolve(n.logDirectory(), false);
        if (!checkOnly && !Files.isDirectory(dir)) {
            problems.warn(path + ".log_directory", dir + " is not a directory (yet): the instance's log is read once it is");
        }
        return dev.datainsight.collector.logs.InstanceLogs.local(dir);
    }

    private dev.datainsight.collector.probe.PlansSettings plans(FleetFile.Plans n, String path) {
        dev.datainsight.collector.probe.PlansSettings d = dev.datainsight.collector.probe.PlansSettings.defaults();
        if (n == null) {
            return d;
        }
        return new dev.datainsight.collector.probe.PlansSettings(Boolean.TRUE.equals(n.enabled()),
                atLeast(n.perCycle(), path + ".per_cycle", d.perCycle(), 1), positive(n.interval(), path + ".interval", d.interval()));
    }

    private FleetConfig.Intervals intervals(FleetFile.Intervals n, String path, FleetConfig.Intervals def) {
        if (n == null) {
            return def;
        }
        return new FleetConfig.Intervals(positive(n.fast(), path + ".fast", def.fast()), positive(n.slow(), path + ".slow", def.slow()));
    }

    private Duration positive(Duration d, String path, Duration def) {
        if (d == null) {
            return def;
        }
        if (d.isZero()) {
            problems.error(path, "must be positive, got 0");
            return def;
        }
        return d;
    }

    private int atLeast(Integer v, String path, int def, int min) {
        if (v == null) {
            return def;
        }
        if (v < min) {
            problems.error(path, "must be at least " + min + ", got " + v);
            return def;
        }
        return v;
    }

    /** Replaces {@code ${VAR}} in every string value; blank values are errors outside labels. */
    private void substitute(String path, JsonNode node) {
        if (node instanceof ObjectNode obj) {
            List<String> names = new ArrayList<>();
            obj.fieldNames().forEachRemaining(names::add);
            for (String k : names) {
                JsonNode v = obj.get(k);
                String p = YamlDocument.join(path, k);
                if (v.isTextual()) {
                    String s = subst(v.textValue(), p);
                    if (s.isBlank() && !path.endsWith("labels")) {
                        problems.error(p, "is blank");
                        obj.putNull(k);
                    } else {
                        obj.set(k, TextNode.valueOf(s));
                    }
                } else {
                    substitute(p, v);
                }
            }
        } else if (node instanceof ArrayNode arr) {
            for (int i = 0; i < arr.size(); i++) {
                JsonNode v = arr.get(i);
                if (v.isTextual()) {
                    arr.set(i, TextNode.valueOf(subst(v.textValue(), path + "[" + i + "]")));
                } else {
                    substitute(path + "[" + i + "]", v);
                }
            }
        }
    }

    private String subst(String text, String path) {
        Matcher m = VAR.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String val = env.get(m.group(1));
            if (val == null) {
                val = m.group(2);
            }
            if (val == null) {
                environment(path, "environment variable " + m.group(1) + " is not set", "use ${" + m.group(1) + ":-default}");
                val = "";
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(val));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
