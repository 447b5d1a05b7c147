package dev.datainsight.rules.engine;

import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The job's self-health row, so the rules can alert on the pipeline itself ({@code
 * pipeline_restarting}). A pass-through in front of the rule evaluator: every snapshot goes on
 * unchanged, and once per {@link #EVERY_MS} of event time (and at the first snapshot after every
 * (re)start) it adds a snapshot of view {@link #VIEW} for the pseudo-instance {@link #INSTANCE}
 * with one row: {@code restarts} = this subtask's attempt number. The job's operators are all
 * connected (keyBy), so a failure restarts every task and the attempt number is the number of
 * restarts since the job was submitted (0 again after a fresh submission, which the rule treats
 * as a counter reset). It needs nothing outside the job, so it works the same on a real cluster as
 * in the demo. The same number is the {@code restarts} gauge of the {@code datainsight} metric group
 * (next to Flink's own {@code numRestarts} job metric); the failure cause is only known to the
 * JobManager ({@code GET /jobs/<id>/exceptions}, see docs/job.md). Stateless.
 */
public class PipelineHealthFunction extends ProcessFunction<Snapshot, Snapshot> {
    private static final long serialVersionUID = 1L;
    /** The self-health view (not a catalog view: never collected, never rolled up). */
    public static final String VIEW = "datainsight_pipeline";
    /** The pseudo-instance its rows and alerts belong to. */
    public static final String INSTANCE = "datainsight-job";
    /** Event time between two health rows of one subtask. */
    public static final long EVERY_MS = 60_000L;

    private transient int attempt;
    private transient long nextAt;

    @Override
    public void open(OpenContext openContext) {
        attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
        nextAt = Long.MIN_VALUE;
        getRuntimeContext().getMetricGroup().addGroup(RuleEvaluatorFunction.METRIC_GROUP)
                .gauge("restarts", (Gauge<Integer>) () -> attempt);
    }

    @Override
    public void processElement(Snapshot s, Context ctx, Collector<Snapshot> out) {
        out.collect(s);
        long t = s.getCollectedAt();
        if (t >= nextAt) {
            nextAt = t + EVERY_MS;
            out.collect(row(t, attempt));
        }
    }

    /** A health snapshot at {@code at} reporting {@code restarts}. */
    public static Snapshot row(long at, int restarts) {
        MetricsSnapshot m = new MetricsSnapshot();
        m.setInstance(INSTANCE);
        m.setView(VIEW);
        m.setCollectedAt(at);
        m.getRows().add(new SnapshotRow().value("restarts", (double) restarts));
        return m;
    }
}
