package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.util.Map;

/**
 * <b>idle_in_transaction</b>: the oldest session sitting "idle in transaction"
 * ({@code pg_stat_activity.oldest_idle_in_transaction_seconds}, from state_change). Warning above
 * 5 min, critical above 15 min, {@code for} 0 because the value is already a duration.
 *
 * <p>Why: such a session holds its snapshot and locks, blocking vacuum and DDL; pgmonitor and
 * check_postgres warn in minutes. Leaving {@code for} at 0 keeps detection at threshold + one
 * collection interval instead of adding a second wait. The summary names the session (pid,
 * user@client, application, query id, last statement) from {@code pg_stat_activity_sessions}.
 */
public final class IdleInTransactionRule extends GaugeRule {
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 300.0,
            "seconds idle in transaction (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 900.0,
            "seconds idle in transaction (critical)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "idle_in_transaction";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "1m")
                .views("pg_stat_activity", "pg_stat_statements")
                .detects("A session idle inside an open transaction for too long (holds locks and the xmin horizon). Names "
                        + "the session and its last statement.")
                .why("pgmonitor / check_postgres warn after minutes; the value is already a duration, so `for` is 0.")
                .context("up to 5 `session` items: the sessions idle in transaction the collector listed, longest first, with their last statement and its normalised `statement_text` by query id.")
                .runbook("SELECT pid, usename, application_name, now()-state_change FROM pg_stat_activity WHERE state "
                        + "LIKE 'idle in transaction%'; fix the application or set idle_in_transaction_session_timeout.")
                .param(WARNING)
                .param(CRITICAL)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    protected Double value(SnapshotRow row) {
        Double v = Rows.val(row, "oldest_idle_in_transaction_seconds");
        return v == null ? 0.0 : v;
    }

    @Override
    protected Map<String, String> labels(SnapshotRow row) {
        return Map.of();
    }

    /**
     * Names the session from the detail of the same cycle: "pid 4242 (app@10.0.0.5, app x, idle in
     * transaction 6 min) has been idle in transaction for 6 min — last statement `…` (2 sessions …)".
     */
    @Override
    protected String summary(SnapshotRow row, double v, RuleContext ctx) {
        SnapshotRow who = Sessions.top(ctx, "idle_in_transaction", "state_age_seconds");
        if (who == null) {
            return summary(row, v);
        }
        String stmt = Sessions.statement(who);
        return Sessions.who(who) + " has been idle in transaction for " + Fmt.secs(v)
                + (stmt.isEmpty() ? "" : " — " + stmt) + " ("
                + Fmt.num(Rows.valOr(row, "connections_idle_in_transaction", 0)) + " sessions idle in transaction)";
    }

    /** The context: the sessions idle in transaction the collector listed, longest first (at most 5). */
    @Override
    protected dev.datainsight.model.AlertContext context(SnapshotRow row, double v, RuleContext ctx)
            throws Exception {
        java.util.List<SnapshotRow> idle = new java.util.ArrayList<>();
        for (SnapshotRow r : ctx.detail(Sessions.SESSIONS)) {
            if (Sessions.hasReason(r, "idle_in_transaction")) {
                idle.add(r);
            }
        }
        if (idle.isEmpty()) {
            return null;
        }
        idle.sort(java.util.Comparator.comparingDouble((SnapshotRow r) -> -Rows.valOr(r, "state_age_seconds", 0)));
        dev.datainsight.model.AlertContext c = dev.datainsight.model.AlertContext.create();
        for (SnapshotRow r : idle.subList(0, Math.min(5, idle.size()))) {
            Sessions.item(c, r, "idle in transaction", ctx);
        }
        return c;
    }

    @Override
    protected String summary(SnapshotRow row, double v) {
        return "A session has been idle in transaction for " + Fmt.secs(v) + " ("
                + Fmt.num(Rows.valOr(row, "connections_idle_in_transaction", 0)) + " sessions idle in transaction)";
    }
}
