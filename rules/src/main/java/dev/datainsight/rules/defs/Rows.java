package dev.datainsight.rules.defs;

import dev.datainsight.model.SnapshotRow;
import java.util.LinkedHashMap;
import java.util.Map;

/** Small accessors for snapshot rows. */
final class Rows {
    private Rows() {}

    static Double val(SnapshotRow r, String column) {
        Double d = r.getValues().get(column);
        return d == null || !Double.isFinite(d) ? null : d;
    }

    static double valOr(SnapshotRow r, String column, double dflt) {
        Double d = val(r, column);
        return d == null ? dflt : d;
    }

    static String label(SnapshotRow r, String key) {
        String s = r.getLabels().get(key);
        return s == null ? "" : s;
    }

    /** The row's labels restricted to {@code keys}, in that order (missing ones as ""). */
    static Map<String, String> pick(SnapshotRow r, String... keys) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String k : keys) {
            m.put(k, label(r, k));
        }
        return m;
    }

    /** A memory key from label values. */
    static String key(Map<String, String> labels) {
        return String.join("\u0001", labels.values());
    }

    static long reset(Long statsReset) {
        return statsReset == null ? 0L : statsReset;
    }
}
