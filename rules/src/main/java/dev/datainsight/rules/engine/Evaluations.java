package dev.datainsight.rules.engine;

import dev.datainsight.rules.RulesConfig;
import dev.datainsight.rules.defs.RuleCatalog;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The part of an {@link Evaluation} the engine fills in for every rule: identity (rule, instance,
 * labels, fingerprint), event time, the lifecycle settings of the effective parameters and the
 * runbook. Shared by the rule passes ({@link RulePass}) and the silence detector
 * ({@link SilenceDetector}), so both send evaluations the lifecycle treats alike.
 */
final class Evaluations {
    private Evaluations() {}

    /** An evaluation of {@code rule} for one series, condition false ({@code level} null) until set. */
    static Evaluation base(RulesConfig config, String rule, String instance, Map<String, String> labels, Params p,
            long at) {
        Evaluation e = new Evaluation();
        e.rule = rule;
        e.instance = instance;
        e.labels = new LinkedHashMap<>(labels);
        e.fingerprint = Fingerprint.of(rule, instance, labels);
        e.at = at;
        e.forMs = p.millis(RuleDefinition.FOR);
        e.resolveForMs = p.millis(RuleDefinition.RESOLVE_FOR);
        e.renotifyMs = p.millis(RuleDefinition.RENOTIFY);
        e.staleAfterMs = Math.max(config.staleAfterMs(), e.resolveForMs + 1);
        e.runbook = RuleCatalog.byName().get(rule).definition().runbook();
        return e;
    }
}
