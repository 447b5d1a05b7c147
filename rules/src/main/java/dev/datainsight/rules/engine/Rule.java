package dev.datainsight.rules.engine;

import dev.datainsight.model.Snapshot;
import java.io.Serializable;

/**
 * A rule: a definition (name, views, parameters, docs) and an evaluation of one snapshot of a view
 * it reads, for one instance. Rules keep what they need across snapshots in {@link Memory} through
 * the {@link RuleContext} (keyed state of the instance) and report each series' condition with
 * {@link RuleContext#alert}; the lifecycle (for, resolve_for, escalation, re-notify) is not theirs.
 */
public abstract class Rule implements Serializable {
    private static final long serialVersionUID = 1L;

    private transient RuleDefinition definition;

    /** Builds the definition; called once per instance of the rule. */
    protected abstract RuleDefinition define();

    public final RuleDefinition definition() {
        if (definition == null) {
            definition = define();
        }
        return definition;
    }

    public final String name() {
        return definition().name();
    }

    /** Whether the rule reads this view. */
    public boolean reads(String view) {
        return definition().views().contains(view);
    }

    /** Evaluates one snapshot of a view this rule reads. */
    public abstract void evaluate(Snapshot snapshot, RuleContext ctx) throws Exception;
}
