package dev.datainsight.jobs.sinks;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Series ids by the rollup batches' own keys: (instance, view, row key) → one id per catalog column
 * of the view (0 = not known yet). One look-up per row of a batch finds the ids of all its columns,
 * without building a label map or a key per series; only series seen for the first time go to the
 * store ({@link dev.datainsight.store.StoreWriter#seriesIds}).
 *
 * <p>Bounded: past {@link #MAX_ROWS} rows the oldest entries are dropped (first in, first out, so
 * a hit costs no reordering); a dropped row's ids are fetched again on its next rollup. One cache
 * per sink subtask, used by its writer thread only.
 */
final class SeriesIdCache {
    /**
     * 300–450 bytes a row (key, entry, row key and instance strings, one long per catalog column
     * of the view): 500,000 rows (≈ 4 million series at 8 columns a row) ≈ 200 MB at most.
     */
    static final int MAX_ROWS = 500_000;

    /** A row of a view of an instance. */
    record RowRef(String instance, String view, String rowKey) {}

    private final Map<RowRef, long[]> ids;

    SeriesIdCache() {
        this(MAX_ROWS);
    }

    SeriesIdCache(int maxRows) {
        this.ids = new LinkedHashMap<>(1024) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<RowRef, long[]> eldest) {
                return size() > maxRows;
            }
        };
    }

    /** The ids of a row, by catalog column index; created empty (all 0) for a new row. */
    long[] row(String instance, String view, String rowKey, int catalogColumns) {
        RowRef ref = new RowRef(instance, view, rowKey); // view: the catalog's own string, shared by all rows
        long[] a = ids.get(ref);
        if (a == null) {
            a = new long[catalogColumns];
            ids.put(ref, a);
        }
        return a;
    }

    int size() {
        return ids.size();
    }
}
