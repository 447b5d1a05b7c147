package dev.datainsight.model;

/** A snapshot of one catalog view other than pg_stat_statements; topic {@code datainsight.metrics}. */
public final class MetricsSnapshot extends Snapshot {
    @Override
    public SnapshotKind kind() {
        return SnapshotKind.METRICS;
    }
}
