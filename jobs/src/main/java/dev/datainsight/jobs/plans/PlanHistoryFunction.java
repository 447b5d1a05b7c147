package dev.datainsight.jobs.plans;

import dev.datainsight.jobs.JobNames;
import dev.datainsight.jobs.records.CapturedPlan;
import dev.datainsight.jobs.records.PlanSeen;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.engine.PlanChangeSnapshot;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The plan history, keyed by instance, database and query id ({@link CapturedPlan#key()}): passes
 * every captured plan on to the store ({@code query_plan}) and, when a query's plan fingerprint
 * differs from the one last captured for it, emits a {@link PlanChangeSnapshot} on
 * {@link #PLAN_CHANGES} for the rules ({@code plan_change}, {@code query_regression}).
 *
 * <ul>
 *   <li>The first plan of a query is not a change: it only starts the history.</li>
 *   <li>A capture older than (or as old as) the last one of the query — a replayed or reordered
 *       record, or a second role's plan of the same cycle — never makes a change and never moves the
 *       state back; the store still gets its row (the upsert only moves first_seen back).</li>
 *   <li>A→B→A is two changes: the history compares with the last plan, not with every plan seen.</li>
 * </ul>
 *
 * <p><b>State and its lifetime.</b> One {@link PlanSeen} per query ({@value JobNames#STATE_PLAN}),
 * checkpointed with the job, with a processing-time TTL of {@code time.plan_history_ttl} (default
 * 7 days) refreshed by every capture: a query no longer explained (gone from the top statements,
 * probe disabled, instance decommissioned) is forgotten after it, and its next capture is a first
 * sighting again. The plans probe explains a statement at most once per interval (15 min by
 * default), so the state is small: one entry per statement the probe explained within the TTL.
 */
public class PlanHistoryFunction extends KeyedProcessFunction<String, CapturedPlan, CapturedPlan> {
    private static final long serialVersionUID = 1L;

    /** Plan changes, as snapshots for the rules' evaluator. */
    public static final OutputTag<Snapshot> PLAN_CHANGES =
            new OutputTag<>("plan-changes", TypeInformation.of(Snapshot.class));

    private final Duration ttl;
    private transient ValueState<PlanSeen> last;
    private transient Counter changes;

    /** @param ttl how long a query's last plan is remembered without a new capture (positive) */
    public PlanHistoryFunction(Duration ttl) {
        this.ttl = ttl;
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<PlanSeen> d = new ValueStateDescriptor<>(JobNames.STATE_PLAN, PlanSeen.class);
        d.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        last = getRuntimeContext().getState(d);
        changes = getRuntimeContext().getMetricGroup().addGroup(JobNames.METRIC_GROUP)
                .counter(JobNames.METRIC_PLAN_CHANGES);
    }

    @Override
    public void processElement(CapturedPlan p, Context ctx, Collector<CapturedPlan> out) throws Exception {
        out.collect(p);
        PlanSeen seen = last.value();
        if (seen != null && p.capturedAt <= seen.lastSeen) {
            return;
        }
        if (seen != null && !p.fingerprint.equals(seen.fingerprint)) {
            changes.inc();
            ctx.output(PLAN_CHANGES, change(p, seen));
            seen = null;
        }
        if (seen == null) {
            seen = new PlanSeen();
            seen.fingerprint = p.fingerprint;
            seen.since = p.capturedAt;
        }
        seen.summary = p.summary;
        seen.lastSeen = p.capturedAt;
        last.update(seen);
    }

    static PlanChangeSnapshot change(CapturedPlan p, PlanSeen old) {
        PlanChangeSnapshot c = new PlanChangeSnapshot();
        c.setInstance(p.instance);
        c.setCollectedAt(p.capturedAt);
        Map<String, String> labels = new LinkedHashMap<>();
        for (int i = 0; p.labels != null && i + 1 < p.labels.length; i += 2) {
            labels.put(p.labels[i], p.labels[i + 1]);
        }
        c.setLabels(labels);
        c.setDatname(p.datname);
        c.setQueryid(p.queryid);
        c.setRolname(p.rolname);
        c.setOldFingerprint(old.fingerprint);
        c.setOldSummary(old.summary);
        c.setOldSeenAt(old.lastSeen);
        c.setNewFingerprint(p.fingerprint);
        c.setNewSummary(p.summary);
        return c;
    }
}
