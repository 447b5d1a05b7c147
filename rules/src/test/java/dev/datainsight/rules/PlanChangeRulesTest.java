package dev.datainsight.rules;

import static dev.datainsight.rules.RuleEvaluatorTest.only;
import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertContextItem;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.rules.engine.PlanChangeSnapshot;
import dev.datainsight.store.InsightRow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * plan_change and the plan change in query_regression's summary (issue 16): a change is one
 * insight naming both plans; a regression of the same query that began around it names both
 * plans; a change long before the regression, or of another query, is not named.
 */
class PlanChangeRulesTest {
    private static final long T0 = Instant.parse("2026-06-15T10:00:00Z").toEpochMilli();
    private static final long S = 1000;
    private static final long MIN = 60 * S;
    private static final long HOUR = 60 * MIN;
    static final String INDEX = "Index Scan using orders_customer_id_idx on orders";
    static final String SEQ = "Seq Scan on orders";

    static PlanChangeSnapshot change(String queryid, long at) {
        PlanChangeSnapshot c = new PlanChangeSnapshot();
        c.setInstance(Snapshots.INSTANCE);
        c.setCollectedAt(at);
        c.setDatname("app");
        c.setQueryid(queryid);
        c.setRolname("web");
        c.setOldFingerprint("aaaaaaaaaaaaaaaa");
        c.setOldSummary(INDEX);
        c.setOldSeenAt(at - 15 * MIN);
        c.setNewFingerprint("bbbbbbbbbbbbbbbb");
        c.setNewSummary(SEQ);
        return c;
    }

    /** 2 h at 0.4 ms, then from {@code slowFrom} 38 ms, 20 calls per 10 s; the plan change pushed at {@code changeAt}. */
    private static List<AlertEvent> regression(RulesHarness h, String changedQuery, long changeAt) throws Exception {
        List<AlertEvent> events = new ArrayList<>();
        double calls = 0;
        double time = 0;
        long slowFrom = T0 + 2 * HOUR;
        boolean pushed = false;
        for (long t = T0; t < slowFrom + 30 * MIN; t += 10 * S) {
            if (!pushed && t >= changeAt) {
                events.addAll(h.push(change(changedQuery, changeAt)));
                pushed = true;
            }
            calls += 20;
            time += 20 * (t < slowFrom ? 0.4 : 38);
            events.addAll(h.push(of("pg_stat_statements", t, row(Map.of("queryid", "77", "datname", "app", "rolname", "web",
                    "toplevel", "true"), "calls", calls, "total_exec_time", time))));
        }
        return events.stream().filter(e -> e.getStatus() == AlertStatus.FIRING).toList();
    }

    @Test
    void planChange_isOneInsight_namingBothPlans() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("plan_change", "")))) {
            assertEquals(List.of(), h.push(change("77", T0)));
            assertEquals(1, h.insights.size(), h.insights.toString());
            InsightRow r = h.insights.get(0);
            assertEquals("plan_change", r.kind());
            assertEquals("app/77/aaaaaaaaaaaaaaaa->bbbbbbbbbbbbbbbb", r.subject());
            assertEquals("Plan of query 77 in database app changed at 2026-06-15 10:00 UTC from `" + INDEX + "` to `"
                    + SEQ + "`", r.summary());
            assertTrue(r.evidenceJson().contains("\"old_fingerprint\":\"aaaaaaaaaaaaaaaa\""), r.evidenceJson());
            assertTrue(r.evidenceJson().contains("\"new_summary\":\"" + SEQ + "\""), r.evidenceJson());
        }
    }

    @Test
    void regressionOfAQueryWhosePlanChanged_namesBothPlans() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("query_regression", "")))) {
            List<AlertEvent> firing = regression(h, "77", T0 + 2 * HOUR + 30 * S);
            assertEquals(1, firing.size(), firing.toString());
            String summary = firing.get(0).getSummary();
            assertTrue(summary.contains("plan changed at 12:00 UTC from `" + INDEX + "` to `" + SEQ + "`"), summary);
            assertTrue(summary.contains("vs a baseline of 0.40 ms"), summary);
            AlertContextItem plan = firing.get(0).getContext().stream().filter(i -> "plan".equals(i.getKind()))
                    .findFirst().orElseThrow();
            assertEquals(INDEX, plan.get("before"));
            assertEquals(SEQ, plan.get("after"));
            assertEquals("bbbbbbbbbbbbbbbb", plan.get("after_fingerprint"));
        }
    }

    @Test
    void planChangeOfAnotherQuery_orLongBefore_isNotNamed() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("query_regression", "")))) {
            List<AlertEvent> firing = regression(h, "78", T0 + 2 * HOUR);
            assertEquals(1, firing.size(), firing.toString());
            assertFalse(firing.get(0).getSummary().contains("plan changed"), firing.get(0).getSummary());
        }
        try (RulesHarness h = new RulesHarness(only(Map.of("query_regression", "")))) {
            // 1 h 50 min before the slowness began: outside plan_change_within (1 h)
            List<AlertEvent> firing = regression(h, "77", T0 + 10 * MIN);
            assertEquals(1, firing.size(), firing.toString());
            assertFalse(firing.get(0).getSummary().contains("plan changed"), firing.get(0).getSummary());
        }
    }
}
