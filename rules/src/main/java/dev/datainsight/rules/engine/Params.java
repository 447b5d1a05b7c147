package dev.datainsight.rules.engine;

import dev.datainsight.model.Severity;
import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The effective parameters of one rule for one instance and label set (defaults, file, overrides merged). */
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

    public Map<String, Object> asMap() {
        return values;
    }

    private Object get(String name) {
        if (!values.containsKey(name)) {
            throw new IllegalArgumentException("rule " + rule + " has no parameter " + name);
        }
        return values.get(name);
    }

    public boolean enabled() {
        return bool("enabled");
    }

    /** A number or size; null when that level is switched off. */
    public Double number(String name) {
        Object v = get(name);
        return v == null ? null : ((Number) v).doubleValue();
    }

    /** A duration in milliseconds. */
    public long millis(String name) {
        return (Long) get(name);
    }

    public boolean bool(String name) {
        return (Boolean) get(name);
    }

    public Severity severity(String name) {
        return (Severity) get(name);
    }

    @Override
    public String toString() {
        return rule + values;
    }
}
