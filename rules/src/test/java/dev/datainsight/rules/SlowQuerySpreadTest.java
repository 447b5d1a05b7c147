package dev.datainsight.rules;

import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** slow_query and query_regression say whether a statement is consistently slow or spiky. */
class SlowQuerySpreadTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long S = 1000;
    private static final Map<String, String> Q = Map.of("queryid", "42", "datname", "app", "rolname", "web",
            "toplevel", "true");

    /** Pushes 5 calls per 10 s: {@code fast} calls of fastMs and the rest of slowMs (+ i ms, so the max rises). */
    private static AlertEvent firing(RulesHarness h, int slowCalls, double fastMs, double slowMs) throws Exception {
        double calls = 0;
        double time = 0;
        double sq = 0;
        double max = 0;
        long t = T0;
        for (int i = 0; i < 60; i++, t += 10 * S) {
            for (int k = 0; k < 5; k++) {
                double x = k < slowCalls ? slowMs + i : fastMs;
                calls++;
                time += x;
                sq += x * x;
                max = Math.max(max, x);
            }
            h.push(of("pg_stat_statements", t, row(Q, "calls", calls, "total_exec_time", time, "exec_time_sq", sq,
                    "max_exec_time", max)));
        }
        AlertEvent a = h.events.stream().filter(e -> e.getStatus() == AlertStatus.FIRING).reduce((x, y) -> y)
                .orElseThrow(() -> new AssertionError("no firing event: " + h.events));
        return a;
    }

    @Test
    void slowQuery_allCallsAlike_isConsistentlySlow_withItsMeanAndSd() throws Exception {
        try (RulesHarness h = new RulesHarness(RuleEvaluatorTest.only(Map.of("slow_query", "for: 0s")))) {
            AlertEvent a = firing(h, 5, 0, 4000);
            assertEquals("slow_query", a.getRule());
            assertTrue(a.getSummary().contains("is consistently slow (mean 4"), a.getSummary());
            assertTrue(a.getSummary().matches(".*consistently slow \\(mean 4 s, sd [\\d.]+ ms, max 4 s\\).*"), a.getSummary());
        }
    }

    @Test
    void slowQuery_fewLongCalls_isSpiky_withTheMax() throws Exception {
        try (RulesHarness h = new RulesHarness(RuleEvaluatorTest.only(Map.of("slow_query", "for: 0s")))) {
            AlertEvent a = firing(h, 1, 100, 20_000);
            assertTrue(a.getSummary().contains("is spiky (mean 4"), a.getSummary());
            // 4 calls of 100 ms and one of ~20 s: sd ~8 s, max ~20 s
            assertTrue(a.getSummary().matches(".*spiky \\(mean 4 s, sd 8 s, max 20 s\\).*"), a.getSummary());
        }
    }

    @Test
    void slowQuery_withoutTheSumOfSquares_keepsTheMeanOnlyWording() throws Exception {
        try (RulesHarness h = new RulesHarness(RuleEvaluatorTest.only(Map.of("slow_query", "for: 0s")))) {
            long t = T0;
            for (int i = 1; i <= 60; i++, t += 10 * S) {
                h.push(of("pg_stat_statements", t, row(Q, "calls", 5.0 * i, "total_exec_time", 5.0 * i * 4000)));
            }
            AlertEvent a = h.events.get(0);
            assertTrue(a.getSummary().contains("averages 4"), a.getSummary());
        }
    }

    @Test
    void queryRegression_namesTheSpreadOfTheSlowerWindow() throws Exception {
        try (RulesHarness h = new RulesHarness(RuleEvaluatorTest.only(Map.of("query_regression", "")))) {
            double calls = 0;
            double time = 0;
            double sq = 0;
            long t = T0;
            for (int i = 0; i < 130; i++, t += 60 * S) {
                double x = i < 100 ? 200 : 1000 + i; // 200 ms for 100 min, then 5x slower, every call alike
                calls += 5;
                time += 5 * x;
                sq += 5 * x * x;
                h.push(of("pg_stat_statements", t, row(Q, "calls", calls, "total_exec_time", time, "exec_time_sq", sq,
                        "max_exec_time", x)));
            }
            AlertEvent a = h.events.stream().filter(e -> e.getStatus() == AlertStatus.FIRING).findFirst()
                    .orElseThrow(() -> new AssertionError("no firing event: " + h.events));
            assertEquals("query_regression", a.getRule());
            assertTrue(a.getSummary().contains("slower") && a.getSummary().contains("; now consistently slow (mean "),
                    a.getSummary());
        }
    }
}
