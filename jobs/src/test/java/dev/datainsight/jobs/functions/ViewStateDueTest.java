package dev.datainsight.jobs.functions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.bench.fleet.SyntheticFleet;
import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.RollupBatch;
import dev.datainsight.model.Snapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * {@link ViewState#dueAt}: the rollup operator skips a view at a timer before its due time, so an
 * advance to any earlier watermark must change nothing (no output, the same state bytes), and the
 * advance at the due time must do something. Driven by the synthetic fleet through two hours (minute
 * buckets, their lateness, hour flushes, a gap that makes views idle and drops their rows).
 */
class ViewStateDueTest {
    static final long LATENESS = 120_000;
    static final long GAP = 300_000;
    final TypeSerializer<ViewState> ser = TypeInformation.of(ViewState.class).createSerializer(new SerializerConfigImpl());

    @Test
    void anAdvanceBeforeTheDueTime_changesNothing_andTheOneAtIt_does() throws Exception {
        long start = 1_767_225_600_000L + 50 * 60_000L; // 00:50, so the stream crosses an hour and more
        SyntheticFleet fleet = new SyntheticFleet(2, 2, 3, 3, start, 10_000, 7);
        Map<String, ViewState> views = new HashMap<>();
        int probes = 0;
        int dueActions = 0;
        for (int c = 0; c < 14 * 6; c++) { // 14 minutes of snapshots, then silence (views go idle)
            long t = fleet.timeOf(c);
            for (Snapshot s : fleet.nextCycle()) {
                if (!s.getInstance().equals(SyntheticFleet.instanceId(0))) {
                    continue;
                }
                CompactSnapshot cs = CompactSnapshot.of(s);
                views.computeIfAbsent(cs.view, ViewState::create).apply(cs, Long.MIN_VALUE, GAP, b -> { },
                        new ViewState.ApplyStats());
            }
            probes += checkAll(views, t);
            for (ViewState v : views.values()) {
                v.advance("i", t, LATENESS, GAP, b -> { }, d -> { });
                assertTrue(v.dueAt(LATENESS, GAP) > t, v.view + " still due after an advance to " + t);
            }
        }
        // silence: step the watermark through the next 90 minutes, advancing only at due times
        long wm = fleet.timeOf(14 * 6);
        while (!views.isEmpty() && wm < start + 3 * 3_600_000L) {
            probes += checkAll(views, wm);
            long next = Long.MAX_VALUE;
            for (ViewState v : views.values()) {
                next = Math.min(next, v.dueAt(LATENESS, GAP));
            }
            if (next == Long.MAX_VALUE) {
                break;
            }
            wm = Math.max(wm, next);
            for (var it = views.values().iterator(); it.hasNext();) {
                ViewState v = it.next();
                if (v.dueAt(LATENESS, GAP) <= wm) {
                    byte[] before = bytes(v);
                    List<RollupBatch> out = new ArrayList<>();
                    v.advance("i", wm, LATENESS, GAP, out::add, d -> { });
                    assertTrue(!out.isEmpty() || !java.util.Arrays.equals(before, bytes(v)),
                            "the advance at the due time " + wm + " of " + v.view + " did nothing");
                    dueActions++;
                    assertTrue(v.dueAt(LATENESS, GAP) > wm, v.view + " still due after an advance to " + wm);
                    if (v.isEmpty()) {
                        it.remove();
                    }
                }
            }
        }
        assertTrue(views.isEmpty(), "every view ends empty once idle long enough: " + views.keySet());
        assertTrue(probes > 500 && dueActions > 20, probes + " probes, " + dueActions + " due actions");
    }

    /** For every view: advances of copies to watermarks before its due time change nothing. */
    int checkAll(Map<String, ViewState> views, long from) throws Exception {
        int n = 0;
        for (ViewState v : views.values()) {
            long due = v.dueAt(LATENESS, GAP);
            byte[] original = bytes(v);
            for (long wm : new long[] {from, from + 5_000, due - 1}) {
                if (wm >= due || wm < from) {
                    continue;
                }
                ViewState copy = copy(original);
                List<RollupBatch> out = new ArrayList<>();
                copy.advance("i", wm, LATENESS, GAP, out::add, d -> { });
                assertEquals(List.of(), out, v.view + " advanced to " + wm + " before its due time " + due);
                assertArrayEquals(original, bytes(copy), v.view + " changed by an advance to " + wm + " < due " + due);
                n++;
            }
        }
        return n;
    }

    byte[] bytes(ViewState v) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(4096);
        ser.serialize(v, out);
        return out.getCopyOfBuffer();
    }

    ViewState copy(byte[] b) throws Exception {
        return ser.deserialize(new DataInputDeserializer(b));
    }
}
