package dev.datainsight.jobs.functions;

import java.util.Arrays;

/**
 * Running aggregate (count, min, max, sum, last) of every series of one view over one bucket
 * (a minute, or an hour for pg_stat_statements and the cascade, or a day). Arrays are indexed by
 * series = row × columns + column.
 *
 * <p>Width: a bucket's arrays are sized to the view's series when it opens and grow only when a
 * sample lands past them, so an older bucket can be narrower than the view (rows that appeared
 * later have no samples in it). Every method here accepts a bucket narrower than the count it is
 * given. {@link #lastTs} is per series in first-level buckets (the collection time of {@link
 * #last}, which decides which sample is "last" when samples arrive out of order: a row's columns
 * can be null in one snapshot and not in another) and empty in the hour and day accumulators, whose
 * "last" comes from folding finer buckets in time order. A Flink POJO, stored inside {@link
 * ViewState}.
 */
public class Bucket {
    public long start;
    /** Whether this bucket's rows were emitted once (later changes are overwrite updates). */
    public boolean emitted;
    public int[] count;
    public double[] min;
    public double[] max;
    public double[] sum;
    public double[] last;
    public long[] lastTs;

    public Bucket() {}

    /** @param timed whether {@link #last} is decided by sample time (first-level buckets) */
    Bucket(long start, int series, boolean timed) {
        this.start = start;
        count = new int[series];
        min = new double[series];
        max = new double[series];
        sum = new double[series];
        last = new double[series];
        lastTs = new long[timed ? series : 0];
        Arrays.fill(lastTs, Long.MIN_VALUE);
    }

    /** Makes room for {@code series} series (and their sample times when this bucket is timed). */
    void ensure(int series) {
        if (count.length < series) {
            int n = Math.max(series, count.length * 3 / 2);
            count = Arrays.copyOf(count, n);
            min = Arrays.copyOf(min, n);
            max = Arrays.copyOf(max, n);
            sum = Arrays.copyOf(sum, n);
            last = Arrays.copyOf(last, n);
        }
    }

    private void ensureTimes(int series) {
        if (lastTs.length < series) {
            int old = lastTs.length;
            lastTs = Arrays.copyOf(lastTs, Math.max(series, old * 3 / 2));
            Arrays.fill(lastTs, old, lastTs.length, Long.MIN_VALUE);
        }
    }

    /**
     * Re-lays the arrays out for more columns per row (new columns empty). The bucket may hold
     * fewer rows than {@code rows} (rows that appeared after it opened have no samples in it): only
     * the rows it has are copied.
     */
    void relayout(int oldNc, int newNc, int rows) {
        int n = Math.max(rows, 1) * newNc;
        int[] c2 = new int[n];
        double[] mi = new double[n];
        double[] ma = new double[n];
        double[] su = new double[n];
        double[] la = new double[n];
        long[] ts = new long[lastTs.length == 0 ? 0 : n];
        Arrays.fill(ts, Long.MIN_VALUE);
        int held = oldNc == 0 ? 0 : Math.min(rows, (count.length + oldNc - 1) / oldNc);
        for (int r = 0; r < held; r++) {
            int from = r * oldNc;
            int to = r * newNc;
            int len = Math.min(oldNc, count.length - from);
            System.arraycopy(count, from, c2, to, len);
            System.arraycopy(min, from, mi, to, len);
            System.arraycopy(max, from, ma, to, len);
            System.arraycopy(sum, from, su, to, len);
            System.arraycopy(last, from, la, to, len);
            int tl = Math.min(len, lastTs.length - from);
            if (ts.length > 0 && tl > 0) {
                System.arraycopy(lastTs, from, ts, to, tl);
            }
        }
        count = c2;
        min = mi;
        max = ma;
        sum = su;
        last = la;
        lastTs = ts;
    }

    /** Adds one sample of series {@code i} taken at {@code ts}; the newest sample is "last". */
    void add(int i, double v, long ts) {
        ensure(i + 1);
        ensureTimes(i + 1);
        int c = count[i];
        if (c == 0) {
            min[i] = v;
            max[i] = v;
            sum[i] = v;
        } else {
            if (v < min[i]) {
                min[i] = v;
            }
            if (v > max[i]) {
                max[i] = v;
            }
            sum[i] += v;
        }
        if (c == 0 || ts >= lastTs[i]) {
            last[i] = v;
            lastTs[i] = ts;
        }
        count[i] = c + 1;
    }

    /**
     * Folds a finished finer bucket into this coarser one (finer buckets arrive in time order). The
     * finer bucket may be narrower than {@code series}: its arrays were sized when it was opened, and
     * series that appeared after that (a new table, a new query id) simply have no samples in it.
     */
    void fold(Bucket finer, int series) {
        ensure(series);
        int n = Math.min(series, finer.count.length);
        for (int i = 0; i < n; i++) {
            int fc = finer.count[i];
            if (fc == 0) {
                continue;
            }
            if (count[i] == 0) {
                min[i] = finer.min[i];
                max[i] = finer.max[i];
                sum[i] = finer.sum[i];
            } else {
                min[i] = Math.min(min[i], finer.min[i]);
                max[i] = Math.max(max[i], finer.max[i]);
                sum[i] += finer.sum[i];
            }
            last[i] = finer.last[i];
            count[i] += fc;
        }
    }

    /** Whether no series below {@code series} has a sample (series past this bucket's width have none). */
    boolean isEmpty(int series) {
        int n = Math.min(series, count.length);
        for (int i = 0; i < n; i++) {
            if (count[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Keeps only the rows marked in {@code keep}, compacting the arrays. */
    void compact(boolean[] keep, int rows, int columns) {
        ensure(rows * columns); // rows added after this bucket opened have no samples in it
        boolean timed = lastTs.length > 0;
        if (timed) {
            ensureTimes(rows * columns);
        }
        int w = 0;
        for (int r = 0; r < rows; r++) {
            if (!keep[r]) {
                continue;
            }
            if (w != r) {
                System.arraycopy(count, r * columns, count, w * columns, columns);
                System.arraycopy(min, r * columns, min, w * columns, columns);
                System.arraycopy(max, r * columns, max, w * columns, columns);
                System.arraycopy(sum, r * columns, sum, w * columns, columns);
                System.arraycopy(last, r * columns, last, w * columns, columns);
                if (timed) {
                    System.arraycopy(lastTs, r * columns, lastTs, w * columns, columns);
                }
            }
            w++;
        }
        Arrays.fill(count, w * columns, count.length, 0);
        if (timed) {
            Arrays.fill(lastTs, w * columns, lastTs.length, Long.MIN_VALUE);
        }
    }
}
