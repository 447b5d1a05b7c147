package dev.datainsight.collector.probe;

/**
 * Bounds that keep every probe cheap on large servers.
 *
 * @param maxDatabases databases visited by per-database probes (tables, indexes, sequences)
 * @param topTables tables per database (ranked by size and by dead tuples)
 * @param topIndexes indexes per database (ranked by size)
 * @param topSequences sequences per database (ranked by used ratio)
 * @param topStatements pg_stat_statements entries per cycle ranked by the change of total_exec_time since the
 *     previous cycle, plus at most as many sticky ones, before "other"
 * @param queryTextMaxChars bound on one query text
 * @param maxDatabaseRows rows of pg_stat_database / pg_database
 */
public record ProbeLimits(int maxDatabases, int topTables, int topIndexes, int topSequences, int topStatements,
        int queryTextMaxChars, int maxDatabaseRows) {

    /** The documented defaults. */
    public static ProbeLimits defaults() {
        return new ProbeLimits(10, 200, 200, 50, 100, 2000, 1000);
    }
}
