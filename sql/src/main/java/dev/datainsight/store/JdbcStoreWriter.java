package dev.datainsight.store;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.QueryText;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * {@link StoreWriter} over one JDBC connection to the store, as {@code datainsight_writer}.
 *
 * <p>Rollups are written with {@link UpsertStrategy#OPTIMISTIC_COPY} by default: new rows (the
 * normal case: each bucket is written once) are COPYed straight into the table; a batch that
 * meets existing rows (replay after a restart, late update of a bucket) is merged through a
 * temporary staging table with one {@code INSERT ... SELECT ... ON CONFLICT DO UPDATE}. The
 * benchmark ({@code datainsight bench store}) measures each strategy against plain COPY (see
 * docs/schema.md). The other,
 * low-volume tables use batched upserts. Rows of one call that share a key are reduced to the
 * last one first (one INSERT may not update a row twice).
 *
 * <p>Series ids ({@code series} table) are resolved in bulk and cached (bounded, LRU), so a
 * steady stream of rollups costs one round trip for ids only when new series appear.
 *
 * <p>Each call is one transaction. Not thread-safe: one writer per sink subtask.
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

    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSxxx")
            .withZone(ZoneOffset.UTC);
    private static final int DEFAULT_SERIES_CACHE = 1_000_000;
    /** Longest run of one series that {@link #keyOrder} sorts by insertion (quadratic). */
    private static final int MAX_INSERTION_RUN = 64;

    private final Connection conn;
    private final boolean ownsConnection;
    private final UpsertStrategy strategy;
    private final Map<SeriesKey, Long> seriesCache;
    private final Map<Long, String> bucketText = new HashMap<>();
    private long lastBucketMs;
    private String lastBucketText;
    private boolean stagingCreated;
    private long fallbacks;
    private long seriesLookedUp;
    private long seriesFallbacks;

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
        this.seriesCache = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<SeriesKey, Long> eldest) {
                return size() > cacheSize;
            }
        };
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
            long[] ids = seriesIds(all);
            RollupColumns cols = new RollupColumns(all.length);
            for (int i = 0; i < all.length; i++) {
                RollupRow r = all[i];
                cols.add(ids[i], r.bucketStart(), r.count(), r.min(), r.max(), r.sum(), r.last());
            }
            write(resolution, cols);
            return null;
        });
    }

    @Override
    public void upsertRollupsById(Resolution resolution, RollupColumns rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        inTransaction(() -> {
            write(resolution, rows);
            return null;
        });
    }

    @Override
    public long[] seriesIds(List<SeriesKey> keys) throws SQLException {
        Map<SeriesKey, Long> out = new HashMap<>(keys.size() * 2);
        for (SeriesKey k : keys) {
            out.put(k, null);
        }
        inTransaction(() -> {
            createOrFind(new ArrayList<>(out.keySet()), out, false);
            return null;
        });
        long[] ids = new long[keys.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = out.get(keys.get(i));
        }
        return ids;
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

    private void write(Resolution resolution, RollupColumns rows) throws SQLException {
        int[] order = keyOrder(rows);
        switch (strategy) {
            case OPTIMISTIC_COPY -> optimisticCopy(resolution, rows, order);
            case COPY_STAGING -> copyMerge(resolution, rows, order);
            case BATCHED_INSERT -> batchedUpsert(resolution, rows, order);
            default -> throw new IllegalStateException(strategy.toString());
        }
    }

    /**
     * The rows to write, as indices in (series id, bucket) order, one per key: of rows sharing a
     * key the last one wins. The order is the primary key's: the server then inserts into each
     * index leaf page once per batch instead of jumping around the index (a 337,000-row minute
     * COPYed in random order took 1.73 s, sorted 0.82 s).
     *
     * <p>Sorted as primitive longs (series id in the high bits, row index in the low ones), then
     * by bucket within each series' run, which is short: one row per bucket of the batch.
     */
    static int[] keyOrder(RollupColumns rows) {
        int n = rows.size();
        int indexBits = 32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1));
        long maxId = Long.MAX_VALUE >>> indexBits;
        long[] packed = new long[n];
        for (int i = 0; i < n; i++) {
            long id = rows.seriesId(i);
            if (id < 0 || id > maxId) {
                return keyOrderBoxed(rows);
            }
            packed[i] = id << indexBits | i;
        }
        java.util.Arrays.sort(packed);
        long mask = (1L << indexBits) - 1;
        int[] idx = new int[n];
        for (int k = 0; k < n; k++) {
            idx[k] = (int) (packed[k] & mask);
        }
        // Within a run of one series (indices ascending = arrival order): a stable insertion sort
        // by bucket, so rows sharing a key keep their arrival order and the last one is the newest.
        int runStart = 0;
        for (int k = 1; k <= n; k++) {
            if (k == n || packed[k] >>> indexBits != packed[runStart] >>> indexBits) {
                if (k - runStart > MAX_INSERTION_RUN) {
                    return keyOrderBoxed(rows); // many buckets of one series (a backfill): n log n
                }
                for (int a = runStart + 1; a < k; a++) {
                    int v = idx[a];
                    long b = rows.bucketStart(v);
                    int c = a - 1;
                    while (c >= runStart && rows.bucketStart(idx[c]) > b) {
                        idx[c + 1] = idx[c];
                        c--;
                    }
                    idx[c + 1] = v;
                }
                runStart = k;
            }
        }
        return lastOfEachKey(rows, idx);
    }

    /** {@link #keyOrder} for ids that do not leave room for the row index (never in practice). */
    private static int[] keyOrderBoxed(RollupColumns rows) {
        Integer[] idx = new Integer[rows.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> {
            int c = Long.compare(rows.seriesId(a), rows.seriesId(b));
            return c != 0 ? c : Long.compare(rows.bucketStart(a), rows.bucketStart(b));
        });
        int[] out = new int[idx.length];
        for (int k = 0; k < idx.length; k++) {
            out[k] = idx[k];
        }
        return lastOfEachKey(rows, out);
    }

    /** Drops every index followed by one of the same (series, bucket): the last row wins. */
    private static int[] lastOfEachKey(RollupColumns rows, int[] sorted) {
        int n = 0;
        for (int k = 0; k < sorted.length; k++) {
            int i = sorted[k];
            if (k + 1 < sorted.length) {
                int next = sorted[k + 1];
                if (rows.seriesId(next) == rows.seriesId(i) && rows.bucketStart(next) == rows.bucketStart(i)) {
                    continue;
                }
            }
            sorted[n++] = i;
        }
        return n == sorted.length ? sorted : java.util.Arrays.copyOf(sorted, n);
    }

    private static final String UNIQUE_VIOLATION = "23505";
    private static final String ROLLUP_COLUMNS = "series_id, bucket, count, min, max, sum, last";

    private void optimisticCopy(Resolution resolution, RollupColumns rows, int[] order) throws SQLException {
        Savepoint sp = conn.setSavepoint();
        try {
            copyIn(resolution.table(), rows, order);
            conn.releaseSavepoint(sp);
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            // Some rows exist already: undo the COPY only (series ids created in this
            // transaction stay) and merge the batch instead.
            conn.rollback(sp);
            fallbacks++;
            copyMerge(resolution, rows, order);
        }
    }

    /** How many rollup batches met existing rows and were merged instead of COPYed. */
    public long fallbacks() {
        return fallbacks;
    }

    /**
     * How many series not in the cache were found existing by a look-up rather than created (and
     * returned) by the INSERT: after a restart every series once, otherwise none.
     */
    public long seriesLookedUp() {
        return seriesLookedUp;
    }

    private void copyIn(String table, RollupColumns rows, int[] order) throws SQLException {
        try (BinaryRollupCopy copy = new BinaryRollupCopy(copyManager(), table, ROLLUP_COLUMNS)) {
            for (int i : order) {
                copy.row(rows.seriesId(i), rows.bucketStart(i), rows.count(i), rows.min(i), rows.max(i), rows.sum(i),
                        rows.last(i));
            }
            copy.finish();
        }
    }

    private void copyMerge(Resolution resolution, RollupColumns rows, int[] order) throws SQLException {
        if (!stagingCreated) {
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE TEMP TABLE IF NOT EXISTS datainsight_stage_rollup (series_id bigint, bucket timestamptz,"
                        + " count bigint, min float8, max float8, sum float8, last float8) ON COMMIT DELETE ROWS");
            }
            stagingCreated = true;
        }
        copyIn("datainsight_stage_rollup", rows, order);
        try (Statement st = conn.createStatement()) {
            st.executeUpdate("INSERT INTO " + resolution.table() + " (" + ROLLUP_COLUMNS + ")"
                    + " SELECT " + ROLLUP_COLUMNS + " FROM datainsight_stage_rollup"
                    + " ON CONFLICT (series_id, bucket) DO UPDATE SET count = EXCLUDED.count, min = EXCLUDED.min,"
                    + " max = EXCLUDED.max, sum = EXCLUDED.sum, last = EXCLUDED.last");
        }
    }

    private void batchedUpsert(Resolution resolution, RollupColumns rows, int[] order) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + resolution.table()
                + " (" + ROLLUP_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (series_id, bucket) DO UPDATE SET count = EXCLUDED.count, min = EXCLUDED.min,"
                + " max = EXCLUDED.max, sum = EXCLUDED.sum, last = EXCLUDED.last")) {
            int n = 0;
            for (int i : order) {
                ps.setLong(1, rows.seriesId(i));
                ps.setTimestamp(2, new Timestamp(rows.bucketStart(i)));
                ps.setLong(3, rows.count(i));
                ps.setDouble(4, rows.min(i));
                ps.setDouble(5, rows.max(i));
                ps.setDouble(6, rows.sum(i));
                ps.setDouble(7, rows.last(i));
                ps.addBatch();
                if (++n % 1000 == 0) {
                    ps.executeBatch();
                }
            }
            ps.executeBatch();
        }
    }

    /**
     * Series ids of the rows' series, creating the series that do not exist yet. Also used by the
     * benchmark to prepare its COPY baseline.
     */
    Map<SeriesKey, Long> resolveSeries(Collection<RollupRow> rows) throws SQLException {
        Map<SeriesKey, Long> out = new HashMap<>();
        List<SeriesKey> missing = new ArrayList<>();
        for (RollupRow r : rows) {
            SeriesKey k = keyOf(r);
            if (out.containsKey(k)) {
                continue;
            }
            Long id = seriesCache.get(k);
            if (id != null) {
                out.put(k, id);
            } else {
                out.put(k, null);
                missing.add(k);
            }
        }
        if (!missing.isEmpty()) {
            createOrFind(missing, out, true);
        }
        return out;
    }

    /**
     * The series id of each row, in the rows' order: one cache look-up per row, and one round
     * trip for the series not in the cache.
     */
    private long[] seriesIds(RollupRow[] rows) throws SQLException {
        long[] ids = new long[rows.length];
        SeriesKey[] misses = null;
        Map<SeriesKey, Long> missing = null;
        int i = 0;
        for (RollupRow r : rows) {
            SeriesKey k = keyOf(r);
            Long id = seriesCache.get(k);
            if (id != null) {
                ids[i] = id;
            } else {
                if (misses == null) {
                    misses = new SeriesKey[ids.length];
                    missing = new HashMap<>();
                }
                misses[i] = k;
                missing.put(k, null);
            }
            i++;
        }
        if (misses != null) {
            createOrFind(new ArrayList<>(missing.keySet()), missing, true);
            for (int j = 0; j < ids.length; j++) {
                if (misses[j] != null) {
                    ids[j] = missing.get(misses[j]);
                }
            }
        }
        return ids;
    }

    /**
     * Creates the missing series (distinct keys) that do not exist yet and puts all their ids in
     * {@code out} (and, with {@code cache}, in the writer's cache).
     *
     * <p>Normally every series missing from a cache is new, so a plain {@code INSERT ... RETURNING}
     * creates them all; it runs under a savepoint and, when one of them exists already (the first
     * batches after a restart, or another writer created it a moment ago), fails on the unique key,
     * is rolled back to the savepoint and the batch goes the careful way: {@code INSERT ... ON
     * CONFLICT DO NOTHING RETURNING} creates what is new, and one look-up finds the rest. The plain
     * INSERT skips ON CONFLICT's speculative insertion: 330,000 new series took 4.2 s of server
     * time against 7.0 s (docs/schema.md).
     */
    private void createOrFind(List<SeriesKey> missingKeys, Map<SeriesKey, Long> out, boolean cache) throws SQLException {
        // One order for every writer, so two writers creating the same new series can wait on
        // each other but never deadlock. The labels' JSON is computed once per key, in the text
        // form jsonb prints, so the labels the INSERT returns can be matched as text.
        int n = missingKeys.size();
        Pending[] sorted = new Pending[n];
        for (int i = 0; i < n; i++) {
            SeriesKey k = missingKeys.get(i);
            sorted[i] = new Pending(k, Json.jsonbText(k.labels()));
        }
        java.util.Arrays.sort(sorted);
        Map<String, Pending> byText = new HashMap<>(n * 2);
        for (Pending p : sorted) {
            byText.put(textKey(p.key.instance(), p.key.metric(), p.json), p);
        }
        List<Pending> all = java.util.Arrays.asList(sorted);
        List<Object[]> created = new ArrayList<>(n);
        Savepoint sp = conn.setSavepoint();
        try {
            insertReturning("INSERT INTO series (instance, metric, labels) SELECT * FROM unnest(?::text[], ?::text[], ?::jsonb[])"
                    + " RETURNING id, instance, metric, labels::text", all, created);
            conn.releaseSavepoint(sp);
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            conn.rollback(sp);
            seriesFallbacks++;
            created.clear();
            insertReturning("INSERT INTO series (instance, metric, labels) SELECT * FROM unnest(?::text[], ?::text[], ?::jsonb[])"
                    + " ON CONFLICT ON CONSTRAINT series_key DO NOTHING RETURNING id, instance, metric, labels::text", all, created);
        }
        for (Object[] c : created) {
            Pending p = byText.remove((String) c[1]);
            if (p != null) {
                found(p.key, (Long) c[0], out, cache);
            }
        }
        if (!byText.isEmpty()) {
            // Series that existed already (or, should the server ever print labels differently
            // from Json.jsonbText, new ones whose returned text did not match): look them up.
            List<Pending> rest = new ArrayList<>(byText.values());
            seriesLookedUp += rest.size();
            try (PreparedStatement sel = conn.prepareStatement("SELECT u.ord, s.id FROM unnest(?::text[], ?::text[], ?::jsonb[])"
                    + " WITH ORDINALITY AS u(instance, metric, labels, ord)"
                    + " JOIN series s ON s.instance = u.instance AND s.metric = u.metric AND s.labels = u.labels")) {
                bindKeys(sel, rest);
                try (ResultSet rs = sel.executeQuery()) {
                    while (rs.next()) {
                        found(rest.get(rs.getInt(1) - 1).key, rs.getLong(2), out, cache);
                    }
                }
            }
        }
        for (SeriesKey k : missingKeys) {
            if (out.get(k) == null) {
                throw new SQLException("series " + k + " was neither created nor found");
            }
        }
    }

    /** Runs a series INSERT with RETURNING; adds {id, text key} per returned row to {@code into}. */
    private void insertReturning(String sql, List<Pending> keys, List<Object[]> into) throws SQLException {
        try (PreparedStatement ins = conn.prepareStatement(sql)) {
            bindKeys(ins, keys);
            try (ResultSet rs = ins.executeQuery()) {
                while (rs.next()) {
                    into.add(new Object[] {rs.getLong(1), textKey(rs.getString(2), rs.getString(3), rs.getString(4))});
                }
            }
        }
    }

    /**
     * How many series creations met an existing series and were redone with ON CONFLICT (after a
     * restart: the first batches of each writer).
     */
    public long seriesFallbacks() {
        return seriesFallbacks;
    }

    /** Binds the keys' instances, metrics and labels as the statement's three array parameters. */
    private void bindKeys(PreparedStatement ps, List<Pending> keys) throws SQLException {
        int n = keys.size();
        String[] inst = new String[n];
        String[] metric = new String[n];
        String[] labels = new String[n];
        for (int i = 0; i < n; i++) {
            Pending p = keys.get(i);
            inst[i] = p.key.instance();
            metric[i] = p.key.metric();
            labels[i] = p.json;
        }
        ps.setArray(1, conn.createArrayOf("text", inst));
        ps.setArray(2, conn.createArrayOf("text", metric));
        ps.setArray(3, conn.createArrayOf("jsonb", labels));
    }

    private void found(SeriesKey k, long id, Map<SeriesKey, Long> out, boolean cache) {
        out.put(k, id);
        if (cache) {
            seriesCache.put(new SeriesKey(k.instance(), k.metric(), new HashMap<>(k.labels())), id);
        }
    }

    private static String textKey(String instance, String metric, String labelsText) {
        return instance + '\u0000' + metric + '\u0000' + labelsText;
    }

    /** A series to create, ordered by instance, metric, labels' JSON. */
    private record Pending(SeriesKey key, String json) implements Comparable<Pending> {
        @Override
        public int compareTo(Pending o) {
            int c = key.instance().compareTo(o.key.instance());
            if (c == 0) {
                c = key.metric().compareTo(o.key.metric());
            }
            return c != 0 ? c : json.compareTo(o.json);
        }
    }

    static SeriesKey keyOf(RollupRow r) {
        Map<String, String> labels = r.labels() == null ? Map.of() : r.labels();
        return new SeriesKey(r.instance(), r.metric(), labels);
    }

    @Override
    public void upsertStatementRollups(Collection<StatementRollupRow> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        Map<List<Object>, StatementRollupRow> last = new LinkedHashMap<>();
        for (StatementRollupRow r : rows) {
            List<Object> k = List.of(r.instance(), r.queryid(), r.datname(), r.rolname(), r.bucketStart());
            last.remove(k);
            last.put(k, r);
        }
        String sql = "INSERT INTO statement_rollup_1h (instance, queryid, datname, rolname, bucket, calls, total_exec_time_ms,"
                + " mean_exec_time_ms, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written,"
                + " temp_blks_read, temp_blks_written, wal_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (instance, queryid, datname, rolname, bucket) DO UPDATE SET calls = EXCLUDED.calls,"
                + " total_exec_time_ms = EXCLUDED.total_exec_time_ms, mean_exec_time_ms = EXCLUDED.mean_exec_time_ms,"
                + " rows = EXCLUDED.rows, shared_blks_hit = EXCLUDED.shared_blks_hit, shared_blks_read = EXCLUDED.shared_blks_read,"
                + " shared_blks_dirtied = EXCLUDED.shared_blks_dirtied, shared_blks_written = EXCLUDED.shared_blks_written,"
                + " temp_blks_read = EXCLUDED.temp_blks_read, temp_blks_written = EXCLUDED.temp_blks_written,"
                + " wal_bytes = EXCLUDED.wal_bytes";
        batch(sql, last.values(), (ps, r) -> {
            ps.setString(1, r.instance());
            ps.setString(2, r.queryid());
            ps.setString(3, r.datname());
            ps.setString(4, r.rolname());
            ps.setTimestamp(5, new Timestamp(r.bucketStart()));
            ps.setDouble(6, r.calls());
            ps.setDouble(7, r.totalExecTimeMs());
            Double mean = r.meanExecTimeMs();
            if (mean == null) {
                ps.setNull(8, Types.DOUBLE);
            } else {
                ps.setDouble(8, mean);
            }
            ps.setDouble(9, r.rows());
            ps.setDouble(10, r.sharedBlksHit());
            ps.setDouble(11, r.sharedBlksRead());
            ps.setDouble(12, r.sharedBlksDirtied());
            ps.setDouble(13, r.sharedBlksWritten());
            ps.setDouble(14, r.tempBlksRead());
            ps.setDouble(15, r.tempBlksWritten());
            ps.setDouble(16, r.walBytes());
        });
    }

    @Override
    public void upsertStatementTexts(String instance, Collection<QueryText> texts, long seenAt) throws SQLException {
        if (texts.isEmpty()) {
            return;
        }
        Map<String, QueryText> last = new LinkedHashMap<>();
        for (QueryText t : texts) {
            last.remove(t.queryid());
            last.put(t.queryid(), t);
        }
        Timestamp seen = new Timestamp(seenAt);
        batch("INSERT INTO statement_text (instance, queryid, query, truncated, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (instance, queryid) DO UPDATE SET"
                + " query = CASE WHEN EXCLUDED.last_seen >= statement_text.last_seen THEN EXCLUDED.query ELSE statement_text.query END,"
                + " truncated = CASE WHEN EXCLUDED.last_seen >= statement_text.last_seen THEN EXCLUDED.truncated ELSE statement_text.truncated END,"
                + " first_seen = least(statement_text.first_seen, EXCLUDED.first_seen),"
                + " last_seen = greatest(statement_text.last_seen, EXCLUDED.last_seen)",
                last.values(), (ps, t) -> {
                    ps.setString(1, instance);
                    ps.setString(2, t.queryid());
                    ps.setString(3, t.text() == null ? "" : t.text());
                    ps.setBoolean(4, t.truncated());
                    ps.setTimestamp(5, seen);
                    ps.setTimestamp(6, seen);
                });
    }

    @Override
    public void upsertInstances(Collection<InstanceRow> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        // Several rows of one instance in a call: keep the newest, widen first/last seen below.
        // server_version_num 0 means unknown (a server never reached): it never replaces a known one.
        Map<String, InstanceRow> newest = new LinkedHashMap<>();
        Map<String, Long> oldest = new HashMap<>();
        Map<String, InstanceRow> newestKnown = new HashMap<>();
        for (InstanceRow r : rows) {
            InstanceRow cur = newest.get(r.instance());
            if (cur == null || r.seenAt() >= cur.seenAt()) {
                newest.put(r.instance(), r);
            }
            InstanceRow known = newestKnown.get(r.instance());
            if (r.serverVersionNum() != 0 && (known == null || r.seenAt() >= known.seenAt())) {
                newestKnown.put(r.instance(), r);
            }
            oldest.merge(r.instance(), r.seenAt(), Math::min);
        }
        batch("INSERT INTO instance (instance, labels, server_version_num, first_seen, last_seen) VALUES (?, ?::jsonb, ?, ?, ?)"
                + " ON CONFLICT (instance) DO UPDATE SET"
                + " labels = CASE WHEN EXCLUDED.last_seen >= instance.last_seen THEN EXCLUDED.labels ELSE instance.labels END,"
                + " server_version_num = CASE WHEN EXCLUDED.server_version_num <> 0"
                + " AND (EXCLUDED.last_seen >= instance.last_seen OR instance.server_version_num = 0)"
                + " THEN EXCLUDED.server_version_num ELSE instance.server_version_num END,"
                + " first_seen = least(instance.first_seen, EXCLUDED.first_seen),"
                + " last_seen = greatest(instance.last_seen, EXCLUDED.last_seen)",
                newest.values(), (ps, r) -> {
                    ps.setString(1, r.instance());
                    ps.setString(2, Json.jsonbText(r.labels()));
                    InstanceRow known = newestKnown.get(r.instance());
                    ps.setInt(3, r.serverVersionNum() != 0 || known == null ? r.serverVersionNum() : known.serverVersionNum());
                    ps.setTimestamp(4, new Timestamp(oldest.get(r.instance())));
                    ps.setTimestamp(5, new Timestamp(r.seenAt()));
                });
    }

    @Override
    public void insertAlertEvents(Collection<AlertEvent> events) throws SQLException {
        if (events.isEmpty()) {
            return;
        }
        Map<List<Object>, AlertEvent> last = new LinkedHashMap<>();
        for (AlertEvent e : events) {
            if (e.getFingerprint() == null || e.getStatus() == null || e.getSeverity() == null) {
                throw new IllegalArgumentException("alert event without fingerprint, status or severity: " + e);
            }
            List<Object> k = List.of(e.getFingerprint(), e.getStatus(), e.getSeverity(), e.getEventAt());
            last.remove(k);
            last.put(k, e);
        }
        batch("INSERT INTO alert_event (fingerprint, rule, severity, status, instance, labels, value, threshold, started_at,"
                + " resolved_at, event_at, summary, description, runbook) VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (fingerprint, status, severity, event_at) DO UPDATE SET rule = EXCLUDED.rule,"
                + " instance = EXCLUDED.instance, labels = EXCLUDED.labels, value = EXCLUDED.value, threshold = EXCLUDED.threshold,"
                + " started_at = EXCLUDED.started_at, resolved_at = EXCLUDED.resolved_at, summary = EXCLUDED.summary,"
                + " description = EXCLUDED.description, runbook = EXCLUDED.runbook",
                last.values(), (ps, e) -> {
                    boolean resolved = e.getStatus() == AlertStatus.RESOLVED;
                    ps.setString(1, e.getFingerprint());
                    ps.setString(2, e.getRule());
                    ps.setString(3, e.getSeverity().wire());
                    ps.setString(4, e.getStatus().wire());
                    ps.setString(5, e.getInstance());
                    ps.setString(6, Json.jsonbText(e.getLabels()));
                    setNullableDouble(ps, 7, e.getValue());
                    setNullableDouble(ps, 8, e.getThreshold());
                    ps.setTimestamp(9, new Timestamp(e.getStartedAt()));
                    // The table ties resolved_at to the resolved status: a resolved event without
                    // its time resolved at the event; a firing one carries none.
                    Long resolvedAt = resolved ? (e.getResolvedAt() != null ? e.getResolvedAt() : e.getEventAt()) : null;
                    if (resolvedAt == null) {
                        ps.setNull(10, Types.TIMESTAMP_WITH_TIMEZONE);
                    } else {
                        ps.setTimestamp(10, new Timestamp(resolvedAt));
                    }
                    ps.setTimestamp(11, new Timestamp(e.getEventAt()));
                    ps.setString(12, e.getSummary() != null ? e.getSummary() : e.getRule());
                    ps.setString(13, e.getDescription());
                    ps.setString(14, e.getRunbook());
                });
    }

    @Override
    public void upsertInsights(Collection<InsightRow> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        // Several rows of one key in a call: the newest wins, first_seen is the oldest.
        Map<List<Object>, InsightRow> last = new LinkedHashMap<>();
        Map<List<Object>, Long> firstSeen = new HashMap<>();
        for (InsightRow r : rows) {
            List<Object> k = List.of(r.instance(), r.kind(), r.subject());
            InsightRow cur = last.get(k);
            if (cur == null || r.observedAt() >= cur.observedAt()) {
                last.remove(k);
                last.put(k, r);
            }
            firstSeen.merge(k, r.observedAt(), Math::min);
        }
        batch("INSERT INTO insight (instance, kind, subject, severity, summary, evidence, first_seen, observed_at)"
                + " VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?) ON CONFLICT (instance, kind, subject) DO UPDATE SET"
                + " severity = CASE WHEN EXCLUDED.observed_at >= insight.observed_at THEN EXCLUDED.severity ELSE insight.severity END,"
                + " summary = CASE WHEN EXCLUDED.observed_at >= insight.observed_at THEN EXCLUDED.summary ELSE insight.summary END,"
                + " evidence = CASE WHEN EXCLUDED.observed_at >= insight.observed_at THEN EXCLUDED.evidence ELSE insight.evidence END,"
                + " first_seen = least(insight.first_seen, EXCLUDED.first_seen),"
                + " observed_at = greatest(insight.observed_at, EXCLUDED.observed_at)",
                last.values(), (ps, r) -> {
                    ps.setString(1, r.instance());
                    ps.setString(2, r.kind());
                    ps.setString(3, r.subject());
                    ps.setString(4, r.severity() == null ? null : r.severity().toLowerCase(java.util.Locale.ROOT));
                    ps.setString(5, r.summary());
                    ps.setString(6, r.evidenceJson() == null || r.evidenceJson().isBlank() ? "{}" : r.evidenceJson());
                    ps.setTimestamp(7, new Timestamp(firstSeen.get(List.of(r.instance(), r.kind(), r.subject()))));
                    ps.setTimestamp(8, new Timestamp(r.observedAt()));
                });
    }

    @FunctionalInterface
    private interface Binder<T> {
        void bind(PreparedStatement ps, T row) throws SQLException;
    }

    private <T> void batch(String sql, Collection<T> rows, Binder<T> binder) throws SQLException {
        inTransaction(() -> {
            try (PreparedStatement ps = conn.prepareStatement(sql)) {
                int n = 0;
                for (T r : rows) {
                    binder.bind(ps, r);
                    ps.addBatch();
                    if (++n % 1000 == 0) {
                        ps.executeBatch();
                    }
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    private static void setNullableDouble(PreparedStatement ps, int i, Double v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.DOUBLE);
        } else {
            ps.setDouble(i, v);
        }
    }

    private CopyManager copyManager() throws SQLException {
        return conn.unwrap(PGConnection.class).getCopyAPI();
    }

    /** Bucket start as COPY text, cached: a batch has few distinct buckets. */
    String bucket(long epochMs) {
        if (epochMs == lastBucketMs && lastBucketText != null) {
            return lastBucketText;
        }
        String s = bucketText.get(epochMs);
        if (s == null) {
            if (bucketText.size() > 100_000) {
                bucketText.clear();
            }
            s = TS.format(Instant.ofEpochMilli(epochMs));
            bucketText.put(epochMs, s);
        }
        lastBucketMs = epochMs;
        lastBucketText = s;
        return s;
    }

    /**
     * Appends {@link #num(double)}'s text, or for an integral value its digits without the
     * {@code .0} (the same float8 once parsed, cheaper to format).
     */
    static StringBuilder num(StringBuilder sb, double d) {
        if (d == (long) d && Math.abs(d) < 1.0e15 && (d != 0 || Double.doubleToRawLongBits(d) == 0)) {
            return sb.append((long) d);
        }
        return sb.append(num(d));
    }

    static String num(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return Double.toString(d);
    }

    private void rollbackQuietly() {
        stagingCreated = false; // its CREATE may have been rolled back with the transaction
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

    /** Minimal JSON for string maps (labels), in the text form jsonb prints: equal maps give equal text. */
    static final class Json {
        private Json() {}

        /**
         * The text PostgreSQL prints for this map as jsonb: keys ordered by their UTF-8 length,
         * then bytes; {@code ": "} and {@code ", "} as separators; control characters escaped
         * the way the server escapes them. Any JSON would do as input; this form lets the writer
         * recognise the labels an {@code INSERT ... RETURNING labels::text} gives back.
         */
        static String jsonbText(Map<String, String> map) {
            if (map == null || map.isEmpty()) {
                return "{}";
            }
            List<Map.Entry<String, String>> entries = new ArrayList<>(map.entrySet());
            entries.sort((x, y) -> compareJsonbKeys(x.getKey(), y.getKey()));
            StringBuilder sb = new StringBuilder(16 * entries.size());
            sb.append('{');
            for (Map.Entry<String, String> e : entries) {
                if (sb.length() > 1) {
                    sb.append(", ");
                }
                str(sb, e.getKey());
                sb.append(": ");
                if (e.getValue() == null) {
                    sb.append("null");
                } else {
                    str(sb, e.getValue());
                }
            }
            return sb.append('}').toString();
        }

        private static int compareJsonbKeys(String a, String b) {
            if (ascii(a) && ascii(b)) {
                // One byte per char: UTF-8 length and byte order are the String's own.
                return a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b);
            }
            byte[] x = a.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            byte[] y = b.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (x.length != y.length) {
                return Integer.compare(x.length, y.length);
            }
            return java.util.Arrays.compareUnsigned(x, y);
        }

        private static boolean ascii(String s) {
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) >= 0x80) {
                    return false;
                }
            }
            return true;
        }

        private static void str(StringBuilder sb, String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }
}
