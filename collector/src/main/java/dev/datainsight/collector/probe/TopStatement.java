package dev.datainsight.collector.probe;

import java.util.List;

/**
 * One pg_stat_statements entry as {@link StatementsProbe} ranked it in this cycle (by change of
 * total_exec_time since the previous cycle), handed to the plans probe of the same cycle through
 * {@link ProbeContext#cycleScratch()}.
 *
 * @param queryid the entry's queryid
 * @param dbid its database oid
 * @param userid its role oid
 * @param datname its database name
 * @param rolname its role name
 * @param toplevel "true", "false", or "" before pg_stat_statements 1.9
 * @param execTimeMs total_exec_time it gained since the previous cycle (on the first cycle: its total)
 */
public record TopStatement(long queryid, long dbid, long userid, String datname, String rolname, String toplevel,
        double execTimeMs) {

    /** Key of the ranking in the cycle scratch. */
    public static final String SCRATCH_KEY = "pg_stat_statements.ranking";

    /**
     * The ranking of one cycle, best first.
     *
     * @param schema schema pg_stat_statements is installed in
     * @param top the top entries by change of time
     */
    public record Ranking(String schema, List<TopStatement> top) {}
}
