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

    @BeforeEach
    void open() throws Exception {
        h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new AlertLifecycleFunction()),
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
}
