package dev.datainsight.rules.engine;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.InternalErrors;
import dev.datainsight.model.RejectReason;
import dev.datainsight.model.Severity;
import dev.datainsight.model.WireCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import org.apache.flink.api.common.functions.OpenContext;
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
 * The alert lifecycle, keyed by fingerprint, shared by every rule (Prometheus / Alertmanager
 * semantics):
 *
 * <ul>
 *   <li><b>inactive → pending</b> when a severity's condition first holds (internal, not emitted);
 *   <li><b>pending → firing</b> once it has held for {@code for}: one FIRING event, at the highest
 *       severity that has held that long;
 *   <li><b>escalation</b>: while firing at warning, critical holding for {@code for} emits one
 *       FIRING critical event; critical supersedes warning for the rest of the episode (no
 *       downgrade event, no second open alert);
 *   <li><b>re-notify</b>: a still-firing alert is re-sent after {@code renotify} (default 4 h);
 *   <li><b>resolved</b> once the condition has been false for {@code resolve_for} (hysteresis: a
 *       value hovering at the threshold resets the clear clock every time it holds again, so it
 *       cannot flap); or when nothing evaluated the series for {@code stale_after} (instance or row
 *       gone). A pending alert whose condition turns false simply goes back to inactive. While
 *       the instance is down the evaluator sends holds ({@link Evaluation#hold}) for its firing
 *       alerts: they stay firing as they were, and go stale only {@code stale_after} after the
 *       last hold.
 * </ul>
 *
 * <p>Transitions run on evaluations and on one event-time timer per fingerprint (resolve due or
 * stale due). After RESOLVED, or when pending ends, the state and the timer are cleared; after
 * RESOLVED only the time of it stays, until its cleanup timer (below), so an idle fingerprint
 * soon holds nothing. The state is checkpointed, so a restore neither loses an open alert nor
 * forgets to resolve it; but the events emitted since the last checkpoint are emitted again on
 * replay (the alerts sink is at-least-once). They come out identical, every time in them being
 * event time, so consumers de-duplicate on (fingerprint, status, severity, started_at, event_at).
 * Evaluations older than the last one seen are ignored (replays after failover).
 *
 * <p><b>Late evaluations after a resolve.</b> A snapshot may reach the rules behind the watermark
 * (one instance lagging while another on the same Kafka partition moves the watermark on): its
 * evaluation can come after the alert already resolved on its timer, at a time before that
 * RESOLVED. So that it does not re-open the episode with a FIRING dated before the RESOLVED just
 * sent, the time of each fingerprint's last RESOLVED is kept in a state of its own
 * ({@link #RESOLVED_STATE}) for {@link #resolvedMemoryMs} of event time past it (default
 * {@link #RESOLVED_MEMORY_MS}; a cleanup timer drops it): an evaluation at or before it is ignored
 * (one whose condition holds is counted in {@link #METRIC_LATE_AFTER_RESOLVE}). An evaluation
 * later still than that (more than the memory behind the watermark) is treated as new, as before.
 *
 * <p><b>Per-key quarantine.</b> An unexpected exception on one fingerprint (a bug, e.g. a state
 * value that breaks an invariant) is counted ({@code internalErrors}), dead-lettered with reason
 * {@code internal_error} (payload: the evaluation as JSON) on {@link #DEAD_LETTERS}, and that
 * fingerprint's state is cleared: if the condition still holds the alert goes through pending
 * and fires again (one repeated FIRING with a new {@code started_at}), which is better than a job
 * that restarts forever. Timers left behind find no state and do nothing.
 */
public class AlertLifecycleFunction extends KeyedProcessFunction<String, Evaluation, AlertEvent> {
    private static final long serialVersionUID = 1L;

    /** State descriptor name: part of the savepoint contract. */
    public static final String STATE = "alert-lifecycle-state";

    /**
     * State descriptor name of the time of the fingerprint's last RESOLVED (a {@code Long}), kept
     * for {@link #resolvedMemoryMs} past it. Added after {@link #STATE}: an older savepoint simply
     * has none.
     */
    public static final String RESOLVED_STATE = "alert-lifecycle-resolved-at";

    /**
     * Default event time a RESOLVED is remembered past its time: covers the job's default allowed
     * lateness (2 min) plus watermark bound (30 s) with room to spare.
     */
    public static final long RESOLVED_MEMORY_MS = 10 * 60_000L;

    /** Counter of evaluations whose condition held but that were ignored as older than the last RESOLVED. */
    public static final String METRIC_LATE_AFTER_RESOLVE = "lateEvaluationsAfterResolve";

    /** Side output of internal-error dead letters (reason {@code internal_error}). */
    public static final OutputTag<DeadLetterRecord> DEAD_LETTERS =
            new OutputTag<>("lifecycle-dead-letters", TypeInformation.of(DeadLetterRecord.class));
    private static final Logger LOG = LoggerFactory.getLogger(AlertLifecycleFunction.class);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** How long (event time) the time of the last RESOLVED is kept; 0 = not at all. */
    private final long resolvedMemoryMs;

    private transient ValueState<AlertState> state;
    private transient ValueState<Long> resolvedAt;
    private transient Counter internalErrors;
    private transient Counter lateAfterResolve;

    /** Remembers each RESOLVED for {@link #RESOLVED_MEMORY_MS}. */
    public AlertLifecycleFunction() {
        this(RESOLVED_MEMORY_MS);
    }

    /**
     * @param resolvedMemoryMs event time a RESOLVED is remembered past its time, so that late
     *     evaluations at or before it do not re-open the alert; 0 = forget it at once (the state of
     *     a resolved fingerprint is then empty right away, and a late evaluation re-opens it)
     */
    public AlertLifecycleFunction(long resolvedMemoryMs) {
        if (resolvedMemoryMs < 0) {
            throw new IllegalArgumentException("resolvedMemoryMs < 0: " + resolvedMemoryMs);
        }
        this.resolvedMemoryMs = resolvedMemoryMs;
    }

    @Override
    public void open(OpenContext openContext) {
        state = getRuntimeContext().getState(new ValueStateDescriptor<>(STATE, AlertState.class));
        resolvedAt = getRuntimeContext().getState(new ValueStateDescriptor<>(RESOLVED_STATE, Long.class));
        var group = getRuntimeContext().getMetricGroup().addGroup(RuleEvaluatorFunction.METRIC_GROUP);
        internalErrors = group.counter(RuleEvaluatorFunction.METRIC_INTERNAL_ERRORS);
        lateAfterResolve = group.counter(METRIC_LATE_AFTER_RESOLVE);
    }

    @Override
    public void processElement(Evaluation e, Context ctx, Collector<AlertEvent> out) throws Exception {
        try {
            evaluation(e, ctx, out);
        } catch (RuntimeException x) {
            if (!InternalErrors.isQuarantinable(x)) {
                throw x;
            }
            quarantine(ctx.getCurrentKey(), e, x, ctx, "evaluation at " + e.at);
        }
    }

    private void quarantine(String fingerprint, Evaluation e, RuntimeException x, Context ctx, String where)
            throws Exception {
        internalErrors.inc();
        state.clear();
        byte[] payload = null;
        if (e != null) {
            try {
                payload = JSON.writeValueAsBytes(e);
            } catch (Exception encode) {
                payload = null;
            }
        }
        String detail = "internal error in the alert lifecycle of fingerprint " + fingerprint + " on " + where
                + " (a bug in the job, not in the record): " + InternalErrors.stackHead(x, InternalErrors.STACK_LINES)
                + "\nlifecycle state of " + fingerprint + " reset; the alert restarts from pending on its next "
                + "evaluation";
        LOG.error("alert lifecycle quarantined fingerprint {} after an internal error on {}", fingerprint, where, x);
        ctx.output(DEAD_LETTERS, WireCodec.deadLetter(payload, RejectReason.INTERNAL_ERROR, detail,
                e == null ? null : e.instance, null, null, null, null, System.currentTimeMillis()));
    }

    private void evaluation(Evaluation e, Context ctx, Collector<AlertEvent> out) throws Exception {
        Long resolved = resolvedAt.value();
        if (resolved != null && e.at <= resolved) {
            // late: the episode it belongs to already resolved after it; not a new one
            if (e.level != null) {
                lateAfterResolve.inc();
            }
            return;
        }
        AlertState st = state.value();
        if (e.hold) {
            // The instance is down: no news about this series, which must not lapse as stale.
            if (st != null && st.firing && e.at > st.heldUntil) {
                st.heldUntil = e.at;
                schedule(st, ctx);
                state.update(st);
            }
            return;
        }
        if (e.level == null) {
            if (st == null || e.at < st.lastEvalAt) {
                return;
            }
            keepContext(st.last, e);
            st.last = e;
            st.lastEvalAt = e.at;
            st.infoSince = -1;
            st.warningSince = -1;
            st.criticalSince = -1;
            if (!st.firing) {
                clear(st, ctx);
                return;
            }
            if (st.clearSince < 0) {
                st.clearSince = e.at;
            }
            if (e.at - st.clearSince >= e.resolveForMs) {
                resolve(st, e.at, ctx, out);
                return;
            }
            schedule(st, ctx);
            state.update(st);
            return;
        }
        if (st == null) {
            st = new AlertState();
        } else if (e.at < st.lastEvalAt) {
            return;
        }
        st.last = e;
        st.lastEvalAt = e.at;
        st.clearSince = -1;
        if (st.startedAt < 0) {
            st.startedAt = e.at;
        }
        Severity target = null;
        for (Severity s : Severity.values()) {
            if (s == e.level || (s.compareTo(e.level) < 0 && e.threshold(s) != null)) {
                if (st.since(s) < 0) {
                    st.since(s, e.at);
                }
                if (e.at - st.since(s) >= e.forMs) {
                    target = s;
                }
            } else {
                st.since(s, -1);
            }
        }
        if (!st.firing) {
            if (target != null) {
                st.firing = true;
                st.firedSeverity = target;
                st.lastNotifiedAt = e.at;
                out.collect(event(st, AlertStatus.FIRING, target, e.at));
            }
        } else if (target != null && target.compareTo(st.firedSeverity) > 0) {
            st.firedSeverity = target;
            st.lastNotifiedAt = e.at;
            out.collect(event(st, AlertStatus.FIRING, target, e.at));
        } else if (e.renotifyMs > 0 && e.at - st.lastNotifiedAt >= e.renotifyMs) {
            st.lastNotifiedAt = e.at;
            out.collect(event(st, AlertStatus.FIRING, st.firedSeverity, e.at));
        }
        schedule(st, ctx);
        state.update(st);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<AlertEvent> out) throws Exception {
        try {
            fire(timestamp, ctx, out);
        } catch (RuntimeException x) {
            if (!InternalErrors.isQuarantinable(x)) {
                throw x;
            }
            quarantine(ctx.getCurrentKey(), null, x, ctx, "timer at " + timestamp);
        }
    }

    private void fire(long timestamp, OnTimerContext ctx, Collector<AlertEvent> out) throws Exception {
        Long resolved = resolvedAt.value();
        if (resolved != null && ctx.timerService().currentWatermark() != Long.MAX_VALUE) {
            if (timestamp >= resolved + resolvedMemoryMs) {
                resolvedAt.clear();
            } else {
                // (a timer of a longer memory setting, or of another timer: keep the cleanup armed)
                ctx.timerService().registerEventTimeTimer(resolved + resolvedMemoryMs);
            }
        }
        AlertState st = state.value();
        if (st == null || (st.timer >= 0 && timestamp != st.timer)) {
            // nothing to do, or not this state's timer (the cleanup of the last RESOLVED, or one
            // left behind by a quarantine)
            return;
        }
        st.timer = -1;
        if (ctx.timerService().currentWatermark() == Long.MAX_VALUE) {
            // End of a bounded input: nothing resolved, nothing went stale. Keep the state as is.
            state.update(st);
            return;
        }
        Evaluation e = st.last;
        if (st.firing && st.clearSince >= 0 && timestamp >= st.clearSince + e.resolveForMs) {
            resolve(st, st.clearSince + e.resolveForMs, ctx, out);
            return;
        }
        if (timestamp >= Math.max(st.lastEvalAt, st.heldUntil) + e.staleAfterMs) {
            if (st.firing) {
                st.last.description = "No evaluation since " + java.time.Instant.ofEpochMilli(st.lastEvalAt)
                        + " (instance silent or series gone); resolved as stale. " + nz(e.description);
                resolve(st, timestamp, ctx, out);
            } else {
                clear(st, ctx);
            }
            return;
        }
        schedule(st, ctx);
        state.update(st);
    }

    private void schedule(AlertState st, Context ctx) {
        Evaluation e = st.last;
        long due = Math.max(st.lastEvalAt, st.heldUntil) + e.staleAfterMs;
        if (st.firing && st.clearSince >= 0) {
            due = Math.min(due, st.clearSince + e.resolveForMs);
        }
        if (due != st.timer) {
            if (st.timer >= 0) {
                ctx.timerService().deleteEventTimeTimer(st.timer);
            }
            ctx.timerService().registerEventTimeTimer(due);
            st.timer = due;
        }
    }

    private void resolve(AlertState st, long at, Context ctx, Collector<AlertEvent> out) throws Exception {
        AlertEvent ev = event(st, AlertStatus.RESOLVED, st.firedSeverity, at);
        ev.setResolvedAt(at);
        ev.setSummary("Resolved: " + nz(st.last.summary));
        out.collect(ev);
        clear(st, ctx);
        remember(at, ctx);
    }

    /** Keeps the time of this RESOLVED for {@link #resolvedMemoryMs}, with its cleanup timer. */
    private void remember(long at, Context ctx) throws Exception {
        if (resolvedMemoryMs == 0) {
            return;
        }
        Long previous = resolvedAt.value();
        if (previous != null) {
            ctx.timerService().deleteEventTimeTimer(previous + resolvedMemoryMs);
        }
        resolvedAt.update(at);
        ctx.timerService().registerEventTimeTimer(at + resolvedMemoryMs);
    }

    private void clear(AlertState st, Context ctx) {
        if (st.timer >= 0) {
            ctx.timerService().deleteEventTimeTimer(st.timer);
        }
        state.clear();
    }

    /**
     * A false evaluation carries no context of its own: the resolved event keeps the context and
     * instance labels of the last evaluation that held, so history says what it was about.
     */
    private static void keepContext(Evaluation previous, Evaluation e) {
        if (previous == null) {
            return;
        }
        if ((e.context == null || e.context.isEmpty()) && previous.context != null) {
            e.context = previous.context;
        }
        if ((e.instanceLabels == null || e.instanceLabels.isEmpty()) && previous.instanceLabels != null) {
            e.instanceLabels = previous.instanceLabels;
        }
    }

    private static AlertEvent event(AlertState st, AlertStatus status, Severity severity, long at) {
        Evaluation e = st.last;
        AlertEvent a = new AlertEvent();
        a.setFingerprint(e.fingerprint);
        a.setRule(e.rule);
        a.setSeverity(severity);
        a.setStatus(status);
        a.setInstance(e.instance);
        a.setLabels(new LinkedHashMap<>(e.labels));
        a.setValue(e.value);
        a.setThreshold(e.threshold(severity));
        a.setStartedAt(st.startedAt);
        a.setEventAt(at);
        a.setSummary(e.summary);
        a.setDescription(e.description);
        a.setRunbook(e.runbook);
        a.setContext(e.context == null ? new ArrayList<>() : new ArrayList<>(e.context));
        a.setInstanceLabels(e.instanceLabels == null ? new LinkedHashMap<>() : new LinkedHashMap<>(e.instanceLabels));
        return a;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
