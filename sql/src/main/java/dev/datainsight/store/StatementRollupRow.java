package dev.datainsight.store;

/**
 * pg_stat_statements activity of one query id over one hour: sums of the counter deltas seen in
 * that hour (never raw cumulative values). Idempotent on (instance, queryid, datname, rolname,
 * bucketStart).
 *
 * @param execTimeSqMs2 sum of the hour's squared execution times (deltas of exec_time_sq), or null
 *     when the collector sent none (older collectors)
 * @param maxExecTimeMs the largest max_exec_time seen in the hour (pg_stat_statements' maximum
 *     since the entry's min/max reset: it may predate the hour), or null
 */
public record StatementRollupRow(String instance, String queryid, String datname, String rolname, long bucketStart,
        double calls, double totalExecTimeMs, double rows, double sharedBlksHit, double sharedBlksRead,
        double sharedBlksDirtied, double sharedBlksWritten, double tempBlksRead, double tempBlksWritten,
        double walBytes, Double execTimeSqMs2, Double maxExecTimeMs) {

    /** A row without the spread columns. */
    public StatementRollupRow(String instance, String queryid, String datname, String rolname, long bucketStart,
            double calls, double totalExecTimeMs, double rows, double sharedBlksHit, double sharedBlksRead,
            double sharedBlksDirtied, double sharedBlksWritten, double tempBlksRead, double tempBlksWritten,
            double walBytes) {
        this(instance, queryid, datname, rolname, bucketStart, calls, totalExecTimeMs, rows, sharedBlksHit,
                sharedBlksRead, sharedBlksDirtied, sharedBlksWritten, tempBlksRead, tempBlksWritten, walBytes, null, null);
    }

    /** Mean execution time over the hour, or null with no calls. */
    public Double meanExecTimeMs() {
        return calls > 0 ? totalExecTimeMs / calls : null;
    }

    /** Standard deviation of the hour's execution times, sqrt(sq / calls - mean²), or null. */
    public Double stddevExecTimeMs() {
        if (calls <= 0 || execTimeSqMs2 == null) {
            return null;
        }
        double mean = totalExecTimeMs / calls;
        return Math.sqrt(Math.max(0, execTimeSqMs2 / calls - mean * mean));
    }
}
