package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.Memory;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import dev.datainsight.rules.engine.Window;
import java.time.Duration;
import java.util.Map;

/**
 * <b>deadlocks</b> (per database): the {@code pg_stat_database.deadlocks} counter. Warning when
 * the rate over the last 5 min is above 1 per minute (more than 5 deadlocks in 5 min: sustained,
 * not one), critical above 5 per minute measured over the last minute.
 *
 * <p>Why: every deadlock aborts a transaction, which the application retries; a single one is
 * not worth a page. awesome-prometheus-alerts' {@code PostgresqlDeadLocks} warns on more than 5
 * in a minute ({@code increase(pg_stat_database_deadlocks[1m]) > 5}); here a steady rate above
 * 1/min over 5 min (a lock-order bug in a code path that keeps running) warns and the anchor's
 * 5/min is critical. The rate over the window is deltas / max(span, window), so the first
 * deadlock after a start is not a rate of one per interval. Counter resets (value drops,
 * stats_reset changes) restart the window.
 */
public final class DeadlocksRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "5m", "window of the warning rate");
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 1.0,
            "deadlocks per minute, averaged over the window, above which to warn");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 5.0,
            "deadlocks per minute above which it is critical");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "deadlocks";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "0s")
                .views("pg_stat_database")
                .detects("Deadlocks at a sustained rate (transactions aborted again and again), not a single one.")
                .why("A single deadlock is one retried transaction, not a page. awesome-prometheus-alerts' "
                        + "PostgresqlDeadLocks warns on more than 5 in a minute (increase over 1m > 5); here more than "
                        + "1/min sustained over 5 min (a lock-order bug in a path that keeps running) warns and more "
                        + "than 5/min over the last minute is critical.")
                .runbook("The server log has both statements of each deadlock (log_lock_waits helps); make the "
                        + "application take row locks in a consistent order.")
                .param(WINDOW)
                .param(WARNING)
                .param(CRITICAL)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            String db = Rows.label(row, "datname");
            Double d = Rows.val(row, "deadlocks");
            if (db.isEmpty() || d == null) {
                continue;
            }
            Map<String, String> labels = Rows.pick(row, "datname");
            Params p = ctx.params(row.getLabels());
            long window = p.millis(WINDOW);
            Memory m = Window.add(ctx.memory(db), 1, ctx.now(), new Double[] {d}, true,
                    Rows.reset(row.getStatsReset()), window, 400, null);
            ctx.remember(db, m);
            if (Window.size(m) < 2) {
                continue;
            }
            double inWindow = Window.delta(m, 1, 0);
            double rate = inWindow * 60_000.0 / Math.max(Window.span(m), window);
            double lastMinute = Window.deltaSince(m, 1, 0, ctx.now() - 60_000);
            long span = Window.spanSince(m, ctx.now() - 60_000);
            double perMinute = span >= 60_000 ? lastMinute * 60_000.0 / span : lastMinute;
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            Severity level = c != null && perMinute > c ? Severity.CRITICAL
                    : w != null && rate > w ? Severity.WARNING : null;
            ctx.alert(p, labels, level, level == Severity.CRITICAL ? perMinute : rate, w, c,
                    Fmt.num(inWindow) + " deadlock(s) in database " + db + " in the last "
                            + Fmt.duration(window) + " (" + String.format(java.util.Locale.ROOT, "%.1f", rate)
                            + "/min; " + Fmt.num(perMinute) + " in the last minute)",
                    "Deadlocks abort one of the transactions involved; the server log names both statements.");
        }
    }
}
