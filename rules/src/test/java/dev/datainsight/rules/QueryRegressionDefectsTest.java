package dev.datainsight.rules;

import static dev.datainsight.rules.RuleEvaluatorTest.only;
import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * query_regression (issue 18): the baseline is frozen while the regression lasts, weighted by
 * calls, and the rule is gated on the regression's impact (added execution time per second), not
 * on how slow one call is.
 */
class QueryRegressionDefectsTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long S = 1000;
    private static final long MIN = 60 * S;
    private static final long HOUR = 60 * MIN;

    /** One statement, cumulative counters, stepped every 10 s. */
    private static final class Statement {
        final RulesHarness h;
        long t = T0;
        double calls;
        double time;
        final List<AlertEvent> events = new ArrayList<>();

        Statement(RulesHarness h) {
            this.h = h;
        }

        /** Runs for {@code ms}: each 10 s step adds {@code n} calls of {@code mean} ms. */
        void run(long ms, double n, double mean) throws Exception {
            for (long end = t + ms; t < end; t += 10 * S) {
                calls += n;
                time += n * mean;
                events.addAll(h.push(snap()));
            }
        }

        /** One 10 s step adding the given calls and time. */
        void step(double n, double totalMs) throws Exception {
            calls += n;
            time += totalMs;
            events.addAll(h.push(snap()));
            t += 10 * S;
        }

        Snapshot snap() {
            return of("pg_stat_statements", t, row(Map.of("queryid", "77", "datname", "app", "rolname", "web",
                    "toplevel", "true"), "calls", calls, "total_exec_time", time));
        }

        List<AlertEvent> with(AlertStatus st) {
            return events.stream().filter(e -> e.getStatus() == st).toList();
        }
    }

    @Test
    void regressionLastingHours_keepsFiring_becauseTheBaselineIsFrozen_andResolvesWhenFast() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("query_regression", "")))) {
            Statement q = new Statement(h);
            q.run(2 * HOUR, 50, 200); // 5 calls/s at 200 ms
            assertEquals(List.of(), q.events);
            // 3x slower for 8 hours: an EWMA with a 2 h half-life that learnt it would be at ~3x by now.
            q.run(8 * HOUR, 50, 600);
            assertEquals(1, q.with(AlertStatus.FIRING).stream().map(AlertEvent::getStartedAt).distinct().count(),
                    "one episode (re-notified every 4 h): " + q.events);
            assertEquals(List.of(), q.with(AlertStatus.RESOLVED), "resolved while the query was still 3x slower");
            assertTrue(q.with(AlertStatus.FIRING).get(0).getSummary().contains("vs a baseline of 200 ms"),
                    q.with(AlertStatus.FIRING).get(0).getSummary());
            q.run(40 * MIN, 50, 200);
            assertEquals(1, q.with(AlertStatus.RESOLVED).size(), "fast again: resolves once " + q.events);
        }
    }

    @Test
    void baseline_isWeightedByCalls_notByIntervals() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("query_regression", "")))) {
            Statement q = new Statement(h);
            // Busy intervals of 200 calls at 20 ms alternate with quiet ones of one 2 s call: per call the
            // statement takes ~30 ms; an unweighted mean of the interval means would be ~1 s.
            for (int i = 0; i < 2 * 360; i++) {
                if (i % 2 == 0) {
                    q.step(200, 200 * 20);
                } else {
                    q.step(1, 2000);
                }
            }
            assertEquals(List.of(), q.events);
            q.run(30 * MIN, 100, 150); // 5x the call-weighted baseline, 10 calls/s: 1.2 s of added time per second
            assertEquals(1, q.with(AlertStatus.FIRING).size(), q.events.toString());
            assertTrue(q.with(AlertStatus.FIRING).get(0).getSummary().contains("vs a baseline of 30 ms"),
                    q.with(AlertStatus.FIRING).get(0).getSummary());
        }
    }

    @Test
    void fastStatementRunOftenThatGotFiftyTimesSlower_pages_onItsAddedTimePerSecond() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("query_regression", "")))) {
            Statement q = new Statement(h);
            q.run(2 * HOUR, 5000, 0.1); // 500 calls/s at 0.1 ms
            q.run(20 * MIN, 5000, 5); // x50: 500 x 4.9 ms = 2.45 s of execution time per second
            assertEquals(1, q.with(AlertStatus.FIRING).size(), q.events.toString());
            AlertEvent a = q.with(AlertStatus.FIRING).get(0);
            assertTrue(a.getSummary().contains("vs a baseline of 0.10 ms, adding "), a.getSummary());
            assertTrue(a.getContext().get(0).get("added_time").endsWith(" ms/s"), a.getContext().toString());
        }
    }

    @Test
    void rareSlowStatement_twiceAsSlow_staysQuiet_forItAddsLittleTime() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("query_regression", "")))) {
            Statement q = new Statement(h);
            // One call a minute (15 in the 15 min window) at 1 s, then at 2.1 s: 2.1x slower and far above
            // min_mean_ms, but 15 calls / 900 s x 1.1 s = 18 ms of added execution time per second.
            for (long end = q.t + 3 * HOUR; q.t < end; ) {
                q.step(q.t % MIN == 0 ? 1 : 0, q.t % MIN == 0 ? 1000 : 0);
            }
            for (long end = q.t + 40 * MIN; q.t < end; ) {
                q.step(q.t % MIN == 0 ? 1 : 0, q.t % MIN == 0 ? 2100 : 0);
            }
            assertEquals(List.of(), q.events, "2.1x slower but 18 ms/s of added time: below the impact floor");
        }
    }
}
