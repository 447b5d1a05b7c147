package dev.datainsight.jobs.plans;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.datainsight.jobs.JobNames;
import dev.datainsight.jobs.plans.PlanAnalyzer.Finding;
import dev.datainsight.jobs.plans.PlanAnalyzer.StatementStats;
import dev.datainsight.jobs.records.CapturedPlan;
import dev.datainsight.jobs.records.Recommendation;
import dev.datainsight.jobs.records.StatementTemp;
import dev.datainsight.model.WireCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Recommendations per statement, keyed like the plan history (instance, database, query id):
 * each captured plan is analysed ({@link PlanAnalyzer}) with the statement's latest temp-block
 * counters (second input, {@link StatementTemps}), and every finding is emitted as an open
 * {@link Recommendation} — the first time and again on each later capture (a refresh with the
 * new evidence and confidence: the store keeps one row per dedup key). A finding that was open and
 * that the new plan no longer gives is emitted closed, with why: for an index, the index access
 * the new plan uses on the relation (or its new shape); for work_mem, the latest temp numbers.
 * A plan that cannot be read (cut by the collector) changes nothing. A capture older than (or as
 * old as) the last evaluated one — a replay — is ignored, so nothing is emitted twice for it.
 *
 * <p><b>State and its lifetime.</b> Per statement: the open recommendations
 * ({@value JobNames#STATE_RECOMMENDATIONS}, by dedup key), the time of the last evaluated capture,
 * and the last two temp readings (latest and its difference to the one before). All have the
 * processing-time TTL of the plan history ({@code time.plan_history_ttl}, 7 days), refreshed by
 * every write: a statement no longer explained is forgotten, and its open rows in the store stay
 * open with their {@code last_seen} telling how old they are.
 */
public class RecommendationFunction extends KeyedCoProcessFunction<String, CapturedPlan, StatementTemp, Recommendation> {
    private static final long serialVersionUID = 1L;

    private final Duration ttl;
    private transient MapState<String, Recommendation> open;
    private transient ValueState<Long> evaluated;
    private transient ValueState<StatementTemp> latestTemp;
    private transient ValueState<StatementTemp> recentTemp;
    private transient Counter opened;
    private transient Counter closed;

    /** @param ttl how long a statement's recommendations are remembered without a new capture */
    public RecommendationFunction(Duration ttl) {
        this.ttl = ttl;
    }

    @Override
    public void open(OpenContext openContext) {
        StateTtlConfig t = StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build();
        MapStateDescriptor<String, Recommendation> o = new MapStateDescriptor<>(JobNames.STATE_RECOMMENDATIONS,
                Types.STRING, Types.POJO(Recommendation.class));
        o.enableTimeToLive(t);
        open = getRuntimeContext().getMapState(o);
        ValueStateDescriptor<Long> e = new ValueStateDescriptor<>(JobNames.STATE_RECOMMENDATIONS_EVALUATED, Types.LONG);
        e.enableTimeToLive(t);
        evaluated = getRuntimeContext().getState(e);
        ValueStateDescriptor<StatementTemp> l = new ValueStateDescriptor<>(JobNames.STATE_TEMP_LATEST, StatementTemp.class);
        l.enableTimeToLive(t);
        latestTemp = getRuntimeContext().getState(l);
        ValueStateDescriptor<StatementTemp> r = new ValueStateDescriptor<>(JobNames.STATE_TEMP_RECENT, StatementTemp.class);
        r.enableTimeToLive(t);
        recentTemp = getRuntimeContext().getState(r);
        opened = getRuntimeContext().getMetricGroup().addGroup(JobNames.METRIC_GROUP).counter(JobNames.METRIC_RECOMMENDATIONS_OPENED);
        closed = getRuntimeContext().getMetricGroup().addGroup(JobNames.METRIC_GROUP).counter(JobNames.METRIC_RECOMMENDATIONS_CLOSED);
    }

    @Override
    public void processElement1(CapturedPlan p, Context ctx, Collector<Recommendation> out) throws Exception {
        Long last = evaluated.value();
        if (last != null && p.capturedAt <= last) {
            return;
        }
        StatementStats stats = stats();
        List<Finding> findings = p.truncated ? null
                : PlanAnalyzer.analyze(p.datname == null ? "" : p.datname, p.queryid, p.plan, Map.of(), stats);
        if (findings == null) {
            return; // not readable: neither open nor close anything on it
        }
        evaluated.update(p.capturedAt);
        Map<String, Finding> now = new HashMap<>();
        for (Finding f : findings) {
            now.put(f.key(), f);
        }
        List<String> gone = new ArrayList<>();
        for (Map.Entry<String, Recommendation> e : open.entries()) {
            if (!now.containsKey(e.getKey())) {
                gone.add(e.getKey());
            }
        }
        for (String key : gone) {
            Recommendation r = open.get(key);
            open.remove(key);
            closed.inc();
            out.collect(close(r, p, stats));
        }
        for (Finding f : findings) {
            Recommendation before = open.get(f.key());
            if (before == null) {
                opened.inc();
            }
            Recommendation r = of(p, f, before == null ? p.capturedAt : before.firstSeen);
            open.put(f.key(), r);
            out.collect(r);
        }
    }

    @Override
    public void processElement2(StatementTemp t, Context ctx, Collector<Recommendation> out) throws Exception {
        StatementTemp latest = latestTemp.value();
        if (latest != null && t.collectedAt <= latest.collectedAt) {
            return;
        }
        if (latest != null && t.calls > latest.calls && t.tempBlksWritten >= latest.tempBlksWritten) {
            // what the statement did between the last two readings in which it ran
            StatementTemp d = new StatementTemp();
            d.instance = t.instance;
            d.datname = t.datname;
            d.queryid = t.queryid;
            d.calls = t.calls - latest.calls;
            d.tempBlksWritten = t.tempBlksWritten - latest.tempBlksWritten;
            d.collectedAt = t.collectedAt;
            recentTemp.update(d);
        } else if (latest != null && t.calls < latest.calls) {
            recentTemp.clear(); // counters reset: only the new lifetime counts
        }
        latestTemp.update(t);
    }

    /** The latest interval the statement ran in, else its lifetime counters; null if none. */
    private StatementStats stats() throws Exception {
        StatementTemp recent = recentTemp.value();
        if (recent != null) {
            return new StatementStats(recent.calls, recent.tempBlksWritten);
        }
        StatementTemp latest = latestTemp.value();
        return latest == null ? null : new StatementStats(latest.calls, latest.tempBlksWritten);
    }

    static Recommendation of(CapturedPlan p, Finding f, long firstSeen) {
        Recommendation r = new Recommendation();
        r.instance = p.instance;
        r.datname = p.datname == null ? "" : p.datname;
        r.queryid = p.queryid;
        r.kind = f.kind();
        r.dedupKey = f.key();
        r.target = f.target();
        r.open = true;
        r.firstSeen = firstSeen;
        r.seenAt = p.capturedAt;
        r.confidence = f.confidence();
        r.summary = f.summary();
        r.action = f.action();
        ObjectNode ev = WireCodec.mapper().valueToTree(f.evidence());
        ev.put("fingerprint", p.fingerprint);
        ev.put("plan", p.summary);
        r.evidence = ev.toString();
        r.validated = PlanAnalyzer.NOT_VALIDATED;
        return r;
    }

    static Recommendation close(Recommendation was, CapturedPlan p, StatementStats stats) throws Exception {
        Recommendation r = new Recommendation();
        r.instance = was.instance;
        r.datname = was.datname;
        r.queryid = was.queryid;
        r.kind = was.kind;
        r.dedupKey = was.dedupKey;
        r.target = was.target;
        r.open = false;
        r.firstSeen = was.firstSeen;
        r.seenAt = p.capturedAt;
        r.confidence = was.confidence;
        r.summary = was.summary;
        r.action = was.action;
        r.validated = was.validated;
        String relation = null;
        ObjectNode ev = (ObjectNode) WireCodec.mapper().readTree(was.evidence == null ? "{}" : was.evidence);
        if (ev.hasNonNull("relation")) {
            relation = ev.get("relation").asText();
        }
        String access = relation == null ? null : PlanAnalyzer.indexAccess(p.plan, relation);
        if ("index".equals(was.kind) && access != null) {
            r.closedReason = "the plan now uses " + access + " (plan " + p.fingerprint + ")";
        } else if ("index".equals(was.kind)) {
            r.closedReason = "the plan no longer filters " + relation + " in a Seq Scan: now " + p.summary
                    + " (plan " + p.fingerprint + ")";
        } else if (stats == null || !(stats.tempBlksWritten() > 0)) {
            r.closedReason = "no temp blocks written in the latest interval (plan " + p.fingerprint + ")";
        } else {
            r.closedReason = "no longer spilling beyond work_mem as the plan reads: " + p.summary + " (plan " + p.fingerprint + ")";
        }
        ObjectNode by = ev.putObject("closed_by");
        by.put("fingerprint", p.fingerprint);
        by.put("plan", p.summary);
        if (access != null) {
            by.put("index_access", access);
        }
        r.evidence = ev.toString();
        return r;
    }
}
