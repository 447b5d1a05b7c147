package dev.datainsight.rules;

import static dev.datainsight.rules.RuleEvaluatorTest.only;
import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertContextItem;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.QueryText;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.StatementsSnapshot;
import dev.datainsight.rules.engine.Fingerprint;
import dev.datainsight.rules.engine.QueryTexts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rules that name what drives an alert put it in the summary and the structured context. */
class AlertContextRulesTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long S = 1000;
    private static final long MIN = 60 * S;
    private static final String SLOW_TEXT = "SELECT * FROM logs WHERE created_at > $1 ORDER BY id";

    private static Map<String, String> q(String id) {
        return Map.of("queryid", id, "datname", "app", "rolname", "web", "toplevel", "true");
    }

    /** A statements snapshot of two statements (cumulative calls and time), with texts when given. */
    private static Snapshot statements(long t, double calls42, double time42, double calls7, double time7,
            QueryText... texts) {
        StatementsSnapshot s = (StatementsSnapshot) of("pg_stat_statements", t,
                row(q("42"), "calls", calls42, "total_exec_time", time42),
                row(q("7"), "calls", calls7, "total_exec_time", time7));
        s.setTexts(new ArrayList<>(List.of(texts)));
        return s;
    }

    @Test
    void slowQuery_quotesTheStatementText_andCarriesItInTheContext_textNotYetSeenOtherwise() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("slow_query", "for: 0s")))) {
            long t = T0;
            h.push(statements(t, 0, 0, 0, 0, new QueryText("42", SLOW_TEXT + "\n  -- from the\u001b[31m report", false)));
            List<AlertEvent> fired = new ArrayList<>();
            for (int i = 1; i <= 6; i++) {
                t += 10 * S;
                // 42: 20 calls of 5 s per interval; 7: 20 calls of 4 s, and its text never came.
                fired.addAll(h.push(statements(t, 20.0 * i, 100_000.0 * i, 20.0 * i, 80_000.0 * i)));
            }
            assertEquals(2, fired.size(), fired.toString());
            AlertEvent a = fired.stream().filter(e -> "42".equals(e.getLabels().get("queryid"))).findFirst().orElseThrow();
            assertTrue(a.getSummary().startsWith("Query `SELECT * FROM logs WHERE created_at > $1 ORDER BY id -- from the [31m"),
                    a.getSummary());
            assertTrue(a.getSummary().contains("(id 42) in database app"), a.getSummary());
            assertEquals(1, a.getContext().size());
            AlertContextItem st = a.getContext().get(0);
            assertEquals("statement", st.getKind());
            assertEquals(List.of("queryid", "datname", "rolname", "mean", "calls", "total_time", "window", "text"),
                    st.getNames());
            assertEquals("SELECT * FROM logs WHERE created_at > $1 ORDER BY id -- from the [31m report", st.get("text"),
                    "the context has the whole (cleaned) text");
            assertEquals("5 s", st.get("mean"));
            assertEquals(Map.of("env", "test"), a.getInstanceLabels(), "the instance's fleet labels ride along");
            assertEquals(Fingerprint.of("slow_query", Snapshots.INSTANCE, a.getLabels()), a.getFingerprint(),
                    "context and instance labels stay outside the fingerprint");

            AlertEvent other = fired.stream().filter(e -> "7".equals(e.getLabels().get("queryid"))).findFirst().orElseThrow();
            assertTrue(other.getSummary().startsWith("Query (text not yet seen) (id 7)"), other.getSummary());
            assertEquals(QueryTexts.NOT_SEEN, other.getContext().get(0).get("text"));

            // The queries get fast: the resolution keeps the context of what fired.
            List<AlertEvent> resolved = new ArrayList<>();
            for (int i = 7; i <= 60 && resolved.size() < 2; i++) {
                t += 10 * S;
                resolved.addAll(h.push(statements(t, 20.0 * i, 600_000 + 20.0 * i, 20.0 * i, 480_000 + 20.0 * i)).stream()
                        .filter(e -> e.getStatus() == AlertStatus.RESOLVED).toList());
            }
            assertEquals(2, resolved.size());
            AlertEvent r42 = resolved.stream().filter(e -> "42".equals(e.getLabels().get("queryid"))).findFirst().orElseThrow();
            // The context of the last evaluation that held: the same statement, its latest numbers.
            assertEquals(1, r42.getContext().size());
            assertEquals(st.get("text"), r42.getContext().get(0).get("text"));
            assertEquals(Map.of("env", "test"), r42.getInstanceLabels());
        }
    }

    @Test
    void queryRegression_namesTheStatementThatGotSlower_withTextAndBaseline() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("query_regression", "window: 5m, min_baseline: 30m")))) {
            long t = T0;
            double c42 = 0, t42 = 0;
            h.push(statements(t, 0, 0, 0, 0, new QueryText("42", SLOW_TEXT, false)));
            // 90 min at 10 ms per call, then 50x slower (500 ms).
            List<AlertEvent> fired = new ArrayList<>();
            for (int i = 1; i <= 90 * 6 + 10 * 6; i++) {
                t += 10 * S;
                c42 += 20;
                t42 += 20 * (i <= 90 * 6 ? 10 : 500);
                fired.addAll(h.push(statements(t, c42, t42, c42, c42 * 10)));
            }
            assertEquals(1, fired.size(), fired.toString());
            AlertEvent a = fired.get(0);
            assertEquals("42", a.getLabels().get("queryid"));
            assertTrue(a.getSummary().startsWith("Query `" + SLOW_TEXT + "` (id 42) in database app got "), a.getSummary());
            AlertContextItem st = a.getContext().get(0);
            assertEquals("statement", st.getKind());
            assertEquals(SLOW_TEXT, st.get("text"));
            assertEquals("10 ms", st.get("baseline"));
            assertTrue(st.get("ratio").endsWith("x"), st.toString());
        }
    }

    @Test
    void summaryTextLength_isConfigurable() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("slow_query", "for: 0s, text_chars: 12")))) {
            long t = T0;
            h.push(statements(t, 0, 0, 0, 0, new QueryText("42", SLOW_TEXT, false)));
            List<AlertEvent> fired = new ArrayList<>();
            for (int i = 1; i <= 6; i++) {
                t += 10 * S;
                fired.addAll(h.push(statements(t, 20.0 * i, 100_000.0 * i, 0, 0)));
            }
            assertEquals(1, fired.size(), fired.toString());
            assertTrue(fired.get(0).getSummary().startsWith("Query `SELECT * FR…` (id 42)"), fired.get(0).getSummary());
            assertEquals(SLOW_TEXT, fired.get(0).getContext().get(0).get("text"));
        }
    }
}
