package dev.datainsight.jobs.records;

/**
 * Rollups of all series of one view of one instance over one bucket: the compact output of the
 * rollup operator (one record per view and bucket instead of one per series). Arrays are
 * rows × catalog columns; a series without samples in the bucket has count 0 and is not written.
 * For {@code pg_stat_statements} (resolution {@link #STATEMENTS}) only {@link #sum} is used and
 * holds the sum of counter deltas over the hour.
 */
public class RollupBatch {
    public static final int MINUTE = 0;
    public static final int HOUR = 1;
    public static final int DAY = 2;
    public static final int STATEMENTS = 3;

    public String instance;
    public String view;
    /** {@link #MINUTE}, {@link #HOUR}, {@link #DAY} or {@link #STATEMENTS}. */
    public int resolution;
    public long bucketStart;
    public String[] rowKeys;
    /** Catalog column indices of the arrays' columns (rows × columns.length). */
    public int[] columns;
    public int[] count;
    public double[] min;
    public double[] max;
    public double[] sum;
    public double[] last;

    public RollupBatch() {}

    /** Number of series with at least one sample. */
    public int seriesCount() {
        int n = 0;
        for (int c : count) {
            if (c > 0) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return "RollupBatch{" + instance + "/" + view + " res=" + resolution + " @" + bucketStart + ", rows=" + rowKeys.length + "}";
    }
}
