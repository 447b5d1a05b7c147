package dev.datainsight.jobs.sinks;

import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.RollupBatch;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.ViewDef;
import dev.datainsight.store.Resolution;
import dev.datainsight.store.RollupColumns;
import dev.datainsight.store.RollupRow;
import dev.datainsight.store.SeriesKey;
import dev.datainsight.store.StatementRollupRow;
import dev.datainsight.store.StoreWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Buffers rollup batches and writes them as rollup rows (metric = {@code view.column}) or, for
 * pg_stat_statements, as {@link StatementRollupRow}s (summed over {@code toplevel}). A later batch
 * for the same (instance, view, resolution, bucket) replaces the buffered one: it is a late update
 * of the whole bucket.
 *
 * <p>Series ids come from a {@link SeriesIdCache} shared by the buffers of one sink subtask: one
 * look-up per row of a batch; the series seen for the first time are created (or found) in one
 * call to the store per flush, and the rows go out by id, column by column, with no object per
 * series.
 */
public final class RollupBuffer implements StoreBuffer<RollupBatch> {
    private static final long serialVersionUID = 1L;
    private static final Map<String, String[]> METRICS = new ConcurrentHashMap<>();
    /** Series id mark during a flush: the store refused to create the series. */
    private static final long REFUSED = -2;

    private transient Map<String, RollupBatch> batches;
    private transient int rows;
    private transient SeriesIdCache ids;

    public RollupBuffer() {}

    private RollupBuffer(SeriesIdCache ids) {
        this.ids = ids;
    }

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
    public void flush(StoreCalls calls) throws Exception {
        if (batches == null || batches.isEmpty()) {
            return;
        }
        SeriesIdCache cache = cache();
        List<RollupBatch> metricBatches = new ArrayList<>(batches.size());
        List<long[][]> batchIds = new ArrayList<>(batches.size());
        List<StatementRollupRow> statements = new ArrayList<>();
        NewSeries fresh = new NewSeries();
        Map<Resolution, RollupColumns> out = new EnumMap<>(Resolution.class);
        try {
            for (RollupBatch b : batches.values()) {
                if (b.resolution == RollupBatch.STATEMENTS) {
                    statements.addAll(statementRows(b));
                } else {
                    metricBatches.add(b);
                    batchIds.add(rowIds(b, cache, fresh));
                }
            }
            fresh.resolve(calls);
            for (int k = 0; k < metricBatches.size(); k++) {
                RollupBatch b = metricBatches.get(k);
                long[][] rowIds = batchIds.get(k);
                RollupColumns cols = out.computeIfAbsent(resolution(b.resolution), r -> new RollupColumns(rows));
                int nc = b.columns.length;
                for (int r = 0; r < b.rowKeys.length; r++) {
                    int base = r * nc;
                    for (int j = 0; j < nc; j++) {
                        int i = base + j;
                        if (i >= b.count.length || b.count[i] == 0) {
                            continue;
                        }
                        long id = rowIds[r][b.columns[j]];
                        if (id == REFUSED) {
                            continue; // the store refused the series: its dead letter stands for these rows
                        }
                        if (id <= 0) {
                            throw new IllegalStateException("no series id for " + b.instance + " " + b.view + " column "
                                    + b.columns[j] + " after resolving (" + id + ")");
                        }
                        cols.add(id, b.bucketStart, b.count[i], b.min[i], b.max[i], b.sum[i], b.last[i]);
                    }
                }
            }
        } finally {
            fresh.abandon(); // nothing stays pending or refused: the next flush asks again
        }
        for (Map.Entry<Resolution, RollupColumns> e : out.entrySet()) {
            Resolution res = e.getKey();
            RollupColumns cols = e.getValue();
            calls.write(res.table(), cols.size(),
                    (w, from, to) -> w.upsertRollupsById(res, from == 0 && to == cols.size() ? cols : slice(cols, from, to)),
                    i -> describe(res, cols, i, metricBatches, batchIds));
        }
        if (!statements.isEmpty()) {
            calls.write("statement_rollup_1h", statements, StoreWriter::upsertStatementRollups,
                    r -> new StoreCalls.Row(r.instance(), SimpleBuffers.json(r)));
        }
        batches.clear();
        rows = 0;
    }

    /** Rows {@code [from, to)} of {@code cols}. */
    static RollupColumns slice(RollupColumns cols, int from, int to) {
        RollupColumns part = new RollupColumns(to - from);
        for (int i = from; i < to; i++) {
            part.add(cols.seriesId(i), cols.bucketStart(i), cols.count(i), cols.min(i), cols.max(i), cols.sum(i),
                    cols.last(i));
        }
        return part;
    }

    /** A refused rollup row for its dead letter: its series found back in the batches (rare: no index kept). */
    private static StoreCalls.Row describe(Resolution res, RollupColumns cols, int i, List<RollupBatch> metricBatches,
            List<long[][]> batchIds) {
        long id = cols.seriesId(i);
        long bucket = cols.bucketStart(i);
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("table", res.table());
        String instance = null;
        search:
        for (int k = 0; k < metricBatches.size(); k++) {
            RollupBatch b = metricBatches.get(k);
            if (resolution(b.resolution) != res || b.bucketStart != bucket) {
                continue;
            }
            long[][] rowIds = batchIds.get(k);
            for (int r = 0; r < b.rowKeys.length; r++) {
                if (rowIds[r] == null) {
                    continue;
                }
                for (int col = 0; col < rowIds[r].length; col++) {
                    if (rowIds[r][col] == id) {
                        instance = b.instance;
                        n.put("instance", b.instance);
                        n.put("metric", metricNames(b.view)[col]);
                        n.put("labels", CompactSnapshot.labelsOf(MetricCatalog.view(b.view), b.rowKeys[r]));
                        break search;
                    }
                }
            }
        }
        n.put("series_id", id);
        n.put("bucket", java.time.Instant.ofEpochMilli(bucket).toString());
        n.put("count", cols.count(i));
        n.put("min", cols.min(i));
        n.put("max", cols.max(i));
        n.put("sum", cols.sum(i));
        n.put("last", cols.last(i));
        return new StoreCalls.Row(instance, SimpleBuffers.json(n));
    }

    @Override
    public StoreBuffer<RollupBatch> fresh() {
        return new RollupBuffer(cache());
    }

    private SeriesIdCache cache() {
        if (ids == null) {
            ids = new SeriesIdCache();
        }
        return ids;
    }

    /**
     * The id arrays (by catalog column) of the batch's rows that have samples; series without an
     * id yet are noted in {@code fresh} and marked pending in the cache.
     */
    private static long[][] rowIds(RollupBatch b, SeriesIdCache cache, NewSeries fresh) {
        String[] metrics = metricNames(b.view);
        String view = MetricCatalog.view(b.view).name();
        int nc = b.columns.length;
        long[][] out = new long[b.rowKeys.length][];
        for (int r = 0; r < b.rowKeys.length; r++) {
            int base = r * nc;
            long[] ids = null;
            Map<String, String> labels = null;
            for (int j = 0; j < nc; j++) {
                int i = base + j;
                if (i >= b.count.length || b.count[i] == 0) {
                    continue;
                }
                if (ids == null) {
                    ids = cache.row(b.instance, view, b.rowKeys[r], metrics.length);
                }
                int col = b.columns[j];
                if (ids[col] == 0) {
                    if (labels == null) {
                        labels = CompactSnapshot.labelsOf(MetricCatalog.view(b.view), b.rowKeys[r]);
                    }
                    fresh.add(new SeriesKey(b.instance, metrics[col], labels), ids, col);
                }
            }
            out[r] = ids;
        }
        return out;
    }

    /** Series seen for the first time in one flush, and where their ids go. */
    private static final class NewSeries {
        private final List<SeriesKey> keys = new ArrayList<>();
        private final List<long[]> targets = new ArrayList<>();
        private int[] columns = new int[64];

        void add(SeriesKey key, long[] ids, int column) {
            if (keys.size() == columns.length) {
                columns = Arrays.copyOf(columns, columns.length * 2);
            }
            columns[keys.size()] = column;
            ids[column] = -1; // pending: noted once even if the row comes again in this flush
            keys.add(key);
            targets.add(ids);
        }

        /**
         * Creates or finds them all in one call; a series the store refuses (a label it cannot
         * hold, say) is split out to the dead letters and marked {@link #REFUSED}.
         */
        void resolve(StoreCalls calls) throws Exception {
            if (keys.isEmpty()) {
                return;
            }
            calls.write("series", keys.size(), (w, from, to) -> {
                long[] got = w.seriesIds(from == 0 && to == keys.size() ? keys : keys.subList(from, to));
                for (int k = from; k < to; k++) {
                    targets.get(k)[columns[k]] = got[k - from];
                }
            }, k -> new StoreCalls.Row(keys.get(k).instance(), SimpleBuffers.json(keys.get(k))));
            for (int k = 0; k < keys.size(); k++) {
                long[] ids = targets.get(k);
                if (ids[columns[k]] < 0) {
                    ids[columns[k]] = REFUSED;
                }
            }
        }

        /** After the flush (or a failure): nothing may stay marked pending or refused in the cache. */
        void abandon() {
            for (int k = 0; k < keys.size(); k++) {
                long[] ids = targets.get(k);
                if (ids[columns[k]] < 0) {
                    ids[columns[k]] = 0;
                }
            }
        }
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
        // The last two: exec_time_sq (a counter: summed deltas, like the others) and the gauge
        // max_exec_time (its largest value seen in the hour); absent from older collectors' rows.
        String[] wanted = {"calls", "total_exec_time", "rows", "shared_blks_hit", "shared_blks_read",
            "shared_blks_dirtied", "shared_blks_written", "temp_blks_read", "temp_blks_written", "wal_bytes",
            "exec_time_sq", "max_exec_time"};
        int sq = wanted.length - 2;
        int max = wanted.length - 1;
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
            double[] acc = sums.computeIfAbsent(key, k -> {
                double[] a = new double[wanted.length];
                a[sq] = Double.NaN;
                a[max] = Double.NaN;
                return a;
            });
            for (int k = 0; k < wanted.length; k++) {
                int i = base + idx[k];
                if (idx[k] >= 0 && b.count[i] > 0) {
                    if (k == max) {
                        acc[k] = Double.isNaN(acc[k]) ? b.max[i] : Math.max(acc[k], b.max[i]);
                    } else if (k == sq) {
                        acc[k] = (Double.isNaN(acc[k]) ? 0 : acc[k]) + b.sum[i];
                    } else {
                        acc[k] += b.sum[i];
                    }
                }
            }
        }
        List<StatementRollupRow> out = new ArrayList<>(sums.size());
        for (Map.Entry<List<String>, double[]> e : sums.entrySet()) {
            double[] a = e.getValue();
            out.add(new StatementRollupRow(b.instance, e.getKey().get(0), e.getKey().get(1), e.getKey().get(2),
                    b.bucketStart, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
                    Double.isNaN(a[sq]) ? null : a[sq], Double.isNaN(a[max]) ? null : a[max]));
        }
        return out;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
