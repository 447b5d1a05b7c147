package dev.datainsight.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Series ids ({@code series} table), resolved in bulk in the caller's transaction and cached
 * (bounded, LRU), so a steady stream of rollups costs one round trip for ids only when new series
 * appear.
 */
final class SeriesRegistry {
    private final Connection conn;
    private final Map<SeriesKey, Long> cache;
    private long lookedUp;
    private long fallbacks;

    SeriesRegistry(Connection conn, int cacheSize) {
        this.conn = conn;
        this.cache = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<SeriesKey, Long> eldest) {
                return size() > cacheSize;
            }
        };
    }

    /**
     * The series id of each row, in the rows' order: one cache look-up per row, and one round
     * trip for the series not in the cache (which are cached then).
     */
    long[] ids(RollupRow[] rows) throws SQLException {
        long[] ids = new long[rows.length];
        SeriesKey[] misses = null;
        Map<SeriesKey, Long> missing = null;
        int i = 0;
        for (RollupRow r : rows) {
            SeriesKey k = keyOf(r);
            Long id = cache.get(k);
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

    /** The ids of the keys, in their order, creating the missing series; not cached. */
    long[] idsUncached(List<SeriesKey> keys) throws SQLException {
        Map<SeriesKey, Long> out = new HashMap<>(keys.size() * 2);
        for (SeriesKey k : keys) {
            out.put(k, null);
        }
        createOrFind(new ArrayList<>(out.keySet()), out, false);
        long[] ids = new long[keys.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = out.get(keys.get(i));
        }
        return ids;
    }

    /**
     * How many series not in the cache were found existing by a look-up rather than created (and
     * returned) by the INSERT: after a restart every series once, otherwise none.
     */
    long lookedUp() {
        return lookedUp;
    }

    /**
     * How many series creations met an existing series and were redone with ON CONFLICT (after a
     * restart: the first batches of each writer).
     */
    long fallbacks() {
        return fallbacks;
    }

    /**
     * Creates the missing series (distinct keys) that do not exist yet and puts all their ids in
     * {@code out} (and, with {@code cache}, in the cache).
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
            sorted[i] = new Pending(k, JsonbText.of(k.labels()));
        }
        Arrays.sort(sorted);
        Map<String, Pending> byText = new HashMap<>(n * 2);
        for (Pending p : sorted) {
            byText.put(textKey(p.key.instance(), p.key.metric(), p.json), p);
        }
        List<Pending> all = Arrays.asList(sorted);
        List<Object[]> created = new ArrayList<>(n);
        Savepoint sp = conn.setSavepoint();
        try {
            insertReturning("INSERT INTO series (instance, metric, labels) SELECT * FROM unnest(?::text[], ?::text[], ?::jsonb[])"
                    + " RETURNING id, instance, metric, labels::text", all, created);
            conn.releaseSavepoint(sp);
        } catch (SQLException e) {
            if (!JdbcStoreWriter.UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            conn.rollback(sp);
            fallbacks++;
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
            // from JsonbText, new ones whose returned text did not match): look them up.
            List<Pending> rest = new ArrayList<>(byText.values());
            lookedUp += rest.size();
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
            this.cache.put(new SeriesKey(k.instance(), k.metric(), new HashMap<>(k.labels())), id);
        }
    }

    private static String textKey(String instance, String metric, String labelsText) {
        return instance + '\u0000' + metric + '\u0000' + labelsText;
    }

    private static SeriesKey keyOf(RollupRow r) {
        Map<String, String> labels = r.labels() == null ? Map.of() : r.labels();
        return new SeriesKey(r.instance(), r.metric(), labels);
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
}
