package dev.datainsight.rules;

import com.fasterxml.jackson.databind.JsonNode;
import dev.datainsight.config.ConfigException;
import dev.datainsight.config.DataSize;
import dev.datainsight.config.DurationSyntax;
import dev.datainsight.config.Problems;
import dev.datainsight.config.YamlDocument;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Severity;
import dev.datainsight.model.ViewDef;
import dev.datainsight.rules.defs.RuleCatalog;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.ParamType;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleDefinition;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The rules file, validated at start: per rule {@code enabled}, thresholds, {@code for},
 * {@code resolve_for} and severities, plus overrides matched on the instance id and on labels.
 * Every problem of the file (unknown rule, setting or match key, wrong type, warning beyond
 * critical, negative duration) is reported at once by a {@link ConfigException} naming file,
 * line, column and key path, so a bad file stops the job before it runs. Values use the shared
 * syntax of docs/configuration.md.
 *
 * <pre>
 * defaults:
 *   renotify: 4h          # every alert rule
 *   stale_after: 15m      # resolve an alert whose series stopped being evaluated
 *   instance_labels: [env, cluster, role]   # fleet-file labels overrides may match on
 * rules:
 *   connection_saturation:
 *     warning: 0.85
 *     for: 2m
 *     overrides:
 *       - match: {instance: "batch-*"}
 *         enabled: false
 * </pre>
 *
 * Override {@code match} keys are {@code instance} (the instance id), a label of the rows the rule
 * reads (datname, relname, queryid, ... from its views) or one of {@code defaults.instance_labels}
 * (the instance's labels from the fleet file); any other key is an error, not a silent no-match.
 * Values are globs ({@code *}, {@code ?}). Later overrides win over earlier ones.
 */
public final class RulesConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Keys of the {@code defaults} section. */
    public static final Set<String> DEFAULT_KEYS = Set.of("renotify", "stale_after", "instance_labels");
    /** Default for {@code defaults.stale_after}. */
    public static final long DEFAULT_STALE_AFTER_MS = DurationSyntax.parse("15m").toMillis();
    /** Default for {@code defaults.instance_labels}: the labels of the shipped fleet examples. */
    public static final List<String> DEFAULT_INSTANCE_LABELS = List.of("env", "cluster", "role");
    /** Title of the exception listing a rules file's problems. */
    public static final String TITLE = "invalid rules file";

    private static final Object INVALID = new Object();

    private final Map<String, RuleSettings> rules;
    private final long staleAfterMs;

    private RulesConfig(Map<String, RuleSettings> rules, long staleAfterMs) {
        this.rules = rules;
        this.staleAfterMs = staleAfterMs;
    }

    /** Every rule with its documented defaults. */
    public static RulesConfig defaults() {
        return parse("rules: {}", "<defaults>");
    }

    /** Loads and validates a rules file. */
    public static RulesConfig load(Path file) {
        return load(YamlDocument.read(file, "rules file"));
    }

    /** Parses and validates rules-file text; {@code source} names it in error messages. */
    public static RulesConfig parse(String yaml, String source) {
        return load(YamlDocument.parse(yaml, source, null));
    }

    /** Validates a parsed document; every problem fails the load at once. */
    public static RulesConfig load(YamlDocument doc) {
        RulesConfig c = read(doc);
        doc.problems().throwIfErrors(TITLE);
        return c;
    }

    /** Checks a document without running anything, for {@code check}: its problems. */
    public static Problems check(YamlDocument doc) {
        read(doc);
        return doc.problems();
    }

    private static RulesConfig read(YamlDocument doc) {
        Problems p = doc.problems();
        JsonNode root = doc.root();
        if (!root.isObject()) {
            p.error("", "the top level must be a mapping with 'rules' (and optionally 'defaults')");
            return null;
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("rules") && !k.equals("defaults")) {
                p.error(k, "unknown top-level key", "expected 'rules' or 'defaults'");
            }
        }
        Map<String, Object> globals = new LinkedHashMap<>();
        globals.put("renotify", RuleDefinition.RENOTIFY.defaultValue());
        globals.put("stale_after", Duration.ofMillis(DEFAULT_STALE_AFTER_MS));
        Set<String> instanceLabels = new TreeSet<>(DEFAULT_INSTANCE_LABELS);
        JsonNode defaults = root.path("defaults");
        if (!defaults.isMissingNode() && !defaults.isNull()) {
            if (!defaults.isObject()) {
                p.error("defaults", "must be a mapping", "keys: " + new TreeSet<>(DEFAULT_KEYS));
            } else {
                for (Iterator<Map.Entry<String, JsonNode>> it = defaults.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String path = "defaults." + e.getKey();
                    if (!DEFAULT_KEYS.contains(e.getKey())) {
                        p.error(path, "unknown key", "valid keys: " + String.join(", ", new TreeSet<>(DEFAULT_KEYS)));
                    } else if (e.getKey().equals("instance_labels")) {
                        instanceLabels = labelList(p, path, e.getValue());
                    } else {
                        Object v = convert(p, path, RuleDefinition.RENOTIFY, e.getValue());
                        if (v != INVALID) {
                            globals.put(e.getKey(), v);
                        }
                    }
                }
            }
        }
        JsonNode rulesNode = root.path("rules");
        boolean rulesOk = rulesNode.isMissingNode() || rulesNode.isNull() || rulesNode.isObject();
        if (!rulesOk) {
            p.error("rules", "must be a mapping of rule name to settings");
        }
        Map<String, Rule> catalog = RuleCatalog.byName();
        if (rulesNode.isObject()) {
            for (Iterator<String> it = rulesNode.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!catalog.containsKey(name)) {
                    p.error("rules." + name, "unknown rule; known rules: " + new TreeSet<>(catalog.keySet()));
                }
            }
        }
        Map<String, RuleSettings> settings = new LinkedHashMap<>();
        for (Rule rule : catalog.values()) {
            RuleDefinition def = rule.definition();
            Map<String, Object> base = new LinkedHashMap<>();
            for (ParamDef<?> pd : def.params().values()) {
                base.put(pd.name(), pd.defaultValue());
            }
            if (def.kind() == RuleDefinition.Kind.ALERT) {
                base.put(RuleDefinition.RENOTIFY.name(), globals.get("renotify"));
            }
            List<Override> overrides = new ArrayList<>();
            JsonNode node = rulesOk ? rulesNode.path(def.name()) : com.fasterxml.jackson.databind.node.MissingNode.getInstance();
            String path = "rules." + def.name();
            if (!node.isMissingNode() && !node.isNull()) {
                if (!node.isObject()) {
                    p.error(path, "must be a mapping of settings", "settings: " + new ArrayList<>(def.params().keySet()));
                    continue;
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (e.getKey().equals("overrides")) {
                        continue;
                    }
                    Object v = value(p, path, def, e.getKey(), e.getValue());
                    if (v != INVALID) {
                        base.put(e.getKey(), v);
                    }
                }
                checkPairs(p, path, def, base);
                JsonNode ov = node.path("overrides");
                if (!ov.isMissingNode() && !ov.isNull()) {
                    if (!ov.isArray()) {
                        p.error(path + ".overrides", "must be a list of {match: {...}, <setting>: <value>}");
                    } else {
                        Set<String> matchKeys = matchKeys(def, instanceLabels);
                        for (int i = 0; i < ov.size(); i++) {
                            Override o = override(p, path + ".overrides[" + i + "]", def, ov.get(i), base, matchKeys);
                            if (o != null) {
                                overrides.add(o);
                            }
                        }
                    }
                }
            }
            settings.put(def.name(), new RuleSettings(def.name(), new Params(def.name(), base), overrides));
        }
        return new RulesConfig(settings, ((Duration) globals.get("stale_after")).toMillis());
    }

    /** {@code instance}, the labels of the rule's rows (from its views) and the declared instance labels. */
    private static Set<String> matchKeys(RuleDefinition def, Set<String> instanceLabels) {
        Set<String> keys = new TreeSet<>(instanceLabels);
        keys.add("instance");
        for (String view : def.views()) {
            ViewDef v = MetricCatalog.views().get(view);
            if (v != null) {
                keys.addAll(v.labelKeys());
            }
        }
        return keys;
    }

    private static Set<String> labelList(Problems p, String path, JsonNode v) {
        Set<String> out = new TreeSet<>();
        if (!v.isArray()) {
            p.error(path, "expected a list of label names, e.g. [env, cluster, role]");
            return new TreeSet<>(DEFAULT_INSTANCE_LABELS);
        }
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isTextual() || e.asText().isBlank()) {
                p.error(path + "[" + i + "]", "expected a label name");
            } else {
                out.add(e.asText());
            }
        }
        return out;
    }

    private static Override override(Problems p, String path, RuleDefinition def, JsonNode node,
            Map<String, Object> base, Set<String> matchKeys) {
        if (!node.isObject()) {
            p.error(path, "must be a mapping with 'match' and settings");
            return null;
        }
        int before = p.errorCount();
        JsonNode match = node.path("match");
        Map<String, String> m = new LinkedHashMap<>();
        if (!match.isObject() || match.isEmpty()) {
            p.error(path + ".match", "required: a non-empty mapping of label (or 'instance') to glob",
                    "match keys for " + def.name() + ": " + matchKeys);
        } else {
            for (Iterator<Map.Entry<String, JsonNode>> it = match.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!matchKeys.contains(e.getKey())) {
                    p.error(path + ".match." + e.getKey(), "unknown match key for rule " + def.name(),
                            "valid keys: " + String.join(", ", matchKeys)
                                    + "; declare other fleet labels in defaults.instance_labels");
                } else if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                    p.error(path + ".match." + e.getKey(), "must be a string or glob");
                } else {
                    m.put(e.getKey(), e.getValue().asText());
                }
            }
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("match")) {
                continue;
            }
            if (e.getKey().equals("overrides")) {
                p.error(path + ".overrides", "overrides cannot be nested");
                continue;
            }
            Object v = value(p, path, def, e.getKey(), e.getValue());
            if (v != INVALID) {
                values.put(e.getKey(), v);
            }
        }
        if (values.isEmpty() && p.errorCount() == before) {
            p.error(path, "an override must set at least one setting besides 'match'");
        }
        Map<String, Object> merged = new LinkedHashMap<>(base);
        merged.putAll(values);
        checkPairs(p, path, def, merged);
        if (p.errorCount() > before) {
            return null;
        }
        Map<String, Pattern> compiled = new LinkedHashMap<>();
        m.forEach((k, g) -> compiled.put(k, Override.glob(g)));
        return new Override(compiled, values);
    }

    private static Object value(Problems p, String path, RuleDefinition def, String key, JsonNode v) {
        ParamDef<?> pd = def.params().get(key);
        if (pd == null) {
            p.error(path + "." + key, "unknown setting for rule " + def.name() + "; known: "
                    + new ArrayList<>(def.params().keySet()) + " and 'overrides'");
            return INVALID;
        }
        return convert(p, path + "." + key, pd, v);
    }

    /** The value in the parameter's stored type, or {@link #INVALID} after recording the problem. */
    private static Object convert(Problems p, String path, ParamDef<?> pd, JsonNode v) {
        if (v == null || v.isNull()) {
            if (pd.nullable()) {
                return null;
            }
            p.error(path, "must not be null");
            return INVALID;
        }
        ParamType type = pd.type();
        try {
            switch (type) {
                case BOOLEAN:
                    if (!v.isBoolean()) {
                        p.error(path, "expected true or false, got '" + v.asText() + "'");
                        return INVALID;
                    }
                    return v.booleanValue();
                case NUMBER:
                    if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
                        p.error(path, "expected a number, got '" + v.asText() + "'");
                        return INVALID;
                    }
                    return v.doubleValue();
                case BYTES:
                    if (v.isNumber()) {
                        return (double) DataSize.ofBytes(v.doubleValue()).bytes();
                    }
                    if (!v.isTextual()) {
                        p.error(path, "expected " + DataSize.HINT + ", got '" + v + "'");
                        return INVALID;
                    }
                    return (double) DataSize.parse(v.asText()).bytes();
                case DURATION:
                    if (v.isNumber()) {
                        return DurationSyntax.ofSeconds(v.doubleValue());
                    }
                    if (!v.isTextual()) {
                        p.error(path, "expected " + DurationSyntax.HINT + ", got '" + v + "'");
                        return INVALID;
                    }
                    return DurationSyntax.parse(v.asText());
                case SEVERITY:
                    if (!v.isTextual()) {
                        p.error(path, "expected info, warning or critical, got '" + v + "'");
                        return INVALID;
                    }
                    try {
                        return Severity.fromWire(v.asText().trim());
                    } catch (IllegalArgumentException e) {
                        p.error(path, "expected info, warning or critical, got '" + v.asText() + "'");
                        return INVALID;
                    }
                case LIST: {
                    if (v.isTextual()) {
                        return List.of(v.asText());
                    }
                    if (!v.isArray()) {
                        p.error(path, "expected a list of names, e.g. [pg_dump, etl_*], got '" + v + "'");
                        return INVALID;
                    }
                    List<String> names = new ArrayList<>();
                    for (JsonNode n : v) {
                        if (!n.isTextual()) {
                            p.error(path, "expected a list of names, got '" + n + "' in it");
                            return INVALID;
                        }
                        names.add(n.asText());
                    }
                    return List.copyOf(names);
                }
                default:
                    throw new IllegalStateException(type.toString());
            }
        } catch (IllegalArgumentException e) {
            p.error(path, e.getMessage());
            return INVALID;
        }
    }

    private static void checkPairs(Problems p, String path, RuleDefinition def, Map<String, Object> values) {
        for (RuleDefinition.ThresholdPair pair : def.pairs()) {
            Object w = values.get(pair.warning());
            Object c = values.get(pair.critical());
            if (!(w instanceof Number) || !(c instanceof Number)) {
                continue;
            }
            double wd = ((Number) w).doubleValue();
            double cd = ((Number) c).doubleValue();
            if (pair.direction() == RuleDefinition.Direction.ABOVE && wd > cd) {
                p.error(path, pair.warning() + " (" + wd + ") is above " + pair.critical() + " (" + cd
                        + "): for this rule a higher value is worse, so warning must be <= critical");
            }
            if (pair.direction() == RuleDefinition.Direction.BELOW && wd < cd) {
                p.error(path, pair.warning() + " (" + wd + ") is below " + pair.critical() + " (" + cd
                        + "): for this rule a lower value is worse, so warning must be >= critical");
            }
        }
    }

    /** Whether the rule is enabled anywhere (globally or by some override). */
    public boolean mayRun(String rule) {
        RuleSettings s = settings(rule);
        if (s.base.enabled()) {
            return true;
        }
        for (Override o : s.overrides) {
            if (Boolean.TRUE.equals(o.values.get(RuleDefinition.ENABLED.name()))) {
                return true;
            }
        }
        return false;
    }

    /** The rule's parameters as written in the file, before any override. */
    public Params base(String rule) {
        return settings(rule).base;
    }

    /**
     * The effective parameters of a rule for one instance and row.
     *
     * @param instanceLabels the snapshot's labels (from the fleet file)
     * @param rowLabels the row's labels; may be empty
     */
    public Params params(String rule, String instance, Map<String, String> instanceLabels,
            Map<String, String> rowLabels) {
        RuleSettings s = settings(rule);
        if (s.overrides.isEmpty()) {
            return s.base;
        }
        Map<String, Object> merged = null;
        for (Override o : s.overrides) {
            if (o.matches(instance, instanceLabels, rowLabels)) {
                if (merged == null) {
                    merged = new LinkedHashMap<>(s.base.asMap());
                }
                merged.putAll(o.values);
            }
        }
        return merged == null ? s.base : new Params(rule, merged);
    }

    /** Resolve alerts whose series has not been evaluated for this long (instance or row gone). */
    public long staleAfterMs() {
        return staleAfterMs;
    }

    private RuleSettings settings(String rule) {
        RuleSettings s = rules.get(rule);
        if (s == null) {
            throw new IllegalArgumentException("unknown rule " + rule);
        }
        return s;
    }

    private record RuleSettings(String rule, Params base, List<Override> overrides) implements Serializable {}

    /** One override: label (or instance) globs, compiled once, and the settings it sets. */
    private record Override(Map<String, Pattern> match, Map<String, Object> values) implements Serializable {
        boolean matches(String instance, Map<String, String> instanceLabels, Map<String, String> rowLabels) {
            for (Map.Entry<String, Pattern> m : match.entrySet()) {
                String actual;
                if (m.getKey().equals("instance")) {
                    actual = instance;
                } else if (rowLabels != null && rowLabels.containsKey(m.getKey())) {
                    actual = rowLabels.get(m.getKey());
                } else {
                    actual = instanceLabels == null ? null : instanceLabels.get(m.getKey());
                }
                if (actual == null || !m.getValue().matcher(actual).matches()) {
                    return false;
                }
            }
            return true;
        }

        static Pattern glob(String g) {
            StringBuilder sb = new StringBuilder();
            for (char ch : g.toCharArray()) {
                switch (ch) {
                    case '*' -> sb.append(".*");
                    case '?' -> sb.append('.');
                    default -> sb.append(Pattern.quote(String.valueOf(ch)));
                }
            }
            return Pattern.compile(sb.toString());
        }
    }
}
