package dev.datainsight.store;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.QueryText;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

/**
 * {@link StoreWriter} over one JDBC connection to the store, as {@code datainsight_writer}: owns
 * the connection and the transactions (each call is one) and hands the work to its parts.
 *
 * <p>Rollups ({@link RollupCopyWriter}) are written with {@link UpsertStrategy#OPTIMISTIC_COPY}
 * by default: new rows (the normal case: each bucket is written once) are COPYed straight into
 * the table; a batch that meets existing rows (replay after a restart, late update of a bucket)
 * is merged through a temporary staging table with one {@code INSERT ... SELECT ... ON CONFLICT
 * DO UPDATE}. The store benchmark ({@code datainsight bench store}) measures each strategy
 * against plain COPY (see docs/schema.md). Their series ids come from the {@link SeriesRegistry}
 * (bulk, cached). The other, low-volume tables use batched upserts ({@link TableUpsert}). Rows of
 * one call that share a key are reduced to one first (one INSERT may not update a row twice).
 *
 * <p>The current-state tables ({@code series_latest}, {@code alert_state}, V6) follow the
 * 1-minute rollups and alert events in the same statement and transaction: statement-level
 * triggers of the store keep them (one upsert per COPY or batch, never moving back to an older
 * bucket or event), so every write path here (COPY, staging merge, batched upsert) and every
 * other writer of those tables keeps them current. The writer login needs INSERT and UPDATE on
 * them (V6 grants it to {@code datainsight_writer}).
 *
 * <p>Not thread-safe: one writer per sink subtask.
 */
public final class JdbcStoreWriter implements StoreWriter {

    /** How rollups reach their table. */
    public enum UpsertStrategy {
        /**
         * COPY straight into the table (as fast as a plain load) under a savepoint; when a row of
         * the batch already exists (a replay, a late update) the COPY fails on the primary key,
         * is rolled back to the savepoint and the batch goes through {@link #COPY_STAGING}.
         */
        OPTIMISTIC_COPY,
        /** COPY into a temporary staging table, then INSERT ... SELECT ... ON CONFLICT. */
        COPY_STAGING,
        /** Batched INSERT ... ON CONFLICT (the driver rewrites batches into multi-row VALUES). */
        BATCHED_INSERT
    }

    static final String UNIQUE_VIOLATION = "23505";
    private static final int DEFAULT_SERIES_CACHE = 1_000_000;

    private final Connection conn;
    private final boolean ownsConnection;
    private final UpsertStrategy strategy;
    private final SeriesRegistry series;
    private final RollupCopyWriter rollups;

    /**
     * Opens a connection (with {@code reWriteBatchedInserts=true}) and writes with the default
     * strategy.
     */
    public JdbcStoreWriter(String url, String user, String password) throws SQLException {
        this(open(url, user, password), true, UpsertStrategy.OPTIMISTIC_COPY, DEFAULT_SERIES_CACHE);
    }

    /**
     * Writes through a connection the caller owns (it is not closed by {@link #close()}). Open it
     * with {@code reWriteBatchedInserts=true} for fast batches.
     */
    public JdbcStoreWriter(Connection connection, UpsertStrategy strategy) throws SQLException {
        this(connection, false, strategy, DEFAULT_SERIES_CACHE);
    }

    private JdbcStoreWriter(Connection conn, boolean owns, UpsertStrategy strategy, int cacheSize) throws SQLException {
        this.conn = Objects.requireNonNull(conn, "connection");
        this.ownsConnection = owns;
        this.strategy = Objects.requireNonNull(strategy, "strategy");
        this.series = new SeriesRegistry(conn, cacheSize);
        this.rollups = new RollupCopyWriter(conn, strategy);
        conn.setAutoCommit(false);
    }

    /** A connection to the store with the driver settings the writer relies on. */
    public static Connection open(String url, String user, String password) throws SQLException {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("reWriteBatchedInserts", "true");
        p.setProperty("ApplicationName", "datainsight-store-writer");
        return DriverManager.getConnection(url, p);
    }

    public UpsertStrategy strategy() {
        return strategy;
    }

    @Override
    public void upsertRollups(Resolution resolution, Collection<RollupRow> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        inTransaction(() -> {
            RollupRow[] all = rows.toArray(new RollupRow[0]);
            long[] ids = series.ids(all);
            RollupColumns cols = new RollupColumns(all.length);
            for (int i = 0; i < all.length; i++) {
                RollupRow r = all[i];
                cols.add(ids[i], r.bucketStart(), r.count(), r.min(), r.max(), r.sum(), r.last());
            }
            rollups.write(resolution, cols);
            return null;
        });
    }

    @Override
    public void upsertRollupsById(Resolution resolution, RollupColumns rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        inTransaction(() -> {
            rollups.write(resolution, rows);
            return null;
        });
    }

    @Override
    public long[] seriesIds(List<SeriesKey> keys) throws SQLException {
        return inTransaction(() -> series.idsUncached(keys));
    }

    /** How many rollup batches met existing rows and were merged instead of COPYed. */
    public long fallbacks() {
        return rollups.fallbacks();
    }

    /**
     * How many series not in the cache were found existing by a look-up rather than created (and
     * returned) by the INSERT: after a restart every series once, otherwise none.
     */
    public long seriesLookedUp() {
        return series.lookedUp();
    }

    /**
     * How many series creations met an existing series and were redone with ON CONFLICT (after a
     * restart: the first batches of each writer).
     */
    public long seriesFallbacks() {
        return series.fallbacks();
    }

    @Override
    public void upsertStatementRollups(Collection<StatementRollupRow> rows) throws SQLException {
        upsert(TableUpserts.STATEMENT_ROLLUPS, rows);
    }

    @Override
    public void upsertStatementTexts(String instance, Collection<QueryText> texts, long seenAt) throws SQLException {
        upsert(TableUpserts.statementTexts(instance, seenAt), texts);
    }

    @Override
    public void upsertInstances(Collection<InstanceRow> rows) throws SQLException {
        upsert(TableUpserts.INSTANCES, rows);
    }

    @Override
    public void insertAlertEvents(Collection<AlertEvent> events) throws SQLException {
        upsert(TableUpserts.ALERT_EVENTS, events);
    }

    @Override
    public void upsertInsights(Collection<InsightRow> rows) throws SQLException {
        upsert(TableUpserts.INSIGHTS, rows);
    }

    @Override
    public void upsertQueryPlans(Collection<QueryPlanRow> rows) throws SQLException {
        upsert(TableUpserts.QUERY_PLANS, rows);
    }

    @Override
    public void upsertRecommendations(Collection<RecommendationRow> rows) throws SQLException {
        upsert(TableUpserts.RECOMMENDATIONS, rows);
    }

    /** Reduces the rows (outside the transaction: a bad row fails the call before any SQL), then sends them. */
    private <T, R> void upsert(TableUpsert<T, R> table, Collection<? extends T> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        List<R> values = table.reduce(rows);
        inTransaction(() -> {
            table.send(conn, values);
            return null;
        });
    }

    /** Work on the connection that ends in one commit. */
    @FunctionalInterface
    private interface SqlWork<T> {
        T run() throws SQLException;
    }

    /** Runs {@code work} and commits; on any failure rolls back and rethrows. */
    private <T> T inTransaction(SqlWork<T> work) throws SQLException {
        try {
            T result = work.run();
            conn.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly();
            throw e;
        }
    }

    private void rollbackQuietly() {
        rollups.rolledBack();
        try {
            conn.rollback();
        } catch (SQLException ignored) {
            // the original failure is what the caller needs to see
        }
    }

    @Override
    public void close() throws SQLException {
        if (ownsConnection) {
            conn.close();
        }
    }
}
