package dev.datainsight.rules.defs;

import dev.datainsight.model.AlertContext;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.PlanChangeSnapshot;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import dev.datainsight.model.Snapshot;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * <b>plan_change</b> (insight, info): a statement's plan fingerprint changed between two captures of
 * the plans probe (another access path, index, join method or join order: {@code docs/plans.md}).
 * The job's plan history finds the change (keyed per instance, database and query id; the first
 * plan of a query is not a change) and passes it as a {@link PlanChangeSnapshot}; this rule writes
 * one finding per change, subject {@code <datname>/<queryid>/<old>-><new>}, with both plans'
 * summaries and fingerprints and when each was seen.
 *
 * <p>Why: a plan flip is the usual cause of a sudden regression (a dropped index, statistics that
 * changed the estimate, a parameter); it is worth seeing even when the new plan is no slower, so an
 * insight and not an alert. {@code query_regression} names the change in its own summary when the
 * query also got slower.
 */
public final class PlanChangeInsight extends Rule {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "plan_change";
    /** Characters of each plan summary in the finding's one-line summary. */
    static final int SUMMARY_PLAN_CHARS = 160;

    private static final DateTimeFormatter HHMM = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.insight(NAME)
                .views(PlanChangeSnapshot.VIEW)
                .detects("A statement whose captured plan has another fingerprint than its previous capture (another "
                        + "access path, index, join method or join order), from the job's plan history of the "
                        + "plans probe; the first plan of a query is not a change.")
                .why("A plan flip is the usual cause of a sudden query regression (dropped index, new statistics, "
                        + "parameters); worth seeing even when the new plan is not slower, so an insight; "
                        + "query_regression names the change when the query also got slower.")
                .runbook("Compare the two plans (query_plan_history; ./datainsight explain --query-id); look for a "
                        + "dropped or invalid index, a recent ANALYZE or changed planner settings.")
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        if (!(s instanceof PlanChangeSnapshot c) || c.getQueryid() == null || c.getNewFingerprint() == null) {
            return;
        }
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("queryid", c.getQueryid());
        labels.put("datname", c.getDatname() == null ? "" : c.getDatname());
        Params p = ctx.params(labels);
        if (!p.enabled()) {
            return;
        }
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("queryid", c.getQueryid());
        ev.put("datname", labels.get("datname"));
        ev.put("rolname", c.getRolname());
        ev.put("changed_at", c.getCollectedAt());
        ev.put("old_fingerprint", c.getOldFingerprint());
        ev.put("old_summary", clean(c.getOldSummary()));
        ev.put("old_seen_at", c.getOldSeenAt());
        ev.put("new_fingerprint", c.getNewFingerprint());
        ev.put("new_summary", clean(c.getNewSummary()));
        String subject = labels.get("datname") + "/" + c.getQueryid() + "/" + c.getOldFingerprint() + "->"
                + c.getNewFingerprint();
        ctx.insight(NAME, subject, "info", "Plan of query " + c.getQueryid() + " in database " + labels.get("datname")
                + " changed at " + HHMM.format(Instant.ofEpochMilli(c.getCollectedAt())) + " UTC from "
                + quote(c.getOldSummary()) + " to " + quote(c.getNewSummary()), Fmt.json(ev));
    }

    /** A summary for the evidence: control characters and newlines become spaces (it is one line). */
    private static String clean(String summary) {
        return summary == null ? null : AlertContext.text(summary, 500);
    }

    /** A plan summary in backquotes, cleaned and cut for a one-line summary. */
    static String quote(String summary) {
        return "`" + AlertContext.text(summary == null ? "?" : summary, SUMMARY_PLAN_CHARS) + "`";
    }
}
