package dev.datainsight.rules.defs;

import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.RuleContext;

/**
 * Replica awareness: a rule whose condition is the primary's (transaction-id age, database size,
 * checkpoints driven by the primary's writes) or misleading on a standby (the cache hit ratio of
 * a reporting replica) does not evaluate on an instance in recovery, so one condition pages once,
 * not once per standby. The role comes from the collector's health snapshot
 * ({@link RuleContext#standby()}); while it is unknown the rule evaluates.
 */
final class Standbys {
    /** Each replica-aware rule's switch: evaluate on standbys too. */
    static final ParamDef<Boolean> ON_STANDBYS = ParamDef.bool("on_standbys", false,
            "also evaluate on standbys (in recovery); off by default: the condition is the primary's and pages there once");

    private Standbys() {}

    /** Whether the rule skips this row: the instance is a standby and {@code on_standbys} is off. */
    static boolean skip(RuleContext ctx, Params p) {
        return ctx.standby() && !p.bool(ON_STANDBYS);
    }
}
