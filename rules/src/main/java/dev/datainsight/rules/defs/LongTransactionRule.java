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
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * <b>long_transaction</b>: the oldest open transaction of a client backend
 * ({@code pg_stat_activity.oldest_xact_age_seconds}, from xact_start; autovacuum workers are
 * reported separately in {@code oldest_autovacuum_xact_age_seconds} and excluded). Warning above
 * 5 min, critical above 30 min.
 *
 * <p><b>Exemptions.</b> Sessions whose application_name matches {@code exempt_applications}
 * (default {@code [pg_dump, pg_dumpall]}: a dump is one long repeatable-read transaction by
 * design) or whose user matches {@code exempt_users} (default none; e.g. an ETL role) do not
 * count: the value is the oldest transaction among the sessions the collector listed as oldest
 * ({@code pg_stat_activity_sessions}, reason {@code oldest_xact}, the 5 oldest by default) that
 * are not exempt, 0 when every listed one is exempt (raise the collector's
 * {@code oldest_transactions} when more exempt sessions run at once). Without the detail of the
 * same cycle the aggregate is used, as before. Names are globs ({@code *}, {@code ?}).
 *
 * <p>Why: long transactions hold back the xmin horizon so vacuum cannot remove dead rows, and
 * hold locks; pgmonitor and pganalyze flag minutes-long transactions. {@code for} is 0 because the
 * value is already a duration. The summary names the session (pid, user@client, application,
 * state, query id, last statement) from {@code pg_stat_activity_sessions} of the same cycle.
 */
public final class LongTransactionRule extends GaugeRule {
    public static final ParamDef<Double> WARNING = optionalNumber("warning", 300.0,
            "seconds since xact_start (warning)");
    public static final ParamDef<Double> CRITICAL = optionalNumber("critical", 1800.0,
            "seconds since xact_start (critical)");
    public static final ParamDef<List<String>> EXEMPT_APPLICATIONS = ParamDef.list("exempt_applications",
            List.of("pg_dump", "pg_dumpall"), "application_name globs whose transactions do not count (dumps, ETL)");
    public static final ParamDef<List<String>> EXEMPT_USERS = ParamDef.list("exempt_users", List.of(),
            "user name globs whose transactions do not count");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "long_transaction";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "1m")
                .views("pg_stat_activity", "pg_stat_statements")
                .detects("The oldest non-autovacuum transaction has been open too long (holds back vacuum, holds locks). "
                        + "Names the session and its last statement. Sessions of exempt applications (pg_dump by "
                        + "default) or users do not count.")
                .why("pgmonitor / pganalyze flag transactions open for minutes; the value is already a duration, so "
                        + "`for` is 0. A dump (pg_dump) is one long transaction by design, so it is exempt by default; "
                        + "an ETL job can be exempted by application or user.")
                .context("one `session` item: the session of the oldest transaction that is not exempt (who, state, ages, backend_xmin age, statement text, normalised `statement_text` by query id).")
                .runbook("SELECT pid, usename, now()-xact_start, state, query FROM pg_stat_activity ORDER BY xact_start "
                        + "LIMIT 5; end it with pg_cancel_backend / pg_terminate_backend if it is stuck.")
                .param(WARNING)
                .param(CRITICAL)
                .param(EXEMPT_APPLICATIONS)
                .param(EXEMPT_USERS)
                .pair(WARNING, CRITICAL, RuleDefinition.Direction.ABOVE)
                .build();
    }

    static boolean matches(List<String> globs, String name) {
        for (String g : globs) {
            StringBuilder sb = new StringBuilder();
            for (char ch : g.toCharArray()) {
                switch (ch) {
                    case '*' -> sb.append(".*");
                    case '?' -> sb.append('.');
                    default -> sb.append(Pattern.quote(String.valueOf(ch)));
                }
            }
            if (Pattern.matches(sb.toString(), name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean exempt(SnapshotRow session, Params p) {
        return matches(p.list(EXEMPT_APPLICATIONS), Rows.label(session, "application_name"))
                || matches(p.list(EXEMPT_USERS), Rows.label(session, "usename"));
    }

    /** The oldest listed transaction that is not exempt, or null. */
    private static SnapshotRow oldest(RuleContext ctx, Params p) {
        SnapshotRow best = null;
        for (SnapshotRow r : ctx.detail(Sessions.SESSIONS)) {
            if (!Sessions.hasReason(r, "oldest_xact") || exempt(r, p)) {
                continue;
            }
            if (best == null || Rows.valOr(r, "xact_age_seconds", -1) > Rows.valOr(best, "xact_age_seconds", -1)) {
                best = r;
            }
        }
        return best;
    }

    /** Whether the detail of this cycle lists the oldest transactions at all. */
    private static boolean listed(RuleContext ctx) {
        for (SnapshotRow r : ctx.detail(Sessions.SESSIONS)) {
            if (Sessions.hasReason(r, "oldest_xact")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if ("pg_stat_statements".equals(s.getView())) {
            QueryTexts.learn(s, ctx);
            return;
        }
        for (SnapshotRow row : s.getRows()) {
            Params p = ctx.params(row.getLabels());
            double v = value(row);
            SnapshotRow who = oldest(ctx, p);
            boolean exemptions = !p.list(EXEMPT_APPLICATIONS).isEmpty() || !p.list(EXEMPT_USERS).isEmpty();
            if (exemptions && listed(ctx)) {
                v = who == null ? 0 : Math.min(v, Rows.valOr(who, "xact_age_seconds", v));
            }
            Double w = p.number(WARNING);
            Double c = p.number(CRITICAL);
            Severity level = c != null && v > c ? Severity.CRITICAL : w != null && v > w ? Severity.WARNING : null;
            ctx.alert(p, Map.of(), level, v, w, c, summary(v, who), description(v, who),
                    level == null ? null : context(who, ctx));
        }
    }

    @Override
    protected Double value(SnapshotRow row) {
        Double v = Rows.val(row, "oldest_xact_age_seconds");
        return v == null ? 0.0 : v;
    }

    @Override
    protected Map<String, String> labels(SnapshotRow row) {
        return Map.of();
    }

    @Override
    protected String summary(SnapshotRow row, double v) {
        return "The oldest transaction has been open for " + Fmt.secs(v);
    }

    /** Names the session from the detail of the same cycle: "…: pid 4242 (app@10.0.0.5, …) — last statement `…`". */
    private String summary(double v, SnapshotRow who) {
        String base = "The oldest transaction has been open for " + Fmt.secs(v);
        if (who == null) {
            return base;
        }
        String stmt = Sessions.statement(who);
        return base + ": " + Sessions.who(who) + (stmt.isEmpty() ? "" : " — " + stmt);
    }

    /** The context: the oldest transaction's session. */
    private static AlertContext context(SnapshotRow who, RuleContext ctx) throws Exception {
        if (who == null) {
            return null;
        }
        AlertContext c = AlertContext.create();
        Sessions.item(c, who, "oldest transaction", ctx);
        return c;
    }

    private String description(double v, SnapshotRow who) {
        if (who == null) {
            return definition().detects();
        }
        Double xmin = Rows.val(who, "backend_xmin_age");
        return definition().detects() + " Oldest: " + Sessions.who(who) + " in database "
                + Sessions.text(Rows.label(who, "datname"), Sessions.NAME_CHARS)
                + (xmin == null ? "" : ", holding the xmin horizon " + Fmt.num(xmin) + " transactions back") + ".";
    }
}
