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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * <b>recovery_conflicts</b> (per database, standbys): the sum of the {@code confl_*} counters of
 * {@code pg_stat_database_conflicts} (queries a standby cancelled to let WAL replay go on) rising
 * by more than 5 within a 10 min bucket warns (tumbling buckets, the current one and the one
 * before: {@link Buckets}); no critical by default.
 *
 * <p>Why: on a standby, a query that conflicts with replay (rows vacuumed on the primary, an
 * ACCESS EXCLUSIVE lock, a pinned buffer) waits max_standby_streaming_delay and is then
 * cancelled. One now and then is the price of a standby that keeps up; a steady stream means the
 * standby serves queries it cannot keep (reports against a busy primary) and the settings
 * (hot_standby_feedback, the delays) do not fit. The counters are zero on a primary, so the rule
 * is quiet there without a role check. The summary names the kinds counted so far.
 */
public final class RecoveryConflictsRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "10m", "bucket of the count");
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 5.0,
            "queries cancelled by recovery conflicts within a bucket above which to warn");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", null,
            "queries cancelled within a bucket above which it is critical (off by default)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "recovery_conflicts";
    private static final String[] KINDS = {"confl_snapshot", "confl_lock", "confl_bufferpin", "confl_deadlock",
        "confl_tablespace", "confl_active_logicalslot"};

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "0s")
                .views("pg_stat_database_conflicts")
                .detects("Queries on a standby cancelled again and again by conflicts with WAL replay.")
                .why("One cancelled query now and then is the price of a standby that keeps up; more than 5 in "
                        + "10 min means its workload and hot_standby_feedback / max_standby_streaming_delay do not "
                        + "fit. Zero on primaries, so no role check.")
                .runbook("confl_snapshot: enable hot_standby_feedback (costs bloat on the primary) or raise "
                        + "max_standby_streaming_delay (costs replay lag); confl_lock: find the primary's ACCESS "
                        + "EXCLUSIVE locks (DDL, VACUUM truncation); or move the long queries elsewhere.")
                .param(WINDOW)
                .param(WARNING)
                .param(CRITICAL)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            String db = Rows.label(row, "datname");
            double total = 0;
            boolean any = false;
            List<String> kinds = new ArrayList<>();
            for (String k : KINDS) {
                Double v = Rows.val(row, k);
                if (v != null) {
                    any = true;
                    total += v;
                    if (v > 0) {
                        kinds.add(k.substring("confl_".length()) + " " + Fmt.num(v));
                    }
                }
            }
            if (!any) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            long window = p.millis(WINDOW);
            Memory m = Buckets.see(ctx.memory(db), total, ctx.now(), Rows.reset(row.getStatsReset()), window);
            ctx.remember(db, m);
            double recent = Buckets.recent(m);
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            Severity level = c != null && recent > c ? Severity.CRITICAL : w != null && recent > w ? Severity.WARNING : null;
            ctx.alert(p, Rows.pick(row, "datname"), level, recent, w, c,
                    Fmt.num(recent) + " quer(ies) in database " + db + " cancelled by recovery conflicts within "
                            + Fmt.duration(window) + (kinds.isEmpty() ? "" : " (so far: " + String.join(", ", kinds) + ")"),
                    "The standby cancels queries that conflict with WAL replay.");
        }
    }
}
