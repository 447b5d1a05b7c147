package dev.datainsight.bench.job;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.QueryText;
import dev.datainsight.store.InsightRow;
import dev.datainsight.store.InstanceRow;
import dev.datainsight.store.Resolution;
import dev.datainsight.store.RollupColumns;
import dev.datainsight.store.RollupRow;
import dev.datainsight.store.SeriesKey;
import dev.datainsight.store.StatementRollupRow;
import dev.datainsight.store.StoreWriter;
import java.util.Collection;
import java.util.List;

/**
 * A store writer that only counts rows: the benchmark's {@code --sink discard} diagnostic, which
 * measures the Flink pipeline alone (Kafka → rollups) to tell it apart from the store's write
 * speed. Never used by the job itself.
 */
public final class DiscardingStoreWriter implements StoreWriter {
    @Override
    public void upsertRollups(Resolution resolution, Collection<RollupRow> rows) {
        Counters.ROWS.addAndGet(rows.size());
    }

    @Override
    public long[] seriesIds(List<SeriesKey> keys) {
        long[] ids = new long[keys.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = Counters.SERIES.incrementAndGet();
        }
        return ids;
    }

    @Override
    public void upsertRollupsById(Resolution resolution, RollupColumns rows) {
        Counters.ROWS.addAndGet(rows.size());
    }

    @Override
    public void upsertStatementRollups(Collection<StatementRollupRow> rows) {
        Counters.ROWS.addAndGet(rows.size());
    }

    @Override
    public void upsertStatementTexts(String instance, Collection<QueryText> texts, long seenAt) {}

    @Override
    public void upsertInstances(Collection<InstanceRow> rows) {}

    @Override
    public void insertAlertEvents(Collection<AlertEvent> events) {}

    @Override
    public void upsertInsights(Collection<InsightRow> rows) {}

    @Override
    public void upsertQueryPlans(Collection<dev.datainsight.store.QueryPlanRow> rows) {}

    @Override
    public void close() {}

    /** Rows "written" in this JVM. */
    static final class Counters {
        static final java.util.concurrent.atomic.AtomicLong ROWS = new java.util.concurrent.atomic.AtomicLong();
        /** Made-up series ids, unique in this JVM. */
        static final java.util.concurrent.atomic.AtomicLong SERIES = new java.util.concurrent.atomic.AtomicLong();

        private Counters() {}
    }

    /** Rows counted so far in this JVM. */
    public static long rows() {
        return Counters.ROWS.get();
    }
}
