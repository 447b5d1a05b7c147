package dev.datainsight.rules;

import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.StatementsSnapshot;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builders of snapshots as the collector emits them (catalog view names, labels and columns). */
final class Snapshots {
    static final String INSTANCE = "pg-1";

    private Snapshots() {}

    static Snapshot of(String view, long t, SnapshotRow... rows) {
        return of(INSTANCE, view, t, rows);
    }

    static Snapshot of(String instance, String view, long t, SnapshotRow... rows) {
        Snapshot s = "pg_stat_statements".equals(view) ? new StatementsSnapshot() : new MetricsSnapshot();
        s.setInstance(instance);
        s.setServerVersionNum(170011);
        s.setCollectedAt(t);
        s.setView(view);
        s.setLabels(new LinkedHashMap<>(Map.of("env", "test")));
        s.setRows(new java.util.ArrayList<>(List.of(rows)));
        return s;
    }

    static SnapshotRow row() {
        return new SnapshotRow();
    }

    /** A row with labels and values given as alternating key, value pairs. */
    static SnapshotRow row(Map<String, String> labels, Object... values) {
        SnapshotRow r = new SnapshotRow();
        labels.forEach(r::label);
        for (int i = 0; i < values.length; i += 2) {
            Object v = values[i + 1];
            r.value((String) values[i], v == null ? null : ((Number) v).doubleValue());
        }
        return r;
    }

    static Snapshot up(long t, double up) {
        return of(dev.datainsight.model.MetricCatalog.COLLECTOR_VIEW, t, row(Map.of("probe", ""), "up", up));
    }
}
