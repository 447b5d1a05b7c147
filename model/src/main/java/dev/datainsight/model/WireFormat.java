package dev.datainsight.model;

/** Constants of the wire format: schema version, default topics, bounds. */
public final class WireFormat {
    /** The only schema version of snapshots and dead letters this build reads and writes. */
    public static final int SCHEMA_VERSION = 1;

    /**
     * Schema version of alert events this build writes: 2 added {@code context} and
     * {@code instance_labels}. Readers accept 1 and 2 (a schema-1 event has neither).
     */
    public static final int ALERT_SCHEMA_VERSION = 2;

    public static final String TOPIC_METRICS = "datainsight.metrics";
    public static final String TOPIC_STATEMENTS = "datainsight.statements";
    /** Plans snapshots ({@link PlansSnapshot}); the job reads them with a source of their own (never as snapshots). */
    public static final String TOPIC_PLANS = "datainsight.plans";
    /** Server log batches ({@link LogBatch}), one per instance, file and collection cycle. */
    public static final String TOPIC_LOGS = "datainsight.logs";
    public static final String TOPIC_ALERTS = "datainsight.alerts";
    public static final String TOPIC_DEADLETTER = "datainsight.deadletter";

    /** Default bound on one record's size; larger records are rejected as {@code oversized}. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 4 * 1024 * 1024;

    /**
     * Whether {@code server_version_num} is acceptable on the wire: 0 (unknown: the health snapshot of
     * a server the collector has never reached) or a PostgreSQL version number (90000..999999). The
     * wire codec and the job's fast decoder both ask this, so they cannot drift apart.
     */
    public static boolean validServerVersion(long serverVersionNum) {
        return serverVersionNum == 0 || (serverVersionNum >= 90000 && serverVersionNum <= 999999);
    }

    /** Whether {@code collected_at} is acceptable on the wire: positive epoch milliseconds. */
    public static boolean validCollectedAt(long collectedAtMs) {
        return collectedAtMs > 0;
    }

    /**
     * Bound on one plan's JSON text in a plans snapshot (UTF-8 bytes): a longer plan is cut and
     * marked {@code truncated}, with its full size in {@code plan_bytes}; never dropped.
     */
    public static final int MAX_PLAN_BYTES = 256 * 1024;

    private WireFormat() {}
}
