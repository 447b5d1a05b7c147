package dev.datainsight.rules.defs;

import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import java.util.Map;

/**
 * Base of rules that compare one gauge per row with {@code warning} / {@code critical} thresholds
 * (higher is worse). Subclasses say which value and which labels, and how to say it.
 */
abstract class GaugeRule extends Rule {
    /** Lookup key of the warning level every gauge rule declares (with its own default). */
    public static final ParamDef<Double> WARNING = ParamDef.optionalNumber("warning", null, "warning level");
    /** Lookup key of the critical level every gauge rule declares (with its own default). */
    public static final ParamDef<Double> CRITICAL = ParamDef.optionalNumber("critical", null, "critical level");

    private static final long serialVersionUID = 1L;

    /** The value to compare for a row, or null to skip the row. */
    protected abstract Double value(SnapshotRow row);

    /** Labels that identify the alert (part of the fingerprint). */
    protected abstract Map<String, String> labels(SnapshotRow row);

    protected abstract String summary(SnapshotRow row, double value);

    protected String description(SnapshotRow row, double value) {
        return definition().detects();
    }

    /** The summary with the session detail of the cycle at hand (default: {@link #summary(SnapshotRow, double)}). */
    protected String summary(SnapshotRow row, double value, RuleContext ctx) {
        return summary(row, value);
    }

    /** The description with the session detail at hand (default: {@link #description(SnapshotRow, double)}). */
    protected String description(SnapshotRow row, double value, RuleContext ctx) {
        return description(row, value);
    }

    /**
     * The structured context of a holding alert (who, what), from the detail of the cycle at hand;
     * default none. Only called when the condition holds.
     */
    protected dev.datainsight.model.AlertContext context(SnapshotRow row, double value, RuleContext ctx)
            throws Exception {
        return null;
    }

    /** Whether the rule declares {@link Standbys#ON_STANDBYS} and skips standbys by it (default no). */
    protected boolean replicaAware() {
        return false;
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if ("pg_stat_statements".equals(s.getView())) {
            // A rule that reads statements only learns their texts for its context (QueryTexts).
            dev.datainsight.rules.engine.QueryTexts.learn(s, ctx);
            return;
        }
        for (SnapshotRow row : s.getRows()) {
            Double v = value(row);
            if (v == null) {
                continue;
            }
            Map<String, String> labels = labels(row);
            Params p = ctx.params(row.getLabels());
            if (replicaAware() && Standbys.skip(ctx, p)) {
                continue;
            }
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            Severity level = c != null && v > c ? Severity.CRITICAL : w != null && v > w ? Severity.WARNING : null;
            ctx.alert(p, labels, level, v, w, c, summary(row, v, ctx), description(row, v, ctx),
                    level == null ? null : context(row, v, ctx));
        }
    }
}
