package dev.datainsight.rules.defs;

import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.util.Map;

/**
 * <b>instance_down</b>: the collector reports {@code up = 0} for the server (row {@code probe = ""}
 * of the {@code datainsight_collector} health view) for 1 min: critical.
 *
 * <p>Why: the classic {@code PostgresqlDown} rule of awesome-prometheus-alerts / the
 * postgres_exporter mixin ({@code pg_up == 0 for 1m}); one minute skips a single failed poll
 * during a restart or failover. {@code resolve_for} 2 min: with 0 a single successful poll
 * between failures resolved the alert and the next failures paged again (flapping).
 *
 * <p>While the server row says up = 0, the evaluator holds the instance's other firing alerts
 * ({@code hold_others}, {@link dev.datainsight.rules.engine.Evaluation#hold}): its rules get no
 * data, and without the hold those alerts resolved "as stale" after {@code stale_after} although
 * nothing said they cleared. They are evaluated again when the instance is back.
 */
public final class InstanceDownRule extends Rule {
    public static final ParamDef<Severity> SEVERITY = ParamDef.severity("severity", Severity.CRITICAL,
            "severity of the alert");

    public static final ParamDef<Boolean> HOLD_OTHERS = ParamDef.bool("hold_others", true,
            "while the instance is down (up = 0), keep its other firing alerts as they are instead of resolving them as stale");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "instance_down";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "1m", "2m")
                .views(MetricCatalog.COLLECTOR_VIEW)
                .detects("The collector cannot connect to or query the server (up = 0).")
                .why("awesome-prometheus-alerts / postgres_exporter mixin: pg_up == 0 for 1m; a minute skips one "
                        + "failed poll during a restart. resolve_for 2m: one successful poll between failures (a "
                        + "server crash-looping, a flaky network) does not resolve and re-page. While it is down "
                        + "the instance's other alerts are held, not resolved as stale: nothing says they cleared.")
                .runbook("Check the server is running and accepting connections (pg_isready), the collector's log "
                        + "for the connection error, network and pg_hba.conf.")
                .param(SEVERITY)
                .param(HOLD_OTHERS)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            if (!Rows.label(row, "probe").isEmpty()) {
                continue;
            }
            Double up = Rows.val(row, "up");
            if (up == null) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            Severity sev = p.severity(SEVERITY);
            boolean down = up < 0.5;
            ctx.alert(p, Map.of(), down ? sev : null, up, sev == Severity.WARNING ? 0.0 : null,
                    sev == Severity.CRITICAL ? 0.0 : null,
                    down ? "Collector cannot reach " + ctx.instance() + " (up = 0)" : ctx.instance() + " is up again",
                    "The collector's health view reports the server as down: connection or query failures on every "
                            + "probe.");
        }
    }
}
