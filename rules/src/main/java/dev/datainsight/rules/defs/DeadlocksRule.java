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
 * any deadlock happened in the last 5 min (more than {@code warning} = 0), critical above 5 per
 * minute (measured over the last minute).
 *
 * <p>Why: every deadlock aborts a transaction; awesome-prometheus-alerts fires on any increase,
 * pgmonitor on a rate. The 5-minute window keeps the alert open for a while after the last
 * deadlock so a burst is one alert, not one per deadlock. Counter resets (value drops,
 * stats_reset changes) restart the window.
 */
public final class DeadlocksRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "5m", "window for the warning count");
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 0.0,
            "deadlocks in the window above which to warn");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 5.0,
            "deadlocks per minute above which it is critical");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "deadlocks";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "0s")
                .views("pg_stat_database")
                .detects("Deadlocks detected by the server (transactions aborted).")
                .why("awesome-prometheus-alerts fires on any increase; > 5/min is a systematic lock-order bug. The "
                        + "5 min window turns a burst into one alert.")
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
            double lastMinute = Window.deltaSince(m, 1, 0, ctx.now() - 60_000);
            long span = Window.spanSince(m, ctx.now() - 60_000);
            double perMinute = span >= 60_000 ? lastMinute * 60_000.0 / span : lastMinute;
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            Severity level = c != null && perMinute > c ? Severity.CRITICAL
                    : w != null && inWindow > w ? Severity.WARNING : null;
            ctx.alert(p, labels, level, level == Severity.CRITICAL ? perMinute : inWindow, w, c,
                    Fmt.num(inWindow) + " deadlock(s) in database " + db + " in the last "
                            + Fmt.duration(window) + " (" + Fmt.num(perMinute)
                            + " in the last minute)",
                    "Deadlocks abort one of the transactions involved; the server log names both statements.");
        }
    }
}
