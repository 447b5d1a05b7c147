package dev.datainsight.jobs.records;

/** Per-instance bookkeeping of the rollup operator: server start (restart detection), inventory. */
public class InstanceInfo {
    /** pg_settings.server_start_epoch in ms; Long.MIN_VALUE until seen. */
    public long serverStartMs = Long.MIN_VALUE;
    public int serverVersionNum;
    public int labelsHash;
    /** Event time of the last inventory record emitted. */
    public long lastInventoryAt = Long.MIN_VALUE;

    public InstanceInfo() {}
}
