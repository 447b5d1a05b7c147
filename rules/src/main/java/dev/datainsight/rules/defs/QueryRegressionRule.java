package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.AlertContext;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.Memory;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.PlanChangeSnapshot;
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
 * baseline: a call-weighted exponentially decayed mean (half-life 2 h) of the intervals of the
 * <em>previous</em> hours, sum(time) / sum(calls) with each interval's weight halving every
 * half-life, so an interval of 5,000 calls counts 5,000 times as much as one of a single call. An
 * interval enters the baseline only when it leaves the 15-min window, and not at all while the
 * condition holds: the baseline is <b>frozen</b> during a regression, so the rule does not learn
 * the regression and resolve while the query is still slow (after {@code relearn_after}, 24 h, of
 * holding it learns again: a lasting change becomes the new normal). Warning when the mean is
 * above 2× the baseline <em>and</em> the regression adds at least 20 ms of execution time per
 * second (calls/s × (mean − baseline): the impact, so a ×50 regression of a 0.1 ms statement run
 * 500 times a second pages and a slower hourly report does not), with a mean above 1 ms, at least
 * 10 calls in the window and 1 h of baseline history.
 *
 * <p>The summary quotes the statement's normalised text (cut to {@code text_chars}; "text not yet
 * seen" until it reached the job, see {@link QueryTexts}); the context has one {@code statement}
 * item with the text, the current mean, the baseline and the added time per second.
 *
 * <p>Why: pganalyze and pgHero flag plan regressions as "slower than usual" rather than absolute
 * thresholds; 2× filters normal jitter; the impact floor (20 ms/s, 2 % of one backend's time)
 * ranks a regression by what it costs the server, not by how slow one call is.
 *
 * <p>Memory: {@code "w"+key} the window (calls, time); {@code "b"+key} the baseline: t[0] first
 * and t[1] last baseline interval, v[0] the baseline mean (ms), v[1] the decayed calls and v[2]
 * the decayed time (a baseline restored from before the weighting has only v[0] and is taken as
 * one interval's worth), {@code mark} the time the condition started holding (0 when it does
 * not).
 */
public final class QueryRegressionRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "15m", "window of the current mean");
    public static final ParamDef<Duration> BASELINE_HALF_LIFE = ParamDef.duration("baseline_half_life", "2h",
            "half-life of the call-weighted baseline (an interval's weight halves every half-life)");
    public static final ParamDef<Duration> MIN_BASELINE = ParamDef.duration("min_baseline", "1h",
            "baseline history needed before the rule applies");
    public static final ParamDef<Double> MIN_CALLS = ParamDef.number("min_calls", 10.0,
            "calls in the window below which the rule stays silent");
    public static final ParamDef<Double> MIN_MEAN_MS = ParamDef.number("min_mean_ms", 1.0,
            "mean in ms below which the rule stays silent (noise floor)");
    public static final ParamDef<Double> MIN_ADDED_MS_PER_S = ParamDef.number("min_added_ms_per_s", 20.0,
            "added execution time (ms per second: calls/s x (mean - baseline)) below which the rule stays silent");
    public static final ParamDef<Duration> RELEARN_AFTER = ParamDef.duration("relearn_after", "24h",
            "while the condition holds the baseline is frozen; after holding this long it learns again");
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 2.0, "mean / baseline ratio (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", null,
            "mean / baseline ratio (critical)");
    public static final ParamDef<Duration> PLAN_CHANGE_WITHIN = ParamDef.duration("plan_change_within", "1h",
            "a plan change of the query this long before the regression began, or later, is named in the summary");

    /** Characters of each plan summary in the alert's one-line summary (the context carries up to 200). */
    static final int SUMMARY_PLAN_CHARS = 120;
    private static final char SEP = '\u001F';
    private static final String PLAN = "p|";
    private static final java.time.format.DateTimeFormatter HHMM =
            java.time.format.DateTimeFormatter.ofPattern("HH:mm").withZone(java.time.ZoneOffset.UTC);

    private static final long serialVersionUID = 1L;
    public static final String NAME = "query_regression";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "15m")
                .views("pg_stat_statements", PlanChangeSnapshot.VIEW)
                .detects("A statement whose mean time over 15 min is far above its own call-weighted baseline (plan "
                        + "regression) and that costs the server noticeable execution time per second; the "
                        + "summary adds the window's spread (consistently slow or spiky, as slow_query). The collector "
                        + "publishes statements by their time in the last cycle, so a regression is seen once the "
                        + "statement ranks in the top_statements of an interval, however heavy the cumulative hitters.")
                .why("pganalyze / pgHero compare with the query's own history; 2x filters jitter; the impact floor "
                        + "(added execution time per second, calls/s x the mean's increase, 20 ms/s = 2 % of one "
                        + "backend) pages on what the regression costs the server: a x50 regression of a 0.1 ms "
                        + "statement run 500 times a second (2.5 s/s) but not a 3 s hourly report (under 1 ms/s). "
                        + "The baseline is weighted by calls and frozen while the condition holds, so the rule "
                        + "neither learns the regression nor resolves while the query is still slow; the 15 min "
                        + "window is the `for`.")
                .context("one `statement` item: queryid, datname, rolname, the current mean, the baseline and their ratio, the added execution time per second, calls, window, the spread (consistently slow or spiky) and the normalised text; the summary quotes the text cut to `text_chars`. When the job's plan history saw the query's plan fingerprint change within `plan_change_within` before the regression began (or since), a `plan` item (changed_at, before, after, both fingerprints) and the summary names both plans: \"plan changed at 12:03 UTC from `Index Scan ...` to `Seq Scan ...`\".")
                .runbook("Compare plans (auto_explain, EXPLAIN) with the past; look for stale statistics (ANALYZE), "
                        + "a dropped index, parameter changes or data skew.")
                .param(WINDOW)
                .param(BASELINE_HALF_LIFE)
                .param(MIN_BASELINE)
                .param(MIN_CALLS)
                .param(MIN_MEAN_MS)
                .param(MIN_ADDED_MS_PER_S)
                .param(RELEARN_AFTER)
                .param(WARNING)
                .param(CRITICAL)
                .param(QueryTexts.SUMMARY_CHARS)
                .param(PLAN_CHANGE_WITHIN)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    /**
     * Adds one interval (calls, time) to the call-weighted decayed baseline: both sums decay by
     * half per half-life since the previous interval, then the interval is added; v[0] is their
     * ratio. A baseline from before the weighting (v[0] only) counts as one interval of these calls.
     */
    static void learn(Memory b, long to, double calls, double time, long halfLifeMs) {
        if (b.v.length < 3) {
            b.v = new double[] {b.v[0], calls, b.v[0] * calls};
        }
        double decay = Math.exp(-Math.log(2) * (to - b.t[1]) / halfLifeMs);
        b.v[1] = b.v[1] * decay + calls;
        b.v[2] = b.v[2] * decay + time;
        b.v[0] = b.v[2] / b.v[1];
        b.t[1] = to;
    }

    /** "2.4 s/s" or "35 ms/s": added execution time per second of wall time. */
    static String addedTime(double msPerSec) {
        return Fmt.ms(msPerSec) + "/s";
    }

    /** "; spiky (mean 80 ms, sd 900 ms, max 6 s)": a plan change is steady, a spike is often a lock or I/O. */
    private static String spreadNote(ExecSpread s) {
        return s == null ? "" : "; " + (s.spiky() ? "" : "now ") + s.describe();
    }

    /**
     * Remembers the query's latest plan change (memory {@code p|<datname>|<queryid>}: mark = when
     * the new plan was captured, text = the old and the new summary, cleaned and cut). Swept with
     * the rule's other memories when not rewritten for 6 h.
     */
    private static void learnPlanChange(PlanChangeSnapshot c, RuleContext ctx) throws Exception {
        if (c.getQueryid() == null) {
            return;
        }
        Memory m = new Memory();
        m.mark = c.getCollectedAt();
        m.text = AlertContext.text(c.getOldSummary(), AlertContext.MAX_VALUE_CHARS) + SEP
                + AlertContext.text(c.getNewSummary(), AlertContext.MAX_VALUE_CHARS) + SEP
                + AlertContext.text(c.getOldFingerprint(), 32) + SEP + AlertContext.text(c.getNewFingerprint(), 32);
        ctx.remember(PLAN + c.getDatname() + "|" + c.getQueryid(), m);
    }

    /** The query's plan change if one was captured at or after {@code since}: [old, new, old fp, new fp], else null. */
    private static String[] planChange(RuleContext ctx, Map<String, String> labels, long since) throws Exception {
        Memory m = ctx.memory(PLAN + labels.get("datname") + "|" + labels.get("queryid"));
        if (m == null || m.text == null || m.mark < since) {
            return null;
        }
        String[] parts = m.text.split(String.valueOf(SEP), -1);
        return parts.length == 4 ? new String[] {parts[0], parts[1], parts[2], parts[3], HHMM.format(
                java.time.Instant.ofEpochMilli(m.mark))} : null;
    }

    /** "`Seq Scan on orders`": a plan summary for the one-line summary. */
    private static String quotePlan(String summary) {
        return "`" + AlertContext.text(summary, SUMMARY_PLAN_CHARS) + "`";
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if (s instanceof PlanChangeSnapshot c) {
            learnPlanChange(c, ctx);
            return;
        }
        QueryTexts.learn(s, ctx);
        for (Rows.QueryRow q : Rows.queries(s)) {
            double calls = q.calls();
            double time = q.totalExecTime();
            Map<String, String> labels = q.labels();
            String key = q.key();
            Params p = ctx.params(q.row().getLabels());
            long halfLife = p.millis(BASELINE_HALF_LIFE);
            Memory b = ctx.memory("b" + key);
            final Memory[] base = {b};
            // Frozen while the condition holds (since b.mark), for at most relearn_after.
            final boolean frozen = b != null && b.mark > 0 && ctx.now() - b.mark < p.millis(RELEARN_AFTER);
            Memory m = Window.add(ctx.memory("w" + key), 2, ctx.now(), new Double[] {calls, time}, true, 0,
                    p.millis(WINDOW), 400, (from, to, d) -> {
                        if (d[0] <= 0) {
                            return;
                        }
                        if (base[0] == null) {
                            base[0] = Memory.of(new long[] {to, to}, new double[] {d[1] / d[0], d[0], d[1]});
                        } else if (frozen) {
                            // skipped, not decayed: the baseline stays as it was when the condition began
                            base[0].t[1] = to;
                        } else {
                            learn(base[0], to, d[0], d[1], halfLife);
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
            long span = Math.max(Window.span(m), 1);
            double addedPerSec = dc * 1000.0 / span * (mean - b.v[0]);
            boolean applies = dc >= p.number(MIN_CALLS) && mean > p.number(MIN_MEAN_MS)
                    && addedPerSec >= p.number(MIN_ADDED_MS_PER_S) && b.t[1] - b.t[0] >= p.millis(MIN_BASELINE);
            Severity level = !applies ? null : c != null && ratio > c ? Severity.CRITICAL
                    : w != null && ratio > w ? Severity.WARNING : null;
            long holdSince = level == null ? 0 : b.mark > 0 ? b.mark : ctx.now();
            if (holdSince != b.mark) {
                b.mark = holdSince;
                ctx.remember("b" + key, b);
            }
            ExecSpread spread = ExecSpread.of(sm, dc, dt, max);
            String text = level == null ? null : QueryTexts.lookup(ctx, labels.get("queryid"));
            AlertContext context = null;
            String who = labels.get("queryid");
            if (level != null) {
                context = AlertContext.create();
                context.item(AlertContext.KIND_STATEMENT).put("queryid", labels.get("queryid"))
                        .put("datname", labels.get("datname")).put("rolname", labels.get("rolname"))
                        .put("mean", Fmt.ms(mean)).put("baseline", Fmt.ms(b.v[0]))
                        .put("ratio", String.format(Locale.ROOT, "%.1fx", ratio))
                        .put("added_time", addedTime(addedPerSec)).put("calls", Fmt.num(dc))
                        .put("window", Fmt.duration(p.millis(WINDOW)))
                        .put("spread", spread == null ? "unknown" : spread.describe())
                        .put("text", QueryTexts.orNotSeen(text));
                who = QueryTexts.quote(text, p.number(QueryTexts.SUMMARY_CHARS).intValue()) + " (id "
                        + labels.get("queryid") + ")";
            }
            String[] plan = level == null ? null : planChange(ctx, labels, holdSince - p.millis(PLAN_CHANGE_WITHIN));
            String planNote = "";
            if (plan != null) {
                context.item("plan").put("changed_at", plan[4] + " UTC").put("before", plan[0]).put("after", plan[1])
                        .put("before_fingerprint", plan[2]).put("after_fingerprint", plan[3]);
                planNote = "; plan changed at " + plan[4] + " UTC from " + quotePlan(plan[0]) + " to " + quotePlan(plan[1]);
            }
            String since = level == null ? "" : " since " + HHMM.format(java.time.Instant.ofEpochMilli(holdSince)) + " UTC";
            ctx.alert(p, labels, level, ratio, w, c,
                    String.format(Locale.ROOT, "Query %s in database %s got %.1fx slower: mean %s over %s calls in the "
                                    + "last %s vs a baseline of %s, adding %s", who, labels.get("datname"), ratio,
                            Fmt.ms(mean), Fmt.num(dc), Fmt.duration(p.millis(WINDOW)),
                            Fmt.ms(b.v[0]), addedTime(addedPerSec)) + since + planNote + spreadNote(spread),
                    "Mean execution time against the query's own call-weighted baseline of previous hours (frozen "
                            + "while the regression lasts); the added time is calls/s x the mean's increase.",
                    context);
        }
    }
}
