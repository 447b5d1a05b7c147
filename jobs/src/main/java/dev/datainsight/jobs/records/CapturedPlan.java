package dev.datainsight.jobs.records;

/**
 * One plan the plans probe captured (status {@code captured} of a plans snapshot), flattened for
 * the plan history: keyed by {@link #key()} (instance, database, query id). A Flink POJO.
 */
public class CapturedPlan {
    public String instance;
    public String datname;
    public String queryid;
    public String rolname;
    public String fingerprint;
    public String summary;
    /** The EXPLAIN JSON text, cut when {@link #truncated}; may be null. */
    public String plan;
    public boolean truncated;
    public int planBytes;
    /** The root node's estimated total cost; null when not reported. */
    public Double totalCost;
    /** Capture time (the snapshot's collected_at), epoch ms. */
    public long capturedAt;
    /** The instance's fleet labels as name, value pairs (for the rules' per-label settings). */
    public String[] labels = new String[0];

    public CapturedPlan() {}

    /** The plan history key: instance, database and query id (a query id is per database). */
    public String key() {
        return instance + '\u0000' + (datname == null ? "" : datname) + '\u0000' + queryid;
    }
}
