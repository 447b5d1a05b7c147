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
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * <b>idle_in_transaction</b>: the oldest session sitting "idle in transaction"
 * ({@code pg_stat_activity.oldest_idle_in_transaction_seconds}, from state_change). Warning above
 * 5 min, critical above 15 min, {@code for} 0 because the value is already a duration.
 *
 * <p>Sessions "idle in transaction (aborted)" are reported apart, as a second series (label
 * {@code state = aborted}) at a lower severity ({@code aborted_severity}, info) above
 * {@code aborted_threshold} (15 min): an aborted transaction holds no locks and no xmin (its
 * snapshot and locks went with the error), only a connection slot, until the client rolls back.
 *
 * <p>The collector's oldest age covers both states; which one it belongs to comes from the counts
 * ({@code connections_idle_in_transaction} and {@code ..._aborted}: only one state open = that
 * one), and when both are open from the per-session detail of the same cycle (the collector lists
 * the longest idle session and every one idle past its floor, 30 s): the plain age is the longest
 * listed plain session, 0 when none is listed (then none is past the floor). Without the detail
 * the oldest age counts as plain, as before.
 *
 * <p>Why: such a session holds its snapshot and locks, blocking vacuum and DDL; pgmonitor and
 * check_postgres warn in minutes. Leaving {@code for} at 0 keeps detection at threshold + one
 * collection interval instead of adding a second wait. The summary names the session (pid,
 * user@client, application, query id, last statement) from {@code pg_stat_activity_sessions}.
 */
public final class IdleInTransactionRule extends GaugeRule {
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 300.0,
            "seconds idle in transaction (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 900.0,
            "seconds idle in transaction (critical)");
    public static final ParamDef<Double> ABORTED_THRESHOLD = optionalNumber("aborted_threshold", 900.0,
            "seconds idle in transaction (aborted) above which the aborted series holds; null = off");
    public static final ParamDef<Severity> ABORTED_SEVERITY = ParamDef.severity("aborted_severity", Severity.INFO,
            "severity of the aborted series (no locks, no xmin: lower than a plain idle transaction)");

    static final String PLAIN = "idle in transaction";
    static final String ABORTED = "idle in transaction (aborted)";

    private static final long serialVersionUID = 1L;
    public static final String NAME = "idle_in_transaction";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "1m")
                .views("pg_stat_activity", "pg_stat_statements")
                .detects("A session idle inside an open transaction for too long (holds locks and the xmin horizon). Names "
                        + "the session and its last statement. Sessions idle in an aborted transaction (no locks, no "
                        + "xmin, only a connection slot) are a separate series (`state: aborted`) at a lower severity.")
                .why("pgmonitor / check_postgres warn after minutes; the value is already a duration, so `for` is 0. "
                        + "An aborted transaction released its locks and snapshot at the error: it only wastes a "
                        + "connection, so it is reported apart, later (15 min) and at info.")
                .context("up to 5 `session` items: the sessions idle in transaction the collector listed (of the series' state), longest first, with their last statement and its normalised `statement_text` by query id.")
                .runbook("SELECT pid, usename, application_name, now()-state_change FROM pg_stat_activity WHERE state "
                        + "LIKE 'idle in transaction%'; fix the application or set idle_in_transaction_session_timeout.")
                .param(WARNING)
                .param(CRITICAL)
                .param(ABORTED_THRESHOLD)
                .param(ABORTED_SEVERITY)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    /** The oldest age split by state: plain and aborted, seconds (0 = none). */
    record Split(double plain, double aborted) {}

    static Split split(SnapshotRow row, List<SnapshotRow> detail) {
        double oldest = Rows.valOr(row, "oldest_idle_in_transaction_seconds", 0);
        Double plainCount = Rows.val(row, "connections_idle_in_transaction");
        double abortedCount = Rows.valOr(row, "connections_idle_in_transaction_aborted", 0);
        if (abortedCount <= 0) {
            return new Split(oldest, 0);
        }
        if (plainCount != null && plainCount <= 0) {
            return new Split(0, oldest);
        }
        double plain = -1;
        double aborted = -1;
        for (SnapshotRow r : detail) {
            if (!Sessions.hasReason(r, "idle_in_transaction")) {
                continue;
            }
            double age = Rows.valOr(r, "state_age_seconds", 0);
            String state = Rows.label(r, "state");
            if (PLAIN.equals(state)) {
                plain = Math.max(plain, age);
            } else if (ABORTED.equals(state)) {
                aborted = Math.max(aborted, age);
            }
        }
        if (plain < 0 && aborted < 0) {
            return new Split(oldest, 0); // no detail of this cycle: as before, all of it plain
        }
        // The longest idle session is always listed: the oldest age is its state's.
        return plain >= aborted ? new Split(oldest, Math.max(aborted, 0)) : new Split(Math.max(plain, 0), oldest);
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if ("pg_stat_statements".equals(s.getView())) {
            QueryTexts.learn(s, ctx);
            return;
        }
        for (SnapshotRow row : s.getRows()) {
            Params p = ctx.params(row.getLabels());
            Split v = split(row, ctx.detail(Sessions.SESSIONS));
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            Severity level = c != null && v.plain() > c ? Severity.CRITICAL
                    : w != null && v.plain() > w ? Severity.WARNING : null;
            ctx.alert(p, Map.of(), level, v.plain(), w, c, summary(row, v.plain(), PLAIN, ctx),
                    definition().detects(), level == null ? null : context(v.plain(), PLAIN, ctx));

            Double at = p.number(ABORTED_THRESHOLD);
            boolean holds = at != null && v.aborted() > at;
            Severity sev = p.severity(ABORTED_SEVERITY);
            Map<String, String> labels = Map.of("state", "aborted");
            String summary = summary(row, v.aborted(), ABORTED, ctx);
            String description = "An idle transaction that failed and was not rolled back: it holds no locks and no "
                    + "snapshot, only its connection.";
            if (sev == Severity.INFO) {
                ctx.info(p, labels, holds, v.aborted(), at, summary, description);
            } else {
                ctx.alert(p, labels, holds ? sev : null, v.aborted(), sev == Severity.WARNING ? at : null,
                        sev == Severity.CRITICAL ? at : null, summary, description,
                        holds ? context(v.aborted(), ABORTED, ctx) : null);
            }
        }
    }

    @Override
    protected Double value(SnapshotRow row) {
        return split(row, List.of()).plain();
    }

    @Override
    protected Map<String, String> labels(SnapshotRow row) {
        return Map.of();
    }

    /** The listed sessions idle in transaction in that state, longest first. */
    private static List<SnapshotRow> idle(RuleContext ctx, String state) {
        List<SnapshotRow> idle = new ArrayList<>();
        for (SnapshotRow r : ctx.detail(Sessions.SESSIONS)) {
            if (Sessions.hasReason(r, "idle_in_transaction") && state.equals(Rows.label(r, "state"))) {
                idle.add(r);
            }
        }
        idle.sort(Comparator.comparingDouble((SnapshotRow r) -> -Rows.valOr(r, "state_age_seconds", 0)));
        return idle;
    }

    /**
     * Names the session from the detail of the same cycle: "pid 4242 (app@10.0.0.5, app x, idle in
     * transaction 6 min) has been idle in transaction for 6 min — last statement `…` (2 sessions …)".
     */
    private String summary(SnapshotRow row, double v, String state, RuleContext ctx) {
        String count = PLAIN.equals(state)
                ? Fmt.num(Rows.valOr(row, "connections_idle_in_transaction", 0)) + " sessions idle in transaction"
                : Fmt.num(Rows.valOr(row, "connections_idle_in_transaction_aborted", 0))
                        + " sessions idle in an aborted transaction";
        List<SnapshotRow> idle = idle(ctx, state);
        String what = PLAIN.equals(state) ? "idle in transaction" : "idle in an aborted transaction";
        if (idle.isEmpty()) {
            return "A session has been " + what + " for " + Fmt.secs(v) + " (" + count + ")";
        }
        SnapshotRow who = idle.get(0);
        String stmt = Sessions.statement(who);
        return Sessions.who(who) + " has been " + what + " for " + Fmt.secs(v) + (stmt.isEmpty() ? "" : " — " + stmt)
                + " (" + count + ")";
    }

    @Override
    protected String summary(SnapshotRow row, double v) {
        return "A session has been idle in transaction for " + Fmt.secs(v) + " ("
                + Fmt.num(Rows.valOr(row, "connections_idle_in_transaction", 0)) + " sessions idle in transaction)";
    }

    /** The context: the listed sessions idle in that state, longest first (at most 5). */
    private static AlertContext context(double v, String state, RuleContext ctx) throws Exception {
        List<SnapshotRow> idle = idle(ctx, state);
        if (idle.isEmpty()) {
            return null;
        }
        AlertContext c = AlertContext.create();
        for (SnapshotRow r : idle.subList(0, Math.min(5, idle.size()))) {
            Sessions.item(c, r, state, ctx);
        }
        return c;
    }
}
