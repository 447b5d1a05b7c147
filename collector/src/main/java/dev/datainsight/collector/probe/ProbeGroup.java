package dev.datainsight.collector.probe;

/** The two schedules of a server: cheap, fast-moving views and slower, costlier ones. */
public enum ProbeGroup {
    /** Activity, locks, database counters, replication: default every 10 s. */
    FAST,
    /** Tables, indexes, sequences, statements, settings, checkpoints, WAL, I/O: default every 60 s. */
    SLOW,
    /**
     * Database sizes and freeze ages ({@code pg_database_size} stats every file of every database,
     * the costliest read on servers with many relations): default every 5 min, fleet-wide.
     */
    SIZES
}
