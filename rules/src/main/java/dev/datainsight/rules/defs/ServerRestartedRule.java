package dev.datainsight.rules.defs;

import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.Memory;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * <b>server_restarted</b> (per instance, warning): {@code server_start_epoch} of the
 * {@code pg_settings} row changed (pg_postmaster_start_time() moved: the server restarted, or a
 * failover put another one behind the address). The condition holds for 30 min after the change
 * seen, then resolves by itself.
 *
 * <p>Why: an unplanned restart (crash recovery, OOM kill of the postmaster's child followed by a
 * reinitialisation, a failover) is worth knowing even when the server came back before
 * instance_down fired; awesome-prometheus-alerts' PostgresqlRestarted pages (critical) on
 * {@code time() - pg_postmaster_start_time_seconds < 60} for the same reason (the
 * postgres_exporter mixin has no restart alert). The first value seen is a
 * baseline, so a job start does not announce every server. 30 min keeps it visible long enough to
 * be seen without lingering. The severity is configurable ({@code severity: info}).
 */
public final class ServerRestartedRule extends Rule {
    public static final ParamDef<Duration> HOLD = ParamDef.duration("hold", "30m",
            "how long the condition holds after the start time changed");
    public static final ParamDef<Severity> SEVERITY = ParamDef.severity("severity", Severity.WARNING,
            "severity of the alert (info or warning)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "server_restarted";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "0s")
                .views("pg_settings")
                .detects("The server restarted (or failed over): its start time changed.")
                .why("A restart that came back before instance_down fired still loses sessions and caches; awesome-"
                        + "prometheus-alerts pages on a start time under 60 s old. Baseline on the first value; held 30 min.")
                .runbook("Read the server log around the start time: crash (signal, OOM), planned restart or "
                        + "failover; check the collector's other alerts of the same minutes.")
                .param(HOLD)
                .param(SEVERITY)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            Double start = Rows.val(row, "server_start_epoch");
            if (start == null) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            // v[0] = the start epoch seen last; t[0] = when a change was seen (MIN_VALUE: none).
            Memory m = ctx.memory("");
            if (m == null || m.v.length < 1) {
                m = Memory.of(new long[] {Long.MIN_VALUE}, new double[] {start});
            } else if (m.v[0] != start) {
                m = Memory.of(new long[] {ctx.now()}, new double[] {start});
            }
            ctx.remember("", m);
            boolean holds = m.t[0] != Long.MIN_VALUE && ctx.now() - m.t[0] < p.millis(HOLD);
            Severity sev = p.get(SEVERITY);
            String when = Instant.ofEpochSecond((long) (double) start).toString();
            String summary = holds ? "The server restarted: it has been up since " + when
                    : "The server is up since " + when;
            String desc = "pg_postmaster_start_time() changed: a restart, a crash recovery or a failover.";
            if (sev == Severity.INFO) {
                ctx.info(p, Map.of(), holds, start, null, summary, desc);
            } else {
                ctx.alert(p, Map.of(), holds ? sev : null, start, null, null, summary, desc);
            }
        }
    }
}
