package dev.datainsight.rules.defs;

import static dev.datainsight.rules.engine.ParamDef.optionalNumber;

import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * <b>lock_contention</b> (per root blocker): from the {@code pg_locks} view, whose rows are the
 * root blockers found with {@code pg_blocking_pids()} (labels blocker_pid, datname, blocker_state,
 * blocker_query_id; values waiters, longest_wait_seconds). Warning when a root blocker has ≥ 3
 * waiters or any of its waiters has waited ≥ 60 s; critical at ≥ 10 waiters or ≥ 300 s. The
 * summary names the root blocker — pid, user@client, application, state and how long, query id,
 * the lock mode it holds and on which relation, and the start of its last statement — from the
 * session detail of the same cycle ({@code pg_stat_activity_sessions}), then how many sessions
 * it blocks and the longest wait; the description lists the longest waiters. Without the detail
 * (an older collector, the first cycle after a restore) it names pid, state and query id.
 *
 * <p>Why: pganalyze and pgmonitor alert on lock waits over a minute (beyond deadlock_timeout and
 * ordinary row-lock queues); three queued sessions behind one blocker is a pile-up forming. The
 * fingerprint is (blocker_pid, datname), so one blocker is one alert even as its state changes;
 * when the blocker goes away its row disappears and the alert resolves.
 */
public final class LockContentionRule extends Rule {
    public static final ParamDef<Double> WARNING_WAITERS = optionalNumber("warning_waiters", 3.0,
            "waiters behind one root blocker (warning)");
    public static final ParamDef<Double> CRITICAL_WAITERS = optionalNumber("critical_waiters", 10.0,
            "waiters behind one root blocker (critical)");
    public static final ParamDef<Double> WARNING_WAIT_SECONDS = optionalNumber("warning_wait_seconds", 60.0,
            "longest lock wait in seconds (warning)");
    public static final ParamDef<Double> CRITICAL_WAIT_SECONDS = optionalNumber("critical_wait_seconds", 300.0,
            "longest lock wait in seconds (critical)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "lock_contention";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "30s", "30s")
                .views("pg_locks", "pg_stat_statements")
                .detects("A root blocker holding a lock queue: many waiters or long lock waits. Names the blocker (pid, "
                        + "user@client, application, state, query id), the lock mode and relation it holds and its last "
                        + "statement.")
                .why("pganalyze / pgmonitor alert on lock waits over a minute; 3 sessions queued behind one root "
                        + "blocker is a pile-up forming. 30 s `for` skips short row-lock queues.")
                .context("`session` items from the session detail of the cycle: the root blocker (role, pid, user, application, client, state and ages, lock mode, relation, the session's statement text and, with a query id, the normalised `statement_text` from pg_stat_statements) and up to 8 of its waiters, longest wait first.")
                .runbook("`SELECT * FROM pg_stat_activity WHERE pid = blocker_pid`; if it is idle in transaction or "
                        + "stuck, `SELECT pg_terminate_backend(blocker_pid)`; then fix the application's transaction scope.")
                .param(WARNING_WAITERS)
                .param(CRITICAL_WAITERS)
                .param(WARNING_WAIT_SECONDS)
                .param(CRITICAL_WAIT_SECONDS)
                .pair(WARNING_WAITERS, CRITICAL_WAITERS, RuleDefinition.Direction.ABOVE)
                .pair(WARNING_WAIT_SECONDS, CRITICAL_WAIT_SECONDS, RuleDefinition.Direction.ABOVE)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if ("pg_stat_statements".equals(s.getView())) {
            dev.datainsight.rules.engine.QueryTexts.learn(s, ctx); // for the sessions' normalised texts
            return;
        }
        for (SnapshotRow row : s.getRows()) {
            Double waiters = Rows.val(row, "waiters");
            if (waiters == null) {
                continue;
            }
            double wait = Rows.valOr(row, "longest_wait_seconds", 0);
            Params p = ctx.params(row.getLabels());
            Double ww = p.number(WARNING_WAITERS);
            Double cw = p.number(CRITICAL_WAITERS);
            Double wt = p.number(WARNING_WAIT_SECONDS);
            Double ct = p.number(CRITICAL_WAIT_SECONDS);
            boolean crit = (cw != null && waiters >= cw) || (ct != null && wait >= ct);
            boolean warn = (ww != null && waiters >= ww) || (wt != null && wait >= wt);
            Severity level = crit ? Severity.CRITICAL : warn ? Severity.WARNING : null;
            String qid = Rows.label(row, "blocker_query_id");
            String pid = Rows.label(row, "blocker_pid");
            SnapshotRow who = Sessions.byPid(ctx, pid);
            String summary;
            String description;
            if (who != null && Sessions.hasReason(who, "blocker")) {
                summary = blockerSummary(who, waiters, wait);
                description = "Root blocker " + Sessions.who(who) + " in database " + Rows.label(row, "datname")
                        + ", holding its transaction for " + Fmt.secs(Rows.valOr(row, "blocker_xact_age_seconds", 0))
                        + ". " + waitersLine(ctx, pid);
            } else {
                summary = "pid " + pid + " (" + Rows.label(row, "blocker_state")
                        + ", query id " + (qid.isEmpty() ? "unknown" : qid) + ") in database " + Rows.label(row, "datname")
                        + " blocks " + Fmt.num(waiters) + " session(s); longest wait " + Fmt.secs(wait);
                description = "Root blocker pid " + pid + ", query id " + qid + ", holding transaction "
                        + "for " + Fmt.secs(Rows.valOr(row, "blocker_xact_age_seconds", 0)) + ".";
            }
            ctx.alert(p, Rows.pick(row, "blocker_pid", "datname"), level, waiters, ww == null ? wt : ww,
                    cw == null ? ct : cw, summary, description, level == null ? null : context(ctx, who, pid));
        }
    }

    /**
     * "pid 12340 (svc_billing@10.0.0.5, app billing-api, idle in transaction 75 s) holds
     * RowExclusiveLock on public.accounts — last statement `UPDATE accounts …`; blocks 5
     * session(s), longest wait 71 s".
     */
    static String blockerSummary(SnapshotRow who, double waiters, double wait) {
        StringBuilder b = new StringBuilder(Sessions.who(who));
        String mode = Sessions.text(Rows.label(who, "lock_mode"), Sessions.NAME_CHARS);
        String rel = Sessions.text(Rows.label(who, "relation"), Sessions.NAME_CHARS);
        if (!mode.isEmpty() || !rel.isEmpty()) {
            b.append(" holds ").append(mode.isEmpty() ? "a lock" : mode);
            if (!rel.isEmpty()) {
                b.append(" on ").append(rel);
            }
        }
        String stmt = Sessions.statement(who);
        if (!stmt.isEmpty()) {
            b.append(" — ").append(stmt);
        }
        return b.append("; blocks ").append(Fmt.num(waiters)).append(" session(s), longest wait ").append(Fmt.secs(wait))
                .toString();
    }

    /** The context: the root blocker's session, then its listed waiters, longest wait first (at most 8). */
    private static dev.datainsight.model.AlertContext context(RuleContext ctx, SnapshotRow who, String root)
            throws Exception {
        dev.datainsight.model.AlertContext c = dev.datainsight.model.AlertContext.create();
        if (who != null) {
            Sessions.item(c, who, "blocker", ctx);
        }
        List<SnapshotRow> mine = new ArrayList<>();
        for (SnapshotRow r : ctx.detail(Sessions.SESSIONS)) {
            if (Sessions.hasReason(r, "waiter") && List.of(Rows.label(r, "blocked_by").split(",")).contains(root)) {
                mine.add(r);
            }
        }
        mine.sort(Comparator.comparingDouble((SnapshotRow r) -> -Rows.valOr(r, "lock_wait_seconds", 0)));
        for (SnapshotRow r : mine.subList(0, Math.min(8, mine.size()))) {
            Sessions.item(c, r, "waiter", ctx);
        }
        return c.isEmpty() ? null : c;
    }

    /** "Waiting: pid 1 (...) 71 s for ShareLock; ..." — the listed waiters of that root, longest first. */
    private static String waitersLine(RuleContext ctx, String root) {
        List<SnapshotRow> mine = new ArrayList<>();
        for (SnapshotRow r : ctx.detail(Sessions.SESSIONS)) {
            if (Sessions.hasReason(r, "waiter") && List.of(Rows.label(r, "blocked_by").split(",")).contains(root)) {
                mine.add(r);
            }
        }
        if (mine.isEmpty()) {
            return "";
        }
        mine.sort(Comparator.comparingDouble((SnapshotRow r) -> -Rows.valOr(r, "lock_wait_seconds", 0)));
        List<String> parts = new ArrayList<>();
        for (SnapshotRow r : mine.subList(0, Math.min(5, mine.size()))) {
            String mode = Sessions.text(Rows.label(r, "lock_mode"), Sessions.NAME_CHARS);
            String stmt = Sessions.statement(r);
            parts.add(Sessions.who(r) + " waiting " + Fmt.secs(Rows.valOr(r, "lock_wait_seconds", 0))
                    + (mode.isEmpty() ? "" : " for " + mode) + (stmt.isEmpty() ? "" : ", " + stmt));
        }
        return "Waiting: " + String.join("; ", parts) + (mine.size() > 5 ? "; …" : "") + ".";
    }
}
