package dev.datainsight.rules.defs;

import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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

    /**
     * One pg_stat_statements row the query rules evaluate: calls and total_exec_time present, the
     * alert labels (queryid, datname, rolname, toplevel) and the memory key derived from them.
     */
    record QueryRow(SnapshotRow row, double calls, double totalExecTime, Map<String, String> labels, String key) {}

    /** The query rows of a statements snapshot, without the "other" remainder and rows lacking counters. */
    static List<QueryRow> queries(Snapshot s) {
        List<QueryRow> out = new ArrayList<>(s.getRows().size());
        for (SnapshotRow row : s.getRows()) {
            if ("other".equals(label(row, "queryid"))) {
                continue;
            }
            Double calls = val(row, "calls");
            Double time = val(row, "total_exec_time");
            if (calls == null || time == null) {
                continue;
            }
            Map<String, String> labels = pick(row, "queryid", "datname", "rolname", "toplevel");
            out.add(new QueryRow(row, calls, time, labels, key(labels)));
        }
        return out;
    }

    static long reset(Long statsReset) {
        return statsReset == null ? 0L : statsReset;
    }
}
