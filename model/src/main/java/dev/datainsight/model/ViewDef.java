package dev.datainsight.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A catalog view as DataInsight ships it: the name on the wire, the labels that identify one row
 * (one series per column and label set), and the columns with their kind and unit.
 */
public final class ViewDef {
    private final String name;
    private final SnapshotKind kind;
    private final List<String> labelKeys;
    private final Map<String, Column> columns;
    private final boolean detail;

    ViewDef(String name, SnapshotKind kind, List<String> labelKeys, List<Column> columns) {
        this(name, kind, labelKeys, columns, false);
    }

    ViewDef(String name, SnapshotKind kind, List<String> labelKeys, List<Column> columns, boolean detail) {
        this.name = name;
        this.detail = detail;
        this.kind = kind;
        this.labelKeys = List.copyOf(labelKeys);
        Map<String, Column> byName = new LinkedHashMap<>();
        for (Column c : columns) {
            if (byName.put(c.name(), c) != null) {
                throw new IllegalArgumentException("duplicate column " + c.name() + " in view " + name);
            }
        }
        this.columns = Collections.unmodifiableMap(byName);
    }

    public String name() {
        return name;
    }

    /** Which topic and record type carries this view. */
    public SnapshotKind kind() {
        return kind;
    }

    /**
     * Whether the view is <em>detail</em>: bounded rows about individual sessions or groups
     * (per pid, per application) that the rules read for their wording, but that are not
     * metrics: the job creates no rollup series for them and does not store them.
     */
    public boolean isDetail() {
        return detail;
    }

    /** Label keys that identify one row of the view; empty for single-row views. */
    public List<String> labelKeys() {
        return labelKeys;
    }

    /** Columns in catalog order. */
    public Map<String, Column> columns() {
        return columns;
    }

    /** The column of that name, or null when the catalog does not know it. */
    public Column column(String columnName) {
        return columns.get(columnName);
    }

    /** Metric names as stored: {@code view.column}. */
    public List<String> metricNames() {
        return columns.keySet().stream().map(c -> name + "." + c).toList();
    }

    @Override
    public String toString() {
        return "ViewDef[" + name + ", " + columns.size() + " columns]";
    }
}
