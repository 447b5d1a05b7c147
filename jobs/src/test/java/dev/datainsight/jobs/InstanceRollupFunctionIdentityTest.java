package dev.datainsight.jobs;

import static dev.datainsight.jobs.TestSnapshots.db;
import static dev.datainsight.jobs.TestSnapshots.health;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.RollupBatch;
import dev.datainsight.jobs.rollup.InstanceRollupFunction;
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

/**
 * Issue 18: counters are rebaselined when the collector's health snapshot shows another server
 * (system_identifier), a role change (in_recovery) or a new timeline. Operator harness, one
 * pg_stat_database row (xact_commit counter, numbackends gauge) every 10 s with the health
 * snapshot of the same cycle at the same collection time.
 */
class InstanceRollupFunctionIdentityTest {
    static final long T0 = InstanceRollupFunctionTest.T0;
    static final long MIN = 60_000L;
    static final int XACT_COMMIT = InstanceRollupFunctionTest.XACT_COMMIT;
    static final long SERVER_A = 7_312_345_678_901_234_567L;
    /** Above 2^63: the identifier is unsigned 64-bit. */
    static final long SERVER_B = 0xF000_0000_1234_5678L;

    InstanceRollupFunction fn;
    KeyedOneInputStreamOperatorTestHarness<String, CompactSnapshot, RollupBatch> h;

    @BeforeEach
    void open() throws Exception {
        fn = new InstanceRollupFunction(Duration.ofMinutes(2), Duration.ofMinutes(5), Duration.ofMinutes(5),
                Duration.ZERO, List.of("metrics"));
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

    /** The xact_commit rates of each minute bucket (last emission), as {count, min, max}. */
    List<double[]> commitRates() {
        List<RollupBatch> minutes = new ArrayList<>();
        for (RollupBatch b : h.extractOutputValues()) {
            if (b.resolution == RollupBatch.MINUTE && "pg_stat_database".equals(b.view)) {
                minutes.removeIf(m -> m.bucketStart == b.bucketStart);
                minutes.add(b);
            }
        }
        minutes.sort((a, b) -> Long.compare(a.bucketStart, b.bucketStart));
        List<double[]> l = new ArrayList<>();
        for (RollupBatch b : minutes) {
            l.add(new double[] {b.count[XACT_COMMIT], b.min[XACT_COMMIT], b.max[XACT_COMMIT]});
        }
        return l;
    }

    static void assertRates(double[] got, int count, double min, double max, String what) {
        assertEquals(count, (int) got[0], what + ": rate samples");
        if (count > 0) {
            assertEquals(min, got[1], 1e-9, what + ": min rate");
            assertEquals(max, got[2], 1e-9, what + ": max rate");
        }
    }

    @Test
    void failoverToAnotherServer_withLowerCounters_noRateAcrossTheChange() throws Exception {
        // minute 0 on A: 10 commits/s; minute 1 on B (counters far lower): 5 commits/s
        for (int i = 0; i < 6; i++) {
            long t = T0 + i * 10_000L;
            send(health("a", t, SERVER_A, 0, 1));
            send(db("a", t, 100_000 + 100 * i, 3));
        }
        for (int i = 0; i < 6; i++) {
            long t = T0 + MIN + i * 10_000L;
            // the change's cycle: the view's snapshot arrives before the health snapshot
            send(db("a", t, 2_000 + 50 * i, 3));
            send(health("a", t, SERVER_B, 0, 1));
        }
        h.processWatermark(T0 + 2 * MIN - 1);
        List<double[]> rates = commitRates();
        assertEquals(2, rates.size());
        assertRates(rates.get(0), 5, 10.0, 10.0, "minute on A");
        // 60 s is B's first sample: a baseline; 70..110 s are B's own 5/s
        assertRates(rates.get(1), 5, 5.0, 5.0, "minute on B");
        assertEquals(1, fn.identityChangesCounted());
    }

    @Test
    void failoverToAnotherServer_withHigherCounters_noSpike() throws Exception {
        for (int i = 0; i < 6; i++) {
            long t = T0 + i * 10_000L;
            send(health("a", t, SERVER_A, 0, 1));
            send(db("a", t, 1_000 + 100 * i, 3));
        }
        // B's counters are far above A's: diffed against A they would be a spike of ~10^6/s
        send(db("a", T0 + MIN, 50_000_000, 3));
        send(health("a", T0 + MIN, SERVER_B, 0, 1));
        send(health("a", T0 + MIN + 10_000, SERVER_B, 0, 1));
        send(db("a", T0 + MIN + 10_000, 50_000_070, 3));
        h.processWatermark(T0 + 2 * MIN - 1);
        List<double[]> rates = commitRates();
        assertRates(rates.get(0), 5, 10.0, 10.0, "minute on A");
        assertRates(rates.get(1), 1, 7.0, 7.0, "minute on B");
        assertEquals(1, fn.identityChangesCounted());
    }

    @Test
    void promotion_inRecoveryFlipsThenNewTimeline_countersThatContinueAreNotDiffed() throws Exception {
        // a standby at 10/s; promoted at 60 s (in_recovery 1 -> 0, the checkpoint timeline still 1),
        // the timeline moves to 2 at 90 s (first checkpoint after the promotion)
        for (int i = 0; i < 6; i++) {
            long t = T0 + i * 10_000L;
            send(health("a", t, SERVER_A, 1, 1));
            send(db("a", t, 1_000 + 100 * i, 3));
        }
        long[] commits = {1_600, 1_700, 1_800, 1_900, 2_000, 2_100};
        for (int i = 0; i < 6; i++) {
            long t = T0 + MIN + i * 10_000L;
            send(db("a", t, commits[i], 3));
            send(health("a", t, SERVER_A, 0, i < 3 ? 1 : 2));
        }
        h.processWatermark(T0 + 2 * MIN - 1);
        List<double[]> rates = commitRates();
        assertRates(rates.get(0), 5, 10.0, 10.0, "minute as standby");
        // baselines at 60 s (role) and 90 s (timeline): rates at 70, 80, 100, 110 s; the 50 -> 60 s
        // interval (which would read 10/s) and 80 -> 90 s are not taken
        assertRates(rates.get(1), 4, 10.0, 10.0, "minute as primary");
        assertEquals(2, fn.identityChangesCounted());
    }

    @Test
    void promotion_differentCounterPace_showsNoMixedRate() throws Exception {
        // counters continue at the change but the interval across it would read 1/s, not A's 10/s
        // or the new primary's 20/s
        for (int i = 0; i < 6; i++) {
            long t = T0 + i * 10_000L;
            send(health("a", t, SERVER_A, 1, 4));
            send(db("a", t, 1_000 + 100 * i, 3));
        }
        for (int i = 0; i < 6; i++) {
            long t = T0 + MIN + i * 10_000L;
            send(health("a", t, SERVER_A, 0, 5));
            send(db("a", t, 1_510 + 200 * i, 3));
        }
        h.processWatermark(T0 + 2 * MIN - 1);
        List<double[]> rates = commitRates();
        assertRates(rates.get(0), 5, 10.0, 10.0, "minute as standby");
        assertRates(rates.get(1), 5, 20.0, 20.0, "minute as primary");
        assertEquals(1, fn.identityChangesCounted());
    }

    @Test
    void unchangedIdentity_orIdentityNotRead_noRebaseline() throws Exception {
        for (int i = 0; i < 12; i++) {
            long t = T0 + i * 10_000L;
            // every third cycle reads no identity (nulls) and the slow lane's health rows never do
            send(i % 3 == 2 ? health("a", t, null, null, null) : health("a", t, SERVER_A, 0, 3));
            send(health("a", t + 1, null, null, null));
            send(db("a", t, 1_000 + 100 * i, 3));
        }
        h.processWatermark(T0 + 2 * MIN - 1);
        List<double[]> rates = commitRates();
        assertRates(rates.get(0), 5, 10.0, 10.0, "minute 0");
        assertRates(rates.get(1), 6, 10.0, 10.0, "minute 1");
        assertEquals(0, fn.identityChangesCounted());
    }

    @Test
    void lateHealthSnapshot_rebaselinesOnlyRowsLastSeenBeforeIt() throws Exception {
        for (int i = 0; i < 6; i++) {
            long t = T0 + i * 10_000L;
            send(health("a", t, SERVER_A, 0, 1));
            send(db("a", t, 1_000 + 100 * i, 3));
        }
        // B's first cycles, the health snapshot of 60 s held up behind the watermark
        send(db("a", T0 + MIN, 2_000_000, 3));
        send(db("a", T0 + MIN + 10_000, 2_000_050, 3));
        h.processWatermark(T0 + MIN + 10_000);
        send(health("a", T0 + MIN, SERVER_B, 0, 1));
        send(db("a", T0 + MIN + 20_000, 2_000_100, 3));
        h.processWatermark(T0 + 2 * MIN - 1);
        List<double[]> rates = commitRates();
        assertRates(rates.get(0), 5, 10.0, 10.0, "minute on A");
        // 60 s was diffed against A before the change was known (its spike is already out: the
        // price of a late health snapshot); 70 s and 80 s are B's 5/s: the row last seen at 70 s,
        // after the change, keeps its baseline
        assertEquals(3, (int) rates.get(1)[0]);
        assertEquals(5.0, rates.get(1)[1], 1e-9);
        assertEquals(1, fn.identityChangesCounted());
    }

    @Test
    void lateHealthSnapshot_stillRebaselinesARowLastSeenBeforeTheChange() throws Exception {
        // two databases on A; "other" is not in B's first two cycles (a slower row, or one that
        // left and came back): its last raw value is still A's when the late health snapshot
        // tells of the change
        for (int i = 0; i < 6; i++) {
            long t = T0 + i * 10_000L;
            send(health("a", t, SERVER_A, 0, 1));
            send(CompactSnapshot.of(TestSnapshots.database("a", t, null, "app", 1_000 + 100 * i, 3,
                    "other", 10_000 + 100 * i, 1)));
        }
        send(db("a", T0 + MIN, 2_000_000, 3));
        send(db("a", T0 + MIN + 10_000, 2_000_050, 3));
        h.processWatermark(T0 + MIN + 10_000);
        send(health("a", T0 + MIN, SERVER_B, 0, 1));
        // "other" on B, far above A's value: diffed against A's 50 s sample it would be a spike
        send(CompactSnapshot.of(TestSnapshots.database("a", T0 + MIN + 20_000, null, "app", 2_000_100, 3,
                "other", 900_000, 1)));
        send(CompactSnapshot.of(TestSnapshots.database("a", T0 + MIN + 30_000, null, "app", 2_000_150, 3,
                "other", 900_020, 1)));
        h.processWatermark(T0 + 2 * MIN - 1);
        RollupBatch last = null;
        for (RollupBatch b : h.extractOutputValues()) {
            if (b.resolution == RollupBatch.MINUTE && b.bucketStart == T0 + MIN && "pg_stat_database".equals(b.view)) {
                last = b;
            }
        }
        int row = java.util.Arrays.asList(last.rowKeys).indexOf("other");
        int col = java.util.Arrays.stream(last.columns).boxed().toList().indexOf(
                CompactSnapshot.columnIndex(dev.datainsight.model.MetricCatalog.view("pg_stat_database"))
                        .get("xact_commit"));
        int series = row * last.columns.length + col;
        // 80 s is "other"'s baseline on B; 90 s its 2/s
        assertEquals(1, last.count[series], "rate samples of other");
        assertEquals(2.0, last.max[series], 1e-9);
        assertEquals(1, fn.identityChangesCounted());
    }
}
