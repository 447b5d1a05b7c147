package dev.datainsight.rules;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.InternalErrors;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.engine.AlertLifecycleFunction;
import dev.datainsight.rules.engine.Evaluation;
import dev.datainsight.rules.engine.PipelineHealthFunction;
import dev.datainsight.rules.engine.RuleEvaluatorFunction;
import dev.datainsight.store.InsightRow;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * Attaches the rules to the job's validated snapshot stream (event-time timestamps and watermarks
 * already assigned):
 *
 * <pre>
 * snapshots → pipeline-health ─keyBy(instance)→ rules-evaluate ─keyBy(fingerprint)→ alert-lifecycle → alerts
 *                                                └─ side outputs → insights, dead letters
 * </pre>
 *
 * {@code pipeline-health} adds the job's self-health rows (restart count) for
 * {@code pipeline_restarting}; it is stateless.
 *
 * Both operators carry stable uids ({@link #UID_EVALUATE}, {@link #UID_LIFECYCLE}): with their
 * state descriptor names they are the savepoint contract of the open alerts.
 */
public final class RulesPipeline {
    public static final String UID_EVALUATE = "rules-evaluate";
    public static final String UID_LIFECYCLE = "rules-alert-lifecycle";
    public static final String UID_INSIGHTS = "rules-insights";
    public static final String UID_HEALTH = "rules-pipeline-health";

    private RulesPipeline() {}

    /** Wires the rule operators after {@code snapshots}. */
    public static RuleOutputs attach(DataStream<Snapshot> snapshots, RulesConfig config) {
        return attach(snapshots, config, InternalErrors.NONE);
    }

    /** The same, with a test-only fault hook in the evaluator (see {@link RuleEvaluatorFunction#withFaultInjection}). */
    public static RuleOutputs attach(DataStream<Snapshot> snapshots, RulesConfig config,
            InternalErrors.FaultInjection faults) {
        // Same parallelism as its input: a forward (chained) edge keeps each instance's snapshots in
        // order; a rebalance here would interleave them and the rules would see them out of order.
        SingleOutputStreamOperator<Snapshot> withHealth = snapshots
                .process(new PipelineHealthFunction())
                .uid(UID_HEALTH)
                .name("rules: pipeline health");
        if (snapshots.getParallelism() > 0) {
            withHealth.setParallelism(snapshots.getParallelism());
        }
        SingleOutputStreamOperator<Evaluation> evaluations = withHealth
                .keyBy(new ByInstance())
                .process(new RuleEvaluatorFunction(config).withFaultInjection(faults))
                .uid(UID_EVALUATE)
                .name("rules: evaluate");
        DataStream<InsightRow> insights = evaluations.getSideOutput(RuleEvaluatorFunction.INSIGHTS);
        SingleOutputStreamOperator<AlertEvent> alerts = evaluations
                .keyBy(new ByFingerprint())
                .process(new AlertLifecycleFunction())
                .uid(UID_LIFECYCLE)
                .name("rules: alert lifecycle");
        DataStream<DeadLetterRecord> deadLetters = evaluations.getSideOutput(RuleEvaluatorFunction.DEAD_LETTERS)
                .union(alerts.getSideOutput(AlertLifecycleFunction.DEAD_LETTERS));
        return new RuleOutputs(alerts, insights, deadLetters);
    }

    /** Key of the evaluator: the instance id. */
    public static final class ByInstance implements KeySelector<Snapshot, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getKey(Snapshot s) {
            return s.getInstance();
        }
    }

    /** Key of the lifecycle: the alert fingerprint. */
    public static final class ByFingerprint implements KeySelector<Evaluation, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getKey(Evaluation e) {
            return e.fingerprint;
        }
    }
}
