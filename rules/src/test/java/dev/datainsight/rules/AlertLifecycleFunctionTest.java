package dev.datainsight.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Severity;
import dev.datainsight.rules.engine.AlertLifecycleFunction;
import dev.datainsight.rules.engine.Evaluation;
import dev.datainsight.rules.engine.Fingerprint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The generic lifecycle on evaluations, independent of any rule. */
class AlertLifecycleFunctionTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long MIN = 60_000;
    private KeyedOneInputStreamOperatorTestHarness<String, Evaluation, AlertEvent> h;

    /**
     * Without the memory of the last RESOLVED (0), so that a resolved fingerprint holds nothing
     * right away; the tests of late evaluations below use the job's default ({@link #withResolvedMemory}).
     */
    @BeforeEach
    void open() throws Exception {
        h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new AlertLifecycleFunction(0)),
                new RulesPipeline.ByFingerprint(), Types.STRING);
        h.open();
    }

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private static Evaluation eval(long at, Severity level) {
        Evaluation e = new Evaluation();
        e.rule = "test_rule";
        e.instance = "pg-1";
        e.labels = Map.of("datname", "app");
        e.fingerprint = Fingerprint.of(e.rule, e.instance, e.labels);
        e.level = level;
        e.value = level == null ? 1.0 : 10.0;
        e.warningThreshold = 5.0;
        e.criticalThreshold = 20.0;
        e.at = at;
        e.forMs = 2 * MIN;
        e.resolveForMs = 3 * MIN;
        e.renotifyMs = 240 * MIN;
        e.staleAfterMs = 15 * MIN;
        e.summary = "value " + e.value;
        return e;
    }

    private List<AlertEvent> push(Evaluation e) throws Exception {
        h.processElement(e, e.at);
        return out();
    }

    private List<AlertEvent> watermark(long wm) throws Exception {
        h.processWatermark(wm);
        return out();
    }

    private List<AlertEvent> out() {
        List<AlertEvent> r = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof StreamRecord<?> s) {
                r.add((AlertEvent) s.getValue());
            }
        }
        h.getOutput().clear();
        return r;
    }

    @Test
    void pendingThatClears_emitsNothing_andLeavesNoState() throws Exception {
        assertEquals(List.of(), push(eval(T0, Severity.WARNING)));
        assertEquals(List.of(), push(eval(T0 + MIN, Severity.WARNING)));
        assertEquals(List.of(), push(eval(T0 + MIN + 10_000, null)));
        assertEquals(0, h.numKeyedStateEntries());
        assertEquals(0, h.numEventTimeTimers());
        // the next episode starts its own `for`
        assertEquals(List.of(), push(eval(T0 + 2 * MIN, Severity.WARNING)));
        assertEquals(List.of(), push(eval(T0 + 3 * MIN + 59_000, Severity.WARNING)));
        assertEquals(1, push(eval(T0 + 4 * MIN, Severity.WARNING)).size());
    }

    @Test
    void criticalFromTheStart_firesOnceAsCritical() throws Exception {
        push(eval(T0, Severity.CRITICAL));
        List<AlertEvent> ev = push(eval(T0 + 2 * MIN, Severity.CRITICAL));
        assertEquals(1, ev.size());
        assertEquals(Severity.CRITICAL, ev.get(0).getSeverity());
        assertEquals(20.0, ev.get(0).getThreshold());
        assertEquals(List.of(), push(eval(T0 + 3 * MIN, Severity.CRITICAL)));
    }

    @Test
    void singleFalseEvaluation_resolvesByTimerAfterResolveFor() throws Exception {
        push(eval(T0, Severity.WARNING));
        assertEquals(1, push(eval(T0 + 2 * MIN, Severity.WARNING)).size());
        assertEquals(List.of(), push(eval(T0 + 3 * MIN, null)));
        assertEquals(List.of(), watermark(T0 + 6 * MIN - 1));
        List<AlertEvent> ev = watermark(T0 + 6 * MIN);
        assertEquals(1, ev.size());
        AlertEvent r = ev.get(0);
        assertEquals(AlertStatus.RESOLVED, r.getStatus());
        assertEquals(T0 + 6 * MIN, r.getResolvedAt());
        assertEquals(T0, r.getStartedAt());
        assertTrue(r.getSummary().startsWith("Resolved: "));
        assertEquals(0, h.numKeyedStateEntries());
        assertEquals(0, h.numEventTimeTimers());
    }

    @Test
    void holdingAgainBeforeResolveFor_cancelsTheResolve() throws Exception {
        push(eval(T0, Severity.WARNING));
        push(eval(T0 + 2 * MIN, Severity.WARNING));
        push(eval(T0 + 3 * MIN, null));
        push(eval(T0 + 5 * MIN, Severity.WARNING));
        assertEquals(List.of(), watermark(T0 + 10 * MIN));
        assertEquals(1, h.numKeyedStateEntries());
    }

    @Test
    void stillFiring_isReNotifiedAfterRenotifyInterval_once() throws Exception {
        push(eval(T0, Severity.WARNING));
        push(eval(T0 + 2 * MIN, Severity.WARNING));
        int renotified = 0;
        for (long t = T0 + 3 * MIN; t <= T0 + 2 * MIN + 240 * MIN; t += MIN) {
            List<AlertEvent> ev = push(eval(t, Severity.WARNING));
            renotified += ev.size();
            if (!ev.isEmpty()) {
                assertEquals(T0 + 2 * MIN + 240 * MIN, ev.get(0).getEventAt());
                assertEquals(AlertStatus.FIRING, ev.get(0).getStatus());
                assertEquals(T0, ev.get(0).getStartedAt());
            }
        }
        assertEquals(1, renotified);
    }

    @Test
    void seriesNoLongerEvaluated_resolvesAsStale() throws Exception {
        push(eval(T0, Severity.WARNING));
        push(eval(T0 + 2 * MIN, Severity.WARNING));
        assertEquals(List.of(), watermark(T0 + 17 * MIN - 1));
        List<AlertEvent> ev = watermark(T0 + 17 * MIN);
        assertEquals(1, ev.size());
        assertEquals(AlertStatus.RESOLVED, ev.get(0).getStatus());
        assertTrue(ev.get(0).getDescription().contains("stale"));
        assertEquals(0, h.numKeyedStateEntries());
    }

    @Test
    void olderEvaluations_areIgnored() throws Exception {
        push(eval(T0, Severity.WARNING));
        push(eval(T0 + 2 * MIN, Severity.WARNING));
        assertEquals(List.of(), push(eval(T0 + MIN, null)));
        assertEquals(List.of(), watermark(T0 + 10 * MIN));
        assertEquals(1, h.numKeyedStateEntries());
    }

    @Test
    void zeroFor_firesOnFirstEvaluation_zeroResolveFor_resolvesOnFirstFalse() throws Exception {
        Evaluation e = eval(T0, Severity.WARNING);
        e.forMs = 0;
        e.resolveForMs = 0;
        assertEquals(1, push(e).size());
        Evaluation f = eval(T0 + 10_000, null);
        f.forMs = 0;
        f.resolveForMs = 0;
        List<AlertEvent> ev = push(f);
        assertEquals(1, ev.size());
        assertEquals(AlertStatus.RESOLVED, ev.get(0).getStatus());
        assertEquals(0, h.numEventTimeTimers());
    }

    // ------------------------------------------------------------------ late evaluations after a resolve

    /** A harness whose lifecycle remembers each RESOLVED as the job's does ({@link AlertLifecycleFunction#RESOLVED_MEMORY_MS}). */
    private void withResolvedMemory() throws Exception {
        h.close();
        h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new AlertLifecycleFunction()),
                new RulesPipeline.ByFingerprint(), Types.STRING);
        h.open();
    }

    private static String show(List<AlertEvent> ev) {
        return ev.stream().map(a -> a.getStatus().wire() + " started " + (a.getStartedAt() - T0) / MIN + "m at "
                + (a.getEventAt() - T0) / MIN + "m").toList().toString();
    }

    @Test
    void lateEvaluationBeforeATimerResolve_doesNotReopenTheAlert() throws Exception {
        withResolvedMemory();
        push(eval(T0, Severity.WARNING));
        assertEquals(1, push(eval(T0 + 2 * MIN, Severity.WARNING)).size());
        push(eval(T0 + 3 * MIN, null));
        List<AlertEvent> resolved = watermark(T0 + 6 * MIN);
        assertEquals("[resolved started 0m at 6m]", show(resolved));
        // a lagging partition delivers snapshots of 4 and 6 minutes, behind the watermark: the
        // condition held then, but that episode is over; no FIRING dated before the RESOLVED
        assertEquals("[]", show(push(eval(T0 + 4 * MIN, Severity.WARNING))));
        assertEquals("[]", show(push(eval(T0 + 6 * MIN, Severity.WARNING))));
        // what comes after the resolve is a new episode with its own `for`
        assertEquals("[]", show(push(eval(T0 + 7 * MIN, Severity.WARNING))));
        assertEquals("[firing started 7m at 9m]", show(push(eval(T0 + 9 * MIN, Severity.WARNING))));
    }

    @Test
    void lateEvaluationBeforeAStaleResolve_doesNotReopenTheAlert() throws Exception {
        withResolvedMemory();
        push(eval(T0, Severity.WARNING));
        assertEquals(1, push(eval(T0 + 2 * MIN, Severity.WARNING)).size());
        assertEquals("[resolved started 0m at 17m]", show(watermark(T0 + 17 * MIN)));
        // newer than the last evaluation (T0 + 2 min) but before the stale RESOLVED
        assertEquals("[]", show(push(eval(T0 + 10 * MIN, Severity.WARNING))));
        assertEquals("[]", show(push(eval(T0 + 12 * MIN, Severity.WARNING))));
        assertEquals("[]", show(push(eval(T0 + 17 * MIN, Severity.CRITICAL))));
        assertEquals(1, h.numKeyedStateEntries(), "only the time of the RESOLVED");
    }

    @Test
    void theRememberedResolve_isDroppedByItsTimer_andDoesNotDisturbTheNextEpisode() throws Exception {
        withResolvedMemory();
        long memory = AlertLifecycleFunction.RESOLVED_MEMORY_MS;
        push(eval(T0, Severity.WARNING));
        push(eval(T0 + 2 * MIN, Severity.WARNING));
        push(eval(T0 + 3 * MIN, null));
        assertEquals("[resolved started 0m at 6m]", show(watermark(T0 + 6 * MIN)));
        assertEquals(1, h.numKeyedStateEntries());
        assertEquals(1, h.numEventTimeTimers());
        // a new episode while the resolve is remembered; the cleanup timer passes during it
        push(eval(T0 + 7 * MIN, Severity.WARNING));
        assertEquals("[firing started 7m at 9m]", show(push(eval(T0 + 9 * MIN, Severity.WARNING))));
        List<AlertEvent> during = new ArrayList<>();
        for (long t = T0 + 10 * MIN; t <= T0 + 6 * MIN + memory + 2 * MIN; t += MIN) {
            during.addAll(push(eval(t, Severity.WARNING)));
            during.addAll(watermark(t));
        }
        assertEquals("[]", show(during), "the cleanup timer neither resolves nor re-fires the open episode");
        assertEquals(1, h.numKeyedStateEntries(), "the open episode only: the RESOLVED is forgotten");
        long clear = T0 + 6 * MIN + memory + 3 * MIN;
        push(eval(clear, null));
        assertEquals("[resolved started 7m at " + (clear + 3 * MIN - T0) / MIN + "m]",
                show(watermark(clear + 3 * MIN)));
        assertEquals(1, h.numKeyedStateEntries());
        assertEquals(List.of(), watermark(clear + 3 * MIN + memory));
        assertEquals(0, h.numKeyedStateEntries(), "nothing left once the memory is over");
        assertEquals(0, h.numEventTimeTimers(), "no timer left");
        // later than the memory, a late evaluation is taken as new again (documented limit)
        assertEquals("[]", show(push(eval(clear + 2 * MIN, Severity.WARNING))));
        assertEquals(1, h.numKeyedStateEntries());
    }

    @Test
    void withoutMemory_aLateEvaluationReopens_asDocumented() throws Exception {
        // the 0 setting of the other tests: a resolved fingerprint holds nothing, so it cannot tell
        push(eval(T0, Severity.WARNING));
        push(eval(T0 + 2 * MIN, Severity.WARNING));
        push(eval(T0 + 3 * MIN, null));
        assertEquals("[resolved started 0m at 6m]", show(watermark(T0 + 6 * MIN)));
        push(eval(T0 + 4 * MIN, Severity.WARNING));
        assertEquals("[firing started 4m at 6m]", show(push(eval(T0 + 6 * MIN, Severity.WARNING))));
    }
}
