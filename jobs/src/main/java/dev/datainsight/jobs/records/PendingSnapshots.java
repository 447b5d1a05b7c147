package dev.datainsight.jobs.records;

/** Snapshots of one instance with the same collection time, waiting for the watermark. */
public class PendingSnapshots {
    public CompactSnapshot[] items;

    public PendingSnapshots() {}

    public PendingSnapshots(CompactSnapshot[] items) {
        this.items = items;
    }
}
