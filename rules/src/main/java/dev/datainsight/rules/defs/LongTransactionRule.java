package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.util.Map;

/**
 * <b>long_transaction</b>: the oldest open transaction of a client backend
 * ({@code pg_stat_activity.oldest_xact_age_seconds}, from xact_start; autovacuum workers are
 * reported separately in {@code oldest_autovacuum_xact_age_seconds} and excluded). Warning above
 * 5 min, critical above 30 min.
 *
 * <p>Why: long transactions hold back the xmin horizon so vacuum cannot remove dead rows, and
 * hold locks; pgmonitor and pganalyze flag minutes-long transactions. {@code for} is 0 because the
 * value is already a duration. The summary names the session (pid, user@client, application,
 * state, query id, last statement) from {@code pg_stat_activity_sessions} of the same cycle.
 */
public final class LongTransactionRule extends GaugeRule {
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 300.0,
            "seconds since xact_start (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 1800.0,
            "seconds since xact_start (critical)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "long_transaction";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "1m")
                .views("pg_stat_activity", "pg_stat_statements")
                .detects("The oldest non-autovacuum transaction has been open too long (holds back vacuum, holds locks). "
                        + "Names the session and its last statement.")
                .why("pgmonitor / pganalyze flag transactions open for minutes; the value is already a duration, so "
                        + "`for` is 0.")
                .context("one `session` item: the session of the oldest transaction (who, state, ages, backend_xmin age, statement text, normalised `statement_text` by query id).")
                .runbook("SELECT pid, usename, now()-xact_start, state, query FROM pg_stat_activity ORDER BY xact_start "
                        + "LIMIT 5; end it with pg_cancel_backend / pg_terminate_backend if it is stuck.")
                .param(WARNING)
                .param(CRITICAL)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    protected Double value(SnapshotRow row) {
        Double v = Rows.val(row, "oldest_xact_age_seconds");
        return v == null ? 0.0 : v;
    }

    @Override
    protected Map<String, String> labels(SnapshotRow row) {
        return Map.of();
    }

    @Override
    protected String summary(SnapshotRow row, double v) {
        return "The oldest transaction has been open for " + Fmt.secs(v);
    }

    /** Names the session from the detail of the same cycle: "…: pid 4242 (app@10.0.0.5, …) — last statement `…`". */
    @Override
    protected String summary(SnapshotRow row, double v, RuleContext ctx) {
        SnapshotRow who = Sessions.top(ctx, "oldest_xact", "xact_age_seconds");
        if (who == null) {
            return summary(row, v);
        }
        String stmt = Sessions.statement(who);
        return summary(row, v) + ": " + Sessions.who(who) + (stmt.isEmpty() ? "" : " — " + stmt);
    }

    /** The context: the oldest transaction's session. */
    @Override
    protected dev.datainsight.model.AlertContext context(SnapshotRow row, double v, RuleContext ctx)
            throws Exception {
        SnapshotRow who = Sessions.top(ctx, "oldest_xact", "xact_age_seconds");
        if (who == null) {
            return null;
        }
        dev.datainsight.model.AlertContext c = dev.datainsight.model.AlertContext.create();
        Sessions.item(c, who, "oldest transaction", ctx);
        return c;
    }

    @Override
    protected String description(SnapshotRow row, double v, RuleContext ctx) {
        SnapshotRow who = Sessions.top(ctx, "oldest_xact", "xact_age_seconds");
        if (who == null) {
            return description(row, v);
        }
        Double xmin = Rows.val(who, "backend_xmin_age");
        return definition().detects() + " Oldest: " + Sessions.who(who) + " in database "
                + Sessions.text(Rows.label(who, "datname"), Sessions.NAME_CHARS)
                + (xmin == null ? "" : ", holding the xmin horizon " + Fmt.num(xmin) + " transactions back") + ".";
    }
}
