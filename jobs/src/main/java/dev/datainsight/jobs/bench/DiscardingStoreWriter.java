package dev.datainsight.jobs.bench;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.QueryText;
import dev.datainsight.store.InsightRow;
import dev.datainsight.store.InstanceRow;
import dev.datainsight.store.Resolution;
import dev.datainsight.store.RollupRow;
import dev.datainsight.store.StatementRollupRow;
import dev.datainsight.store.StoreWriter;
import java.util.Collection;

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
    public void close() {}

    /** Rows "written" in this JVM. */
    static final class Counters {
        static final java.util.concurrent.atomic.AtomicLong ROWS = new java.util.concurrent.atomic.AtomicLong();

        private Counters() {}
    }

    /** Rows counted so far in this JVM. */
    public static long rows() {
        return Counters.ROWS.get();
    }
}
