package dev.datainsight.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One row of a catalog view: the labels that identify it (database, table, query id, ...) and its
 * column values. A value is null where PostgreSQL returned NULL; it is never replaced by 0, which
 * would look like a counter reset.
 */
public final class SnapshotRow {
    private Map<String, String> labels = new LinkedHashMap<>();
    private Map<String, Double> values = new LinkedHashMap<>();
    /** Per-row reset time in epoch ms (pg_stat_database has one per database); null if none. */
    private Long statsReset;

    public SnapshotRow() {}

    public SnapshotRow(Map<String, String> labels, Map<String, Double> values, Long statsReset) {
        this.labels = labels;
        this.values = values;
        this.statsReset = statsReset;
    }

    public Map<String, String> getLabels() {
        return labels;
    }

    public void setLabels(Map<String, String> labels) {
        this.labels = labels;
    }

    public Map<String, Double> getValues() {
        return values;
    }

    public void setValues(Map<String, Double> values) {
        this.values = values;
    }

    public Long getStatsReset() {
        return statsReset;
    }

    public void setStatsReset(Long statsReset) {
        this.statsReset = statsReset;
    }

    /** Fluent helper for producers: adds one label. */
    public SnapshotRow label(String key, String value) {
        labels.put(key, value);
        return this;
    }

    /** Fluent helper for producers: adds one value (null allowed). */
    public SnapshotRow value(String column, Double value) {
        values.put(column, value);
        return this;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SnapshotRow r)) {
            return false;
        }
        return labels.equals(r.labels) && values.equals(r.values) && Objects.equals(statsReset, r.statsReset);
    }

    @Override
    public int hashCode() {
        return Objects.hash(labels, values, statsReset);
    }

    @Override
    public String toString() {
        return "SnapshotRow{labels=" + labels + ", values=" + values + ", statsReset=" + statsReset + "}";
    }
}
