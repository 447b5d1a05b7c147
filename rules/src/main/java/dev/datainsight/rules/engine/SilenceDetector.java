package dev.datainsight.rules.engine;

import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.RulesConfig;
import dev.datainsight.rules.defs.InstanceSilentRule;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.util.Collector;

/**
 * Absence detection ({@code instance_silent}) for the keys of {@link RuleEvaluatorFunction}: one
 * instance per key, its presence state in the {@code rule-instance-info} value state
 * ({@link InstanceInfo}). The evaluator calls {@link #seen} for every snapshot and
 * {@link #onTimer} for every timer; the detector owns both timer kinds of the key.
 *
 * <p><b>Interval.</b> Learnt from the collector-health snapshots (one per probe group and cycle):
 * the largest of the last {@value #RECENT_GAPS} gaps, so the short offset between the fast and the
 * slow group does not pass for the interval. Until that many gaps were seen, the configured
 * {@code interval} is a floor.
 *
 * <p><b>Two timers</b> at "last seen + {@code intervals} × interval": an event-time timer, which
 * fires when the watermark moves on because other instances keep reporting (an idle partition is
 * excluded from the watermark by {@code withIdleness}), and a processing-time timer, which fires
 * even when the whole input is idle and the watermark stands still. After a (re)start the
 * processing-time check grants {@code intervals} intervals of grace from the first call, so a
 * backlog being replayed is not reported as silence. While silent, both timers repeat every
 * interval and each sends the holding evaluation again (the lifecycle keeps one alert and keeps it
 * from going stale); the next snapshot sends the one false evaluation that resolves it, dated no
 * earlier than the last holding one (a replayed backlog starts with older snapshots).
 *
 * <p><b>Event times are event time.</b> A silence is dated at the last collection time plus N
 * intervals, each repeat one interval later, whichever timer notices it: never from processing
 * time, so the same input gives the same evaluations, and the same alert events with the same
 * dedup keys, after a restore.
 *
 * <p><b>State lifetime.</b> An instance silent for {@code forget_after} is decommissioned: its
 * timers are deleted, its presence cleared and the evaluator is asked to drop the rest
 * ({@link InstanceMemory#forget}). The presence state also carries the clock of the hourly sweep
 * of stale rule memories ({@link InstanceMemory#sweep}), run on snapshots even when
 * instance_silent is disabled. The pipeline's own health view ({@link PipelineHealthFunction#VIEW})
 * is not a sign of life and is ignored.
 */
public final class SilenceDetector {
    /** Health-snapshot gaps kept to learn the collection interval. */
    static final int RECENT_GAPS = 6;
    /** How often (event time) the evaluator is asked to sweep the instance's stale memories. */
    static final long SWEEP_EVERY_MS = 3_600_000L;

    /** The evaluator's other state of the instance, which the detector's clock and verdicts act on. */
    interface InstanceMemory {
        /** An hour of event time has passed since the last sweep: drop stale memories as of {@code at}. */
        void sweep(long at) throws Exception;

        /** The instance is decommissioned: drop every memory and active series kept for it. */
        void forget() throws Exception;
    }

    private final RulesConfig config;
    private final ValueState<InstanceInfo> presence;
    private final InstanceMemory memories;
    /**
     * Processing time of the first snapshot or timer since this detector was created (at the
     * evaluator's open): the start of the grace after a (re)start; -1 until then.
     */
    private long openedAtProc = -1;

    SilenceDetector(RulesConfig config, ValueState<InstanceInfo> presence, InstanceMemory memories) {
        this.config = config;
        this.presence = presence;
        this.memories = memories;
    }

    /**
     * A snapshot of the current key arrived: learn the interval (health view), clear a sent
     * silence, re-arm both timers.
     */
    void seen(Snapshot s, String instance, TimerService timers, Collector<Evaluation> out) throws Exception {
        // Neither the job's own health rows nor its plan changes say the collector reached the instance.
        if (PipelineHealthFunction.VIEW.equals(s.getView()) || PlanChangeSnapshot.VIEW.equals(s.getView())) {
            return;
        }
        InstanceInfo in = presence.value();
        if (in == null) {
            in = new InstanceInfo();
            in.lastGcAt = s.getCollectedAt();
        }
        if (MetricCatalog.COLLECTOR_VIEW.equals(s.getView())) {
            role(in, s);
        }
        if (s.getCollectedAt() - in.lastGcAt >= SWEEP_EVERY_MS) {
            in.lastGcAt = s.getCollectedAt();
            memories.sweep(s.getCollectedAt());
        }
        if (!config.mayRun(InstanceSilentRule.NAME)) {
            presence.update(in);
            return;
        }
        long now = timers.currentProcessingTime();
        if (openedAtProc < 0) {
            openedAtProc = now;
        }
        if (MetricCatalog.COLLECTOR_VIEW.equals(s.getView())) {
            learn(in, s.getCollectedAt());
        }
        in.lastCollectedAt = Math.max(in.lastCollectedAt, s.getCollectedAt());
        in.lastSeenProc = now;
        in.labels = new LinkedHashMap<>(s.getLabels());
        Params p = params(instance, in);
        if (in.silent) {
            in.silent = false;
            // A backlog's first snapshot can be older than the silence last sent (dated from the
            // last collection before the outage, a step per interval): the clearing evaluation is
            // dated at the later of the two, or the lifecycle would drop it as out of date.
            out.collect(evaluation(instance, in, p, null, Math.max(in.lastCollectedAt, in.silentAt)));
            in.silentAt = -1;
        }
        if (p.enabled()) {
            long after = silentAfter(in, p);
            rearm(timers, in, in.lastCollectedAt + after, now + after);
        }
        presence.update(in);
    }

    /** One of the key's timers fired: send the silence if it is due, or forget a decommissioned instance. */
    void onTimer(long timestamp, TimeDomain domain, String instance, TimerService timers, Collector<Evaluation> out)
            throws Exception {
        InstanceInfo in = presence.value();
        if (in == null) {
            return;
        }
        Params p = params(instance, in);
        if (!p.enabled()) {
            return;
        }
        long after = silentAfter(in, p);
        long step = interval(in, p);
        long at;
        if (domain == TimeDomain.EVENT_TIME) {
            in.eventTimer = -1;
            if (timers.currentWatermark() == Long.MAX_VALUE) {
                // End of a bounded input, not silence (and re-arming would loop at the final watermark).
                presence.update(in);
                return;
            }
            if (timestamp < in.lastCollectedAt + after) {
                presence.update(in);
                return;
            }
            at = timestamp;
            in.eventTimer = timestamp + step;
            timers.registerEventTimeTimer(in.eventTimer);
        } else {
            in.procTimer = -1;
            if (openedAtProc < 0) {
                // First call after a (re)start: grant the grace from now, not from the timer's due time.
                openedAtProc = timers.currentProcessingTime();
            }
            long quietSince = Math.max(in.lastSeenProc, openedAtProc);
            if (timestamp - quietSince < after) {
                in.procTimer = quietSince + after;
                timers.registerProcessingTimeTimer(in.procTimer);
                presence.update(in);
                return;
            }
            // Dated in event time, never from processing time: the silence began at the last
            // collection + N intervals and repeats a step later each time, so a replay after a
            // restore sends the same evaluations (and the same dedup keys downstream).
            at = in.silent && in.silentAt >= 0 ? in.silentAt + step : in.lastCollectedAt + after;
            in.procTimer = timestamp + step;
            timers.registerProcessingTimeTimer(in.procTimer);
        }
        if (at - in.lastCollectedAt >= p.millis(InstanceSilentRule.FORGET_AFTER)) {
            // Decommissioned: drop everything kept for this instance; its open alerts go stale downstream.
            if (in.eventTimer >= 0) {
                timers.deleteEventTimeTimer(in.eventTimer);
            }
            if (in.procTimer >= 0) {
                timers.deleteProcessingTimeTimer(in.procTimer);
            }
            memories.forget();
            presence.clear();
            return;
        }
        in.silent = true;
        in.silentAt = Math.max(at, in.silentAt);
        out.collect(evaluation(instance, in, p, p.severity(InstanceSilentRule.SEVERITY), at));
        presence.update(in);
    }

    /**
     * Adds the gap since the previous health snapshot (one per probe group and cycle) to the last
     * {@value #RECENT_GAPS}; the observed interval is their maximum, the fast group's interval.
     */
    static void learn(InstanceInfo in, long cycleAt) {
        if (in.lastCycleAt >= 0 && cycleAt > in.lastCycleAt) {
            long gap = cycleAt - in.lastCycleAt;
            long[] g = Arrays.copyOf(in.recentGaps, Math.min(in.recentGaps.length + 1, RECENT_GAPS));
            System.arraycopy(in.recentGaps, Math.max(0, in.recentGaps.length - g.length + 1), g, 0, g.length - 1);
            g[g.length - 1] = gap;
            in.recentGaps = g;
            in.observedIntervalMs = Arrays.stream(g).max().orElse(gap);
        }
        in.lastCycleAt = Math.max(in.lastCycleAt, cycleAt);
    }

    /** Keeps the server's role ({@code in_recovery} of the health snapshot's server row) when it says. */
    static void role(InstanceInfo in, Snapshot s) {
        for (dev.datainsight.model.SnapshotRow r : s.getRows()) {
            String probe = r.getLabels().get("probe");
            Double rec = r.getValues().get("in_recovery");
            if ((probe == null || probe.isEmpty()) && rec != null && Double.isFinite(rec)) {
                in.inRecovery = rec >= 0.5 ? 1 : 0;
            }
        }
    }

    /** The collection interval in force: the learnt one, not below the configured one until it is learnt. */
    static long interval(InstanceInfo in, Params p) {
        long configured = p.millis(InstanceSilentRule.INTERVAL);
        if (in.observedIntervalMs <= 0) {
            return configured;
        }
        // Until a full window of gaps is seen, the short offset between the two probe groups'
        // health snapshots could pass for the interval (0.3 s instead of 10 s) and page for a
        // silence of one second: never go below the configured interval before then.
        return in.recentGaps.length < RECENT_GAPS ? Math.max(configured, in.observedIntervalMs) : in.observedIntervalMs;
    }

    /** How long without a snapshot counts as silent: {@code intervals} × {@link #interval}. */
    static long silentAfter(InstanceInfo in, Params p) {
        return Math.round(p.number(InstanceSilentRule.INTERVALS) * interval(in, p));
    }

    private Params params(String instance, InstanceInfo in) {
        return config.params(InstanceSilentRule.NAME, instance, in.labels, Map.of());
    }

    private static void rearm(TimerService timers, InstanceInfo in, long eventDue, long procDue) {
        if (in.eventTimer != eventDue) {
            if (in.eventTimer >= 0) {
                timers.deleteEventTimeTimer(in.eventTimer);
            }
            timers.registerEventTimeTimer(eventDue);
            in.eventTimer = eventDue;
        }
        if (in.procTimer != procDue) {
            if (in.procTimer >= 0) {
                timers.deleteProcessingTimeTimer(in.procTimer);
            }
            timers.registerProcessingTimeTimer(procDue);
            in.procTimer = procDue;
        }
    }

    /** The instance_silent evaluation: holding at {@code level}, or false ({@code level} null, the instance is back). */
    private Evaluation evaluation(String instance, InstanceInfo in, Params p, Severity level, long at) {
        long gap = Math.max(0, at - in.lastCollectedAt);
        double intervals = interval(in, p) > 0 ? (double) gap / interval(in, p) : 0;
        Evaluation e = Evaluations.base(config, InstanceSilentRule.NAME, instance, Map.of(), p, at);
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
                : String.format(Locale.ROOT, "No snapshot from %s for %.0f s (%.1f collection intervals)", instance,
                        gap / 1000.0, intervals);
        e.instanceLabels = new LinkedHashMap<>(in.labels);
        e.description = "Last snapshot collected at " + Instant.ofEpochMilli(in.lastCollectedAt)
                + ". Either the collector stopped, cannot reach Kafka, or the instance's partition stalled.";
        return e;
    }
}
