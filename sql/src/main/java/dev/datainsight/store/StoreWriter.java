package dev.datainsight.store;

import dev.datainsight.model.AlertEvent;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;

/**
 * What the job writes into the store. Every method is idempotent: writing the same rows again
 * leaves the store as it was, so a job restart that replays records from its last checkpoint
 * neither loses nor doubles anything. Implementations batch internally and are not thread-safe.
 */
public interface StoreWriter extends AutoCloseable {

    void upsertRollups(Resolution resolution, Collection<RollupRow> rows) throws SQLException;

    /**
     * The ids of the given series, in their order, creating the ones the store does not have yet.
     * For callers that keep their own id cache and then write with {@link #upsertRollupsById};
     * the writer does not remember these ids.
     */
    long[] seriesIds(List<SeriesKey> keys) throws SQLException;

    /** The same upsert as {@link #upsertRollups}, for rows whose series ids come from {@link #seriesIds}. */
    void upsertRollupsById(Resolution resolution, RollupColumns rows) throws SQLException;

    void upsertStatementRollups(Collection<StatementRollupRow> rows) throws SQLException;

    void upsertStatementTexts(String instance, Collection<dev.datainsight.model.QueryText> texts, long seenAt) throws SQLException;

    void upsertInstances(Collection<InstanceRow> rows) throws SQLException;

    /** Alert transitions; idempotent on (fingerprint, status, severity, event time). */
    void insertAlertEvents(Collection<AlertEvent> events) throws SQLException;

    void upsertInsights(Collection<InsightRow> rows) throws SQLException;

    /**
     * Captured plans into {@code query_plan}: one row per (instance, database, query id,
     * fingerprint, month); a sighting again moves last_seen forward (and takes the newest plan),
     * an older one only moves first_seen back.
     */
    void upsertQueryPlans(Collection<QueryPlanRow> rows) throws SQLException;

    /**
     * Recommendations into {@code recommendation}: one row per (instance, dedup key); an
     * evaluation at least as new as the row's replaces what it says (open with the latest
     * evidence, or closed with the reason), an older one only moves first_seen back.
     */
    default void upsertRecommendations(Collection<RecommendationRow> rows) throws SQLException {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not store recommendations");
    }

    @Override
    void close() throws SQLException;
}
