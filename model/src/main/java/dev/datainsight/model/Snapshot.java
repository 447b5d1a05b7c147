package dev.datainsight.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the collector publishes: all rows of one catalog view, read from one server in one
 * collection cycle. Key on Kafka = {@link #getInstance()}, so one server's snapshots stay ordered.
 */
public abstract class Snapshot {
    private int schema = WireFormat.SCHEMA_VERSION;
    private String instance;
    private int serverVersionNum;
    private long collectedAt;
    private String view;
    private Long statsReset;
    private Map<String, String> labels = new LinkedHashMap<>();
    private List<SnapshotRow> rows = new ArrayList<>();

    /** Which record type this is; decides the topic. */
    public abstract SnapshotKind kind();

    public int getSchema() {
        return schema;
    }

    public void setSchema(int schema) {
        this.schema = schema;
    }

    /** Stable instance id from the fleet configuration (never the host name by default). */
    public String getInstance() {
        return instance;
    }

    public void setInstance(String instance) {
        this.instance = instance;
    }

    /**
     * {@code server_version_num} of the monitored server, e.g. 170011; 0 when unknown (health
     * snapshots of a server the collector has never reached).
     */
    public int getServerVersionNum() {
        return serverVersionNum;
    }

    public void setServerVersionNum(int serverVersionNum) {
        this.serverVersionNum = serverVersionNum;
    }

    /** Collection time in epoch milliseconds; the job's event time. */
    public long getCollectedAt() {
        return collectedAt;
    }

    public void setCollectedAt(long collectedAt) {
        this.collectedAt = collectedAt;
    }

    /** Catalog view name, see {@link MetricCatalog}. */
    public String getView() {
        return view;
    }

    public void setView(String view) {
        this.view = view;
    }

    /** View-wide reset time in epoch ms (bgwriter, checkpointer, wal, archiver); null if none. */
    public Long getStatsReset() {
        return statsReset;
    }

    public void setStatsReset(Long statsReset) {
        this.statsReset = statsReset;
    }

    /** Instance labels from the fleet file (env, cluster, role, ...). */
    public Map<String, String> getLabels() {
        return labels;
    }

    public void setLabels(Map<String, String> labels) {
        this.labels = labels;
    }

    public List<SnapshotRow> getRows() {
        return rows;
    }

    public void setRows(List<SnapshotRow> rows) {
        this.rows = rows;
    }

    /** Number of non-null values across all rows: the samples this snapshot carries. */
    public int sampleCount() {
        int n = 0;
        for (SnapshotRow r : rows) {
            for (Double d : r.getValues().values()) {
                if (d != null) {
                    n++;
                }
            }
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        if (o == null || o.getClass() != getClass()) {
            return false;
        }
        Snapshot s = (Snapshot) o;
        return schema == s.schema && serverVersionNum == s.serverVersionNum && collectedAt == s.collectedAt
                && Objects.equals(instance, s.instance) && Objects.equals(view, s.view)
                && Objects.equals(statsReset, s.statsReset) && Objects.equals(labels, s.labels)
                && Objects.equals(rows, s.rows);
    }

    @Override
    public int hashCode() {
        return Objects.hash(schema, instance, serverVersionNum, collectedAt, view, statsReset, labels, rows);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{instance=" + instance + ", view=" + view + ", collectedAt="
                + collectedAt + ", rows=" + rows.size() + "}";
    }
}
