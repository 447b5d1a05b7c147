package dev.datainsight.jobs.functions;

import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.RollupBatch;
import dev.datainsight.model.Column;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.ViewDef;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Everything the job keeps for one view of one instance: per row its key, last collection time and
 * stats_reset; per series the last raw counter value; the open buckets (minutes, or hours for
 * pg_stat_statements) and the hour and day accumulators of the cascade. All series of the view
 * live in flat primitive arrays (series = row × columns + column), which keeps the state near
 * 200 bytes per series and makes a snapshot one map lookup instead of one per sample.
 *
 * <p>Lifetime: a bucket is emitted when the watermark passes its end, kept for the allowed
 * lateness (late snapshots update it and it is emitted again, overwriting the stored row), then
 * folded into the hour accumulator and dropped; the hour is emitted and folded into the day once
 * its last minute is final; the day likewise. Rows not seen for longer than the gap bound are
 * dropped at the day boundary or, once nothing is open, by the owner's idle-view cleanup timer (see
 * {@link #lastSeen}); a view with no rows left is removed by its owner.
 */
public class ViewState {
    public static final long MINUTE = 60_000L;
    public static final long HOUR = 3_600_000L;
    public static final long DAY = 86_400_000L;
    private static final int RECENT = 16;

    public String view;
    public boolean statements;
    /** Number of columns held (only columns seen in a snapshot of this view take space). */
    public int columns;
    /** Catalog index of each held column, in holding order. */
    public int[] catalogColumns;
    public int rowCount;
    public int serverVersionNum;
    public long statsReset = CompactSnapshot.NO_RESET;
    public String[] rowKeys;
    public long[] rowLastTs;
    public long[] rowStatsReset;
    public double[] lastRaw;
    /** Collection times already applied (duplicates are ignored), newest overwrite oldest. */
    public long[] recent;
    public Bucket[] buckets;
    public Bucket hour;
    public Bucket day;

    private transient Map<String, Integer> index;
    private transient boolean[] counter;

    public ViewState() {}

    /** A fresh state for a view of the catalog. */
    public static ViewState create(String view) {
        ViewDef def = MetricCatalog.view(view);
        ViewState s = new ViewState();
        s.view = view;
        s.statements = def.kind() == dev.datainsight.model.SnapshotKind.STATEMENTS;
        s.columns = 0;
        s.catalogColumns = new int[0];
        s.rowKeys = new String[4];
        s.rowLastTs = new long[4];
        s.rowStatsReset = new long[4];
        s.lastRaw = new double[0];
        s.recent = new long[RECENT];
        Arrays.fill(s.recent, Long.MIN_VALUE);
        s.buckets = new Bucket[0];
        return s;
    }

    /** Width of the first-level bucket: a minute, or an hour for pg_stat_statements. */
    public long width() {
        return statements ? HOUR : MINUTE;
    }

    /** Number of series (rows × columns). */
    public int series() {
        return rowCount * columns;
    }

    private boolean[] counterColumns() {
        if (counter == null) {
            ViewDef def = MetricCatalog.view(view);
            Column[] all = def.columns().values().toArray(new Column[0]);
            counter = new boolean[columns];
            for (int j = 0; j < columns; j++) {
                counter[j] = all[catalogColumns[j]].isCounter();
            }
        }
        return counter;
    }

    /**
     * The state row of a row key. Snapshots of a view usually list their rows in the same order,
     * so the row at the same position is tried first: comparing two equal strings is cheaper than
     * hashing a freshly deserialized one.
     */
    private int rowIndex(String key, int position) {
        if (position < rowCount && key.equals(rowKeys[position])) {
            return position;
        }
        return rowIndex(key);
    }

    private int rowIndex(String key) {
        if (index == null) {
            index = new HashMap<>(Math.max(16, rowCount * 2));
            for (int r = 0; r < rowCount; r++) {
                index.put(rowKeys[r], r);
            }
        }
        Integer i = index.get(key);
        if (i != null) {
            return i;
        }
        int r = rowCount++;
        if (r == rowKeys.length) {
            int n = Math.max(4, r * 3 / 2 + 1);
            rowKeys = Arrays.copyOf(rowKeys, n);
            rowLastTs = Arrays.copyOf(rowLastTs, n);
            rowStatsReset = Arrays.copyOf(rowStatsReset, n);
            lastRaw = Arrays.copyOf(lastRaw, n * columns);
        }
        rowKeys[r] = key;
        rowLastTs[r] = Long.MIN_VALUE;
        rowStatsReset[r] = CompactSnapshot.NO_RESET;
        Arrays.fill(lastRaw, r * columns, (r + 1) * columns, Double.NaN);
        index.put(key, r);
        return r;
    }

    /** Whether a snapshot at {@code ts} was applied already. */
    public boolean seen(long ts) {
        for (long t : recent) {
            if (t == ts) {
                return true;
            }
        }
        return false;
    }

    /**
     * Keeps {@code ts} for {@link #seen}. Every time that can still be accepted (its bucket within
     * the allowed lateness) must stay here, or a late duplicate would add its gauges twice: the
     * array grows when no slot is free, and {@link #advance} frees the times that can no longer
     * be accepted.
     */
    private void remember(long ts) {
        for (int i = 0; i < recent.length; i++) {
            if (recent[i] == Long.MIN_VALUE) {
                recent[i] = ts;
                return;
            }
        }
        int old = recent.length;
        recent = Arrays.copyOf(recent, Math.max(RECENT, old * 2));
        Arrays.fill(recent, old + 1, recent.length, Long.MIN_VALUE);
        recent[old] = ts;
    }

    /** Frees the remembered times whose bucket the watermark {@code wm} closed for good. */
    private void forgetFinal(long wm, long latenessMs) {
        for (int i = 0; i < recent.length; i++) {
            long t = recent[i];
            if (t != Long.MIN_VALUE && bucketStart(t) + width() - 1 + latenessMs <= wm) {
                recent[i] = Long.MIN_VALUE;
            }
        }
    }

    private long newestApplied() {
        long m = Long.MIN_VALUE;
        for (long t : recent) {
            m = Math.max(m, t);
        }
        return m;
    }

    /** Start of the first-level bucket holding {@code ts}. */
    public long bucketStart(long ts) {
        return ts - Math.floorMod(ts, width());
    }

    /** The open bucket starting at {@code start}, or null. */
    public Bucket bucket(long start) {
        for (Bucket b : buckets) {
            if (b.start == start) {
                return b;
            }
        }
        return null;
    }

    private Bucket bucketFor(long ts, Consumer<Long> onNewBucket) {
        long start = bucketStart(ts);
        Bucket b = bucket(start);
        if (b == null) {
            b = new Bucket(start, Math.max(series(), 1), true);
            buckets = Arrays.copyOf(buckets, buckets.length + 1);
            buckets[buckets.length - 1] = b;
            onNewBucket.accept(start);
        }
        return b;
    }

    /** Outcome counters of one {@link #apply} call. */
    public static final class ApplyStats {
        public int resets;
        public boolean duplicate;
    }

    /**
     * Applies one snapshot: counters become rates (or deltas for pg_stat_statements) against the
     * previous snapshot of the same row, gauges pass through, and both go into the bucket of the
     * collection time. A row whose previous sample is newer than this one (a late snapshot) only
     * contributes its gauges: its counters' interval is already covered by the neighbouring rates.
     *
     * @param serverStartMs the server's start time, or Long.MIN_VALUE when unknown
     * @param maxGapMs no rate across a gap longer than this
     * @param onNewBucket called with the start of every bucket this call opens (to set timers)
     * @return the bucket touched, or null if the snapshot was a duplicate
     */
    public Bucket apply(CompactSnapshot s, long serverStartMs, long maxGapMs, Consumer<Long> onNewBucket,
            ApplyStats stats) {
        long t = s.collectedAt;
        if (seen(t)) {
            stats.duplicate = true;
            return null;
        }
        boolean newest = t > newestApplied();
        remember(t);
        int[] inv = holdColumns(s.columns);
        boolean[] isCounter = counterColumns();
        boolean viewReset = s.statsReset != statsReset || (serverVersionNum != 0 && s.serverVersionNum != serverVersionNum);
        if (newest) {
            // a late snapshot must not wind the view's stats_reset or version back: the next
            // snapshot would take the newer ones for a reset and lose its rates
            statsReset = s.statsReset;
            serverVersionNum = s.serverVersionNum;
        }
        Bucket b = bucketFor(t, onNewBucket);
        int nc = columns;
        int sc = s.columns.length;
        for (int r = 0; r < s.rowKeys.length; r++) {
            int row = rowIndex(s.rowKeys[r], r);
            b.ensure(rowCount * nc);
            long prevTs = rowLastTs[row];
            if (prevTs == t) {
                continue; // this row was already applied at this time
            }
            boolean inOrder = t > prevTs;
            boolean baseline = !inOrder || prevTs == Long.MIN_VALUE || viewReset || t - prevTs > maxGapMs
                    || s.rowStatsReset[r] != rowStatsReset[row] || serverStartMs > prevTs;
            double seconds = (t - prevTs) / 1000.0;
            int base = row * nc;
            int in = r * sc;
            for (int j = 0; j < nc; j++) {
                int k = inv[j];
                double v = k < 0 ? Double.NaN : s.values[in + k];
                if (!isCounter[j]) {
                    if (!Double.isNaN(v)) {
                        b.add(base + j, v, t);
                    }
                    continue;
                }
                if (!inOrder) {
                    continue;
                }
                double prev = lastRaw[base + j];
                lastRaw[base + j] = v;
                if (baseline || Double.isNaN(v) || Double.isNaN(prev)) {
                    continue;
                }
                if (v < prev) {
                    stats.resets++; // counter went down: a reset, no negative rate
                    continue;
                }
                b.add(base + j, statements ? v - prev : (v - prev) / seconds, t);
            }
            if (inOrder) {
                rowLastTs[row] = t;
                rowStatsReset[row] = s.rowStatsReset[r];
            }
        }
        return b;
    }

    /**
     * Makes sure every column of a snapshot is held (a new column re-lays the arrays out; rare:
     * only when a column is seen for the first time) and returns, per held column, its position in
     * the snapshot or -1.
     */
    private int[] holdColumns(int[] snapshotColumns) {
        int added = 0;
        for (int ci : snapshotColumns) {
            if (CompactSnapshot.positionOf(catalogColumns, ci) < 0) {
                added++;
            }
        }
        if (added > 0) {
            int oldNc = columns;
            int newNc = oldNc + added;
            int[] cc = Arrays.copyOf(catalogColumns, newNc);
            int w = oldNc;
            for (int ci : snapshotColumns) {
                if (CompactSnapshot.positionOf(catalogColumns, ci) < 0) {
                    cc[w++] = ci;
                }
            }
            int cap = rowKeys.length;
            double[] raw = new double[cap * newNc];
            Arrays.fill(raw, Double.NaN);
            for (int r = 0; r < rowCount; r++) {
                System.arraycopy(lastRaw, r * oldNc, raw, r * newNc, oldNc);
            }
            lastRaw = raw;
            for (Bucket b : buckets) {
                b.relayout(oldNc, newNc, rowCount);
            }
            if (hour != null) {
                hour.relayout(oldNc, newNc, rowCount);
            }
            if (day != null) {
                day.relayout(oldNc, newNc, rowCount);
            }
            catalogColumns = cc;
            columns = newNc;
            counter = null;
        }
        int[] inv = new int[columns];
        for (int j = 0; j < columns; j++) {
            inv[j] = CompactSnapshot.positionOf(snapshotColumns, catalogColumns[j]);
        }
        return inv;
    }

    /** The rows of a bucket as an output record (arrays copied: state keeps changing). */
    public RollupBatch toBatch(String instance, int resolution, Bucket b) {
        RollupBatch out = new RollupBatch();
        out.instance = instance;
        out.view = view;
        out.resolution = resolution;
        out.bucketStart = b.start;
        int n = series();
        out.rowKeys = Arrays.copyOf(rowKeys, rowCount);
        out.columns = Arrays.copyOf(catalogColumns, columns);
        b.ensure(n);
        out.count = Arrays.copyOf(b.count, n);
        out.min = Arrays.copyOf(b.min, n);
        out.max = Arrays.copyOf(b.max, n);
        out.sum = Arrays.copyOf(b.sum, n);
        out.last = Arrays.copyOf(b.last, n);
        return out;
    }

    /**
     * Moves the view forward to watermark {@code wm}: emits buckets that ended, finalizes buckets
     * whose lateness passed (folding minutes into the hour and hours into the day, emitting each
     * coarser rollup once it is complete), and drops rows not seen for longer than the gap bound at
     * the day boundary.
     *
     * @param onNewDeadline called with timer times this step creates (hour and day flushes)
     */
    public void advance(String instance, long wm, long latenessMs, long maxGapMs, Consumer<RollupBatch> out,
            Consumer<Long> onNewDeadline) {
        forgetFinal(wm, latenessMs);
        if (buckets.length == 0) {
            flushCoarse(instance, wm, latenessMs, maxGapMs, out, onNewDeadline);
            return;
        }
        Arrays.sort(buckets, (a, c) -> Long.compare(a.start, c.start));
        int n = series();
        int kept = 0;
        for (Bucket b : buckets) {
            long end = b.start + width() - 1;
            if (!b.emitted && end <= wm) {
                out.accept(toBatch(instance, statements ? RollupBatch.STATEMENTS : RollupBatch.MINUTE, b));
                b.emitted = true;
            }
            if (end + latenessMs <= wm) {
                if (!statements) {
                    foldIntoHour(instance, b, n, latenessMs, out, onNewDeadline);
                }
            } else {
                buckets[kept++] = b;
            }
        }
        if (kept != buckets.length) {
            buckets = Arrays.copyOf(buckets, kept);
        }
        flushCoarse(instance, wm, latenessMs, maxGapMs, out, onNewDeadline);
    }

    private void foldIntoHour(String instance, Bucket minute, int n, long latenessMs, Consumer<RollupBatch> out,
            Consumer<Long> onNewDeadline) {
        if (minute.isEmpty(n)) {
            return;
        }
        long hs = minute.start - Math.floorMod(minute.start, HOUR);
        if (hour != null && hour.start != hs) {
            emitHour(instance, latenessMs, out, onNewDeadline);
        }
        if (hour == null) {
            hour = new Bucket(hs, n, false);
            onNewDeadline.accept(hs + HOUR - 1 + latenessMs);
        }
        hour.ensure(n);
        hour.fold(minute, n);
    }

    private void emitHour(String instance, long latenessMs, Consumer<RollupBatch> out, Consumer<Long> onNewDeadline) {
        int n = series();
        hour.ensure(n);
        out.accept(toBatch(instance, RollupBatch.HOUR, hour));
        long ds = hour.start - Math.floorMod(hour.start, DAY);
        if (day != null && day.start != ds) {
            emitDay(instance, out);
        }
        if (day == null) {
            day = new Bucket(ds, n, false);
            onNewDeadline.accept(ds + DAY - 1 + latenessMs);
        }
        day.ensure(n);
        day.fold(hour, n);
        hour = null;
    }

    private void emitDay(String instance, Consumer<RollupBatch> out) {
        day.ensure(series());
        out.accept(toBatch(instance, RollupBatch.DAY, day));
        day = null;
    }

    private void flushCoarse(String instance, long wm, long latenessMs, long maxGapMs, Consumer<RollupBatch> out,
            Consumer<Long> onNewDeadline) {
        boolean dayBoundary = false;
        if (hour != null && hour.start + HOUR - 1 + latenessMs <= wm) {
            emitHour(instance, latenessMs, out, onNewDeadline);
        }
        if (day != null && day.start + DAY - 1 + latenessMs <= wm) {
            emitDay(instance, out);
            dayBoundary = true;
        }
        if (dayBoundary || (buckets.length == 0 && hour == null && day == null)) {
            // a row is dropped only when no snapshot the job can still accept (a late one within
            // the allowed lateness of its bucket) could be within the gap bound of its last one:
            // one at last + gap has its bucket end at most last + gap + width - 1, accepted while
            // the watermark is below that + lateness
            dropStaleRows(wm - maxGapMs - latenessMs - width());
        }
    }

    /**
     * The earliest watermark at which {@link #advance} has anything to do: emit a bucket that
     * ended, finalize one whose lateness passed (or free the times remembered for it), flush the
     * hour or day, or drop a row of an idle view. An advance to an earlier watermark changes
     * nothing, so the owner may skip it. Long.MAX_VALUE when nothing will ever be due.
     */
    public long dueAt(long latenessMs, long maxGapMs) {
        long due = Long.MAX_VALUE;
        long w = width();
        for (Bucket b : buckets) {
            long end = b.start + w - 1;
            due = Math.min(due, b.emitted ? end + latenessMs : end);
        }
        for (long t : recent) {
            if (t != Long.MIN_VALUE) {
                due = Math.min(due, bucketStart(t) + w - 1 + latenessMs);
            }
        }
        if (hour != null) {
            due = Math.min(due, hour.start + HOUR - 1 + latenessMs);
        }
        if (day != null) {
            due = Math.min(due, day.start + DAY - 1 + latenessMs);
        }
        if (buckets.length == 0 && hour == null && day == null) {
            // idle: the first row that can be dropped (dropStaleRows' cutoff reaches its last time)
            for (int r = 0; r < rowCount; r++) {
                due = Math.min(due, rowLastTs[r] + maxGapMs + latenessMs + w);
            }
        }
        return due;
    }

    /** Whether nothing is left: no rows, buckets or accumulators. */
    public boolean isEmpty() {
        return rowCount == 0 && buckets.length == 0 && hour == null && day == null;
    }

    /**
     * Latest collection time of any row, or Long.MIN_VALUE when there is none. The owner drops an
     * idle view's rows with a cleanup timer at this time + the gap bound + the allowed lateness +
     * {@link #width()}: the first watermark at which {@link #advance} can drop them.
     */
    public long lastSeen() {
        long m = Long.MIN_VALUE;
        for (int r = 0; r < rowCount; r++) {
            m = Math.max(m, rowLastTs[r]);
        }
        return m;
    }

    /** Drops rows last seen at or before {@code cutoff} that hold nothing in any open bucket. */
    void dropStaleRows(long cutoff) {
        boolean[] keep = new boolean[rowCount];
        int kept = 0;
        for (int r = 0; r < rowCount; r++) {
            boolean busy = rowLastTs[r] > cutoff;
            for (int j = 0; !busy && j < columns; j++) {
                int i = r * columns + j;
                for (Bucket b : buckets) {
                    busy |= i < b.count.length && b.count[i] > 0;
                }
                busy |= hour != null && i < hour.count.length && hour.count[i] > 0;
                busy |= day != null && i < day.count.length && day.count[i] > 0;
            }
            keep[r] = busy;
            if (busy) {
                kept++;
            }
        }
        if (kept == rowCount) {
            return;
        }
        for (Bucket b : buckets) {
            b.compact(keep, rowCount, columns);
        }
        if (hour != null) {
            hour.compact(keepAllRowsAsOne(keep), rowCount, columns);
        }
        if (day != null) {
            day.compact(keepAllRowsAsOne(keep), rowCount, columns);
        }
        int w = 0;
        for (int r = 0; r < rowCount; r++) {
            if (keep[r]) {
                rowKeys[w] = rowKeys[r];
                rowLastTs[w] = rowLastTs[r];
                rowStatsReset[w] = rowStatsReset[r];
                System.arraycopy(lastRaw, r * columns, lastRaw, w * columns, columns);
                w++;
            }
        }
        Arrays.fill(rowKeys, w, rowKeys.length, null);
        rowCount = w;
        index = null;
    }

    private static boolean[] keepAllRowsAsOne(boolean[] keep) {
        return keep; // hour/day buckets are indexed by series like minutes; lastTs is unused there
    }
}
