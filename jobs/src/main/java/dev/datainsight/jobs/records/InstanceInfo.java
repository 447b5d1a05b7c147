package dev.datainsight.jobs.records;

/**
 * Per-instance bookkeeping of the rollup operator: server start (restart detection), server
 * identity (failover / promotion detection), inventory. Savepoint-frozen (a Flink POJO): fields are
 * only ever added, never renamed; a field added later is absent from older savepoints and keeps
 * its Java default there ({@code false} / 0), which every reader below treats as "not seen yet".
 */
public class InstanceInfo {
    /** pg_settings.server_start_epoch in ms; Long.MIN_VALUE until seen. */
    public long serverStartMs = Long.MIN_VALUE;
    public int serverVersionNum;
    public int labelsHash;
    /** Event time of the last inventory record emitted. */
    public long lastInventoryAt = Long.MIN_VALUE;
    /** Whether a server identity was seen (issue 18; false in state from before it). */
    public boolean identityKnown;
    /** The last known system_identifier halves, in_recovery and timeline_id (NaN = never seen). */
    public double systemIdHigh = Double.NaN;
    public double systemIdLow = Double.NaN;
    public double inRecovery = Double.NaN;
    public double timelineId = Double.NaN;
    /** Collection time of the health snapshot the identity above comes from. */
    public long identitySeenAt = Long.MIN_VALUE;
    /**
     * Collection time of the health snapshot that first showed the current identity after a
     * change; no counter rate is taken from a sample older than this (0 or Long.MIN_VALUE: none).
     */
    public long identityChangedAt = Long.MIN_VALUE;

    public InstanceInfo() {}
}
