package dev.datainsight.jobs.sinks;

import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.RollupBatch;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.ViewDef;
import dev.datainsight.store.Resolution;
import dev.datainsight.store.RollupRow;
import dev.datainsight.store.StatementRollupRow;
import dev.datainsight.store.StoreWriter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Buffers rollup batches and writes them as {@link RollupRow}s (metric = {@code view.column}) or,
 * for pg_stat_statements, as {@link StatementRollupRow}s (summed over {@code toplevel}). A later
 * batch for the same (instance, view, resolution, bucket) replaces the buffered one: it is a late
 * update of the whole bucket.
 */
public final class RollupBuffer implements StoreBuffer<RollupBatch> {
    private static final long serialVersionUID = 1L;
    private static final Map<String, String[]> METRICS = new ConcurrentHashMap<>();

    private transient Map<String, RollupBatch> batches;
    private transient int rows;

    @Override
    public int add(RollupBatch b) {
        if (batches == null) {
            batches = new LinkedHashMap<>();
        }
        String key = b.instance + '\u0001' + b.view + '\u0001' + b.resolution + '\u0001' + b.bucketStart;
        RollupBatch old = batches.put(key, b);
        if (old != null) {
            rows -= old.count.length;
        }
        rows += b.count.length;
        return rows;
    }

    @Override
    public void flush(StoreWriter writer) throws Exception {
        if (batches == null || batches.isEmpty()) {
            return;
        }
        Map<Resolution, List<RollupRow>> out = new EnumMap<>(Resolution.class);
        List<StatementRollupRow> statements = new ArrayList<>();
        for (RollupBatch b : batches.values()) {
            if (b.resolution == RollupBatch.STATEMENTS) {
                statements.addAll(statementRows(b));
            } else {
                toRows(b, out.computeIfAbsent(resolution(b.resolution), r -> new ArrayList<>(rows)));
            }
        }
        for (Map.Entry<Resolution, List<RollupRow>> e : out.entrySet()) {
            writer.upsertRollups(e.getKey(), e.getValue());
        }
        if (!statements.isEmpty()) {
            writer.upsertStatementRollups(statements);
        }
        batches.clear();
        rows = 0;
    }

    @Override
    public StoreBuffer<RollupBatch> fresh() {
        return new RollupBuffer();
    }

    static Resolution resolution(int r) {
        return switch (r) {
            case RollupBatch.MINUTE -> Resolution.MINUTE;
            case RollupBatch.HOUR -> Resolution.HOUR;
            case RollupBatch.DAY -> Resolution.DAY;
            default -> throw new IllegalArgumentException("not a metric resolution: " + r);
        };
    }

    private static String[] metricNames(String view) {
        return METRICS.computeIfAbsent(view, v -> MetricCatalog.view(v).metricNames().toArray(new String[0]));
    }

    /** Expands a batch into one row per series with samples. */
    public static void toRows(RollupBatch b, List<RollupRow> out) {
        ViewDef def = MetricCatalog.view(b.view);
        String[] metrics = metricNames(b.view);
        int nc = b.columns.length;
        for (int r = 0; r < b.rowKeys.length; r++) {
            Map<String, String> labels = null;
            int base = r * nc;
            for (int j = 0; j < nc; j++) {
                int i = base + j;
                if (i >= b.count.length || b.count[i] == 0) {
                    continue;
                }
                if (labels == null) {
                    labels = CompactSnapshot.labelsOf(def, b.rowKeys[r]);
                }
                out.add(new RollupRow(b.instance, metrics[b.columns[j]], labels, b.bucketStart, b.count[i], b.min[i], b.max[i],
                        b.sum[i], b.last[i]));
            }
        }
    }

    /** Expands a pg_stat_statements batch into one row per (queryid, datname, rolname). */
    public static List<StatementRollupRow> statementRows(RollupBatch b) {
        ViewDef def = MetricCatalog.view(b.view);
        List<String> cols = new ArrayList<>(def.columns().keySet());
        int nc = b.columns.length;
        String[] wanted = {"calls", "total_exec_time", "rows", "shared_blks_hit", "shared_blks_read",
            "shared_blks_dirtied", "shared_blks_written", "temp_blks_read", "temp_blks_written", "wal_bytes"};
        int[] idx = new int[wanted.length];
        for (int k = 0; k < wanted.length; k++) {
            idx[k] = CompactSnapshot.positionOf(b.columns, cols.indexOf(wanted[k]));
        }
        Map<List<String>, double[]> sums = new LinkedHashMap<>();
        for (int r = 0; r < b.rowKeys.length; r++) {
            int base = r * nc;
            if (idx[0] < 0 || base + idx[0] >= b.count.length || b.count[base + idx[0]] == 0) {
                continue; // no delta for this row in the hour (first sight or reset only)
            }
            Map<String, String> l = CompactSnapshot.labelsOf(def, b.rowKeys[r]);
            List<String> key = List.of(nz(l.get("queryid")), nz(l.get("datname")), nz(l.get("rolname")));
            double[] acc = sums.computeIfAbsent(key, k -> new double[wanted.length]);
            for (int k = 0; k < wanted.length; k++) {
                int i = base + idx[k];
                if (idx[k] >= 0 && b.count[i] > 0) {
                    acc[k] += b.sum[i];
                }
            }
        }
        List<StatementRollupRow> out = new ArrayList<>(sums.size());
        for (Map.Entry<List<String>, double[]> e : sums.entrySet()) {
            double[] a = e.getValue();
            out.add(new StatementRollupRow(b.instance, e.getKey().get(0), e.getKey().get(1), e.getKey().get(2),
                    b.bucketStart, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]));
        }
        return out;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
