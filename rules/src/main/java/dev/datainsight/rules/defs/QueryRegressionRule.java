package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.AlertContext;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
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
import java.util.Locale;
import java.util.Map;

/**
 * <b>query_regression</b> (per query id, database, role, toplevel): from {@code pg_stat_statements}
 * calls and total_exec_time, the mean execution time over the last 15 min against the query's own
 * baseline: an EWMA (half-life 2 h) of the per-interval means of the <em>previous</em> hours — an
 * interval enters the baseline only when it leaves the 15-min window, so the current regression
 * never dilutes its own baseline. Warning when the mean is above 2× the baseline and above 100 ms,
 * with at least 10 calls in the window and 1 h of baseline history.
 *
 * <p>The summary quotes the statement's normalised text (cut to {@code text_chars}; "text not yet
 * seen" until it reached the job, see {@link QueryTexts}); the context has one {@code statement}
 * item with the text, the current mean and the baseline.
 *
 * <p>Why: pganalyze and pgHero flag plan regressions as "slower than usual" rather than absolute
 * thresholds; 2× filters normal jitter and 100 ms keeps fast queries' noise (0.1 → 0.3 ms) quiet.
 */
public final class QueryRegressionRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "15m", "window of the current mean");
    public static final ParamDef<Duration> BASELINE_HALF_LIFE = ParamDef.duration("baseline_half_life", "2h",
            "half-life of the baseline EWMA");
    public static final ParamDef<Duration> MIN_BASELINE = ParamDef.duration("min_baseline", "1h",
            "baseline history needed before the rule applies");
    public static final ParamDef<Double> MIN_CALLS = ParamDef.number("min_calls", 10.0,
            "calls in the window below which the rule stays silent");
    public static final ParamDef<Double> MIN_MEAN_MS = ParamDef.number("min_mean_ms", 100.0,
            "mean in ms below which the rule stays silent");
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 2.0, "mean / baseline ratio (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", null,
            "mean / baseline ratio (critical)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "query_regression";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "15m")
                .views("pg_stat_statements")
                .detects("A statement whose mean time over 15 min is far above its own baseline (plan regression); the "
                        + "summary adds the window's spread (consistently slow or spiky, as slow_query). The collector "
                        + "publishes statements by their time in the last cycle, so a regression is seen once the "
                        + "statement ranks in the top_statements of an interval, however heavy the cumulative hitters.")
                .why("pganalyze / pgHero compare with the query's own history; 2x and > 100 ms filter jitter and fast "
                        + "queries; the 15 min window is the `for`.")
                .context("one `statement` item: queryid, datname, rolname, the current mean, the baseline and their ratio, calls, window, the spread (consistently slow or spiky) and the normalised text; the summary quotes the text cut to `text_chars`.")
                .runbook("Compare plans (auto_explain, EXPLAIN) with the past; look for stale statistics (ANALYZE), "
                        + "a dropped index, parameter changes or data skew.")
                .param(WINDOW)
                .param(BASELINE_HALF_LIFE)
                .param(MIN_BASELINE)
                .param(MIN_CALLS)
                .param(MIN_MEAN_MS)
                .param(WARNING)
                .param(CRITICAL)
                .param(QueryTexts.SUMMARY_CHARS)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    /** "; spiky (mean 80 ms, sd 900 ms, max 6 s)": a plan change is steady, a spike is often a lock or I/O. */
    private static String spreadNote(ExecSpread s) {
        return s == null ? "" : "; " + (s.spiky() ? "" : "now ") + s.describe();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        QueryTexts.learn(s, ctx);
        for (Rows.QueryRow q : Rows.queries(s)) {
            double calls = q.calls();
            double time = q.totalExecTime();
            Map<String, String> labels = q.labels();
            String key = q.key();
            Params p = ctx.params(q.row().getLabels());
            long halfLife = p.millis(BASELINE_HALF_LIFE);
            // Baseline memory: t[0] first baseline update, t[1] last update; v[0] EWMA of the mean (ms).
            Memory b = ctx.memory("b" + key);
            final Memory[] base = {b};
            Memory m = Window.add(ctx.memory("w" + key), 2, ctx.now(), new Double[] {calls, time}, true, 0,
                    p.millis(WINDOW), 400, (from, to, d) -> {
                        if (d[0] <= 0) {
                            return;
                        }
                        double mean = d[1] / d[0];
                        if (base[0] == null) {
                            base[0] = Memory.of(new long[] {to, to}, new double[] {mean});
                        } else {
                            double a = 1 - Math.exp(-Math.log(2) * (to - base[0].t[1]) / halfLife);
                            base[0].v[0] += a * (mean - base[0].v[0]);
                            base[0].t[1] = to;
                        }
                    });
            m.touched = ctx.now();
            ctx.remember("w" + key, m);
            Double max = Rows.val(q.row(), "max_exec_time");
            Memory sm = ExecSpread.add(ctx.memory("q" + key), ctx.now(), calls, Rows.val(q.row(), "exec_time_sq"), max,
                    p.millis(WINDOW));
            if (sm != null) {
                sm.touched = ctx.now();
                ctx.remember("q" + key, sm);
            }
            b = base[0];
            if (b != null) {
                b.touched = ctx.now();
                ctx.remember("b" + key, b);
            }
            double dc = Window.delta(m, 2, 0);
            double dt = Window.delta(m, 2, 1);
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            if (dc <= 0 || b == null || b.v[0] <= 0) {
                ctx.alert(p, labels, null, null, w, c, "Query " + labels.get("queryid") + " has no current mean", "");
                continue;
            }
            double mean = dt / dc;
            double ratio = mean / b.v[0];
            boolean applies = dc >= p.number(MIN_CALLS) && mean > p.number(MIN_MEAN_MS)
                    && b.t[1] - b.t[0] >= p.millis(MIN_BASELINE);
            Severity level = !applies ? null : c != null && ratio > c ? Severity.CRITICAL
                    : w != null && ratio > w ? Severity.WARNING : null;
            ExecSpread spread = ExecSpread.of(sm, dc, dt, max);
            String text = level == null ? null : QueryTexts.lookup(ctx, labels.get("queryid"));
            AlertContext context = null;
            String who = labels.get("queryid");
            if (level != null) {
                context = AlertContext.create();
                context.item(AlertContext.KIND_STATEMENT).put("queryid", labels.get("queryid"))
                        .put("datname", labels.get("datname")).put("rolname", labels.get("rolname"))
                        .put("mean", Fmt.ms(mean)).put("baseline", Fmt.ms(b.v[0]))
                        .put("ratio", String.format(Locale.ROOT, "%.1fx", ratio)).put("calls", Fmt.num(dc))
                        .put("window", Fmt.duration(p.millis(WINDOW)))
                        .put("spread", spread == null ? "unknown" : spread.describe())
                        .put("text", QueryTexts.orNotSeen(text));
                who = QueryTexts.quote(text, p.number(QueryTexts.SUMMARY_CHARS).intValue()) + " (id "
                        + labels.get("queryid") + ")";
            }
            ctx.alert(p, labels, level, ratio, w, c,
                    String.format(Locale.ROOT, "Query %s in database %s got %.1fx slower: mean %s over %s calls in the "
                                    + "last %s vs a baseline of %s", who, labels.get("datname"), ratio,
                            Fmt.ms(mean), Fmt.num(dc), Fmt.duration(p.millis(WINDOW)),
                            Fmt.ms(b.v[0])) + spreadNote(spread),
                    "Mean execution time against the query's own EWMA baseline of previous hours.", context);
        }
    }
}
