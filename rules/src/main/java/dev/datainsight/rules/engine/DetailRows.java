package dev.datainsight.rules.engine;

import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.ViewDef;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The latest snapshot of each detail view ({@link ViewDef#isDetail()}: the per-session rows of
 * {@code pg_stat_activity_sessions} and {@code pg_stat_activity_connections}) per instance, offered
 * to the rules evaluating the aggregates of the same cycle ({@link RuleContext#detail}).
 *
 * <p>Heap only, not Flink state: the rows only word the summaries, are replaced every cycle (at
 * most one snapshot of ≤ 20 rows per instance and view) and the next cycle brings them again after
 * a restore (until then summaries fall back to the aggregate's wording). Dropped with the
 * instance (forget_after, quarantine reset).
 */
final class DetailRows {
    private record Detail(long collectedAt, List<SnapshotRow> rows) {}

    private final Map<String, Map<String, Detail>> byInstance = new HashMap<>();

    /** Keeps a copy of the snapshot if it is of a detail view (object reuse is on: no input record is kept). */
    void offer(String instance, Snapshot s) {
        ViewDef def = MetricCatalog.view(s.getView());
        if (def == null || !def.isDetail()) {
            return;
        }
        List<SnapshotRow> rows = new ArrayList<>(s.getRows().size());
        for (SnapshotRow r : s.getRows()) {
            rows.add(new SnapshotRow(new LinkedHashMap<>(r.getLabels()), new LinkedHashMap<>(r.getValues()),
                    r.getStatsReset()));
        }
        byInstance.computeIfAbsent(instance, k -> new HashMap<>())
                .put(s.getView(), new Detail(s.getCollectedAt(), Collections.unmodifiableList(rows)));
    }

    /** The instance's rows of {@code view} collected at {@code collectedAt}, or an empty list. */
    List<SnapshotRow> of(String instance, String view, long collectedAt) {
        Map<String, Detail> mine = byInstance.get(instance);
        Detail d = mine == null ? null : mine.get(view);
        return d == null || d.collectedAt() != collectedAt ? List.of() : d.rows();
    }

    void forget(String instance) {
        byInstance.remove(instance);
    }
}
