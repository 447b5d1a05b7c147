package dev.datainsight.rules.engine;

import dev.datainsight.config.DurationSyntax;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a rule is, as users see it: its name in the rules file, what it detects, the views it reads,
 * its parameters with defaults, and why those defaults. docs/rules.md is rendered from these.
 */
public final class RuleDefinition implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Whether the rule pages (alert lifecycle) or records a finding (insight table). */
    public enum Kind { ALERT, INSIGHT }

    /** Whether a higher or a lower value is worse; decides the warning/critical order check. */
    public enum Direction { ABOVE, BELOW }

    /** A warning/critical pair that must be ordered by the rule's direction. */
    public record ThresholdPair(String warning, String critical, Direction direction) implements Serializable {}

    /** Every rule: on or off. */
    public static final ParamDef<Boolean> ENABLED = ParamDef.bool("enabled", true, "turn the rule on or off");
    /** Alert rules: how long the condition must hold before the alert fires. */
    public static final ParamDef<Duration> FOR = ParamDef.duration("for", "0s",
            "how long the condition must hold before the alert fires");
    /** Alert rules: how long the condition must be false before the alert resolves. */
    public static final ParamDef<Duration> RESOLVE_FOR = ParamDef.duration("resolve_for", "0s",
            "how long the condition must be false before the alert resolves (hysteresis)");
    /** Alert rules: re-send a still-firing alert after this long. */
    public static final ParamDef<Duration> RENOTIFY = ParamDef.duration("renotify", "4h",
            "re-send a still-firing alert after this long");
    /** Insights: re-write a standing finding at most this often. */
    public static final ParamDef<Duration> REFRESH = ParamDef.duration("refresh", "1h",
            "re-write a standing finding at most this often");

    private final String name;
    private final Kind kind;
    private final List<String> views;
    private final String detects;
    private final String why;
    private final String runbook;
    private final String context;
    private final Map<String, ParamDef<?>> params;
    private final List<ThresholdPair> pairs;

    private RuleDefinition(Builder b) {
        this.name = b.name;
        this.kind = b.kind;
        this.views = List.copyOf(b.views);
        this.detects = b.detects;
        this.why = b.why;
        this.runbook = b.runbook;
        this.context = b.context;
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(b.params));
        this.pairs = List.copyOf(b.pairs);
    }

    /** Starts an alert rule with its lifecycle defaults ({@code for}, {@code resolve_for}). */
    public static Builder alert(String name, String forDefault, String resolveForDefault) {
        Builder b = new Builder(name, Kind.ALERT);
        b.param(ENABLED);
        b.param(new ParamDef<>(FOR.name(), FOR.type(), DurationSyntax.parse(forDefault), false, FOR.doc()));
        b.param(new ParamDef<>(RESOLVE_FOR.name(), RESOLVE_FOR.type(), DurationSyntax.parse(resolveForDefault), false,
                RESOLVE_FOR.doc()));
        b.param(RENOTIFY);
        return b;
    }

    /** Starts an insight (INFO finding written to the insight table, never a page). */
    public static Builder insight(String name) {
        Builder b = new Builder(name, Kind.INSIGHT);
        b.param(new ParamDef<>(ENABLED.name(), ENABLED.type(), true, false, "turn the insight on or off"));
        b.param(REFRESH);
        return b;
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public List<String> views() {
        return views;
    }

    public String detects() {
        return detects;
    }

    public String why() {
        return why;
    }

    /** What the alert's structured context names (docs), or "" when the rule gives none. */
    public String context() {
        return context;
    }

    public String runbook() {
        return runbook;
    }

    public Map<String, ParamDef<?>> params() {
        return params;
    }

    public List<ThresholdPair> pairs() {
        return pairs;
    }

    /** Builder of a {@link RuleDefinition}. */
    public static final class Builder {
        private final String name;
        private final Kind kind;
        private final List<String> views = new ArrayList<>();
        private String detects = "";
        private String why = "";
        private String runbook = "";
        private String context = "";
        private final Map<String, ParamDef<?>> params = new LinkedHashMap<>();
        private final List<ThresholdPair> pairs = new ArrayList<>();

        private Builder(String name, Kind kind) {
            this.name = name;
            this.kind = kind;
        }

        public Builder views(String... v) {
            views.addAll(List.of(v));
            return this;
        }

        public Builder detects(String text) {
            this.detects = text;
            return this;
        }

        public Builder why(String text) {
            this.why = text;
            return this;
        }

        /** Documents what the rule puts in the alert's context. */
        public Builder context(String text) {
            this.context = text;
            return this;
        }

        public Builder runbook(String text) {
            this.runbook = text;
            return this;
        }

        public Builder param(ParamDef<?> p) {
            if (params.put(p.name(), p) != null) {
                throw new IllegalArgumentException("duplicate parameter " + p.name() + " in rule " + name);
            }
            return this;
        }

        public Builder pair(ParamDef<Double> warning, ParamDef<Double> critical, Direction direction) {
            pairs.add(new ThresholdPair(warning.name(), critical.name(), direction));
            return this;
        }

        public RuleDefinition build() {
            return new RuleDefinition(this);
        }
    }
}
