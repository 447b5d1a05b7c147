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
 * <b>checkpoint_spike</b>: from the normalised {@code pg_stat_checkpointer} view, counters
 * {@code num_timed} and {@code num_requested}. Warning when, over the last 15 min, more than 50 %
 * of checkpoints were requested (at least 3 checkpoints), or when the checkpoint rate is more than
 * 3× its own baseline (an EWMA with a 6 h half-life, after 1 h of history). For 5 min.
 *
 * <p>Versions: on PostgreSQL 13–16 the collector reads {@code pg_stat_bgwriter}
 * (checkpoints_timed / checkpoints_req) and renames them onto these 17+ names, so one rule works
 * for 13–18. The anchors' rules read {@code pg_stat_bgwriter_checkpoints_*}, which no longer
 * exist on 17+, and so are silently dead there. On 17+ {@code num_timed} also counts skipped
 * (idle) timed checkpoints, which only lowers the requested share: the rule errs on the quiet side.
 *
 * <p>The context says what drives the WAL: a {@code setting} item with the WAL rate over the window
 * (from {@code pg_stat_wal}, 14+), max_wal_size and checkpoint_timeout (from {@code pg_settings}) and
 * the WAL one checkpoint_timeout produces at that rate against max_wal_size; then the top statements
 * by {@code wal_bytes} over the window, over all databases ({@link TopStatements}).
 *
 * <p>Why: requested checkpoints come from WAL volume exceeding max_wal_size (or manual
 * CHECKPOINT); a majority of them means max_wal_size is too small for the write load, causing
 * full-page-write storms and I/O spikes (pgmonitor, the postgres_exporter mixin). Not evaluated
 * on standbys ({@code on_standbys}, {@link Standbys}): a standby's restartpoints follow the
 * primary's checkpoints, so the primary's condition would page once per standby.
 */
public final class CheckpointSpikeRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "15m",
            "window of the requested share and of the rate");
    public static final ParamDef<Double> MIN_CHECKPOINTS = ParamDef.number("min_checkpoints", 3.0,
            "checkpoints in the window below which the rule stays silent");
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 0.50,
            "requested share of checkpoints in the window (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", null,
            "requested share of checkpoints in the window (critical)");
    public static final ParamDef<Double> RATE_FACTOR = optionalNumber("rate_factor", 3.0,
            "checkpoint rate above this many times its baseline warns (null = off)");
    public static final ParamDef<Duration> BASELINE_HALF_LIFE = ParamDef.duration("baseline_half_life", "6h",
            "half-life of the rate baseline (EWMA)");
    public static final ParamDef<Duration> BASELINE_WARMUP = ParamDef.duration("baseline_warmup", "1h",
            "history needed before the rate test applies");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "checkpoint_spike";
    /** Memory keys of the WAL window (pg_stat_wal) and the settings (max_wal_size, checkpoint_timeout). */
    private static final String WAL = "wal";
    private static final String SETTINGS = "settings";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "5m", "5m")
                .views("pg_stat_checkpointer", "pg_stat_wal", "pg_settings", "pg_stat_statements")
                .detects("Checkpoints forced by WAL volume (requested share) or a checkpoint rate far above its "
                        + "own baseline. Works on 13-16 (bgwriter) and 17-18 (checkpointer).")
                .why("pgmonitor / postgres_exporter mixin: requested > timed means max_wal_size is too small; the "
                        + "anchors read pg_stat_bgwriter columns that are gone on 17+, this rule reads the normalised view. "
                        + "A standby's restartpoints follow the primary's checkpoints, so standbys are skipped "
                        + "(`on_standbys`).")
                .context("a `setting` item (WAL rate over the window, max_wal_size, checkpoint_timeout, WAL per "
                        + "checkpoint_timeout vs max_wal_size) and up to 3 `statement` items: the top statements by "
                        + "wal_bytes over the window (all databases), with their texts.")
                .runbook("Compare WAL volume (pg_stat_wal) with max_wal_size; raise max_wal_size or spread the bulk "
                        + "write; look for manual CHECKPOINT calls.")
                .param(WINDOW)
                .param(MIN_CHECKPOINTS)
                .param(WARNING)
                .param(CRITICAL)
                .param(RATE_FACTOR)
                .param(BASELINE_HALF_LIFE)
                .param(BASELINE_WARMUP)
                .param(Standbys.ON_STANDBYS)
                .param(TopStatements.WINDOW)
                .param(dev.datainsight.rules.engine.QueryTexts.SUMMARY_CHARS)
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
        if ("pg_stat_wal".equals(s.getView())) {
            SnapshotRow r = s.getRows().get(0);
            Double wal = Rows.val(r, "wal_bytes");
            Memory m = Window.add(ctx.memory(WAL), 1, ctx.now(), new Double[] {wal}, true,
                    Rows.reset(s.getStatsReset()), ctx.params(r.getLabels()).millis(WINDOW), 400, null);
            if (m != null) {
                ctx.remember(WAL, m);
            }
            return;
        }
        if ("pg_settings".equals(s.getView())) {
            SnapshotRow r = s.getRows().get(0);
            Double maxWal = Rows.val(r, "max_wal_size_bytes");
            Double timeout = Rows.val(r, "checkpoint_timeout_seconds");
            if (maxWal != null && timeout != null) {
                ctx.remember(SETTINGS, Memory.of(new long[] {ctx.now()}, new double[] {maxWal, timeout}));
            }
            return;
        }
        SnapshotRow row = s.getRows().get(0);
        Double timed = Rows.val(row, "num_timed");
        Double req = Rows.val(row, "num_requested");
        if (timed == null || req == null) {
            return;
        }
        Params p = ctx.params(row.getLabels());
        if (Standbys.skip(ctx, p)) {
            return;
        }
        long window = p.millis(WINDOW);
        long reset = Rows.reset(s.getStatsReset());
        Memory w = Window.add(ctx.memory("w"), 2, ctx.now(), new Double[] {timed, req}, true, reset, window, 400,
                null);
        ctx.remember("w", w);
        long span = Window.span(w);
        if (span <= 0) {
            return;
        }
        double dt = Window.delta(w, 2, 0);
        double dr = Window.delta(w, 2, 1);
        double total = dt + dr;
        double perHour = total * 3_600_000.0 / Math.max(span, window);

        // Baseline of the hourly rate: t[0] first update, t[1] last update; v[0] the EWMA.
        Memory b = ctx.memory("b");
        boolean warm = false;
        double baseline = 0;
        if (span >= window) {
            if (b == null) {
                b = Memory.of(new long[] {ctx.now(), ctx.now()}, new double[] {perHour});
            } else {
                warm = ctx.now() - b.t[0] >= p.millis(BASELINE_WARMUP);
                baseline = b.v[0];
                double alpha = 1 - Math.exp(-Math.log(2) * (ctx.now() - b.t[1]) / p.millis(BASELINE_HALF_LIFE));
                b.v[0] += alpha * (perHour - b.v[0]);
                b.t[1] = ctx.now();
            }
            ctx.remember("b", b);
        }
        double share = total > 0 ? dr / total : 0;
        boolean enough = total >= p.number(MIN_CHECKPOINTS);
        Double warn = p.number(WARNING);
        Double crit = p.number(CRITICAL);
        Double factor = p.number(RATE_FACTOR);
        boolean rateSpike = factor != null && warm && enough && baseline > 0 && perHour > factor * baseline;
        Severity level = enough && crit != null && share > crit ? Severity.CRITICAL
                : (enough && warn != null && share > warn) || rateSpike ? Severity.WARNING : null;
        AlertContext context = null;
        String drivers = "";
        if (level != null) {
            context = AlertContext.create();
            drivers = walContext(ctx, p, context);
        }
        ctx.alert(p, java.util.Map.of(), level, share, warn, crit,
                Fmt.num(dr) + " of " + Fmt.num(total) + " checkpoints in the last " + Fmt.duration(window)
                        + " were requested (" + Fmt.pct(share) + "); " + Fmt.num(perHour) + " checkpoints/h"
                        + (warm ? " vs a baseline of " + Fmt.num(baseline) + "/h" : "") + drivers,
                "Checkpoints are being forced by WAL volume (max_wal_size) or CHECKPOINT commands rather than "
                        + "checkpoint_timeout.", context);
    }

    /**
     * Fills the context with the WAL rate vs max_wal_size and the top WAL-writing statements; returns
     * the summary's tail ("; WAL 1.2 GB/min, 3.4x max_wal_size per checkpoint_timeout; most by ...").
     */
    private static String walContext(RuleContext ctx, Params p, AlertContext context) throws Exception {
        StringBuilder tail = new StringBuilder();
        Memory wal = ctx.memory(WAL);
        Memory set = ctx.memory(SETTINGS);
        long span = Window.span(wal);
        dev.datainsight.model.AlertContextItem item = null;
        if (span > 0) {
            double perMin = Window.delta(wal, 1, 0) * 60_000.0 / span;
            item = context.item(AlertContext.KIND_SETTING).put("wal_rate", Fmt.bytes(perMin) + "/min")
                    .put("wal_window", Fmt.duration(span));
            tail.append("; WAL ").append(Fmt.bytes(perMin)).append("/min");
            if (set != null && set.v.length >= 2 && set.v[0] > 0) {
                double perTimeout = perMin * set.v[1] / 60.0;
                double ratio = perTimeout / set.v[0];
                item.put("max_wal_size", Fmt.bytes(set.v[0])).put("checkpoint_timeout", Fmt.secs(set.v[1]))
                        .put("wal_per_checkpoint_timeout", Fmt.bytes(perTimeout))
                        .put("vs_max_wal_size", String.format(java.util.Locale.ROOT, "%.1fx", ratio));
                tail.append(String.format(java.util.Locale.ROOT, ", %.1fx max_wal_size (%s) per checkpoint_timeout",
                        ratio, Fmt.bytes(set.v[0])));
            }
        } else if (set != null && set.v.length >= 2) {
            context.item(AlertContext.KIND_SETTING).put("max_wal_size", Fmt.bytes(set.v[0]))
                    .put("checkpoint_timeout", Fmt.secs(set.v[1]));
        }
        java.util.List<TopStatements.Entry> top = TopStatements.top(ctx, TopStatements.ALL);
        TopStatements.addTo(context, top, "wal", Fmt::bytes, Fmt.duration(p.millis(TopStatements.WINDOW)));
        tail.append(TopStatements.mostBy(top, v -> Fmt.bytes(v) + " of WAL",
                p.number(dev.datainsight.rules.engine.QueryTexts.SUMMARY_CHARS).intValue()));
        return tail.toString();
    }
}
