package dev.datainsight.bench.job;

import dev.datainsight.bench.fleet.SyntheticFleet;
import dev.datainsight.jobs.functions.Bucket;
import dev.datainsight.jobs.functions.ViewState;
import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.PendingSnapshots;
import dev.datainsight.model.Snapshot;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * Measures the keyed state of the rollup operator per active series in steady state: the same
 * classes the job keeps in state ({@link ViewState} per view, pending snapshots), driven through
 * the same steps (snapshots wait for a watermark 30 s behind, then are applied; buckets advance)
 * for a fleet, then weighed three ways: JVM heap retained (what the hashmap backend holds),
 * serialized bytes (what RocksDB and checkpoints hold) and an estimate from the state's arrays and strings.
 */
public final class StateFootprint {
    /** Bytes per series, measured three ways. */
    public record Result(int instances, long series, double heapBytesPerSeries, double serializedBytesPerSeries,
            double estimatedBytesPerSeries) {}

    private StateFootprint() {}

    public static Result measure(int instances, int databases, int tables, int statements, int cycles) throws Exception {
        long now = System.currentTimeMillis();
        long start = now - now % 3_600_000L - 3_600_000L + 20 * 60_000L;
        SyntheticFleet fleet = new SyntheticFleet(instances, databases, tables, statements, start, 10_000, 11);
        System.gc();
        Thread.sleep(200);
        System.gc();
        long before = usedHeap();
        Map<String, Map<String, ViewState>> views = new HashMap<>();
        Map<String, TreeMap<Long, PendingSnapshots>> pending = new HashMap<>();
        ViewState.ApplyStats stats = new ViewState.ApplyStats();
        for (int c = 0; c < cycles; c++) {
            long wm = fleet.timeOf(c) - 30_000;
            List<Snapshot> snaps = fleet.nextCycle();
            for (Snapshot s : snaps) {
                CompactSnapshot cs = CompactSnapshot.of(s);
                TreeMap<Long, PendingSnapshots> p = pending.computeIfAbsent(cs.instance, k -> new TreeMap<>());
                PendingSnapshots ps = p.computeIfAbsent(cs.collectedAt, k -> new PendingSnapshots(new CompactSnapshot[0]));
                ps.items = java.util.Arrays.copyOf(ps.items, ps.items.length + 1);
                ps.items[ps.items.length - 1] = cs;
            }
            for (Map.Entry<String, TreeMap<Long, PendingSnapshots>> e : pending.entrySet()) {
                Map<String, ViewState> vs = views.computeIfAbsent(e.getKey(), k -> new HashMap<>());
                while (!e.getValue().isEmpty() && e.getValue().firstKey() <= wm) {
                    for (CompactSnapshot cs : e.getValue().pollFirstEntry().getValue().items) {
                        vs.computeIfAbsent(cs.view, ViewState::create).apply(cs, Long.MIN_VALUE, 300_000, t -> { }, stats);
                    }
                }
                for (ViewState v : vs.values()) {
                    v.advance(e.getKey(), wm, 120_000, 300_000, b -> { }, t -> { });
                }
            }
        }
        System.gc();
        Thread.sleep(200);
        System.gc();
        long after = usedHeap();
        long series = 0;
        long estimate = 0;
        long serialized = 0;
        TypeSerializer<ViewState> vser = TypeInformation.of(ViewState.class).createSerializer(new SerializerConfigImpl());
        TypeSerializer<PendingSnapshots> pser =
                TypeInformation.of(PendingSnapshots.class).createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(1 << 16);
        for (Map<String, ViewState> vs : views.values()) {
            for (ViewState v : vs.values()) {
                series += v.series();
                estimate += approximateBytes(v);
                out.clear();
                vser.serialize(v, out);
                serialized += out.length();
            }
        }
        for (TreeMap<Long, PendingSnapshots> p : pending.values()) {
            for (PendingSnapshots ps : p.values()) {
                out.clear();
                pser.serialize(ps, out);
                serialized += out.length();
                for (CompactSnapshot cs : ps.items) {
                    estimate += 64 + cs.values.length * 8L + cs.rowKeys.length * 48L;
                }
            }
        }
        // keep the state reachable until measured
        if (views.size() + pending.size() < 0) {
            throw new IllegalStateException();
        }
        return new Result(instances, series, (after - before) / (double) series, serialized / (double) series,
                estimate / (double) series);
    }

    /**
     * The state's own estimate of its heap bytes: its arrays and strings with typical object and
     * array headers, the third of the three weights (next to the measured heap and serialized size).
     */
    static long approximateBytes(ViewState v) {
        long b = 64 + 16L * 4;
        b += v.catalogColumns.length * 4L + v.rowKeys.length * 8L + v.rowLastTs.length * 8L + v.rowStatsReset.length * 8L
                + v.lastRaw.length * 8L + v.recent.length * 8L;
        for (int r = 0; r < v.rowCount; r++) {
            b += 40 + v.rowKeys[r].length();
        }
        for (Bucket k : v.buckets) {
            b += bucketBytes(k);
        }
        b += v.hour == null ? 0 : bucketBytes(v.hour);
        b += v.day == null ? 0 : bucketBytes(v.day);
        return b;
    }

    private static long bucketBytes(Bucket k) {
        return 48 + 6 * 16 + k.count.length * 4L + (k.min.length + k.max.length + k.sum.length + k.last.length) * 8L
                + k.lastTs.length * 8L;
    }

    static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
