package dev.datainsight.rules.engine;

import dev.datainsight.model.Severity;
import java.io.Serializable;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The effective parameters of one rule for one instance and label set (defaults, file, overrides
 * merged), read with typed keys: {@code p.get(FOR)}, {@code p.number(WARNING)}.
 */
public final class Params implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String rule;
    private final Map<String, Object> values;

    public Params(String rule, Map<String, Object> values) {
        this.rule = rule;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public String rule() {
        return rule;
    }

    /** Values by key name, in their stored types. */
    public Map<String, Object> asMap() {
        return values;
    }

    /**
     * The value of a parameter (null when a nullable level is switched off).
     *
     * @throws IllegalArgumentException when the rule has no such parameter
     */
    public <T> T get(ParamDef<T> key) {
        if (!values.containsKey(key.name())) {
            throw new IllegalArgumentException("rule " + rule + " has no parameter " + key.name());
        }
        Object v = values.get(key.name());
        @SuppressWarnings("unchecked")
        T t = (T) v;
        return t;
    }

    public boolean enabled() {
        return get(RuleDefinition.ENABLED);
    }

    /** A number or size; null when that level is switched off. */
    public Double number(ParamDef<Double> key) {
        return get(key);
    }

    /** A duration in milliseconds. */
    public long millis(ParamDef<Duration> key) {
        return get(key).toMillis();
    }

    public boolean bool(ParamDef<Boolean> key) {
        return get(key);
    }

    /** A list of strings (empty when none). */
    public java.util.List<String> list(ParamDef<java.util.List<String>> key) {
        return get(key);
    }

    public Severity severity(ParamDef<Severity> key) {
        return get(key);
    }

    @Override
    public String toString() {
        return rule + values;
    }
}
