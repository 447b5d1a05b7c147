package dev.datainsight.rules.engine;

import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.InternalErrors;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.RejectReason;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.WireCodec;
import dev.datainsight.rules.RulesConfig;
import dev.datainsight.rules.defs.InstanceSilentRule;
import dev.datainsight.rules.defs.RuleCatalog;
import dev.datainsight.store.InsightRow;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs every enabled rule on each snapshot of one instance (keyed by instance id) and emits one
 * {@link Evaluation} per series whose condition holds, plus one false evaluation when a series
 * stops holding (or its row disappears). Insights go to the {@link #INSIGHTS} side output.
 *
 * <p><b>Absence (instance_silent).</b> Each snapshot re-arms two timers at "last seen + N
 * intervals": an event-time timer, which fires when the watermark moves on because other
 * instances keep reporting (an idle partition is excluded from the watermark by
 * {@code withIdleness}), and a processing-time timer, which fires even when the whole input is
 * idle and the watermark stands still. After a restore, the processing-time check grants N
 * intervals of grace from start-up so a backlog being replayed is not reported as silence.
 *
 * <p><b>State lifetime.</b> An instance silent for {@code instance_silent.forget_after} (7 d) is
 * forgotten: its memories, active series and timers are dropped. Rule memories untouched for 6 h
 * are swept hourly. Rule memories are bounded by the collector's top-N per view; the
 * active-series map holds only series whose condition holds; a series whose view stops arriving
 * altogether keeps its entry until the view returns (its alert resolves as stale downstream).
 *
 * <p><b>Detail views</b> ({@link dev.datainsight.model.ViewDef#isDetail()}: the per-session rows
 * of {@code pg_stat_activity_sessions} and {@code pg_stat_activity_connections}) are not rule
 * input of their own: the latest snapshot of each is kept per instance and offered to the rules
 * evaluating the aggregates of the same cycle ({@link RuleContext#detail}), which the collector
 * publishes after the detail. They are kept on the heap, not in Flink state: they only word the
 * summaries, are replaced every cycle (at most one snapshot of ≤ 20 rows per instance and view),
 * and after a restore the next cycle brings them again (until then summaries fall back to the
 * aggregate's wording). They are dropped with the instance (forget_after, quarantine reset).
 *
 * <p><b>Per-key quarantine.</b> A rule that throws is a bug in the rule or in its memory, never a
 * reason to fail the job: the {@code internalErrors} counter goes up, the snapshot goes to the
 * {@link #DEAD_LETTERS} side output ({@code internal_error}, with the stack head) and that rule's
 * memories of the instance are dropped, so it starts again from the next snapshots; the other
 * rules ran as usual. An exception outside one rule (presence tracking, a timer) resets the whole
 * instance (memories, active series, presence). Timers left behind find no state and do nothing;
 * open alerts are not touched here (the lifecycle keeps them; a condition that still holds keeps
 * them firing, one that no longer reports resolves them as stale). Errors, interrupts, I/O and
 * Flink's own exceptions still fail the task ({@link InternalErrors#isQuarantinable}).
 */
public class RuleEvaluatorFunction extends KeyedProcessFunction<String, Snapshot, Evaluation> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RuleEvaluatorFunction.class);

    /** Side output of insight rows. */
    public static final OutputTag<InsightRow> INSIGHTS = new OutputTag<>("insights") {};
    /** Side output of internal-error dead letters (reason {@code internal_error}). */
    public static final OutputTag<DeadLetterRecord> DEAD_LETTERS =
            new OutputTag<>("rules-dead-letters", TypeInformation.of(DeadLetterRecord.class));
    /** Metric group and counter of quarantined keys (as the rollup operator's). */
    public static final String METRIC_GROUP = "datainsight";
    public static final String METRIC_INTERNAL_ERRORS = "internalErrors";

    /** State descriptor names: part of the savepoint contract. */
    public static final String MEMORY_STATE = "rule-memory";
    public static final String ACTIVE_STATE = "rule-active-series";
    public static final String INSTANCE_STATE = "rule-instance-info";

    /** How often the memories of one instance are swept, and how long an untouched one lives. */
    static final long GC_EVERY_MS = 3_600_000L;
    /** Health-snapshot gaps kept to learn the collection interval. */
    static final int RECENT_GAPS = 6;
    static final long MEMORY_TTL_MS = 6 * 3_600_000L;

    private final RulesConfig config;
    private InternalErrors.FaultInjection faults = InternalErrors.NONE;
    private transient List<Rule> rules;
    private transient Counter internalErrors;
    private transient MapState<String, Memory> memory;
    private transient MapState<String, ActiveSeries> active;
    private transient ValueState<InstanceInfo> info;
    private transient long openedAtProc;
    /** instance → detail view → its latest rows (see the class comment: heap only, replaced every cycle). */
    private transient Map<String, Map<String, Detail>> details;

    /** A detail snapshot's rows, copied: object reuse is on, so no input record is kept. */
    private record Detail(long collectedAt, List<dev.datainsight.model.SnapshotRow> rows) {
        static Detail of(Snapshot s) {
            List<dev.datainsight.model.SnapshotRow> rows = new ArrayList<>(s.getRows().size());
            for (dev.datainsight.model.SnapshotRow r : s.getRows()) {
                rows.add(new dev.datainsight.model.SnapshotRow(new LinkedHashMap<>(r.getLabels()),
                        new LinkedHashMap<>(r.getValues()), r.getStatsReset()));
            }
            return new Detail(s.getCollectedAt(), java.util.Collections.unmodifiableList(rows));
        }
    }

    public RuleEvaluatorFunction(RulesConfig config) {
        this.config = config;
    }

    /**
     * Test-only: makes every rule's pass over the snapshots the hook selects (instance,
     * collected_at) throw, to exercise the quarantine. Production wiring never calls this.
     */
    public RuleEvaluatorFunction withFaultInjection(InternalErrors.FaultInjection f) {
        this.faults = f == null ? InternalErrors.NONE : f;
        return this;
    }

    @Override
    public void open(OpenContext openContext) {
        rules = new ArrayList<>();
        for (Rule r : RuleCatalog.all()) {
            if (!(r instanceof InstanceSilentRule) && config.mayRun(r.name())) {
                rules.add(r);
            }
        }
        memory = getRuntimeContext().getMapState(new MapStateDescriptor<>(MEMORY_STATE, String.class, Memory.class));
        active = getRuntimeContext().getMapState(
                new MapStateDescriptor<>(ACTIVE_STATE, String.class, ActiveSeries.class));
        info = getRuntimeContext().getState(new ValueStateDescriptor<>(INSTANCE_STATE, InstanceInfo.class));
        openedAtProc = -1;
        details = new java.util.HashMap<>();
        internalErrors = getRuntimeContext().getMetricGroup().addGroup(METRIC_GROUP).counter(METRIC_INTERNAL_ERRORS);
    }

    @Override
    public void processElement(Snapshot s, Context ctx, Collector<Evaluation> out) throws Exception {
        try {
            evaluate(s, ctx, out);
        } catch (RuntimeException e) {
            if (!InternalErrors.isQuarantinable(e)) {
                throw e;
            }
            resetInstance(ctx.getCurrentKey(), s, e, ctx, "snapshot " + s.getView() + " at " + s.getCollectedAt());
        }
    }

    private void evaluate(Snapshot s, Context ctx, Collector<Evaluation> out) throws Exception {
        String instance = ctx.getCurrentKey();
        InternalErrors.check(faults, instance, s.getCollectedAt());
        if (!PipelineHealthFunction.VIEW.equals(s.getView())) {
            trackPresence(s, ctx, out);
        }
        dev.datainsight.model.ViewDef def = MetricCatalog.view(s.getView());
        if (def != null && def.isDetail()) {
            details.computeIfAbsent(instance, k -> new java.util.HashMap<>()).put(s.getView(), Detail.of(s));
        }
        for (Rule rule : rules) {
            if (!rule.reads(s.getView())) {
                continue;
            }
            Pass pass = new Pass(rule, s, instance, ctx, out);
            try {
                rule.evaluate(s, pass);
                pass.end();
            } catch (RuntimeException e) {
                if (!InternalErrors.isQuarantinable(e)) {
                    throw e;
                }
                resetRule(rule, instance, s, e, ctx);
            }
        }
    }

    /** One rule failed on one snapshot: dead-letter it and drop that rule's memories of the instance. */
    private void resetRule(Rule rule, String instance, Snapshot s, RuntimeException e, Context ctx) throws Exception {
        internalErrors.inc();
        String prefix = rule.name() + '|';
        List<String> mine = new ArrayList<>();
        for (Iterator<String> it = memory.keys().iterator(); it.hasNext(); ) {
            String k = it.next();
            if (k.startsWith(prefix)) {
                mine.add(k);
            }
        }
        for (String k : mine) {
            memory.remove(k);
        }
        String detail = "internal error in rule " + rule.name() + " on " + s.getView() + " at " + s.getCollectedAt()
                + " (a bug in the job, not in the record): " + InternalErrors.stackHead(e, InternalErrors.STACK_LINES)
                + "\nmemories of rule " + rule.name() + " for instance " + instance + " reset (" + mine.size()
                + "); its windows and baselines are rebuilt from the next snapshots";
        LOG.error("rule {} failed on {} of {}; its memories of the instance were reset", rule.name(), s.getView(),
                instance, e);
        ctx.output(DEAD_LETTERS, letter(s, instance, detail));
    }

    /** Something outside one rule failed: dead-letter and drop everything kept for the instance. */
    private void resetInstance(String instance, Snapshot s, RuntimeException e, Context ctx, String where)
            throws Exception {
        internalErrors.inc();
        memory.clear();
        active.clear();
        info.clear();
        details.remove(instance);
        String detail = "internal error in the rule evaluator on " + where + " (a bug in the job, not in the record): "
                + InternalErrors.stackHead(e, InternalErrors.STACK_LINES) + "\nrule state of instance " + instance
                + " reset (memories, active series, presence); it is rebuilt from the next snapshots";
        LOG.error("rule evaluator quarantined instance {} after an internal error on {}", instance, where, e);
        ctx.output(DEAD_LETTERS, letter(s, instance, detail));
    }

    private static DeadLetterRecord letter(Snapshot s, String instance, String detail) {
        byte[] payload = null;
        if (s != null) {
            try {
                payload = new WireCodec().encode(s);
            } catch (RuntimeException encode) {
                payload = null; // the letter still says what happened
            }
        }
        return WireCodec.deadLetter(payload, RejectReason.INTERNAL_ERROR, detail, instance, null, null, null, null,
                System.currentTimeMillis());
    }

    // ------------------------------------------------------------------ instance_silent

    private void trackPresence(Snapshot s, Context ctx, Collector<Evaluation> out) throws Exception {
        InstanceInfo in = info.value();
        if (in == null) {
            in = new InstanceInfo();
            in.lastGcAt = s.getCollectedAt();
        }
        if (s.getCollectedAt() - in.lastGcAt >= GC_EVERY_MS) {
            in.lastGcAt = s.getCollectedAt();
            collectGarbage(s.getCollectedAt() - MEMORY_TTL_MS);
        }
        if (!config.mayRun(InstanceSilentRule.NAME)) {
            info.update(in);
            return;
        }
        long now = ctx.timerService().currentProcessingTime();
        if (openedAtProc < 0) {
            openedAtProc = now;
        }
        if (MetricCatalog.COLLECTOR_VIEW.equals(s.getView())) {
            if (in.lastCycleAt >= 0 && s.getCollectedAt() > in.lastCycleAt) {
                long gap = s.getCollectedAt() - in.lastCycleAt;
                long[] g = java.util.Arrays.copyOf(in.recentGaps, Math.min(in.recentGaps.length + 1, RECENT_GAPS));
                System.arraycopy(in.recentGaps, Math.max(0, in.recentGaps.length - g.length + 1), g, 0, g.length - 1);
                g[g.length - 1] = gap;
                in.recentGaps = g;
                in.observedIntervalMs = java.util.Arrays.stream(g).max().orElse(gap);
            }
            in.lastCycleAt = Math.max(in.lastCycleAt, s.getCollectedAt());
        }
        in.lastCollectedAt = Math.max(in.lastCollectedAt, s.getCollectedAt());
        in.lastSeenProc = now;
        in.labels = new LinkedHashMap<>(s.getLabels());
        Params p = config.params(InstanceSilentRule.NAME, ctx.getCurrentKey(), in.labels, Map.of());
        if (in.silent) {
            in.silent = false;
            out.collect(silentEvaluation(ctx.getCurrentKey(), in, p, null, in.lastCollectedAt));
        }
        if (p.enabled()) {
            long after = silentAfter(in, p);
            rearm(ctx, in, in.lastCollectedAt + after, now + after);
        }
        info.update(in);
    }

    /** Drops memories of series not seen for {@link #MEMORY_TTL_MS} (dropped tables, evicted query ids). */
    private void collectGarbage(long olderThan) throws Exception {
        List<String> old = new ArrayList<>();
        for (Iterator<Map.Entry<String, Memory>> it = memory.iterator(); it.hasNext(); ) {
            Map.Entry<String, Memory> e = it.next();
            if (e.getValue().touched < olderThan) {
                old.add(e.getKey());
            }
        }
        for (String k : old) {
            memory.remove(k);
        }
    }

    private static long interval(InstanceInfo in, Params p) {
        long configured = p.millis(InstanceSilentRule.INTERVAL);
        if (in.observedIntervalMs <= 0) {
            return configured;
        }
        // Until a full window of gaps is seen, the short offset between the two probe groups'
        // health snapshots could pass for the interval (0.3 s instead of 10 s) and page for a
        // silence of one second: never go below the configured interval before then.
        return in.recentGaps.length < RECENT_GAPS ? Math.max(configured, in.observedIntervalMs) : in.observedIntervalMs;
    }

    private static long silentAfter(InstanceInfo in, Params p) {
        return Math.round(p.number(InstanceSilentRule.INTERVALS) * interval(in, p));
    }

    private static void rearm(Context ctx, InstanceInfo in, long eventDue, long procDue) {
        if (in.eventTimer != eventDue) {
            if (in.eventTimer >= 0) {
                ctx.timerService().deleteEventTimeTimer(in.eventTimer);
            }
            ctx.timerService().registerEventTimeTimer(eventDue);
            in.eventTimer = eventDue;
        }
        if (in.procTimer != procDue) {
            if (in.procTimer >= 0) {
                ctx.timerService().deleteProcessingTimeTimer(in.procTimer);
            }
            ctx.timerService().registerProcessingTimeTimer(procDue);
            in.procTimer = procDue;
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Evaluation> out) throws Exception {
        try {
            fire(timestamp, ctx, out);
        } catch (RuntimeException e) {
            if (!InternalErrors.isQuarantinable(e)) {
                throw e;
            }
            resetInstance(ctx.getCurrentKey(), null, e, ctx, "timer at " + timestamp);
        }
    }

    private void fire(long timestamp, OnTimerContext ctx, Collector<Evaluation> out) throws Exception {
        InstanceInfo in = info.value();
        if (in == null) {
            return;
        }
        String instance = ctx.getCurrentKey();
        Params p = config.params(InstanceSilentRule.NAME, instance, in.labels, Map.of());
        if (!p.enabled()) {
            return;
        }
        long after = silentAfter(in, p);
        long step = interval(in, p);
        long at;
        boolean eventTime = ctx.timeDomain() == org.apache.flink.streaming.api.TimeDomain.EVENT_TIME;
        if (eventTime) {
            in.eventTimer = -1;
            if (ctx.timerService().currentWatermark() == Long.MAX_VALUE) {
                // End of a bounded input, not silence (and re-arming would loop at the final watermark).
                info.update(in);
                return;
            }
            if (timestamp < in.lastCollectedAt + after) {
                info.update(in);
                return;
            }
            at = timestamp;
            in.eventTimer = timestamp + step;
            ctx.timerService().registerEventTimeTimer(in.eventTimer);
        } else {
            in.procTimer = -1;
            if (openedAtProc < 0) {
                // First call after a (re)start: grant the grace from now, not from the timer's due time.
                openedAtProc = ctx.timerService().currentProcessingTime();
            }
            long quietFor = timestamp - Math.max(in.lastSeenProc, openedAtProc);
            if (quietFor < after) {
                in.procTimer = Math.max(in.lastSeenProc, openedAtProc) + after;
                ctx.timerService().registerProcessingTimeTimer(in.procTimer);
                info.update(in);
                return;
            }
            at = in.lastCollectedAt + (timestamp - in.lastSeenProc);
            in.procTimer = timestamp + step;
            ctx.timerService().registerProcessingTimeTimer(in.procTimer);
        }
        if (at - in.lastCollectedAt >= p.millis(InstanceSilentRule.FORGET_AFTER)) {
            // Decommissioned: drop everything kept for this instance; its open alerts go stale downstream.
            if (in.eventTimer >= 0) {
                ctx.timerService().deleteEventTimeTimer(in.eventTimer);
            }
            if (in.procTimer >= 0) {
                ctx.timerService().deleteProcessingTimeTimer(in.procTimer);
            }
            memory.clear();
            active.clear();
            info.clear();
            details.remove(instance);
            return;
        }
        in.silent = true;
        out.collect(silentEvaluation(instance, in, p, p.severity(InstanceSilentRule.SEVERITY), at));
        info.update(in);
    }

    private Evaluation silentEvaluation(String instance, InstanceInfo in, Params p, Severity level, long at) {
        long gap = Math.max(0, at - in.lastCollectedAt);
        double intervals = interval(in, p) > 0 ? (double) gap / interval(in, p) : 0;
        Evaluation e = base(InstanceSilentRule.NAME, instance, Map.of(), p, at);
        e.level = level;
        e.value = gap / 1000.0;
        Double thr = silentAfter(in, p) / 1000.0;
        if (p.severity(InstanceSilentRule.SEVERITY) == Severity.CRITICAL) {
            e.criticalThreshold = thr;
        } else {
            e.warningThreshold = thr;
        }
        e.summary = level == null
                ? "Instance " + instance + " reports again"
                : String.format(java.util.Locale.ROOT, "No snapshot from %s for %.0f s (%.1f collection intervals)",
                        instance, gap / 1000.0, intervals);
        e.description = "Last snapshot collected at " + java.time.Instant.ofEpochMilli(in.lastCollectedAt)
                + ". Either the collector stopped, cannot reach Kafka, or the instance's partition stalled.";
        return e;
    }

    private Evaluation base(String rule, String instance, Map<String, String> labels, Params p, long at) {
        Evaluation e = new Evaluation();
        e.rule = rule;
        e.instance = instance;
        e.labels = new LinkedHashMap<>(labels);
        e.fingerprint = Fingerprint.of(rule, instance, labels);
        e.at = at;
        e.forMs = p.millis(RuleDefinition.FOR);
        e.resolveForMs = p.millis(RuleDefinition.RESOLVE_FOR);
        e.renotifyMs = p.millis(RuleDefinition.RENOTIFY);
        e.staleAfterMs = Math.max(config.staleAfterMs(), e.resolveForMs + 1);
        e.runbook = RuleCatalog.byName().get(rule).definition().runbook();
        return e;
    }

    /** The context of one rule's pass over one snapshot. */
    private final class Pass implements RuleContext {
        private final Rule rule;
        private final Snapshot snapshot;
        private final String instance;
        private final Context ctx;
        private final Collector<Evaluation> out;
        private final Set<String> touched = new HashSet<>();

        Pass(Rule rule, Snapshot snapshot, String instance, Context ctx, Collector<Evaluation> out) {
            this.rule = rule;
            this.snapshot = snapshot;
            this.instance = instance;
            this.ctx = ctx;
            this.out = out;
        }

        @Override
        public String instance() {
            return instance;
        }

        @Override
        public long now() {
            return snapshot.getCollectedAt();
        }

        @Override
        public List<dev.datainsight.model.SnapshotRow> detail(String view) {
            Map<String, Detail> mine = details.get(instance);
            Detail d = mine == null ? null : mine.get(view);
            return d == null || d.collectedAt() != snapshot.getCollectedAt() ? List.of() : d.rows();
        }

        @Override
        public Params params(Map<String, String> rowLabels) {
            return config.params(rule.name(), instance, snapshot.getLabels(), rowLabels);
        }

        @Override
        public Memory memory(String key) throws Exception {
            return memory.get(rule.name() + '|' + key);
        }

        @Override
        public void remember(String key, Memory m) throws Exception {
            m.touched = now();
            memory.put(rule.name() + '|' + key, m);
        }

        @Override
        public void forget(String key) throws Exception {
            memory.remove(rule.name() + '|' + key);
        }

        @Override
        public void alert(Params p, Map<String, String> labels, Severity level, Double value, Double warning,
                Double critical, String summary, String description) throws Exception {
            emit(p, labels, level, value, null, warning, critical, summary, description);
        }

        @Override
        public void info(Params p, Map<String, String> labels, boolean holds, Double value, Double threshold,
                String summary, String description) throws Exception {
            emit(p, labels, holds ? Severity.INFO : null, value, threshold, null, null, summary, description);
        }

        private void emit(Params p, Map<String, String> labels, Severity level, Double value, Double info,
                Double warning, Double critical, String summary, String description) throws Exception {
            if (!p.enabled()) {
                level = null;
            }
            String fp = Fingerprint.of(rule.name(), instance, labels);
            touched.add(fp);
            ActiveSeries a = active.get(fp);
            if (level == null && a == null) {
                return;
            }
            Evaluation e = base(rule.name(), instance, labels, p, snapshot.getCollectedAt());
            e.level = level;
            e.value = value;
            e.infoThreshold = info;
            e.warningThreshold = warning;
            e.criticalThreshold = critical;
            e.summary = summary;
            e.description = description;
            out.collect(e);
            if (level != null) {
                if (a == null || a.clearSince >= 0) {
                    a = a == null ? new ActiveSeries() : a;
                    a.rule = rule.name();
                    a.view = snapshot.getView();
                    a.labels = new LinkedHashMap<>(labels);
                    a.clearSince = -1;
                    active.put(fp, a);
                }
            } else {
                clearing(fp, a, e);
            }
        }

        /** Keeps a clearing series until resolve_for has passed, then forgets it. */
        private void clearing(String fp, ActiveSeries a, Evaluation e) throws Exception {
            if (a.clearSince < 0) {
                a.clearSince = e.at;
            }
            if (e.at - a.clearSince >= e.resolveForMs) {
                active.remove(fp);
            } else {
                active.put(fp, a);
            }
        }

        @Override
        public void insight(String kind, String subject, String severity, String summary, String evidenceJson) {
            ctx.output(INSIGHTS, new InsightRow(instance, kind, subject, severity, summary, evidenceJson, now()));
        }

        /** Series that held before but whose row is gone from this snapshot turn false. */
        void end() throws Exception {
            if (rule.definition().kind() != RuleDefinition.Kind.ALERT) {
                return;
            }
            List<String> gone = new ArrayList<>();
            for (Iterator<Map.Entry<String, ActiveSeries>> it = active.iterator(); it.hasNext(); ) {
                Map.Entry<String, ActiveSeries> en = it.next();
                ActiveSeries a = en.getValue();
                if (a.rule.equals(rule.name()) && a.view.equals(snapshot.getView()) && !touched.contains(en.getKey())) {
                    gone.add(en.getKey());
                }
            }
            for (String fp : gone) {
                ActiveSeries a = active.get(fp);
                Params p = params(a.labels);
                Evaluation e = base(rule.name(), instance, a.labels, p, snapshot.getCollectedAt());
                e.summary = "no longer present in " + snapshot.getView();
                e.description = "The row that triggered this alert is gone from the latest " + snapshot.getView()
                        + " snapshot.";
                out.collect(e);
                clearing(fp, a, e);
            }
        }
    }
}
