package dev.datainsight.rules.defs;

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
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * <b>rollback_ratio</b> (insight, per database): {@code Δxact_rollback / (Δxact_commit +
 * Δxact_rollback)} of {@code pg_stat_database} over the last hour above 10 %, with at least 1,000
 * transactions in that hour.
 *
 * <p>Why: pgmonitor and pgHero flag a rollback ratio above ~10 %: usually an application retrying
 * on errors or using exceptions for control flow. A finding, not a page.
 */
public final class RollbackRatioInsight extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "1h", "window of the ratio");
    public static final ParamDef<Double> THRESHOLD = ParamDef.number("threshold", 0.10, "rollback share");
    public static final ParamDef<Double> MIN_TRANSACTIONS = ParamDef.number("min_transactions", 1000.0,
            "transactions in the window below which it is not reported");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "rollback_ratio";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.insight(NAME)
                .views("pg_stat_database")
                .detects("Databases where a large share of transactions roll back.")
                .why("pgmonitor / pgHero flag > 10% rollbacks: error retries or exceptions as control flow.")
                .runbook("Look at the server log for the errors behind the rollbacks and at the application's retry logic.")
                .param(WINDOW)
                .param(THRESHOLD)
                .param(MIN_TRANSACTIONS)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            String db = Rows.label(row, "datname");
            Double c = Rows.val(row, "xact_commit");
            Double r = Rows.val(row, "xact_rollback");
            if (db.isEmpty() || c == null || r == null) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            long window = p.millis(WINDOW);
            Memory m = Window.add(ctx.memory(db), 2, ctx.now(), new Double[] {c, r}, true,
                    Rows.reset(row.getStatsReset()), window, 400, null);
            Memory last = ctx.memory("last" + db);
            ctx.remember(db, m);
            double dc = Window.delta(m, 2, 0);
            double dr = Window.delta(m, 2, 1);
            double ratio = dc + dr > 0 ? dr / (dc + dr) : 0;
            if (!p.enabled() || dc + dr < p.number(MIN_TRANSACTIONS) || ratio <= p.number(THRESHOLD)
                    || (last != null && ctx.now() - last.mark < p.millis(RuleDefinition.REFRESH))) {
                continue;
            }
            Memory mark = new Memory();
            mark.mark = ctx.now();
            mark.touched = ctx.now();
            ctx.remember("last" + db, mark);
            Map<String, Object> ev = new LinkedHashMap<>();
            ev.put("datname", db);
            ev.put("rollback_ratio", ratio);
            ev.put("commits", dc);
            ev.put("rollbacks", dr);
            ctx.insight(NAME, db, "info", Fmt.pct(ratio) + " of " + Fmt.num(dc + dr) + " transactions in database " + db
                    + " rolled back in the last " + Fmt.duration(window), Fmt.json(ev));
        }
    }
}
