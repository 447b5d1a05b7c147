package dev.datainsight.rules.engine;

import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.InternalErrors;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.RejectReason;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.WireCodec;
import dev.datainsight.rules.RulesConfig;
import dev.datainsight.rules.defs.InstanceDownRule;
import dev.datainsight.rules.defs.InstanceSilentRule;
import dev.datainsight.rules.defs.RuleCatalog;
import dev.datainsight.store.InsightRow;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
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
 * <p>This class only dispatches and wires state: each rule's pass over a snapshot runs against a
 * {@link RulePass} (its {@link RuleContext}: memories, active series, outputs), and absence
 * (instance_silent) is the {@link SilenceDetector}'s, which gets every snapshot and every timer
 * of the key (an event-time and a processing-time timer, see there).
 *
 * <p><b>State</b> (descriptor names are the savepoint contract): {@link #MEMORY_STATE} (rule
 * memories, {@link Memory}), {@link #ACTIVE_STATE} (series whose condition holds or is clearing,
 * {@link ActiveSeries}) and {@link #INSTANCE_STATE} (the presence state of the silence detector,
 * {@link InstanceInfo}).
 *
 * <p><b>State lifetime.</b> An instance silent for {@code instance_silent.forget_after} (7 d) is
 * forgotten: its memories, active series and timers are dropped. Rule memories untouched for 6 h
 * are swept hourly. Rule memories are bounded by the collector's top-N per view; the
 * active-series map holds only series whose condition holds; a series whose view stops arriving
 * altogether keeps its entry until the view returns (its alert resolves as stale downstream).
 *
 * <p><b>Detail views</b> (per-session rows) are not rule input of their own: the latest of each
 * is kept per instance on the heap ({@link DetailRows}) and offered to the rules evaluating the
 * aggregates of the same cycle ({@link RuleContext#detail}).
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

    /**
     * How long an untouched rule memory lives; the instance's memories are swept every
     * {@link SilenceDetector#SWEEP_EVERY_MS} of event time, on the presence state's clock.
     */
    static final long MEMORY_TTL_MS = 6 * 3_600_000L;

    private final RulesConfig config;
    private InternalErrors.FaultInjection faults = InternalErrors.NONE;
    private transient List<Rule> rules;
    private transient Counter internalErrors;
    private transient MapState<String, Memory> memory;
    private transient MapState<String, ActiveSeries> active;
    private transient ValueState<InstanceInfo> info;
    private transient SilenceDetector silence;
    private transient DetailRows details;
    /** The key of the timer being handled, for the detector's forget callback. */
    private transient String timerKey;

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
        silence = new SilenceDetector(config, info, new SilenceDetector.InstanceMemory() {
            @Override
            public void sweep(long at) throws Exception {
                sweepMemories(at);
            }

            @Override
            public void forget() throws Exception {
                memory.clear();
                active.clear();
                if (timerKey != null) {
                    details.forget(timerKey);
                }
            }
        });
        details = new DetailRows();
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
        silence.seen(s, instance, ctx.timerService(), out);
        details.offer(instance, s);
        InstanceInfo presence = info.value();
        boolean standby = presence != null && presence.inRecovery == 1;
        if (MetricCatalog.COLLECTOR_VIEW.equals(s.getView()) && down(s)) {
            hold(s, instance, out);
        }
        for (Rule rule : rules) {
            if (!rule.reads(s.getView())) {
                continue;
            }
            RulePass pass = new RulePass(config, rule, s, instance, memory, active, details, out,
                    row -> ctx.output(INSIGHTS, row), standby);
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

    /** Whether the health snapshot's server row says up = 0. */
    private static boolean down(Snapshot s) {
        for (dev.datainsight.model.SnapshotRow r : s.getRows()) {
            String probe = r.getLabels().get("probe");
            Double up = r.getValues().get("up");
            if ((probe == null || probe.isEmpty()) && up != null && up < 0.5) {
                return true;
            }
        }
        return false;
    }

    /**
     * The instance is down: its rules see no data, so its firing alerts would lapse as stale
     * although nothing is known to have changed. Sends a hold ({@link Evaluation#hold}) for every
     * series of another rule whose condition held, unless instance_down's {@code hold_others} is off.
     */
    private void hold(Snapshot s, String instance, Collector<Evaluation> out) throws Exception {
        if (!config.mayRun(InstanceDownRule.NAME)) {
            return;
        }
        Params down = config.params(InstanceDownRule.NAME, instance, s.getLabels(), Map.of());
        if (!down.enabled() || !down.bool(InstanceDownRule.HOLD_OTHERS)) {
            return;
        }
        for (Iterator<Map.Entry<String, ActiveSeries>> it = active.iterator(); it.hasNext(); ) {
            ActiveSeries a = it.next().getValue();
            if (a.clearSince >= 0 || InstanceDownRule.NAME.equals(a.rule) || !RuleCatalog.byName().containsKey(a.rule)) {
                continue;
            }
            Params p = config.params(a.rule, instance, s.getLabels(), a.labels);
            Evaluation e = Evaluations.base(config, a.rule, instance, a.labels, p, s.getCollectedAt());
            e.hold = true;
            e.summary = "held: instance down";
            out.collect(e);
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
        details.forget(instance);
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

    /** Drops memories of series not seen for {@link #MEMORY_TTL_MS} before {@code at} (dropped tables, evicted query ids). */
    private void sweepMemories(long at) throws Exception {
        long olderThan = at - MEMORY_TTL_MS;
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

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Evaluation> out) throws Exception {
        try {
            timerKey = ctx.getCurrentKey();
            silence.onTimer(timestamp, ctx.timeDomain(), timerKey, ctx.timerService(), out);
        } catch (RuntimeException e) {
            if (!InternalErrors.isQuarantinable(e)) {
                throw e;
            }
            resetInstance(ctx.getCurrentKey(), null, e, ctx, "timer at " + timestamp);
        } finally {
            timerKey = null;
        }
    }
}
