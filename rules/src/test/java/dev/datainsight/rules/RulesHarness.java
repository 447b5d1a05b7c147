package dev.datainsight.rules;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.InternalErrors;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.engine.AlertLifecycleFunction;
import dev.datainsight.rules.engine.Evaluation;
import dev.datainsight.rules.engine.RuleEvaluatorFunction;
import dev.datainsight.store.InsightRow;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

/**
 * The two rule operators on Flink's keyed operator test harness, chained as in the job: snapshots
 * → evaluator (keyed by instance) → lifecycle (keyed by fingerprint). Each pushed snapshot is
 * followed by a watermark at its collection time, as a bounded-out-of-orderness source with a
 * zero bound would emit.
 */
final class RulesHarness implements AutoCloseable {
    final RulesConfig config;
    KeyedOneInputStreamOperatorTestHarness<String, Snapshot, Evaluation> evaluator;
    KeyedOneInputStreamOperatorTestHarness<String, Evaluation, AlertEvent> lifecycle;
    final List<AlertEvent> events = new ArrayList<>();
    final List<InsightRow> insights = new ArrayList<>();
    final List<Evaluation> evaluations = new ArrayList<>();
    private long watermark = Long.MIN_VALUE;

    /** Use RocksDB instead of the heap backend (state is serialized on every write: catches lost updates). */
    final boolean rocksDb;
    /**
     * The lifecycle's memory of the last RESOLVED ({@link AlertLifecycleFunction#AlertLifecycleFunction(long)}).
     * 0 unless asked for: these tests feed each instance in order, never behind the watermark, and
     * check that a resolved fingerprint holds nothing right away; the property test and the
     * lifecycle's own tests use the job's default.
     */
    final long resolvedMemoryMs;

    RulesHarness(RulesConfig config) throws Exception {
        this(config, false);
    }

    RulesHarness(RulesConfig config, boolean rocksDb) throws Exception {
        this(config, rocksDb, null, null, InternalErrors.NONE, 0);
    }

    /** With the lifecycle remembering each RESOLVED for {@code resolvedMemoryMs} (the job: {@link AlertLifecycleFunction#RESOLVED_MEMORY_MS}). */
    RulesHarness(RulesConfig config, long resolvedMemoryMs) throws Exception {
        this(config, false, null, null, InternalErrors.NONE, resolvedMemoryMs);
    }

    /** With a fault hook in the evaluator (quarantine tests). */
    RulesHarness(RulesConfig config, InternalErrors.FaultInjection faults) throws Exception {
        this(config, false, null, null, faults, 0);
    }

    private RulesHarness(RulesConfig config, boolean rocksDb, OperatorSubtaskState evalState,
            OperatorSubtaskState lifeState, InternalErrors.FaultInjection faults, long resolvedMemoryMs)
            throws Exception {
        this.config = config;
        this.rocksDb = rocksDb;
        this.resolvedMemoryMs = resolvedMemoryMs;
        evaluator = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new RuleEvaluatorFunction(config).withFaultInjection(faults)),
                new RulesPipeline.ByInstance(),
                Types.STRING);
        lifecycle = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new AlertLifecycleFunction(resolvedMemoryMs)), new RulesPipeline.ByFingerprint(),
                Types.STRING);
        if (rocksDb) {
            evaluator.setStateBackend(new org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend());
            lifecycle.setStateBackend(new org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend());
        }
        if (evalState != null) {
            evaluator.initializeState(evalState);
            lifecycle.initializeState(lifeState);
        }
        evaluator.open();
        lifecycle.open();
    }

    /** Processes a snapshot, then a watermark at its time; returns the alert events it caused. */
    List<AlertEvent> push(Snapshot s) throws Exception {
        int before = events.size();
        evaluator.processElement(s, s.getCollectedAt());
        drain();
        advanceWatermark(s.getCollectedAt());
        return new ArrayList<>(events.subList(before, events.size()));
    }

    void advanceWatermark(long wm) throws Exception {
        if (wm > watermark) {
            watermark = wm;
            evaluator.processWatermark(wm);
            drain();
            lifecycle.processWatermark(wm);
            drain();
        }
    }

    void setProcessingTime(long t) throws Exception {
        evaluator.setProcessingTime(t);
        drain();
    }

    @SuppressWarnings("unchecked")
    void drain() throws Exception {
        boolean more = true;
        while (more) {
            more = false;
            List<Evaluation> fresh = new ArrayList<>();
            for (Object o : evaluator.getOutput()) {
                if (o instanceof StreamRecord<?> r) {
                    fresh.add((Evaluation) r.getValue());
                }
            }
            evaluator.getOutput().clear();
            var side = evaluator.getSideOutput(RuleEvaluatorFunction.INSIGHTS);
            if (side != null) {
                for (Object o : side) {
                    insights.add(((StreamRecord<InsightRow>) o).getValue());
                }
                side.clear();
            }
            for (Evaluation e : fresh) {
                evaluations.add(e);
                lifecycle.processElement(e, e.at);
            }
            for (Object o : lifecycle.getOutput()) {
                if (o instanceof StreamRecord<?> r) {
                    events.add((AlertEvent) r.getValue());
                }
            }
            lifecycle.getOutput().clear();
            more = !fresh.isEmpty() && !evaluator.getOutput().isEmpty();
        }
    }

    /** Snapshots both operators' state, closes them, and returns a harness restored from it. */
    RulesHarness restart() throws Exception {
        OperatorSubtaskState e = evaluator.snapshot(1L, watermark);
        OperatorSubtaskState l = lifecycle.snapshot(1L, watermark);
        close();
        RulesHarness r = new RulesHarness(config, rocksDb, e, l, InternalErrors.NONE, resolvedMemoryMs);
        r.watermark = watermark;
        r.events.addAll(events);
        return r;
    }

    List<AlertEvent> firing() {
        return events.stream().filter(a -> a.getStatus() == AlertStatus.FIRING).toList();
    }

    List<AlertEvent> resolved() {
        return events.stream().filter(a -> a.getStatus() == AlertStatus.RESOLVED).toList();
    }

    List<AlertEvent> pages() {
        return events.stream().filter(a -> a.getSeverity() != Severity.INFO).toList();
    }

    @Override
    public void close() throws Exception {
        evaluator.close();
        lifecycle.close();
    }
}
