package dev.datainsight.jobs.functions;

import java.util.Arrays;

/**
 * Running aggregate (count, min, max, sum, last) of every series of one view over one bucket
 * (a minute, or an hour for pg_stat_statements and the cascade, or a day). Arrays are indexed by
 * series = row × columns + column; {@link #lastTs} is per row (all columns of a row share their
 * collection time) and decides which sample is "last" when samples arrive out of order.
 * A Flink POJO, stored inside {@link ViewState}.
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

    Bucket(long start, int series, int rows) {
        this.start = start;
        count = new int[series];
        min = new double[series];
        max = new double[series];
        sum = new double[series];
        last = new double[series];
        lastTs = new long[rows];
        Arrays.fill(lastTs, Long.MIN_VALUE);
    }

    void ensure(int series, int rows) {
        if (count.length < series) {
            int n = Math.max(series, count.length * 3 / 2);
            count = Arrays.copyOf(count, n);
            min = Arrays.copyOf(min, n);
            max = Arrays.copyOf(max, n);
            sum = Arrays.copyOf(sum, n);
            last = Arrays.copyOf(last, n);
        }
        if (lastTs.length < rows) {
            int old = lastTs.length;
            lastTs = Arrays.copyOf(lastTs, Math.max(rows, old * 3 / 2));
            Arrays.fill(lastTs, old, lastTs.length, Long.MIN_VALUE);
        }
    }

    /** Re-lays the arrays out for more columns per row (new columns empty). */
    void relayout(int oldNc, int newNc, int rows) {
        int n = Math.max(rows, 1) * newNc;
        int[] c2 = new int[n];
        double[] mi = new double[n];
        double[] ma = new double[n];
        double[] su = new double[n];
        double[] la = new double[n];
        for (int r = 0; r < rows; r++) {
            int from = r * oldNc;
            int to = r * newNc;
            int len = Math.max(0, Math.min(oldNc, count.length - from));
            System.arraycopy(count, from, c2, to, len);
            System.arraycopy(min, from, mi, to, len);
            System.arraycopy(max, from, ma, to, len);
            System.arraycopy(sum, from, su, to, len);
            System.arraycopy(last, from, la, to, len);
        }
        count = c2;
        min = mi;
        max = ma;
        sum = su;
        last = la;
    }

    /** Adds one sample of series {@code i} (row {@code row}) taken at {@code ts}. */
    void add(int i, int row, double v, long ts) {
        int c = count[i];
        if (c == 0) {
            min[i] = v;
            max[i] = v;
            sum[i] = v;
            last[i] = v;
        } else {
            if (v < min[i]) {
                min[i] = v;
            }
            if (v > max[i]) {
                max[i] = v;
            }
            sum[i] += v;
            if (ts >= lastTs[row]) {
                last[i] = v;
            }
        }
        count[i] = c + 1;
    }

    /**
     * Folds a finished finer bucket into this coarser one (finer buckets arrive in time order). The
     * finer bucket may be narrower than {@code series}: its arrays were sized when it was opened, and
     * series that appeared after that (a new table, a new query id) simply have no samples in it.
     */
    void fold(Bucket finer, int series) {
        ensure(series, 0);
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
        ensure(rows * columns, 0); // rows added after this bucket opened have no samples in it
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
                if (r < lastTs.length) {
                    lastTs[w] = lastTs[r];
                }
            }
            w++;
        }
        Arrays.fill(count, w * columns, count.length, 0);
        if (w < lastTs.length) {
            Arrays.fill(lastTs, w, lastTs.length, Long.MIN_VALUE);
        }
    }
}
