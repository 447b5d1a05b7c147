package dev.datainsight.rules;

import static dev.datainsight.rules.RuleEvaluatorTest.only;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** instance_silent (issue 18): the recovery after an outage is not dropped; event times do not come from processing time. */
class InstanceSilentDefectsTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long S = 1000;
    private static final long MIN = 60 * S;

    @Test
    void afterAnOutage_theBacklogsFirstOlderSnapshot_stillResolvesTheSilence() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("instance_silent", "")))) {
            long proc = 5_000_000;
            long t = T0;
            for (; t < T0 + MIN; t += 10 * S, proc += 10 * S) {
                h.setProcessingTime(proc);
                h.push(Snapshots.up(t, 1));
            }
            long lastProc = proc - 10 * S;
            long lastT = t - 10 * S;
            // the collector cannot reach Kafka: nothing arrives for 2 minutes of processing time
            for (long p = lastProc + 10 * S; p <= lastProc + 2 * MIN; p += 10 * S) {
                h.setProcessingTime(p);
            }
            assertEquals(1, h.firing().size(), h.events.toString());
            // Kafka is back: the backlog arrives, oldest first (collected during the outage)
            for (long b = lastT + 10 * S; b <= lastT + 2 * MIN; b += 10 * S) {
                h.setProcessingTime(lastProc + 2 * MIN + 100);
                h.push(Snapshots.up(b, 1));
            }
            assertEquals(1, h.resolved().size(), "the silence resolves when the instance reports again: " + h.events);
            AlertEvent res = h.resolved().get(0);
            assertTrue(res.getEventAt() >= h.firing().get(0).getEventAt(), res.toString());
            assertTrue(res.getSummary().contains("reports again"), res.getSummary());
        }
    }

    /** The silence after a restore, with the job down for {@code downMs}. */
    private static List<AlertEvent> silenceAfterRestore(long downMs) throws Exception {
        RulesHarness h = new RulesHarness(only(Map.of("instance_silent", "")));
        long proc = 1_000_000;
        long t = T0;
        for (; t < T0 + MIN; t += 10 * S, proc += 10 * S) {
            h.setProcessingTime(proc);
            h.push(Snapshots.up(t, 1));
        }
        h = h.restart();
        proc += downMs;
        h.setProcessingTime(proc);
        h.setProcessingTime(proc + 30 * S);
        List<AlertEvent> ev = List.copyOf(h.events);
        h.close();
        return ev;
    }

    @Test
    void theSameInput_givesTheSameSilenceEvents_howeverLongTheJobWasDown() throws Exception {
        List<AlertEvent> a = silenceAfterRestore(5 * MIN);
        List<AlertEvent> b = silenceAfterRestore(10 * MIN);
        assertEquals(1, a.size(), a.toString());
        assertEquals(AlertStatus.FIRING, a.get(0).getStatus());
        assertEquals(a.stream().map(e -> e.getStartedAt() + ":" + e.getEventAt()).toList(),
                b.stream().map(e -> e.getStartedAt() + ":" + e.getEventAt()).toList(),
                "event times (and so the dedup keys) must come from event time");
        assertEquals(T0 + 50 * S + 30 * S, a.get(0).getEventAt(), "the last collection + 3 intervals");
    }
}
