package dev.datainsight.jobs.records;

import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.ViewDef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated snapshot in the compact form the job keys and shuffles: all rows of one view of one
 * instance, values as one flat {@code double[]} (rows × catalog columns, NaN where PostgreSQL
 * returned NULL or the column was absent), row labels as one string per row. A Flink POJO: it
 * crosses the network once (keyBy instance) without Kryo and without one record per sample.
 */
public class CompactSnapshot {
    /** Separates label values inside a row key. */
    public static final char LABEL_SEPARATOR = '\u001f';
    /** Stands for a null label value inside a row key. */
    public static final String NULL_LABEL = "\u0000";
    /** Stands for "no stats_reset". */
    public static final long NO_RESET = Long.MIN_VALUE;

    public String instance;
    public String view;
    public long collectedAt;
    public int serverVersionNum;
    public long statsReset = NO_RESET;
    /** Instance labels as key, value, key, value, ... */
    public String[] instanceLabels;
    /** One key per row: label values in the view's label-key order, joined by {@link #LABEL_SEPARATOR}. */
    public String[] rowKeys;
    /** Per-row stats_reset (epoch ms) or {@link #NO_RESET}. */
    public long[] rowStatsReset;
    /** Catalog column indices present in this snapshot (ascending); absent columns are not sent. */
    public int[] columns;
    /** rows × {@link #columns}; NaN = null. */
    public double[] values;

    public CompactSnapshot() {}

    /** Number of rows. */
    public int rows() {
        return rowKeys.length;
    }

    /** Number of non-null values: the samples of this snapshot. */
    public int sampleCount() {
        int n = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                n++;
            }
        }
        return n;
    }

    /** Converts a decoded snapshot; columns the catalog does not know are dropped. */
    public static CompactSnapshot of(Snapshot s) {
        ViewDef def = MetricCatalog.view(s.getView());
        List<String> labelKeys = def.labelKeys();
        Map<String, Integer> catalogIndex = columnIndex(def);
        List<SnapshotRow> rows = s.getRows();
        boolean[] present = new boolean[catalogIndex.size()];
        for (SnapshotRow row : rows) {
            for (Map.Entry<String, Double> e : row.getValues().entrySet()) {
                Integer ci = e.getValue() == null ? null : catalogIndex.get(e.getKey());
                if (ci != null) {
                    present[ci] = true;
                }
            }
        }
        int nc = 0;
        for (boolean b : present) {
            if (b) {
                nc++;
            }
        }
        int[] cols = new int[nc];
        int[] position = new int[present.length];
        for (int ci = 0, k = 0; ci < present.length; ci++) {
            position[ci] = present[ci] ? k : -1;
            if (present[ci]) {
                cols[k++] = ci;
            }
        }
        int nr = rows.size();
        CompactSnapshot c = new CompactSnapshot();
        c.instance = s.getInstance();
        c.view = s.getView();
        c.collectedAt = s.getCollectedAt();
        c.serverVersionNum = s.getServerVersionNum();
        c.statsReset = s.getStatsReset() == null ? NO_RESET : s.getStatsReset();
        Map<String, String> il = s.getLabels();
        c.instanceLabels = new String[il.size() * 2];
        int k = 0;
        for (Map.Entry<String, String> e : il.entrySet()) {
            c.instanceLabels[k++] = e.getKey();
            c.instanceLabels[k++] = e.getValue();
        }
        c.rowKeys = new String[nr];
        c.rowStatsReset = new long[nr];
        c.columns = cols;
        c.values = new double[nr * nc];
        java.util.Arrays.fill(c.values, Double.NaN);
        StringBuilder sb = new StringBuilder(64);
        for (int r = 0; r < nr; r++) {
            SnapshotRow row = rows.get(r);
            sb.setLength(0);
            for (int i = 0; i < labelKeys.size(); i++) {
                if (i > 0) {
                    sb.append(LABEL_SEPARATOR);
                }
                String v = row.getLabels().get(labelKeys.get(i));
                sb.append(v == null ? NULL_LABEL : v);
            }
            c.rowKeys[r] = sb.toString();
            c.rowStatsReset[r] = row.getStatsReset() == null ? NO_RESET : row.getStatsReset();
            int base = r * nc;
            for (Map.Entry<String, Double> e : row.getValues().entrySet()) {
                Integer ci = e.getValue() == null ? null : catalogIndex.get(e.getKey());
                if (ci != null) {
                    c.values[base + position[ci]] = e.getValue();
                }
            }
        }
        return c;
    }

    private static final Map<String, Map<String, Integer>> COLUMN_INDEX = new java.util.concurrent.ConcurrentHashMap<>();

    /** Catalog column name → catalog index, per view. */
    public static Map<String, Integer> columnIndex(ViewDef def) {
        return COLUMN_INDEX.computeIfAbsent(def.name(), v -> {
            Map<String, Integer> m = new java.util.HashMap<>();
            int i = 0;
            for (String col : def.columns().keySet()) {
                m.put(col, i++);
            }
            return m;
        });
    }

    /** Position of catalog column {@code catalogIndex} in {@code columns}, or -1. */
    public static int positionOf(int[] columns, int catalogIndex) {
        for (int k = 0; k < columns.length; k++) {
            if (columns[k] == catalogIndex) {
                return k;
            }
        }
        return -1;
    }

    /** Decodes a row key back into the view's labels. */
    public static Map<String, String> labelsOf(ViewDef def, String rowKey) {
        List<String> keys = def.labelKeys();
        Map<String, String> m = new LinkedHashMap<>();
        if (keys.isEmpty()) {
            return m;
        }
        List<String> parts = new ArrayList<>(keys.size());
        int from = 0;
        for (int i = 0; i <= rowKey.length(); i++) {
            if (i == rowKey.length() || rowKey.charAt(i) == LABEL_SEPARATOR) {
                parts.add(rowKey.substring(from, i));
                from = i + 1;
            }
        }
        for (int i = 0; i < keys.size(); i++) {
            String v = i < parts.size() ? parts.get(i) : NULL_LABEL;
            m.put(keys.get(i), NULL_LABEL.equals(v) ? null : v);
        }
        return m;
    }

    /** Instance labels as a map. */
    public Map<String, String> instanceLabelMap() {
        Map<String, String> m = new LinkedHashMap<>();
        if (instanceLabels != null) {
            for (int i = 0; i + 1 < instanceLabels.length; i += 2) {
                m.put(instanceLabels[i], instanceLabels[i + 1]);
            }
        }
        return m;
    }

    @Override
    public String toString() {
        return "CompactSnapshot{" + instance + "/" + view + "@" + collectedAt + ", rows=" + rowKeys.length + ", columns="
                + columns.length + "}";
    }
}
