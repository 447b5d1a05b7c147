package dev.datainsight.store;

/**
 * pg_stat_statements activity of one query id over one hour: sums of the counter deltas seen in
 * that hour (never raw cumulative values). Idempotent on (instance, queryid, datname, rolname,
 * bucketStart).
 */
public record StatementRollupRow(String instance, String queryid, String datname, String rolname, long bucketStart,
        double calls, double totalExecTimeMs, double rows, double sharedBlksHit, double sharedBlksRead,
        double sharedBlksDirtied, double sharedBlksWritten, double tempBlksRead, double tempBlksWritten,
        double walBytes) {

    /** Mean execution time over the hour, or null with no calls. */
    public Double meanExecTimeMs() {
        return calls > 0 ? totalExecTimeMs / calls : null;
    }
}
