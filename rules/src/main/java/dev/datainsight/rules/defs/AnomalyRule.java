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
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * <b>anomaly</b> (info): a robust z-score of three instance-level signals against their own EWMA
 * baseline — transactions/s (Σ xact_commit + xact_rollback of {@code pg_stat_database}), client
 * connections ({@code pg_stat_activity.connections_total}) and WAL bytes/s
 * ({@code pg_stat_wal.wal_bytes}). z = (x − μ) / (1.4826 · MAD) with μ and MAD exponentially
 * weighted (half-life 1 h) and the MAD floored at 10 % of μ (and 1), so flat series do not divide
 * by zero. INFO when |z| > 4 for 3 consecutive points (and until 3 consecutive normal points), after 30
 * points of warm-up.
 *
 * <p>Why: static thresholds cannot know each server's normal; a robust z (MAD, values clipped at
 * ±4 scale before they update the baseline) is not dragged by the very spike it detects. Three
 * consecutive points ignore a single odd sample. INFO: it explains pages, it does not page.
 */
public final class AnomalyRule extends Rule {
    public static final ParamDef<Double> Z = ParamDef.number("z", 4.0,
            "robust z-score above which a point is anomalous");
    public static final ParamDef<Double> POINTS = ParamDef.number("points", 3.0, "consecutive anomalous points needed");
    public static final ParamDef<Double> WARMUP_POINTS = ParamDef.number("warmup_points", 30.0,
            "points before the baseline is trusted");
    public static final ParamDef<Duration> HALF_LIFE = ParamDef.duration("half_life", "1h",
            "half-life of the EWMA mean and MAD");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "anomaly";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "5m")
                .views("pg_stat_database", "pg_stat_activity", "pg_stat_wal")
                .detects("Transactions/s, connections or WAL rate far from the instance's own recent normal (INFO).")
                .why("Robust z-score (EWMA mean and MAD, clipped updates) adapts to each server; |z| > 4 for 3 points "
                        + "is rare by chance. INFO only: context for pages, never a page.")
                .runbook("Correlate with deploys, batch jobs and the other alerts of the instance.")
                .param(Z)
                .param(POINTS)
                .param(WARMUP_POINTS)
                .param(HALF_LIFE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        switch (s.getView()) {
            case "pg_stat_database" -> {
                double sum = 0;
                boolean any = false;
                for (SnapshotRow r : s.getRows()) {
                    Double c = Rows.val(r, "xact_commit");
                    Double rb = Rows.val(r, "xact_rollback");
                    if (c != null && rb != null) {
                        sum += c + rb;
                        any = true;
                    }
                }
                if (any) {
                    rate(ctx, "transactions_per_second", sum);
                }
            }
            case "pg_stat_activity" -> {
                if (!s.getRows().isEmpty()) {
                    Double c = Rows.val(s.getRows().get(0), "connections_total");
                    if (c != null) {
                        point(ctx, "connections", c);
                    }
                }
            }
            case "pg_stat_wal" -> {
                if (!s.getRows().isEmpty()) {
                    Double b = Rows.val(s.getRows().get(0), "wal_bytes");
                    if (b != null) {
                        rate(ctx, "wal_bytes_per_second", b);
                    }
                }
            }
            default -> { }
        }
    }

    /** Turns a cumulative counter into a per-second rate point (a decrease is a reset: skip). */
    private void rate(RuleContext ctx, String metric, double counter) throws Exception {
        Memory prev = ctx.memory("c" + metric);
        Memory now = Memory.of(new long[] {ctx.now()}, new double[] {counter});
        now.touched = ctx.now();
        ctx.remember("c" + metric, now);
        if (prev == null || ctx.now() <= prev.t[0] || counter < prev.v[0]) {
            return;
        }
        point(ctx, metric, (counter - prev.v[0]) * 1000.0 / (ctx.now() - prev.t[0]));
    }

    /**
     * Memory per metric: v = [mean, mad, n, anomalous run, normal run, holding]; t = [last update].
     * Entering needs {@code points} anomalous points in a row, leaving needs as many normal ones
     * (hysteresis: a value hovering at the threshold does not toggle the condition).
     */
    private void point(RuleContext ctx, String metric, double x) throws Exception {
        Map<String, String> labels = Map.of("metric", metric);
        Params p = ctx.params(labels);
        Memory m = ctx.memory(metric);
        if (m == null) {
            m = Memory.of(new long[] {ctx.now()}, new double[] {x, 0, 1, 0, 0, 0});
            m.touched = ctx.now();
            ctx.remember(metric, m);
            return;
        }
        if (ctx.now() <= m.t[0]) {
            return;
        }
        double mean = m.v[0];
        double scale = 1.4826 * Math.max(m.v[1], Math.max(0.1 * Math.abs(mean), 1.0));
        double z = (x - mean) / scale;
        boolean warm = m.v[2] >= p.number(WARMUP_POINTS);
        boolean anomalous = warm && Math.abs(z) > p.number(Z);
        m.v[3] = anomalous ? m.v[3] + 1 : 0;
        m.v[4] = anomalous ? 0 : m.v[4] + 1;
        double points = p.number(POINTS);
        if (m.v[5] == 0 && m.v[3] >= points) {
            m.v[5] = 1;
        } else if (m.v[5] == 1 && m.v[4] >= points) {
            m.v[5] = 0;
        }
        double clipped = Math.max(mean - 4 * scale, Math.min(mean + 4 * scale, x));
        double a = 1 - Math.exp(-Math.log(2) * (ctx.now() - m.t[0]) / p.millis(HALF_LIFE));
        a = Math.max(a, 1.0 / (m.v[2] + 1)); // fast start: plain average during warm-up
        m.v[0] = mean + a * (clipped - mean);
        m.v[1] = m.v[1] + a * (Math.abs(clipped - mean) - m.v[1]);
        m.v[2] += 1;
        m.t[0] = ctx.now();
        m.touched = ctx.now();
        ctx.remember(metric, m);
        boolean holds = m.v[5] == 1;
        ctx.info(p, labels, holds, z, p.number(Z),
                String.format(Locale.ROOT, "%s is %s, %.1f robust standard deviations from its baseline %s",
                        metric, Fmt.num(Math.round(x * 100) / 100.0), z, Fmt.num(Math.round(mean * 100) / 100.0)),
                "Robust z-score against an EWMA baseline (mean and MAD); informational.");
    }
}
