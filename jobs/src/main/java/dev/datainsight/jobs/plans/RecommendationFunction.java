package dev.datainsight.jobs.plans;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.datainsight.jobs.JobNames;
import dev.datainsight.jobs.plans.PlanAnalyzer.Finding;
import dev.datainsight.jobs.plans.PlanAnalyzer.RelationStats;
import dev.datainsight.jobs.plans.PlanAnalyzer.StatementStats;
import dev.datainsight.jobs.records.CapturedPlan;
import dev.datainsight.jobs.records.Recommendation;
import dev.datainsight.jobs.records.StatsReading;
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
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Recommendations per statement, keyed by instance and database ({@link StatsReading#databaseKey}):
 * each captured plan is analysed ({@link PlanAnalyzer}) with the statement's latest temp-block
 * counters and the latest tables-probe numbers of the database's relations (second input,
 * {@link StatsReadings}), and every finding is emitted as an open
 * {@link Recommendation} — the first time and again on each later capture (a refresh with the
 * new evidence and confidence: the store keeps one row per dedup key). A finding that was open and
 * that the new plan no longer gives is emitted closed, with why: for an index, the index access
 * the new plan uses on the relation (or its new shape); for work_mem, the latest temp numbers.
 * A plan that cannot be read (cut by the collector) changes nothing. A capture older than (or as
 * old as) the last evaluated one — a replay — is ignored, so nothing is emitted twice for it.
 *
 * <p><b>State and its lifetime.</b> Per database, map entries: the open recommendations
 * ({@value JobNames#STATE_RECOMMENDATIONS}, by dedup key), per statement the time of its last
 * evaluated capture and its last two temp readings (latest and its difference to the one before),
 * and per relation its latest tables-probe reading (the probe's top relations: bounded by its
 * top-N). Every entry has the processing-time TTL of the plan history ({@code
 * time.plan_history_ttl}, 7 days), refreshed by every write: a statement no longer explained, or a
 * relation no longer reported, is forgotten, and open rows in the store of a forgotten statement
 * stay open with their {@code last_seen} telling how old they are.
 */
public class RecommendationFunction extends KeyedCoProcessFunction<String, CapturedPlan, StatsReading, Recommendation> {
    private static final long serialVersionUID = 1L;

    private final Duration ttl;
    private transient MapState<String, Recommendation> open;
    private transient MapState<String, Long> evaluated;
    private transient MapState<String, StatsReading> latestTemp;
    private transient MapState<String, StatsReading> recentTemp;
    private transient MapState<String, StatsReading> relations;
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
        evaluated = map(JobNames.STATE_RECOMMENDATIONS_EVALUATED, Types.LONG, t);
        latestTemp = map(JobNames.STATE_TEMP_LATEST, Types.POJO(StatsReading.class), t);
        recentTemp = map(JobNames.STATE_TEMP_RECENT, Types.POJO(StatsReading.class), t);
        relations = map(JobNames.STATE_RELATIONS, Types.POJO(StatsReading.class), t);
        opened = getRuntimeContext().getMetricGroup().addGroup(JobNames.METRIC_GROUP).counter(JobNames.METRIC_RECOMMENDATIONS_OPENED);
        closed = getRuntimeContext().getMetricGroup().addGroup(JobNames.METRIC_GROUP).counter(JobNames.METRIC_RECOMMENDATIONS_CLOSED);
    }

    private <V> MapState<String, V> map(String name, org.apache.flink.api.common.typeinfo.TypeInformation<V> type, StateTtlConfig t) {
        MapStateDescriptor<String, V> d = new MapStateDescriptor<>(name, Types.STRING, type);
        d.enableTimeToLive(t);
        return getRuntimeContext().getMapState(d);
    }

    /** The key of a plan: its instance and database. */
    public static String key(CapturedPlan p) {
        return StatsReading.databaseKey(p.instance, p.datname);
    }

    @Override
    public void processElement1(CapturedPlan p, Context ctx, Collector<Recommendation> out) throws Exception {
        Long last = evaluated.get(p.queryid);
        if (last != null && p.capturedAt <= last) {
            return;
        }
        StatementStats stats = stats(p.queryid);
        Map<String, RelationStats> rels = new HashMap<>();
        for (Map.Entry<String, StatsReading> e : relations.entries()) {
            StatsReading r = e.getValue();
            rels.put(e.getKey(), new RelationStats(r.liveTuples, r.tableBytes, r.modsSinceAnalyze));
        }
        List<Finding> findings = p.truncated ? null
                : PlanAnalyzer.analyze(p.datname == null ? "" : p.datname, p.queryid, p.plan, rels, stats);
        if (findings == null) {
            return; // not readable: neither open nor close anything on it
        }
        evaluated.put(p.queryid, p.capturedAt);
        Map<String, Finding> now = new HashMap<>();
        for (Finding f : findings) {
            now.put(f.key(), f);
        }
        List<String> gone = new ArrayList<>();
        for (Map.Entry<String, Recommendation> e : open.entries()) {
            if (p.queryid.equals(e.getValue().queryid) && !now.containsKey(e.getKey())) {
                gone.add(e.getKey());
            }
        }
        for (String key : gone) {
            Recommendation r = open.get(key);
            open.remove(key);
            closed.inc();
            out.collect(close(r, p, stats, rels));
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
    public void processElement2(StatsReading t, Context ctx, Collector<Recommendation> out) throws Exception {
        if (StatsReading.RELATION.equals(t.kind)) {
            StatsReading had = relations.get(t.relation);
            if (had == null || t.collectedAt > had.collectedAt) {
                relations.put(t.relation, copy(t));
            }
            return;
        }
        StatsReading latest = latestTemp.get(t.queryid);
        if (latest != null && t.collectedAt <= latest.collectedAt) {
            return;
        }
        if (latest != null && t.calls > latest.calls && t.tempBlksWritten >= latest.tempBlksWritten) {
            // what the statement did between the last two readings in which it ran
            StatsReading d = new StatsReading();
            d.instance = t.instance;
            d.datname = t.datname;
            d.kind = t.kind;
            d.queryid = t.queryid;
            d.calls = t.calls - latest.calls;
            d.tempBlksWritten = t.tempBlksWritten - latest.tempBlksWritten;
            d.collectedAt = t.collectedAt;
            recentTemp.put(t.queryid, d);
        } else if (latest != null && t.calls < latest.calls) {
            recentTemp.remove(t.queryid); // counters reset: only the new lifetime counts
        }
        latestTemp.put(t.queryid, copy(t));
    }

    /** A copy for the state: with object reuse on, the input object may be refilled by the next record. */
    static StatsReading copy(StatsReading t) {
        StatsReading c = new StatsReading();
        c.instance = t.instance;
        c.datname = t.datname;
        c.kind = t.kind;
        c.queryid = t.queryid;
        c.relation = t.relation;
        c.calls = t.calls;
        c.tempBlksWritten = t.tempBlksWritten;
        c.liveTuples = t.liveTuples;
        c.tableBytes = t.tableBytes;
        c.modsSinceAnalyze = t.modsSinceAnalyze;
        c.collectedAt = t.collectedAt;
        return c;
    }

    /** The latest interval the statement ran in, else its lifetime counters; null if none. */
    private StatementStats stats(String queryid) throws Exception {
        StatsReading recent = recentTemp.get(queryid);
        if (recent != null) {
            return new StatementStats(recent.calls, recent.tempBlksWritten);
        }
        StatsReading latest = latestTemp.get(queryid);
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

    static Recommendation close(Recommendation was, CapturedPlan p, StatementStats stats, Map<String, RelationStats> rels)
            throws Exception {
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
        } else if ("analyze".equals(was.kind)) {
            RelationStats st = relation == null ? null : rels.get(relation);
            r.closedReason = st == null || st.modsSinceAnalyze() == null
                    ? relation + " is no longer read by the plan, or no longer reported by the tables probe (plan " + p.fingerprint + ")"
                    : relation + " now has " + Math.round(st.modsSinceAnalyze()) + " rows changed since its last analyze"
                            + (st.liveTuples() == null ? "" : " of " + Math.round(st.liveTuples()));
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
