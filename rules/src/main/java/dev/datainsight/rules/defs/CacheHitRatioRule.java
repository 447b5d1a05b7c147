package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

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

/**
 * <b>cache_hit_ratio</b> (per database): buffer cache hit ratio over the last 5 min,
 * {@code Δblks_hit / (Δblks_hit + Δblks_read)} of the {@code pg_stat_database} counters, only when
 * at least 100,000 blocks (≈ 800 MB of 8 kB blocks) were read from outside shared buffers in that
 * window. Warning below 0.90, for 5 min; no critical by default ({@code critical} can set one).
 * Not evaluated on standbys ({@code on_standbys}, see {@link Standbys}).
 *
 * <p>The context names the top statements by {@code shared_blks_read} in the last
 * {@code statements_window} of pg_stat_statements ({@link TopStatements}); the summary quotes the
 * first.
 *
 * <p>Why: pgmonitor and awesome-prometheus-alerts use 0.90 (OLTP working sets should fit in
 * memory); computing it on deltas (not since stats reset) reacts to today's traffic. A low ratio
 * is a tuning hint, not an outage: a sequential scan of a large table or a reporting query drives
 * it down while the server is fine, so it warns only, and only with enough reads to matter
 * (100,000 blocks in 5 min, ≈ 2.7 MB/s from the OS cache or disk). A reporting replica scans by
 * design, so standbys are skipped.
 */
public final class CacheHitRatioRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "5m", "window of the ratio");
    public static final ParamDef<Double> MIN_BLOCKS_READ = ParamDef.number("min_blocks_read", 100000.0,
            "blocks read in the window below which the rule stays silent");
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 0.90, "hit ratio below which to warn");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", null,
            "hit ratio below which it is critical (off by default: a low ratio is a tuning hint)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "cache_hit_ratio";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "5m", "5m")
                .views("pg_stat_database", "pg_stat_statements")
                .detects("Low buffer cache hit ratio with enough reads to matter (working set no longer fits).")
                .why("pgmonitor / awesome-prometheus-alerts use 0.90; deltas over 5 min reflect current traffic. A low "
                        + "ratio is a tuning hint (a large sequential scan or a report drives it down), so it warns only, "
                        + "with at least 100,000 blocks read (about 800 MB in 5 min); reporting replicas scan by design, "
                        + "so standbys are skipped (`on_standbys`).")
                .context("up to 3 `statement` items: the top statements of the database by shared_blks_read over "
                        + "`statements_window`, with their texts; the summary quotes the first.")
                .runbook("Look for new sequential scans (pg_stat_user_tables.seq_scan deltas, slow_query alerts), "
                        + "missing indexes, or a working set that outgrew shared_buffers / RAM.")
                .param(WINDOW)
                .param(MIN_BLOCKS_READ)
                .param(WARNING)
                .param(CRITICAL)
                .param(Standbys.ON_STANDBYS)
                .param(TopStatements.WINDOW)
                .param(dev.datainsight.rules.engine.QueryTexts.SUMMARY_CHARS)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.BELOW)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if (TopStatements.isStatements(s)) {
            TopStatements.observe(s, ctx, "shared_blks_read");
            return;
        }
        for (SnapshotRow row : s.getRows()) {
            String db = Rows.label(row, "datname");
            Double hit = Rows.val(row, "blks_hit");
            Double read = Rows.val(row, "blks_read");
            if (db.isEmpty() || hit == null || read == null) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            if (Standbys.skip(ctx, p)) {
                continue;
            }
            long window = p.millis(WINDOW);
            Memory m = Window.add(ctx.memory(db), 2, ctx.now(), new Double[] {hit, read}, true,
                    Rows.reset(row.getStatsReset()), window, 400, null);
            ctx.remember(db, m);
            if (Window.span(m) < window / 2) {
                continue;
            }
            double dh = Window.delta(m, 2, 0);
            double dr = Window.delta(m, 2, 1);
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            double ratio = dh + dr > 0 ? dh / (dh + dr) : 1.0;
            boolean enough = dr >= p.number(MIN_BLOCKS_READ);
            Severity level = !enough ? null : c != null && ratio < c ? Severity.CRITICAL
                    : w != null && ratio < w ? Severity.WARNING : null;
            java.util.List<TopStatements.Entry> top = level == null ? java.util.List.of() : TopStatements.top(ctx, db);
            AlertContext context = null;
            if (level != null) {
                context = AlertContext.create();
                TopStatements.addTo(context, top, "blocks_read", v -> Fmt.num(v) + " blocks",
                        Fmt.duration(p.millis(TopStatements.WINDOW)));
            }
            ctx.alert(p, Rows.pick(row, "datname"), level, ratio, w, c,
                    "Cache hit ratio of database " + db + " is " + Fmt.pct(ratio) + " over the last "
                            + Fmt.duration(window) + " (" + Fmt.num(dr)
                            + " blocks read, " + Fmt.num(dh) + " hits)"
                            + TopStatements.mostBy(top, v -> Fmt.num(v) + " blocks read",
                                    p.number(dev.datainsight.rules.engine.QueryTexts.SUMMARY_CHARS).intValue()),
                    "Reads are missing shared buffers; queries go to the OS cache or disk.", context);
        }
    }
}
