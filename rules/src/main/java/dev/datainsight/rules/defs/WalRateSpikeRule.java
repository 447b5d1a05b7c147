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
import dev.datainsight.rules.engine.QueryTexts;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import dev.datainsight.rules.engine.Window;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * <b>wal_rate_spike</b> (per instance): the WAL write rate ({@code pg_stat_wal.wal_bytes},
 * PostgreSQL 14+) over the last 10 min against the instance's own baseline, an EWMA of that rate
 * with a 24 h half-life (the level of the last day): warning above 4×, critical above 10×, never below an absolute floor of
 * 5 MB/s, and only after 2 h of history. For 5 min.
 *
 * <p>The baseline is fed the rate clipped at the warning level (warning × baseline), so a spike
 * does not learn itself into its own baseline and resolve while it goes on; a lasting new level
 * is still learnt, over hours (a lasting 5× step resolves after about 2.6 h). The baseline has no
 * daily season: a nightly batch at 10× the day's rate pages every night unless its instance gets
 * a higher {@code warning} or {@code min_rate} by an override. A stats reset of the view
 * restarts the window, not the baseline.
 *
 * <p>Why: WAL volume is what fills pg_wal, the archive and the standbys' network, and what drives
 * checkpoints; a sudden multiple of the usual volume is a runaway batch, a full-page-write storm
 * after a checkpoint setting change, or an index rebuild, and it is visible here before
 * checkpoint_spike's requested checkpoints or the disk alerts. A ratio alone pages on quiet
 * servers (10 kB/s to 100 kB/s is ×10 of nothing), hence the floor: 5 MB/s is 18 GB/h of WAL, a
 * volume a small disk or an archive link feels. The context names the statements that wrote the
 * most WAL over the window. Replica-aware ({@code on_standbys}): a standby writes no WAL of its own.
 */
public final class WalRateSpikeRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "10m",
            "window of the WAL rate");
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 4.0,
            "WAL rate above this many times its baseline (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 10.0,
            "WAL rate above this many times its baseline (critical)");
    public static final ParamDef<Double> MIN_RATE = ParamDef.bytes("min_rate", "5MB",
            "WAL per second below which the rule stays silent, whatever the ratio");
    public static final ParamDef<Duration> BASELINE_HALF_LIFE = ParamDef.duration("baseline_half_life", "24h",
            "half-life of the rate baseline (EWMA)");
    public static final ParamDef<Duration> BASELINE_WARMUP = ParamDef.duration("baseline_warmup", "2h",
            "history needed before the rule can fire");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "wal_rate_spike";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "5m", "5m")
                .views("pg_stat_wal", "pg_stat_statements")
                .detects("WAL written per second (10 min window) far above the instance's own baseline: 4x warns, "
                        + "10x is critical, never below 5 MB/s. PostgreSQL 14+ (pg_stat_wal).")
                .why("WAL volume fills pg_wal, the archive and the standby links and drives checkpoints; a multiple "
                        + "of the usual is a runaway write. The floor keeps quiet servers quiet; the baseline is fed "
                        + "clipped, so a spike is not learnt into it.")
                .context("up to 3 `statement` items: the top statements by wal_bytes over the statements window "
                        + "(all databases), with their texts.")
                .runbook("Find the writer (the context's statements, pg_stat_activity); a bulk load or index build "
                        + "may be expected: check pg_wal space, the archiver and the standbys keep up.")
                .param(WINDOW)
                .param(WARNING)
                .param(CRITICAL)
                .param(MIN_RATE)
                .param(BASELINE_HALF_LIFE)
                .param(BASELINE_WARMUP)
                .param(Standbys.ON_STANDBYS)
                .param(TopStatements.WINDOW)
                .param(QueryTexts.SUMMARY_CHARS)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if (TopStatements.isStatements(s)) {
            TopStatements.observe(s, ctx, "wal_bytes", false);
            return;
        }
        if (s.getRows().isEmpty()) {
            return;
        }
        SnapshotRow row = s.getRows().get(0);
        Double wal = Rows.val(row, "wal_bytes");
        if (wal == null) {
            return;
        }
        Params p = ctx.params(row.getLabels());
        if (Standbys.skip(ctx, p)) {
            return;
        }
        long window = p.millis(WINDOW);
        Memory w = Window.add(ctx.memory("w"), 1, ctx.now(), new Double[] {wal}, true,
                Rows.reset(s.getStatsReset()), window, 400, null);
        ctx.remember("w", w);
        long span = Window.span(w);
        if (span < window / 2) {
            return; // too little of a window yet (start, or just after a reset)
        }
        double rate = Window.delta(w, 1, 0) * 1000.0 / span;
        Double warn = p.number(WARNING);
        Double crit = p.number(CRITICAL);
        // Baseline: t[0] first update, t[1] last update; v[0] the EWMA of the clipped rate.
        Memory b = ctx.memory("b");
        double baseline;
        boolean warm;
        if (b == null || b.v.length < 1) {
            b = Memory.of(new long[] {ctx.now(), ctx.now()}, new double[] {rate});
            baseline = rate;
            warm = false;
        } else {
            baseline = b.v[0];
            warm = ctx.now() - b.t[0] >= p.millis(BASELINE_WARMUP);
            double clip = warn != null && baseline > 0 ? Math.min(rate, warn * baseline) : rate;
            double alpha = 1 - Math.exp(-Math.log(2) * (ctx.now() - b.t[1]) / p.millis(BASELINE_HALF_LIFE));
            b = Memory.of(new long[] {b.t[0], ctx.now()}, new double[] {b.v[0] + alpha * (clip - b.v[0])});
        }
        ctx.remember("b", b);
        double floor = p.number(MIN_RATE);
        boolean eligible = warm && rate >= floor;
        // A server that wrote no WAL at all has a zero baseline: any rate past the floor is a spike.
        double ratio = rate / Math.max(baseline, 1.0);
        Severity level = !eligible ? null
                : crit != null && ratio > crit ? Severity.CRITICAL
                : warn != null && ratio > warn ? Severity.WARNING : null;
        AlertContext context = null;
        String tail = "";
        if (level != null) {
            context = AlertContext.create();
            List<TopStatements.Entry> top = TopStatements.top(ctx, TopStatements.ALL);
            TopStatements.addTo(context, top, "wal", Fmt::bytes, Fmt.duration(p.millis(TopStatements.WINDOW)));
            tail = TopStatements.mostBy(top, v -> Fmt.bytes(v) + " of WAL", p.number(QueryTexts.SUMMARY_CHARS).intValue());
        }
        ctx.alert(p, Map.of(), level, rate, warn == null ? null : warn * baseline, crit == null ? null : crit * baseline,
                "WAL is written at " + Fmt.bytes(rate) + "/s over the last " + Fmt.duration(window)
                        + (warm ? String.format(java.util.Locale.ROOT, ", %.1fx its baseline of %s/s", ratio,
                                Fmt.bytes(baseline)) : " (baseline still warming up)") + tail,
                "The WAL rate (pg_stat_wal.wal_bytes) is far above the instance's own recent level.", context);
    }
}
