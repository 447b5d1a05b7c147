package dev.datainsight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.datainsight.collector.FleetConfigLoader;
import dev.datainsight.config.ConfigException;
import dev.datainsight.config.Problem;
import dev.datainsight.config.Problems;
import dev.datainsight.config.YamlDocument;
import dev.datainsight.jobs.JobConfig;
import dev.datainsight.rules.RulesConfig;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Validates a configuration file without running anything: the same loaders the collector, the
 * job and the rules engine use at start, so a file {@code check} accepts is a file they accept.
 */
public final class ConfigCheck {

    /** The three kinds of configuration file. */
    public enum Kind {
        FLEET, JOB, RULES;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The outcome for one file.
     *
     * @param source the file
     * @param kind the kind it was checked as (null: could not tell)
     * @param errors every error, in the order found
     * @param warnings deprecations and environment-dependent findings
     */
    public record Result(String source, Kind kind, List<Problem> errors, List<Problem> warnings) {
        public boolean ok() {
            return errors.isEmpty();
        }
    }

    /** How {@link #guess} decides, for --help. */
    static final String GUESS_RULE = "fleet when the file has 'instances'; job when it has kafka, store, runtime or time,"
            + " or a 'rules' section holding only enabled/file; rules when it has 'rules', or only 'defaults' holding"
            + " renotify/stale_after/instance_labels";

    private static final Set<String> JOB_SECTIONS = Set.of("kafka", "store", "runtime", "time");
    /** The job file's own {@code rules} section (no rule is named like these). */
    private static final Set<String> JOB_RULES_KEYS = Set.of("enabled", "file");

    private ConfigCheck() {}

    /** Checks a file as {@code kind}, or as the kind its content shows when {@code kind} is null. */
    public static Result check(Path file, Kind kind, Map<String, String> env) {
        YamlDocument doc;
        try {
            doc = YamlDocument.read(file, "file");
        } catch (ConfigException e) {
            return failed(file.toString(), kind, e);
        }
        return check(doc, kind, env);
    }

    /** Checks text named {@code name}; relative paths in it resolve against {@code baseDir}. */
    public static Result check(String text, String name, Path baseDir, Kind kind, Map<String, String> env) {
        try {
            return check(YamlDocument.parse(text, name, baseDir), kind, env);
        } catch (ConfigException e) {
            return failed(name, kind, e);
        }
    }

    private static Result check(YamlDocument doc, Kind kind, Map<String, String> env) {
        Kind k = kind != null ? kind : guess(doc.root());
        String name = doc.locations().file();
        if (k == null) {
            return new Result(name, null, List.of(new Problem(name, 0, 0, "",
                    "cannot tell whether this is a fleet, job or rules file", "pass --kind")), List.of());
        }
        Problems p;
        try {
            p = switch (k) {
                case FLEET -> FleetConfigLoader.check(doc, env);
                case JOB -> JobConfig.check(doc, List.of());
                case RULES -> RulesConfig.check(doc);
            };
        } catch (ConfigException e) {
            return failed(name, k, e);
        }
        return new Result(name, k, p.errors(), p.warnings());
    }

    /** The kind a document's top-level keys show, or null. */
    public static Kind guess(JsonNode root) {
        if (root == null || !root.isObject()) {
            return null;
        }
        if (root.has("instances")) {
            return Kind.FLEET;
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            if (JOB_SECTIONS.contains(it.next())) {
                return Kind.JOB;
            }
        }
        JsonNode rules = root.get("rules");
        if (rules != null) {
            boolean jobSection = rules.isObject() && !rules.isEmpty();
            for (Iterator<String> it = rules.fieldNames(); it.hasNext(); ) {
                jobSection &= JOB_RULES_KEYS.contains(it.next());
            }
            return jobSection ? Kind.JOB : Kind.RULES;
        }
        JsonNode d = root.get("defaults");
        if (d != null && d.isObject()) {
            for (Iterator<String> it = d.fieldNames(); it.hasNext(); ) {
                if (!RulesConfig.DEFAULT_KEYS.contains(it.next())) {
                    return Kind.FLEET;
                }
            }
            return Kind.RULES;
        }
        return null;
    }

    private static Result failed(String name, Kind kind, ConfigException e) {
        List<Problem> ps = e.problems().isEmpty() ? List.of(new Problem(name, 0, 0, "", e.getMessage(), "")) : e.problems();
        return new Result(name, kind, ps, List.of());
    }
}
