package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalBytes;

import dev.datainsight.model.AlertContext;
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
import java.util.List;

/**
 * <b>temp_spill</b> (per database): temporary-file bytes written per minute, the rate of the
 * {@code pg_stat_database.temp_bytes} counter over the last minute. Warning above 100 MB/min for
 * 5 min (critical off by default).
 *
 * <p>The context names the top statements by {@code temp_blks_written} in the last
 * {@code statements_window} of pg_stat_statements ({@link TopStatements}); the summary quotes the
 * first.
 *
 * <p>Why: sorts and hashes that exceed work_mem spill to disk and get much slower; pgmonitor and
 * pganalyze flag sustained temp-file traffic. 5 min ignores a single nightly report.
 */
public final class TempSpillRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "1m", "window of the rate");
    public static final ParamDef<Double> WARNING = optionalBytes("warning", "100MB", "temp bytes per minute (warning)");
    public static final ParamDef<Double> CRITICAL = optionalBytes("critical", null, "temp bytes per minute (critical)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "temp_spill";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "5m", "5m")
                .views("pg_stat_database", "pg_stat_statements")
                .detects("Sustained temporary-file traffic: sorts and hashes spilling past work_mem.")
                .why("pgmonitor / pganalyze flag sustained temp bytes; 100 MB/min for 5 min ignores one-off reports.")
                .context("up to 3 `statement` items: the top statements of the database by temp_blks_written over "
                        + "`statements_window` (blocks and bytes at 8 kB per block), with their texts; the summary "
                        + "quotes the first.")
                .runbook("Find the spilling statements (pg_stat_statements temp_blks_written, log_temp_files); add "
                        + "indexes or raise work_mem for that role or query.")
                .param(WINDOW)
                .param(WARNING)
                .param(CRITICAL)
                .param(TopStatements.WINDOW)
                .param(dev.datainsight.rules.engine.QueryTexts.SUMMARY_CHARS)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if (TopStatements.isStatements(s)) {
            TopStatements.observe(s, ctx, "temp_blks_written");
            return;
        }
        for (SnapshotRow row : s.getRows()) {
            String db = Rows.label(row, "datname");
            Double b = Rows.val(row, "temp_bytes");
            if (db.isEmpty() || b == null) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            long window = p.millis(WINDOW);
            Memory m = Window.add(ctx.memory(db), 1, ctx.now(), new Double[] {b}, true,
                    Rows.reset(row.getStatsReset()), window, 400, null);
            ctx.remember(db, m);
            long span = Window.span(m);
            if (span <= 0) {
                continue;
            }
            double perMin = Window.delta(m, 1, 0) * 60_000.0 / span;
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            Severity level = c != null && perMin > c ? Severity.CRITICAL : w != null && perMin > w ? Severity.WARNING
                    : null;
            List<TopStatements.Entry> top = level == null ? List.of() : TopStatements.top(ctx, db);
            AlertContext context = null;
            if (level != null) {
                context = AlertContext.create();
                TopStatements.addTo(context, top, "temp_written", TempSpillRule::blocks,
                        Fmt.duration(p.millis(TopStatements.WINDOW)));
            }
            ctx.alert(p, Rows.pick(row, "datname"), level, perMin, w, c,
                    "Database " + db + " writes " + Fmt.bytes(perMin) + "/min of temporary files"
                            + TopStatements.mostBy(top, TempSpillRule::blocks,
                                    p.number(dev.datainsight.rules.engine.QueryTexts.SUMMARY_CHARS).intValue()),
                    "Queries spill sorts or hashes to disk because they exceed work_mem.", context);
        }
    }

    /** Blocks of 8 kB (the default block size) as blocks and bytes. */
    static String blocks(double b) {
        return Fmt.num(b) + " blocks (" + Fmt.bytes(b * 8192) + ")";
    }
}
