package dev.datainsight.store;

import java.util.Arrays;

/**
 * Rollup rows of series whose ids the caller already holds (from {@link StoreWriter#seriesIds}),
 * column by column in primitive arrays: the job's sink fills one per resolution and batch without
 * an object per row. Grows as rows are added; not thread-safe.
 */
public final class RollupColumns {
    private long[] seriesId;
    private long[] bucketStart;
    private long[] count;
    private double[] min;
    private double[] max;
    private double[] sum;
    private double[] last;
    private int size;

    public RollupColumns(int capacity) {
        int c = Math.max(16, capacity);
        seriesId = new long[c];
        bucketStart = new long[c];
        count = new long[c];
        min = new double[c];
        max = new double[c];
        sum = new double[c];
        last = new double[c];
    }

    /** Appends one row; a later row with the same series and bucket overwrites an earlier one when written. */
    public void add(long series, long bucketStartMs, long n, double mn, double mx, double sm, double lst) {
        if (size == seriesId.length) {
            int c = size * 2;
            seriesId = Arrays.copyOf(seriesId, c);
            bucketStart = Arrays.copyOf(bucketStart, c);
            count = Arrays.copyOf(count, c);
            min = Arrays.copyOf(min, c);
            max = Arrays.copyOf(max, c);
            sum = Arrays.copyOf(sum, c);
            last = Arrays.copyOf(last, c);
        }
        seriesId[size] = series;
        bucketStart[size] = bucketStartMs;
        count[size] = n;
        min[size] = mn;
        max[size] = mx;
        sum[size] = sm;
        last[size] = lst;
        size++;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public long seriesId(int i) {
        return seriesId[i];
    }

    public long bucketStart(int i) {
        return bucketStart[i];
    }

    public long count(int i) {
        return count[i];
    }

    public double min(int i) {
        return min[i];
    }

    public double max(int i) {
        return max[i];
    }

    public double sum(int i) {
        return sum[i];
    }

    public double last(int i) {
        return last[i];
    }
}
