package dev.datainsight.rules.defs;

import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.Memory;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.PipelineHealthFunction;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import dev.datainsight.rules.engine.Window;
import java.time.Duration;
import java.util.Map;

/**
 * <b>pipeline_restarting</b>: the DataInsight job itself restarted more than {@code max_restarts}
 * (3) times within {@code window} (15 min): critical. Reads the job's self-health row
 * ({@link PipelineHealthFunction}: the task attempt number, i.e. restarts since submission).
 *
 * <p>Why: one or two restarts are what a broker or store blip costs and heal themselves; a crash
 * loop under Flink's default exponential back-off (1 s growing to at most 1 min) restarts well over
 * 10 times in its first 15 minutes and then every minute, while no rollup is written. More than 3 in 15
 * minutes separates the two within a few minutes of the loop starting; the window keeps one loop
 * one alert.
 */
public final class PipelineRestartingRule extends Rule {
    public static final ParamDef<Severity> SEVERITY = ParamDef.severity("severity", Severity.CRITICAL,
            "severity of the alert");
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "15m",
            "window over which restarts are counted");
    public static final ParamDef<Double> MAX_RESTARTS = ParamDef.number("max_restarts", 3.0,
            "restarts in the window above which it fires");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "pipeline_restarting";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "0s")
                .views(PipelineHealthFunction.VIEW)
                .detects("The DataInsight job restarts over and over (crash loop): rollups and alerts stall.")
                .why("A broker or store blip costs one or two restarts; a crash loop under Flink's default back-off "
                        + "restarts well over 10 times in 15 min. More than 3 in 15 min tells them apart; the window keeps one "
                        + "loop one alert.")
                .runbook("Read the failure cause: Flink's GET /jobs/<id>/exceptions (web UI: Exceptions tab) or the "
                        + "TaskManager log; docs/troubleshooting.md lists the usual ones (store or Kafka unreachable, "
                        + "a bug: see the internal_error dead letters).")
                .param(SEVERITY)
                .param(WINDOW)
                .param(MAX_RESTARTS)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            Double restarts = Rows.val(row, "restarts");
            if (restarts == null) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            long window = p.millis(WINDOW);
            // A counter: a fresh submission starts again at 0, which the window takes as a reset.
            Memory m = Window.add(ctx.memory("restarts"), 1, ctx.now(), new Double[] {restarts}, true, 0L, window,
                    400, null);
            ctx.remember("restarts", m);
            double inWindow = Window.size(m) < 2 ? 0 : Window.delta(m, 1, 0);
            double max = p.number(MAX_RESTARTS);
            Severity sev = p.get(SEVERITY);
            Severity level = inWindow > max ? sev : null;
            ctx.alert(p, Map.of(), level, inWindow, sev == Severity.WARNING ? max : null,
                    sev == Severity.CRITICAL ? max : null,
                    "The DataInsight job restarted " + Fmt.num(inWindow) + " time(s) in the last "
                            + Fmt.duration(window) + " (" + Fmt.num(restarts) + " since it was submitted)",
                    "The job fails and Flink restarts it from the last checkpoint; while it loops, no rollup is "
                            + "written and alerts since that checkpoint are replayed.");
        }
    }
}
