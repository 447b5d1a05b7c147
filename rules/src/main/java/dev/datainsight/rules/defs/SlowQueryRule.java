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
import java.util.Map;

/**
 * <b>slow_query</b> (per query id, database, role, toplevel): from {@code pg_stat_statements}
 * counters calls and total_exec_time, the mean execution time over the last 5 min
 * ({@code Δtotal_exec_time / Δcalls}). Warning when above 3 s with at least 10 calls in the window;
 * for 2 min. The remainder row {@code queryid = "other"} is skipped. The summary says whether the
 * statement is consistently slow or spiky ({@link ExecSpread}: the window's own mean and standard
 * deviation from the sum of squares {@code exec_time_sq}; spiky when sd &gt; mean or the window's
 * max &gt; 10× the mean), e.g. "is consistently slow (mean 4 s, sd 100 ms)" or "is spiky (mean 80
 * ms, sd 900 ms, max 6 s)"; rows without exec_time_sq (older collectors) say "averages".
 *
 * <p>The summary quotes the statement's normalised text (cut to {@code text_chars}; "text not yet
 * seen" until the statements stream delivered it, see {@link QueryTexts}); the context has one
 * {@code statement} item with the text and the window's numbers.
 *
 * <p>Why: awesome-prometheus-alerts' slow-queries rule and pganalyze's default flag statements
 * averaging seconds; the call floor keeps one-off reports and maintenance from paging.
 */
public final class SlowQueryRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "5m", "window of the mean");
    public static final ParamDef<Double> MIN_CALLS = ParamDef.number("min_calls", 10.0,
            "calls in the window below which the rule stays silent");
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 3000.0,
            "mean execution time in ms (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", null,
            "mean execution time in ms (critical)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "slow_query";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "2m", "5m")
                .views("pg_stat_statements")
                .detects("A statement whose mean execution time over the window is in seconds, with enough calls; the "
                        + "summary says whether it is consistently slow or spiky: the window's own standard deviation "
                        + "from the sum of squares (exec_time_sq), spiky when sd > mean or the max (when it rose in the "
                        + "window) > 10x the mean, e.g. \"consistently slow (mean 4 s, sd 100 ms)\" or \"spiky (mean "
                        + "3.5 s, sd 9 s, max 40 s)\".")
                .why("awesome-prometheus-alerts / pganalyze flag statements averaging > 3 s; 10 calls in 5 min keeps "
                        + "one-off reports quiet.")
                .context("one `statement` item: queryid, datname, rolname, the window's mean, calls and total time, the spread (consistently slow or spiky), and the normalised text (\"text not yet seen\" until it arrived); the summary quotes the text cut to `text_chars`.")
                .runbook("Consistently slow: EXPLAIN (ANALYZE, BUFFERS) the statement (text in the store's "
                        + "statement_text), check plans and indexes. Spiky: the typical call is fast, a few are not: look "
                        + "for lock waits, I/O stalls, parameter skew or cold caches at those times "
                        + "(statement_spread_hourly has mean, sd and max per hour).")
                .param(WINDOW)
                .param(MIN_CALLS)
                .param(WARNING)
                .param(CRITICAL)
                .param(QueryTexts.SUMMARY_CHARS)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
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
            long window = p.millis(WINDOW);
            Memory m = Window.add(ctx.memory(key), 2, ctx.now(), new Double[] {calls, time}, true, 0, window, 400,
                    null);
            m.touched = ctx.now();
            ctx.remember(key, m);
            Double max = Rows.val(q.row(), "max_exec_time");
            Memory sm = ExecSpread.add(ctx.memory("q" + key), ctx.now(), calls, Rows.val(q.row(), "exec_time_sq"), max,
                    window);
            if (sm != null) {
                sm.touched = ctx.now();
                ctx.remember("q" + key, sm);
            }
            double dc = Window.delta(m, 2, 0);
            double dt = Window.delta(m, 2, 1);
            if (dc <= 0) {
                ctx.alert(p, labels, null, 0.0, p.number(WARNING), p.number(CRITICAL),
                        "Query " + labels.get("queryid") + " had no calls in the window", "");
                continue;
            }
            double mean = dt / dc;
            boolean enough = dc >= p.number(MIN_CALLS);
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            Severity level = !enough ? null : c != null && mean > c ? Severity.CRITICAL
                    : w != null && mean > w ? Severity.WARNING : null;
            String text = level == null ? null : QueryTexts.lookup(ctx, labels.get("queryid"));
            ExecSpread spread = ExecSpread.of(sm, dc, dt, max);
            AlertContext context = null;
            if (level != null) {
                context = AlertContext.create();
                context.item(AlertContext.KIND_STATEMENT).put("queryid", labels.get("queryid"))
                        .put("datname", labels.get("datname")).put("rolname", labels.get("rolname"))
                        .put("mean", Fmt.ms(mean)).put("calls", Fmt.num(dc)).put("total_time", Fmt.ms(dt))
                        .put("window", Fmt.duration(window))
                        .put("spread", spread == null ? "unknown" : spread.describe())
                        .put("text", QueryTexts.orNotSeen(text));
            }
            String id = level == null ? labels.get("queryid")
                    : QueryTexts.quote(text, p.number(QueryTexts.SUMMARY_CHARS).intValue()) + " (id "
                            + labels.get("queryid") + ")";
            String who = "Query " + id + " in database " + labels.get("datname") + " (role "
                    + labels.get("rolname") + ")";
            String what = spread == null ? " averages " + Fmt.ms(mean) : " is " + spread.describe();
            ctx.alert(p, labels, level, mean, w, c,
                    who + what + " over " + Fmt.num(dc) + " calls in the last " + Fmt.duration(window),
                    "Mean execution time from pg_stat_statements deltas (total_exec_time / calls); the spread from"
                            + " exec_time_sq: spiky when sd > mean or max > 10x mean, else consistently slow.", context);
        }
    }
}
