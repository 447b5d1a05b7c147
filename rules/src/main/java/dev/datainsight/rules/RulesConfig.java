package dev.datainsight.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.datainsight.model.Severity;
import dev.datainsight.rules.defs.RuleCatalog;
import dev.datainsight.rules.engine.Durations;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleDefinition;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The rules file, validated at start: per rule {@code enabled}, thresholds, {@code for},
 * {@code resolve_for} and severities, plus overrides matched on the instance id and on labels.
 * Anything it cannot make sense of (unknown rule or key, wrong type, warning beyond critical,
 * negative duration) throws {@link IllegalArgumentException} naming the file, the path and the
 * problem, so a bad file stops the job before it runs.
 *
 * <pre>
 * defaults:
 *   renotify: 4h          # every alert rule
 *   stale_after: 15m      # resolve an alert whose series stopped being evaluated
 * rules:
 *   connection_saturation:
 *     warning: 0.85
 *     for: 2m
 *     overrides:
 *       - match: {instance: "batch-*"}
 *         enabled: false
 * </pre>
 *
 * Override {@code match} keys are {@code instance} (the instance id) or any label: the instance's
 * labels from the fleet file or the row's labels (datname, relname, queryid, ...); values are
 * globs ({@code *}, {@code ?}). Later overrides win over earlier ones.
 */
public final class RulesConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Keys of the {@code defaults} section. */
    public static final Set<String> DEFAULT_KEYS = Set.of("renotify", "stale_after");
    /** Default for {@code defaults.stale_after}. */
    public static final long DEFAULT_STALE_AFTER_MS = Durations.parseMillis("15m");

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
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read rules file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses and validates rules-file text; {@code source} names it in error messages. */
    public static RulesConfig parse(String yaml, String source) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (IOException e) {
            throw new IllegalArgumentException("rules file " + source + " is not valid YAML: " + e.getMessage(), e);
        }
        Problems p = new Problems(source);
        if (root == null || root.isMissingNode() || root.isNull()) {
            root = new ObjectMapper().createObjectNode();
        }
        if (!root.isObject()) {
            throw p.fail("", "the top level must be a mapping with 'rules' (and optionally 'defaults')");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("rules") && !k.equals("defaults")) {
                throw p.fail(k, "unknown top-level key; expected 'rules' or 'defaults'");
            }
        }
        Map<String, Object> globals = new LinkedHashMap<>();
        globals.put("renotify", Durations.parseMillis("4h"));
        globals.put("stale_after", DEFAULT_STALE_AFTER_MS);
        JsonNode defaults = root.path("defaults");
        if (!defaults.isMissingNode() && !defaults.isNull()) {
            if (!defaults.isObject()) {
                throw p.fail("defaults", "must be a mapping");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = defaults.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!DEFAULT_KEYS.contains(e.getKey())) {
                    throw p.fail("defaults." + e.getKey(), "unknown key; known: " + new TreeSet<>(DEFAULT_KEYS));
                }
                globals.put(e.getKey(), convert(p, "defaults." + e.getKey(),
                        new ParamDef(e.getKey(), dev.datainsight.rules.engine.ParamType.DURATION, null, false, ""),
                        e.getValue()));
            }
        }
        JsonNode rulesNode = root.path("rules");
        if (!rulesNode.isMissingNode() && !rulesNode.isNull() && !rulesNode.isObject()) {
            throw p.fail("rules", "must be a mapping of rule name to settings");
        }
        Map<String, Rule> catalog = RuleCatalog.byName();
        if (rulesNode.isObject()) {
            for (Iterator<String> it = rulesNode.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!catalog.containsKey(name)) {
                    throw p.fail("rules." + name, "unknown rule; known rules: " + new TreeSet<>(catalog.keySet()));
                }
            }
        }
        Map<String, RuleSettings> settings = new LinkedHashMap<>();
        for (Rule rule : catalog.values()) {
            RuleDefinition def = rule.definition();
            Map<String, Object> base = new LinkedHashMap<>();
            for (ParamDef pd : def.params().values()) {
                base.put(pd.name(), pd.defaultValue());
            }
            if (def.kind() == RuleDefinition.Kind.ALERT) {
                base.put("renotify", globals.get("renotify"));
            }
            List<Override> overrides = new ArrayList<>();
            JsonNode node = rulesNode.path(def.name());
            String path = "rules." + def.name();
            if (!node.isMissingNode() && !node.isNull()) {
                if (!node.isObject()) {
                    throw p.fail(path, "must be a mapping of settings");
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (e.getKey().equals("overrides")) {
                        continue;
                    }
                    base.put(e.getKey(), value(p, path, def, e.getKey(), e.getValue()));
                }
                checkPairs(p, path, def, base);
                JsonNode ov = node.path("overrides");
                if (!ov.isMissingNode() && !ov.isNull()) {
                    if (!ov.isArray()) {
                        throw p.fail(path + ".overrides", "must be a list of {match: {...}, <setting>: <value>}");
                    }
                    for (int i = 0; i < ov.size(); i++) {
                        overrides.add(override(p, path + ".overrides[" + i + "]", def, ov.get(i), base));
                    }
                }
            }
            settings.put(def.name(), new RuleSettings(def.name(), new Params(def.name(), base), overrides));
        }
        return new RulesConfig(settings, (Long) globals.get("stale_after"));
    }

    private static Override override(Problems p, String path, RuleDefinition def, JsonNode node,
            Map<String, Object> base) {
        if (!node.isObject()) {
            throw p.fail(path, "must be a mapping with 'match' and settings");
        }
        JsonNode match = node.path("match");
        if (!match.isObject() || match.isEmpty()) {
            throw p.fail(path + ".match", "required: a non-empty mapping of label (or 'instance') to glob");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = match.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw p.fail(path + ".match." + e.getKey(), "must be a string or glob");
            }
            m.put(e.getKey(), e.getValue().asText());
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("match")) {
                continue;
            }
            if (e.getKey().equals("overrides")) {
                throw p.fail(path + ".overrides", "overrides cannot be nested");
            }
            values.put(e.getKey(), value(p, path, def, e.getKey(), e.getValue()));
        }
        if (values.isEmpty()) {
            throw p.fail(path, "an override must set at least one setting besides 'match'");
        }
        Map<String, Object> merged = new LinkedHashMap<>(base);
        merged.putAll(values);
        checkPairs(p, path, def, merged);
        Map<String, Pattern> compiled = new LinkedHashMap<>();
        m.forEach((k, g) -> compiled.put(k, Override.glob(g)));
        return new Override(compiled, values);
    }

    private static Object value(Problems p, String path, RuleDefinition def, String key, JsonNode v) {
        ParamDef pd = def.params().get(key);
        if (pd == null) {
            throw p.fail(path + "." + key, "unknown setting for rule " + def.name() + "; known: "
                    + new ArrayList<>(def.params().keySet()) + " and 'overrides'");
        }
        return convert(p, path + "." + key, pd, v);
    }

    private static Object convert(Problems p, String path, ParamDef pd, JsonNode v) {
        if (v == null || v.isNull()) {
            if (pd.nullable()) {
                return null;
            }
            throw p.fail(path, "must not be null");
        }
        switch (pd.type()) {
            case BOOLEAN:
                if (!v.isBoolean()) {
                    throw p.fail(path, "expected true or false, got '" + v.asText() + "'");
                }
                return v.booleanValue();
            case NUMBER:
                if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
                    throw p.fail(path, "expected a number, got '" + v.asText() + "'");
                }
                return v.doubleValue();
            case BYTES: {
                double b;
                try {
                    b = v.isNumber() ? v.doubleValue() : Durations.parseBytes(v.asText());
                } catch (IllegalArgumentException e) {
                    throw p.fail(path, e.getMessage());
                }
                if (!v.isNumber() && !v.isTextual()) {
                    throw p.fail(path, "expected a size, got '" + v + "'");
                }
                if (b < 0) {
                    throw p.fail(path, "must not be negative, got " + v.asText());
                }
                return b;
            }
            case DURATION: {
                if (!v.isTextual() && !v.isNumber()) {
                    throw p.fail(path, "expected a duration such as 30s, 5m, 4h, got '" + v + "'");
                }
                long ms;
                try {
                    ms = v.isNumber() ? Math.round(v.doubleValue() * 1000) : Durations.parseMillis(v.asText());
                } catch (IllegalArgumentException e) {
                    throw p.fail(path, e.getMessage());
                }
                if (ms < 0) {
                    throw p.fail(path, "a duration must not be negative, got " + v.asText());
                }
                return ms;
            }
            case SEVERITY:
                if (!v.isTextual()) {
                    throw p.fail(path, "expected info, warning or critical, got '" + v + "'");
                }
                try {
                    return Severity.fromWire(v.asText().trim());
                } catch (IllegalArgumentException e) {
                    throw p.fail(path, "expected info, warning or critical, got '" + v.asText() + "'");
                }
            default:
                throw new IllegalStateException(pd.type().toString());
        }
    }

    private static void checkPairs(Problems p, String path, RuleDefinition def, Map<String, Object> values) {
        for (RuleDefinition.ThresholdPair pair : def.pairs()) {
            Object w = values.get(pair.warning());
            Object c = values.get(pair.critical());
            if (w == null || c == null) {
                continue;
            }
            double wd = ((Number) w).doubleValue();
            double cd = ((Number) c).doubleValue();
            if (pair.direction() == RuleDefinition.Direction.ABOVE && wd > cd) {
                throw p.fail(path, pair.warning() + " (" + wd + ") is above " + pair.critical() + " (" + cd
                        + "): for this rule a higher value is worse, so warning must be <= critical");
            }
            if (pair.direction() == RuleDefinition.Direction.BELOW && wd < cd) {
                throw p.fail(path, pair.warning() + " (" + wd + ") is below " + pair.critical() + " (" + cd
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
            if (Boolean.TRUE.equals(o.values.get("enabled"))) {
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

    private record Problems(String source) {
        IllegalArgumentException fail(String path, String message) {
            return new IllegalArgumentException(
                    String.format(Locale.ROOT, "rules file %s: %s%s", source, path.isEmpty() ? "" : path + ": ", message));
        }
    }
}
