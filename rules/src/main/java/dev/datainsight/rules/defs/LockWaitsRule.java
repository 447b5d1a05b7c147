package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.AlertContext;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.QueryTexts;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * <b>lock_waits</b> (instance-wide): sessions waiting on locks, from the {@code pg_stat_activity}
 * aggregate ({@code connections_waiting_lock}, {@code longest_lock_wait_seconds}). The value is the
 * number of sessions waiting on a lock, counted while the longest wait is above
 * {@code wait_seconds} (10 s); warning at 3 such sessions, critical at 10, for 2 min.
 *
 * <p>Why: {@code lock_contention} is keyed by the root blocker's pid, so a queue behind a
 * <em>rotating</em> blocker (each transaction holds the hot row for a few seconds, then the next
 * one does) restarts its {@code for} with every new blocker and never fires, while sessions
 * queue all the time. This series has no blocker in its key: sessions that keep waiting longer
 * than deadlock_timeout-class delays (10 s) for 2 min, whoever blocks them, is a lock-bound
 * workload (a hot row, a queue table, an unindexed foreign key). The summary names the longest
 * waiter and what it waits for from the session detail of the same cycle.
 */
public final class LockWaitsRule extends Rule {
    public static final ParamDef<Double> WAIT_SECONDS = ParamDef.number("wait_seconds", 10.0,
            "the longest lock wait must be above this many seconds for the waiting sessions to count");
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 3.0,
            "sessions waiting on locks (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 10.0,
            "sessions waiting on locks (critical)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "lock_waits";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "2m", "1m")
                .views("pg_stat_activity", "pg_stat_statements")
                .detects("Sessions keep waiting on locks for more than a few seconds, instance-wide, whoever blocks "
                        + "them (a rotating blocker that lock_contention, keyed by blocker, never holds long enough).")
                .why("lock_contention's series is one root blocker, so a queue behind a rotating blocker restarts "
                        + "its `for` with each new one; counting waiting sessions instance-wide while the longest "
                        + "wait is above 10 s, for 2 min, catches the lock-bound workload: 3 sessions warn, 10 are "
                        + "critical.")
                .context("up to 5 `session` items: the longest lock waiters of the cycle's session detail (lock mode, relation, blocked_by, wait) with their statements.")
                .runbook("Find the hot object: SELECT relation::regclass, mode, count(*) FROM pg_locks WHERE NOT granted "
                        + "GROUP BY 1, 2; shorten the transactions that update it, index foreign keys, or queue with "
                        + "SKIP LOCKED.")
                .param(WAIT_SECONDS)
                .param(WARNING)
                .param(CRITICAL)
                .param(QueryTexts.SUMMARY_CHARS)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if ("pg_stat_statements".equals(s.getView())) {
            QueryTexts.learn(s, ctx);
            return;
        }
        for (SnapshotRow row : s.getRows()) {
            if (!row.getLabels().isEmpty()) {
                continue;
            }
            Double waiting = Rows.val(row, "connections_waiting_lock");
            if (waiting == null) {
                continue;
            }
            Params p = ctx.params(row.getLabels());
            double longest = Rows.valOr(row, "longest_lock_wait_seconds", 0);
            double v = longest > p.number(WAIT_SECONDS) ? waiting : 0;
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            Severity level = c != null && v >= c ? Severity.CRITICAL : w != null && v >= w ? Severity.WARNING : null;
            List<SnapshotRow> waiters = level == null ? List.of() : waiters(ctx);
            String who = "";
            AlertContext context = null;
            if (!waiters.isEmpty()) {
                SnapshotRow top = waiters.get(0);
                String rel = Rows.label(top, "relation");
                String mode = Rows.label(top, "lock_mode");
                who = "; longest: " + Sessions.who(top) + (mode.isEmpty() ? "" : " waits for " + mode)
                        + (rel.isEmpty() ? "" : " on " + Sessions.text(rel, Sessions.NAME_CHARS))
                        + (Rows.label(top, "blocked_by").isEmpty() ? ""
                                : ", blocked by pid " + Sessions.text(Rows.label(top, "blocked_by"), 64));
                context = AlertContext.create();
                for (SnapshotRow r : waiters.subList(0, Math.min(5, waiters.size()))) {
                    Sessions.item(context, r, "waiter", ctx);
                }
            }
            ctx.alert(p, Map.of(), level, v, w, c,
                    Fmt.num(waiting) + " sessions waiting on locks, the longest for " + Fmt.secs(longest) + who,
                    "Sessions keep queueing on locks whoever holds them; lock_contention names each root blocker.",
                    context);
        }
    }

    /** The lock waiters of the cycle's session detail, longest wait first. */
    private static List<SnapshotRow> waiters(RuleContext ctx) {
        List<SnapshotRow> out = new ArrayList<>();
        for (SnapshotRow r : ctx.detail(Sessions.SESSIONS)) {
            if (Sessions.hasReason(r, "waiter")) {
                out.add(r);
            }
        }
        out.sort(Comparator.comparingDouble((SnapshotRow r) -> -Rows.valOr(r, "lock_wait_seconds", 0)));
        return out;
    }
}
