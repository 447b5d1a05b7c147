package dev.datainsight.collector.probe;

/** The two schedules of a server: cheap, fast-moving views and slower, costlier ones. */
public enum ProbeGroup {
    /** Activity, locks, database counters, replication: default every 10 s. */
    FAST,
    /** Sizes, tables, indexes, sequences, statements, settings, checkpoints, I/O: default every 60 s. */
    SLOW
}
