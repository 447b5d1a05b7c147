package dev.datainsight.rules.defs;

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
import java.util.Map;

/**
 * <b>pgss_dealloc</b> (per instance, warning): {@code pg_stat_statements_info.dealloc} went up
 * within the last hour: pg_stat_statements had to evict entries (dealloc counts the evictions,
 * each removing the least-used entries, not the entries) because its table
 * ({@code pg_stat_statements.max}) was full. PostgreSQL 14+ (extension 1.9+); on 13, or with an
 * older extension, the collector sends no pg_stat_statements_info and the rule is silent (the
 * collector logs once why).
 *
 * <p>Why: every eviction loses that statement's counters since it was added, and with the
 * table churning the statements analysis (slow_query, query_regression, the top statements of
 * every context) sees fragments: an evicted heavy statement comes back as "new" with small
 * counters. Eviction also costs the server (the least-used 5 % are removed under an exclusive
 * lock, and the query text file is garbage-collected). the pg_stat_statements documentation
 * recommends raising {@code pg_stat_statements.max} (a restart) when pg_stat_statements_info
 * reports many deallocations (the counter was added for tuning that setting).
 * The first value is the baseline; a reset of the extension's statistics starts again. The
 * condition holds 1 h after the last increase, so a table that overflows every few minutes is
 * one alert, not a flapping one.
 */
public final class PgssDeallocRule extends Rule {
    public static final ParamDef<Duration> WINDOW = ParamDef.duration("window", "1h",
            "an increase of dealloc within this long holds the condition");
    public static final ParamDef<Severity> SEVERITY = ParamDef.severity("severity", Severity.WARNING,
            "severity of the alert (info or warning)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "pgss_dealloc";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "0s")
                .views("pg_stat_statements_info")
                .detects("pg_stat_statements evicting entries (pg_stat_statements_info.dealloc rising, 14+): its table "
                        + "is too small, statement statistics are lost.")
                .why("Evicted entries lose their counters and come back as new ones, so the statement analyses see "
                        + "fragments; the extension's documentation: many deallocations, raise pg_stat_statements.max. Held "
                        + "1 h after the last eviction, so a table overflowing every few minutes is one alert. 14+ only "
                        + "(no pg_stat_statements_info on 13).")
                .runbook("Raise pg_stat_statements.max (needs a restart; it sizes a shared memory "
                        + "table), or lower the churn: pg_stat_statements.track = top, fewer distinct statements "
                        + "(unparameterised queries, temporary table names).")
                .param(WINDOW)
                .param(SEVERITY)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        for (SnapshotRow row : s.getRows()) {
            Double dealloc = Rows.val(row, "dealloc");
            if (dealloc == null) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            Memory m = Rises.see(ctx.memory(""), dealloc, ctx.now(), Rows.reset(s.getStatsReset()));
            ctx.remember("", m);
            boolean holds = Rises.within(m, ctx.now(), p.millis(WINDOW));
            Double max = Rows.val(row, "max_entries");
            String maxText = max == null ? "" : " (pg_stat_statements.max = " + Fmt.num(max) + ")";
            String summary = holds ? "pg_stat_statements evicted entries " + Fmt.num(m.v[1]) + " time(s), last "
                    + Fmt.duration(ctx.now() - m.t[0]) + " ago" + maxText + ": its table is too small"
                    : "pg_stat_statements has room" + maxText;
            String desc = "pg_stat_statements_info.dealloc rose: entries were evicted and their statistics lost.";
            Severity sev = p.severity(SEVERITY);
            if (sev == Severity.INFO) {
                ctx.info(p, Map.of(), holds, dealloc, null, summary, desc);
            } else {
                ctx.alert(p, Map.of(), holds ? sev : null, dealloc, null, null, summary, desc);
            }
        }
    }
}
