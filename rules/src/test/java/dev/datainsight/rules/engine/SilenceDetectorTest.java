package dev.datainsight.rules.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.RulesConfig;
import dev.datainsight.rules.defs.InstanceSilentRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

/**
 * {@link SilenceDetector} on its own: hosted by a keyed function that gives it nothing but the
 * presence state, real timers of Flink's operator test harness and a record of what it asks of
 * the rest of the instance's state (sweeps, forgetting).
 */
class SilenceDetectorTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long S = 1000;
    private static final long MIN = 60 * S;

    private static RulesConfig silent(String params) {
        return RulesConfig.parse("rules:\n  instance_silent: {" + params + "}\n", "test");
    }

    private static Snapshot snapshot(String instance, String view, long t) {
        MetricsSnapshot s = new MetricsSnapshot();
        s.setInstance(instance);
        s.setServerVersionNum(170011);
        s.setCollectedAt(t);
        s.setView(view);
        s.setLabels(new LinkedHashMap<>(Map.of("env", "test")));
        s.setRows(new ArrayList<>());
        return s;
    }

    private static Snapshot health(long t) {
        return snapshot("pg-1", MetricCatalog.COLLECTOR_VIEW, t);
    }

    @Test
    void learnsTheFastInterval_fromAlternatingGapsOfTwoProbeGroups() {
        RulesConfig config = silent("interval: 60s");
        Params p = config.params(InstanceSilentRule.NAME, "pg-1", Map.of(), Map.of());
        InstanceInfo in = new InstanceInfo();
        // fast group every 2 s, slow group every 4 s, 300 ms after the fast one: gaps 0.3 s, 1.7 s, 2 s, ...
        List<Long> cycles = new ArrayList<>();
        for (long t = T0; t < T0 + 12 * S; t += 2 * S) {
            cycles.add(t);
            if ((t - T0) % (4 * S) == 0) {
                cycles.add(t + 300);
            }
        }
        SilenceDetector.learn(in, cycles.get(0));
        assertEquals(-1, in.observedIntervalMs, "one health snapshot is no gap");
        assertEquals(60 * S, SilenceDetector.interval(in, p));
        SilenceDetector.learn(in, cycles.get(1));
        assertEquals(300, in.observedIntervalMs);
        assertEquals(60 * S, SilenceDetector.interval(in, p), "the configured interval is a floor until 6 gaps");
        for (int i = 2; i <= SilenceDetector.RECENT_GAPS; i++) {
            SilenceDetector.learn(in, cycles.get(i));
        }
        assertArrayEquals(new long[] {300, 1700, 2000, 300, 1700, 2000}, in.recentGaps);
        assertEquals(2 * S, in.observedIntervalMs, "the largest gap is the fast group's interval");
        assertEquals(2 * S, SilenceDetector.interval(in, p));
        assertEquals(6 * S, SilenceDetector.silentAfter(in, p), "3 intervals");

        // a duplicate or older health snapshot is no gap
        SilenceDetector.learn(in, cycles.get(SilenceDetector.RECENT_GAPS));
        SilenceDetector.learn(in, cycles.get(1));
        assertArrayEquals(new long[] {300, 1700, 2000, 300, 1700, 2000}, in.recentGaps);

        // one long pause (a slow cycle) counts until six newer gaps push it out of the window
        long t = cycles.get(SilenceDetector.RECENT_GAPS) + 20 * S;
        SilenceDetector.learn(in, t);
        assertEquals(20 * S, in.observedIntervalMs);
        for (int i = 0; i < SilenceDetector.RECENT_GAPS - 1; i++) {
            SilenceDetector.learn(in, t += 2 * S);
        }
        assertEquals(20 * S, in.observedIntervalMs, "still within the last 6 gaps");
        SilenceDetector.learn(in, t + 2 * S);
        assertEquals(2 * S, in.observedIntervalMs);
        assertEquals(SilenceDetector.RECENT_GAPS, in.recentGaps.length);
    }

    @Test
    void silentAfterNLearntIntervals_byEventTime_thenEveryIntervalAgain() throws Exception {
        try (Hosted h = new Hosted(silent("interval: 60s, intervals: 4"))) {
            long last = 0;
            for (int i = 0; i < 10; i++) {
                long t = T0 + i * 2 * S;
                h.push(health(t));
                if (i % 2 == 0) {
                    h.push(health(t + 300));
                }
                last = i % 2 == 0 ? t + 300 : t;
            }
            assertEquals(List.of(), h.output(), "a reporting instance is not silent");
            assertEquals(1, h.harness.numEventTimeTimers());
            assertEquals(1, h.harness.numProcessingTimeTimers());

            // other instances move the watermark on; pg-1 sends nothing more
            h.harness.processWatermark(last + 8 * S - 1);
            assertEquals(List.of(), h.output());
            h.harness.processWatermark(last + 8 * S);
            List<Evaluation> out = h.output();
            assertEquals(1, out.size(), out.toString());
            Evaluation e = out.get(0);
            assertEquals(InstanceSilentRule.NAME, e.rule);
            assertEquals("pg-1", e.instance);
            assertEquals(Severity.WARNING, e.level);
            assertEquals(last + 8 * S, e.at, "4 learnt intervals of 2 s, not 4 configured ones of 60 s");
            assertEquals(8.0, e.value);
            assertEquals(8.0, e.warningThreshold);
            assertNull(e.criticalThreshold);
            assertEquals("No snapshot from pg-1 for 8 s (4.0 collection intervals)", e.summary);
            assertEquals(Fingerprint.of(InstanceSilentRule.NAME, "pg-1", Map.of()), e.fingerprint);

            // still silent one interval later: the holding evaluation again, with the longer gap
            h.harness.processWatermark(last + 10 * S);
            out = h.output();
            assertEquals(1, out.size(), out.toString());
            assertEquals(Severity.WARNING, out.get(0).level);
            assertEquals(last + 10 * S, out.get(0).at);
            assertEquals(10.0, out.get(0).value);
            assertEquals(1, h.harness.numEventTimeTimers());
        }
    }

    @Test
    void silenceIsClearedByTheNextSnapshotOfAnyView_once() throws Exception {
        try (Hosted h = new Hosted(silent(""))) {
            long t = T0;
            for (; t < T0 + MIN; t += 10 * S) {
                h.push(health(t));
            }
            long last = t - 10 * S;
            h.harness.processWatermark(last + 30 * S);
            assertEquals(List.of(Severity.WARNING), h.output().stream().map(e -> e.level).toList());

            h.push(snapshot("pg-1", "pg_stat_activity", last + 35 * S));
            List<Evaluation> out = h.output();
            assertEquals(1, out.size(), out.toString());
            Evaluation back = out.get(0);
            assertNull(back.level, "the false evaluation that resolves the alert");
            assertEquals(last + 35 * S, back.at);
            assertEquals(0.0, back.value);
            assertEquals("Instance pg-1 reports again", back.summary);
            assertEquals(Fingerprint.of(InstanceSilentRule.NAME, "pg-1", Map.of()), back.fingerprint);

            h.push(snapshot("pg-1", "pg_stat_activity", last + 45 * S));
            assertEquals(List.of(), h.output(), "cleared once, not on every snapshot");
            assertEquals(1, h.harness.numEventTimeTimers(), "the timers were re-armed, not added");
            assertEquals(1, h.harness.numProcessingTimeTimers());
            assertEquals(false, h.presence().silent);
        }
    }

    @Test
    void processingTimeFallback_firesWhenTheWatermarkStandsStill() throws Exception {
        try (Hosted h = new Hosted(silent(""))) {
            long proc = 5_000_000;
            long t = T0;
            for (; t < T0 + MIN; t += 10 * S, proc += 10 * S) {
                h.harness.setProcessingTime(proc);
                h.push(health(t));
            }
            long lastProc = proc - 10 * S;
            long lastT = t - 10 * S;
            // the whole input is idle: no watermark beyond lastT, only the wall clock goes on
            h.harness.setProcessingTime(lastProc + 30 * S - 1);
            assertEquals(List.of(), h.output());
            h.harness.setProcessingTime(lastProc + 30 * S);
            List<Evaluation> out = h.output();
            assertEquals(1, out.size(), out.toString());
            assertEquals(Severity.WARNING, out.get(0).level);
            assertEquals(lastT + 30 * S, out.get(0).at, "the event time the silence reached");
            assertEquals(30.0, out.get(0).value);
            assertEquals(1, h.harness.numEventTimeTimers(), "the event-time timer waits for the watermark");

            h.harness.setProcessingTime(lastProc + 40 * S);
            assertEquals(List.of(lastT + 40 * S), h.output().stream().map(e -> e.at).toList());
        }
    }

    @Test
    void afterARestore_theProcessingTimeCheckGrantsNIntervalsFromStartUp() throws Exception {
        long proc = 1_000_000;
        long t = T0;
        OperatorSubtaskState saved;
        RulesConfig config = silent("");
        try (Hosted h = new Hosted(config)) {
            for (; t < T0 + MIN; t += 10 * S, proc += 10 * S) {
                h.harness.setProcessingTime(proc);
                h.push(health(t));
            }
            saved = h.harness.snapshot(1L, t - 10 * S);
        }
        long lastProc = proc - 10 * S;
        long lastT = t - 10 * S;
        try (Hosted h = new Hosted(config, saved)) {
            // down for 10 minutes: the restored processing-time timer is long overdue
            long up = lastProc + 10 * MIN;
            h.harness.setProcessingTime(up);
            assertEquals(List.of(), h.output(), "no page right after a restore");
            assertEquals(1, h.harness.numProcessingTimeTimers(), "re-armed at start-up + 3 intervals");
            h.harness.setProcessingTime(up + 30 * S - 1);
            assertEquals(List.of(), h.output());
            h.harness.setProcessingTime(up + 30 * S);
            List<Evaluation> out = h.output();
            assertEquals(1, out.size(), "no backlog came within the grace: silent " + out);
            // dated in event time (the last collection + 3 intervals), not from the processing time
            // of the outage: a replay gives the same evaluation
            assertEquals(lastT + 30 * S, out.get(0).at);
        }
    }

    @Test
    void silentForForgetAfter_forgetsTheInstance_stateAndTimersGone() throws Exception {
        try (Hosted h = new Hosted(silent("forget_after: 10m"))) {
            long t = T0;
            for (; t < T0 + MIN; t += 10 * S) {
                h.push(health(t));
            }
            long last = t - 10 * S;
            h.harness.processWatermark(last + 10 * MIN - 1);
            List<Evaluation> out = h.output();
            assertEquals(57, out.size(), "one holding evaluation per interval from 30 s to 590 s");
            assertTrue(out.stream().allMatch(e -> e.level == Severity.WARNING), out.toString());
            assertEquals(List.of(), h.host.asked);
            h.harness.processWatermark(last + 10 * MIN);
            assertEquals(List.of(), h.output(), "a forgotten instance is not reported");
            assertEquals(List.of("forget"), h.host.asked);
            assertEquals(0, h.harness.numKeyedStateEntries());
            assertEquals(0, h.harness.numEventTimeTimers());
            assertEquals(0, h.harness.numProcessingTimeTimers());
        }
    }

    @Test
    void sweepsStaleMemoriesHourly_evenWithInstanceSilentDisabled_andIgnoresThePipelinesOwnView() throws Exception {
        try (Hosted h = new Hosted(silent("enabled: false"))) {
            h.push(snapshot("datainsight-job", PipelineHealthFunction.VIEW, T0));
            assertEquals(0, h.harness.numKeyedStateEntries(), "the pipeline's own view is no sign of life");
            long t = T0;
            for (; t <= T0 + 2 * 3_600_000L + 30 * MIN; t += MIN) {
                h.push(health(t));
            }
            assertEquals(List.of("sweep " + (T0 + 3_600_000L), "sweep " + (T0 + 2 * 3_600_000L)), h.host.asked);
            assertEquals(List.of(), h.output());
            assertEquals(0, h.harness.numEventTimeTimers(), "disabled: no timers");
            assertEquals(0, h.harness.numProcessingTimeTimers());
        }
    }

    /** The detector in a keyed function of its own, on the operator test harness. */
    private static final class Hosted implements AutoCloseable {
        final Host host;
        final KeyedOneInputStreamOperatorTestHarness<String, Snapshot, Evaluation> harness;
        private int seen;

        Hosted(RulesConfig config) throws Exception {
            this(config, null);
        }

        Hosted(RulesConfig config, OperatorSubtaskState restore) throws Exception {
            host = new Host(config);
            harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(host),
                    Snapshot::getInstance, Types.STRING);
            if (restore != null) {
                harness.initializeState(restore);
            }
            harness.open();
        }

        /** The snapshot, then a watermark at its collection time. */
        void push(Snapshot s) throws Exception {
            harness.processElement(s, s.getCollectedAt());
            harness.processWatermark(s.getCollectedAt());
        }

        /** Evaluations emitted since the last call. */
        List<Evaluation> output() {
            List<Evaluation> all = harness.extractOutputValues();
            List<Evaluation> fresh = new ArrayList<>(all.subList(seen, all.size()));
            seen = all.size();
            return fresh;
        }

        InstanceInfo presence() throws Exception {
            ((org.apache.flink.streaming.api.operators.AbstractStreamOperator<?>) harness.getOperator()).setCurrentKey("pg-1");
            return host.presence.value();
        }

        @Override
        public void close() throws Exception {
            harness.close();
        }
    }

    private static final class Host extends KeyedProcessFunction<String, Snapshot, Evaluation> {
        private static final long serialVersionUID = 1L;
        private final RulesConfig config;
        /** What the detector asked of the rest of the instance's state, in order. */
        final List<String> asked = new ArrayList<>();
        transient ValueState<InstanceInfo> presence;
        private transient SilenceDetector detector;

        Host(RulesConfig config) {
            this.config = config;
        }

        @Override
        public void open(OpenContext openContext) {
            presence = getRuntimeContext().getState(
                    new ValueStateDescriptor<>(RuleEvaluatorFunction.INSTANCE_STATE, InstanceInfo.class));
            detector = new SilenceDetector(config, presence, new SilenceDetector.InstanceMemory() {
                @Override
                public void sweep(long at) {
                    asked.add("sweep " + at);
                }

                @Override
                public void forget() {
                    asked.add("forget");
                }
            });
        }

        @Override
        public void processElement(Snapshot s, Context ctx, Collector<Evaluation> out) throws Exception {
            detector.seen(s, ctx.getCurrentKey(), ctx.timerService(), out);
        }

        @Override
        public void onTimer(long timestamp, OnTimerContext ctx, Collector<Evaluation> out) throws Exception {
            detector.onTimer(timestamp, ctx.timeDomain(), ctx.getCurrentKey(), ctx.timerService(), out);
        }
    }
}
