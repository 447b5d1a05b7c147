package dev.datainsight.model;

/** Constants of the wire format: schema version, default topics, bounds. */
public final class WireFormat {
    /** The only schema version this build reads and writes. */
    public static final int SCHEMA_VERSION = 1;

    public static final String TOPIC_METRICS = "datainsight.metrics";
    public static final String TOPIC_STATEMENTS = "datainsight.statements";
    public static final String TOPIC_ALERTS = "datainsight.alerts";
    public static final String TOPIC_DEADLETTER = "datainsight.deadletter";

    /** Default bound on one record's size; larger records are rejected as {@code oversized}. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 4 * 1024 * 1024;

    private WireFormat() {}
}
