package dev.datainsight.jobs;

import static dev.datainsight.jobs.TestSnapshots.db;
import static dev.datainsight.jobs.TestSnapshots.dbReset;
import static dev.datainsight.jobs.TestSnapshots.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.jobs.rollup.InstanceRollupFunction;
import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.RollupBatch;
import dev.datainsight.model.DeadLetterRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Operator-harness tests of {@link InstanceRollupFunction}: output, side outputs, state and timers. */
class InstanceRollupFunctionTest {
    /** 2026-01-01T00:00:00Z. */
    static final long T0 = 1_767_225_600_000L;
    static final int NUMBACKENDS = 0;
    static final int XACT_COMMIT = 1;
    static final int NC = 23; // pg_stat_database columns

    KeyedOneInputStreamOperatorTestHarness<String, CompactSnapshot, RollupBatch> h;

    @BeforeEach
    void open() throws Exception {
        InstanceRollupFunction fn = new InstanceRollupFunction(Duration.ofMinutes(2), Duration.ofMinutes(5),
                Duration.ofMinutes(5), Duration.ofDays(2), java.util.List.of("metrics"));
        h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(fn), s -> s.instance, Types.STRING);
        h.open();
    }

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    void send(CompactSnapshot s) throws Exception {
        h.processElement(new StreamRecord<>(s, s.collectedAt));
    }

    List<RollupBatch> out(int resolution) {
        List<RollupBatch> l = new ArrayList<>();
        for (RollupBatch b : h.extractOutputValues()) {
            if (b.resolution == resolution) {
                l.add(b);
            }
        }
        return l;
    }

    static RollupBatch bucket(List<RollupBatch> l, long start) {
        RollupBatch found = null;
        for (RollupBatch b : l) {
            if (b.bucketStart == start) {
                found = b; // the latest emission wins (late updates overwrite)
            }
        }
        return found;
    }

    void assertAllStateGone() throws Exception {
        h.processWatermark(Long.MAX_VALUE);
        assertEquals(0, h.numKeyedStateEntries(), "keyed state left");
        assertEquals(0, h.numEventTimeTimers(), "timers left");
    }

    @Test
    void countersBecomeRates_gaugesPassThrough_andCascadeToHourAndDay() throws Exception {
        // 10 s interval; 100 commits per 10 s = 10/s; backends 1..7
        for (int i = 0; i <= 6; i++) {
            send(db("a", T0 + i * 10_000L, 1000 + 100 * i, 1 + i));
        }
        h.processWatermark(T0 + 59_999);
        List<RollupBatch> minutes = out(RollupBatch.MINUTE);
        assertEquals(1, minutes.size());
        RollupBatch m0 = minutes.get(0);
        assertEquals(T0, m0.bucketStart);
        // rates at 10..50 s: 5 samples of 10/s (the first snapshot is only a baseline)
        assertEquals(5, m0.count[XACT_COMMIT]);
        assertEquals(10.0, m0.min[XACT_COMMIT], 1e-9);
        assertEquals(50.0, m0.sum[XACT_COMMIT], 1e-9);
        // gauges 1..6 at 0..50 s
        assertEquals(6, m0.count[NUMBACKENDS]);
        assertEquals(1.0, m0.min[NUMBACKENDS]);
        assertEquals(6.0, m0.max[NUMBACKENDS]);
        assertEquals(21.0, m0.sum[NUMBACKENDS]);
        assertEquals(6.0, m0.last[NUMBACKENDS]);

        h.processWatermark(Long.MAX_VALUE);
        RollupBatch hour = out(RollupBatch.HOUR).get(0);
        RollupBatch day = out(RollupBatch.DAY).get(0);
        assertEquals(T0, hour.bucketStart);
        assertEquals(7, hour.count[NUMBACKENDS]);
        assertEquals(28.0, hour.sum[NUMBACKENDS]);
        assertEquals(7.0, hour.last[NUMBACKENDS]);
        assertEquals(6, hour.count[XACT_COMMIT]);
        assertEquals(T0, day.bucketStart);
        assertEquals(28.0, day.sum[NUMBACKENDS]);
        assertEquals(1.0, day.min[NUMBACKENDS]);
        assertEquals(7.0, day.max[NUMBACKENDS]);
        assertEquals(0, h.numKeyedStateEntries(), "keyed state left");
        assertEquals(0, h.numEventTimeTimers(), "timers left");
    }

    @Test
    void counterThatGoesDown_isAReset_withoutNegativeRateOrSpike() throws Exception {
        send(db("a", T0, 1000, 1));
        send(db("a", T0 + 10_000, 1100, 1));
        send(db("a", T0 + 20_000, 50, 1)); // reset
        send(db("a", T0 + 30_000, 150, 1));
        h.processWatermark(T0 + 59_999);
        RollupBatch m = out(RollupBatch.MINUTE).get(0);
        assertEquals(2, m.count[XACT_COMMIT]);
        assertEquals(10.0, m.min[XACT_COMMIT], 1e-9);
        assertEquals(10.0, m.max[XACT_COMMIT], 1e-9);
        assertAllStateGone();
    }

    @Test
    void changedStatsReset_restartsTheBaseline_evenWhenTheValueGrew() throws Exception {
        send(dbReset("a", T0, 1, 1000, 1));
        send(dbReset("a", T0 + 10_000, 1, 1100, 1));
        send(dbReset("a", T0 + 20_000, T0 + 15_000, 5000, 1)); // reset at 15 s, already above 1100
        send(dbReset("a", T0 + 30_000, T0 + 15_000, 5100, 1));
        h.processWatermark(T0 + 59_999);
        RollupBatch m = out(RollupBatch.MINUTE).get(0);
        assertEquals(2, m.count[XACT_COMMIT]);
        assertEquals(10.0, m.max[XACT_COMMIT], 1e-9);
        assertAllStateGone();
    }

    @Test
    void serverRestart_seenInPgSettings_restartsTheBaseline() throws Exception {
        long start1 = T0 / 1000 - 3600;
        send(settings("a", T0, start1));
        send(db("a", T0, 1000, 1));
        send(settings("a", T0 + 10_000, start1));
        send(db("a", T0 + 10_000, 1100, 1));
        // restarted at 15 s; stats survived a clean shutdown but the interval is not trusted
        send(db("a", T0 + 20_000, 1300, 1)); // arrives before its pg_settings: same time, still ordered
        send(settings("a", T0 + 20_000, (T0 + 15_000) / 1000));
        send(settings("a", T0 + 30_000, (T0 + 15_000) / 1000));
        send(db("a", T0 + 30_000, 1400, 1));
        h.processWatermark(T0 + 59_999);
        RollupBatch m = null;
        for (RollupBatch b : out(RollupBatch.MINUTE)) {
            if (b.view.equals("pg_stat_database")) {
                m = b;
            }
        }
        assertNotNull(m);
        assertEquals(2, m.count[XACT_COMMIT]); // at 10 s and 30 s; none across the restart
        assertEquals(10.0, m.max[XACT_COMMIT], 1e-9);
        assertAllStateGone();
    }

    @Test
    void latePgSettingsShowingARestart_restartsTheBaselineOfLaterSnapshots() throws Exception {
        long start1 = T0 / 1000 - 3600;
        send(settings("a", T0, start1));
        send(db("a", T0, 1000, 1));
        send(db("a", T0 + 10_000, 1100, 1));
        h.processWatermark(T0 + 30_000);
        // restarted at 15 s; the pg_settings saying so comes behind the watermark (within lateness)
        send(settings("a", T0 + 20_000, (T0 + 15_000) / 1000));
        send(db("a", T0 + 40_000, 1300, 1)); // first sample after the restart: a baseline
        send(db("a", T0 + 50_000, 1400, 1));
        h.processWatermark(T0 + 59_999);
        RollupBatch m = dbMinute(T0);
        assertEquals(2, m.count[XACT_COMMIT]); // at 10 s and 50 s; none across the restart (30 s)
        assertEquals(10.0, m.min[XACT_COMMIT], 1e-9);
        assertEquals(10.0, m.max[XACT_COMMIT], 1e-9);
        assertNull(h.getSideOutput(InstanceRollupFunction.LATE), "the late pg_settings was accepted, not dead-lettered");
        assertAllStateGone();
    }

    @Test
    void latePgSettingsFromBeforeARestart_doesNotWindTheServerStartBack() throws Exception {
        long start1 = T0 / 1000 - 3600;
        send(settings("a", T0, start1));
        send(db("a", T0, 1000, 1));
        send(db("a", T0 + 10_000, 1100, 1));
        send(settings("a", T0 + 20_000, (T0 + 15_000) / 1000)); // restarted at 15 s, in order
        h.processWatermark(T0 + 30_000);
        send(settings("a", T0 + 5_000, start1)); // a late one from before the restart
        send(db("a", T0 + 40_000, 1300, 1)); // still the first sample after the restart
        send(db("a", T0 + 50_000, 1400, 1));
        h.processWatermark(T0 + 59_999);
        RollupBatch m = dbMinute(T0);
        assertEquals(2, m.count[XACT_COMMIT]);
        assertEquals(10.0, m.max[XACT_COMMIT], 1e-9);
        assertAllStateGone();
    }

    /** The latest emission of the pg_stat_database minute starting at {@code start}. */
    RollupBatch dbMinute(long start) {
        RollupBatch m = null;
        for (RollupBatch b : out(RollupBatch.MINUTE)) {
            if (b.view.equals("pg_stat_database") && b.bucketStart == start) {
                m = b;
            }
        }
        assertNotNull(m, "no pg_stat_database minute at " + start);
        return m;
    }

    @Test
    void idleView_keepsARowWhileALateSnapshotCanStillContinueIt() throws Exception {
        long day = 86_400_000L;
        long last = T0 + day - 10_000; // the row's last snapshot, 10 s before midnight
        send(db("a", last - 10_000, 900, 1));
        send(db("a", last, 1000, 1));
        // The day is flushed at 00:01:59.999 and the view is idle from then on. The snapshot at
        // last + 5 min (the gap bound; minute 00:04) is accepted until its minute end + lateness,
        // 00:06:59.999: the row must still be there for it to give a rate.
        long lastAcceptable = T0 + day + 7 * 60_000 - 2;
        h.processWatermark(lastAcceptable);
        assertEquals(1, out(RollupBatch.DAY).size());
        send(db("a", last + 5 * 60_000, 1300, 1));
        RollupBatch m = dbMinute(T0 + day + 4 * 60_000);
        assertEquals(1, m.count[XACT_COMMIT], "a rate against the row's last sample, not a new baseline");
        assertEquals(1.0, m.sum[XACT_COMMIT], 1e-9); // 300 commits in 300 s
        assertAllStateGone();
    }

    @Test
    void idleView_isDroppedAtLastSeenPlusGapPlusLatenessPlusBucketWidth() throws Exception {
        long day = 86_400_000L;
        long last = T0 + day - 10_000;
        send(db("a", last, 1000, 1));
        h.processWatermark(T0 + day + 2 * 60_000); // minute, hour and day flushed: the view is idle
        assertEquals(1, out(RollupBatch.DAY).size());
        long cleanup = last + 5 * 60_000 + 2 * 60_000 + 60_000; // gap 5 min, lateness 2 min, 1-min buckets
        assertEquals(1, h.numEventTimeTimers(), "only the idle-view cleanup timer");
        h.processWatermark(cleanup - 1);
        assertTrue(h.numKeyedStateEntries() > 0, "the idle view is kept until its cleanup time");
        h.processWatermark(cleanup);
        assertEquals(0, h.numKeyedStateEntries(), "keyed state left at the cleanup time");
        assertEquals(0, h.numEventTimeTimers(), "timers left");
    }

    @Test
    void gapLongerThanTheBound_yieldsNoRateOverTheGap() throws Exception {
        send(db("a", T0, 1000, 1));
        send(db("a", T0 + 10 * 60_000, 7000, 1)); // 10 minutes later
        send(db("a", T0 + 10 * 60_000 + 10_000, 7100, 1));
        h.processWatermark(T0 + 11 * 60_000);
        RollupBatch m = bucket(out(RollupBatch.MINUTE), T0 + 10 * 60_000);
        assertEquals(1, m.count[XACT_COMMIT]);
        assertEquals(10.0, m.sum[XACT_COMMIT], 1e-9);
        assertAllStateGone();
    }

    @Test
    void outOfOrderWithinTheBound_givesTheInOrderResult() throws Exception {
        long[] order = {0, 20_000, 10_000, 40_000, 30_000, 50_000};
        double[] commits = {1000, 1100, 1300, 1600, 2000, 2500};
        for (long off : order) {
            int i = (int) (off / 10_000);
            send(db("a", T0 + off, commits[i], i));
        }
        h.processWatermark(T0 + 59_999);
        RollupBatch m = out(RollupBatch.MINUTE).get(0);
        assertEquals(5, m.count[XACT_COMMIT]);
        assertEquals(10.0, m.min[XACT_COMMIT], 1e-9);
        assertEquals(50.0, m.max[XACT_COMMIT], 1e-9);
        assertEquals(150.0, m.sum[XACT_COMMIT], 1e-9);
        assertEquals(50.0, m.last[XACT_COMMIT], 1e-9);
        assertEquals(5.0, m.last[NUMBACKENDS]);
        assertAllStateGone();
    }

    @Test
    void duplicateSnapshot_changesNothing() throws Exception {
        send(db("a", T0, 1000, 1));
        send(db("a", T0 + 10_000, 1100, 2));
        send(db("a", T0 + 10_000, 1100, 2));
        send(db("a", T0 + 20_000, 1200, 3));
        h.processWatermark(T0 + 30_000);
        send(db("a", T0 + 20_000, 1200, 3)); // a late duplicate too
        h.processWatermark(T0 + 59_999);
        RollupBatch m = out(RollupBatch.MINUTE).get(0);
        assertEquals(1, out(RollupBatch.MINUTE).size());
        assertEquals(2, m.count[XACT_COMMIT]);
        assertEquals(3, m.count[NUMBACKENDS]);
        assertEquals(6.0, m.sum[NUMBACKENDS]);
        assertAllStateGone();
    }

    @Test
    void lateWithinAllowedLateness_updatesTheEmittedBucket_laterGoesToDeadLetters() throws Exception {
        send(db("a", T0, 1000, 1));
        send(db("a", T0 + 20_000, 1200, 3));
        send(db("a", T0 + 70_000, 1700, 5));
        h.processWatermark(T0 + 90_000); // minute 0 emitted, still within lateness (until 2:59.999)
        assertEquals(1, out(RollupBatch.MINUTE).size());
        send(db("a", T0 + 10_000, 1100, 2)); // late but allowed: gauge joins, counters already covered
        RollupBatch updated = bucket(out(RollupBatch.MINUTE), T0);
        assertEquals(2, out(RollupBatch.MINUTE).size());
        assertEquals(3, updated.count[NUMBACKENDS]);
        assertEquals(6.0, updated.sum[NUMBACKENDS]);
        assertEquals(3.0, updated.last[NUMBACKENDS]); // the newest sample stays "last"
        assertEquals(1, updated.count[XACT_COMMIT]);

        h.processWatermark(T0 + 4 * 60_000);
        send(db("a", T0 + 30_000, 1300, 9)); // minute 0 is final now
        List<DeadLetterRecord> late = new ArrayList<>();
        h.getSideOutput(InstanceRollupFunction.LATE).forEach(r -> late.add(r.getValue()));
        assertEquals(1, late.size());
        assertEquals("late", late.get(0).getReason());
        assertEquals("a", late.get(0).getInstance());
        assertTrue(late.get(0).getPayload().contains("\"collected_at\":" + (T0 + 30_000)));
        assertEquals(3, bucket(out(RollupBatch.MINUTE), T0).count[NUMBACKENDS]); // unchanged
        assertAllStateGone();
    }

    @Test
    void instanceThatStopsReporting_leavesNoStateOrTimers() throws Exception {
        send(db("a", T0, 1000, 1));
        send(settings("a", T0, T0 / 1000 - 60));
        send(db("b", T0, 1000, 1));
        h.processWatermark(T0 + 20 * 60_000); // 20 minutes of silence, minute and row cleanup done
        h.processWatermark(T0 + 86_400_000L + 10 * 60_000); // past the day flush
        assertEquals(0, h.numKeyedStateEntries(), "keyed state left");
        assertEquals(0, h.numEventTimeTimers(), "timers left");
        assertEquals(3, out(RollupBatch.DAY).size()); // a: two views, b: one
    }
}
