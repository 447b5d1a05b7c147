package dev.datainsight.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.RejectReason;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.WireCodec;
import dev.datainsight.rules.Scenario.Level;
import dev.datainsight.rules.engine.AlertLifecycleFunction;
import dev.datainsight.rules.engine.Evaluation;
import dev.datainsight.rules.engine.RuleEvaluatorFunction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The per-key quarantine of the rule operators on Flink's keyed harness: a fault in one instance's
 * rule state mid-incident dead-letters that snapshot as internal_error, resets only that instance,
 * and leaves every alert event — of both instances — exactly what a run without the fault emits;
 * a lifecycle that throws on one fingerprint is reset and fires again on the next evaluation.
 */
class RuleQuarantineTest {
    static final long T0 = 1_700_000_000_000L;

    /** Two instances through the same incident; returns the events, and the evaluator's dead letters in {@code letters}. */
    static List<AlertEvent> run(RulesHarness h, List<DeadLetterRecord> letters) throws Exception {
        Scenario a = Scenario.connectionSaturation();
        Scenario b = Scenario.connectionSaturation();
        long t = T0;
        Level[] phases = {Level.HEALTHY, Level.WARNING, Level.CRITICAL, Level.HEALTHY};
        for (Level l : phases) {
            for (int i = 0; i < 60; i++, t += 10_000) {
                for (Snapshot s : a.at(t, l)) {
                    s.setInstance("pg-a");
                    h.push(s);
                }
                for (Snapshot s : b.at(t, l)) {
                    s.setInstance("pg-b");
                    h.push(s);
                }
                var side = h.evaluator.getSideOutput(RuleEvaluatorFunction.DEAD_LETTERS);
                if (side != null) {
                    for (StreamRecord<DeadLetterRecord> r : side) {
                        letters.add(r.getValue());
                    }
                    side.clear();
                }
            }
        }
        return new ArrayList<>(h.events);
    }

    @Test
    void faultInOneInstancesRuleState_isQuarantined_andNoAlertEventChanges() throws Exception {
        RulesConfig config = Scenario.connectionSaturation().config();
        List<DeadLetterRecord> none = new ArrayList<>();
        List<AlertEvent> clean;
        try (RulesHarness h = new RulesHarness(config)) {
            clean = run(h, none);
        }
        assertEquals(List.of(), none);
        long faultAt = T0 + 60 * 10_000 + 30 * 10_000; // mid-incident, while pg-b's alert fires
        List<DeadLetterRecord> letters = new ArrayList<>();
        List<AlertEvent> faulty;
        try (RulesHarness h = new RulesHarness(config, (key, at) -> key.equals("pg-b") && at == faultAt)) {
            faulty = run(h, letters);
        }
        assertEquals(1, letters.size(), "one dead letter: " + letters);
        DeadLetterRecord d = letters.get(0);
        assertEquals(RejectReason.INTERNAL_ERROR.code(), d.getReason());
        assertEquals("pg-b", d.getInstance());
        assertTrue(d.getDetail().contains("InjectedFault") && d.getDetail().contains("rule state of instance pg-b reset"),
                d.getDetail());
        Snapshot payload = new WireCodec().decodeSnapshot(d.originalBytes()).value();
        assertEquals(faultAt, payload.getCollectedAt());
        // Both instances fired, escalated and resolved in the clean run...
        assertEquals(6, clean.size(), "clean run: " + clean);
        // ... and the quarantine changed none of it: the lifecycle kept pg-b's open alert.
        assertEquals(clean, faulty);
    }

    @Test
    void lifecycleThatThrowsOnOneFingerprint_isReset_andFiresAgainOnTheNextEvaluation() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, Evaluation, AlertEvent> h =
                new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new AlertLifecycleFunction()),
                        new RulesPipeline.ByFingerprint(), Types.STRING)) {
            h.open();
            Evaluation broken = evaluation(T0);
            broken.labels = null; // breaks the event built at firing: the kind of bug the quarantine is for
            h.processElement(broken, T0);
            assertEquals(List.of(), h.extractOutputValues());
            List<DeadLetterRecord> letters = new ArrayList<>();
            for (StreamRecord<DeadLetterRecord> r : h.getSideOutput(AlertLifecycleFunction.DEAD_LETTERS)) {
                letters.add(r.getValue());
            }
            assertEquals(1, letters.size());
            assertEquals(RejectReason.INTERNAL_ERROR.code(), letters.get(0).getReason());
            assertEquals("pg-a", letters.get(0).getInstance());
            assertTrue(letters.get(0).getDetail().contains("NullPointerException"), letters.get(0).getDetail());
            assertEquals(0, h.numKeyedStateEntries(), "the fingerprint's state was reset");

            h.processElement(evaluation(T0 + 10_000), T0 + 10_000);
            List<AlertEvent> out = h.extractOutputValues();
            assertEquals(1, out.size());
            assertEquals(AlertStatus.FIRING, out.get(0).getStatus());
            assertEquals(T0 + 10_000, out.get(0).getStartedAt());
            h.processWatermark(Long.MAX_VALUE);
        }
    }

    static Evaluation evaluation(long at) {
        Evaluation e = new Evaluation();
        e.rule = "connection_saturation";
        e.instance = "pg-a";
        e.fingerprint = "00000000000000aa";
        e.labels = new LinkedHashMap<>();
        e.level = Severity.CRITICAL;
        e.criticalThreshold = 0.95;
        e.value = 0.97;
        e.at = at;
        e.forMs = 0;
        e.resolveForMs = 60_000;
        e.staleAfterMs = 600_000;
        e.summary = "s";
        return e;
    }
}
