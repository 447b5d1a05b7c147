package dev.datainsight.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.AlertContext;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.QueryText;
import dev.datainsight.model.Severity;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every upsert is idempotent: writing the same rows twice leaves exactly the same rows. */
class JdbcStoreWriterTest {
    @RegisterExtension static final PostgresExtension PG15 = StoreServers.PG15;
    @RegisterExtension static final PostgresExtension PG17 = StoreServers.PG17;
    @RegisterExtension static final PostgresExtension PG18 = StoreServers.PG18;

    private static final long T = Instant.parse("2026-06-15T10:00:00Z").toEpochMilli();
    private static final long MIN = 60_000L;

    static Stream<Arguments> serversAndStrategies() {
        return StoreServers.all().flatMap(pg -> Stream.of(JdbcStoreWriter.UpsertStrategy.values())
                .map(s -> Arguments.of(pg, s)));
    }

    private static String store(PostgresExtension pg, String prefix) throws Exception {
        String url = StoreServers.migratedStore(pg, prefix);
        new PartitionMaintenance(url, null, null, PartitionPolicy.defaults(),
                Clock.fixed(Instant.ofEpochMilli(T), ZoneOffset.UTC)).run();
        return url;
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("serversAndStrategies")
    void rollups_writtenTwice_sameRows_andLastOfDuplicateKeysWins(PostgresExtension pg,
            JdbcStoreWriter.UpsertStrategy strategy) throws Exception {
        String url = store(pg, "upsert");
        List<RollupRow> rows = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            for (int m = 0; m < 5; m++) {
                rows.add(new RollupRow("db-" + i, "pg_stat_user_tables.n_dead_tup",
                        Map.of("datname", "app", "schemaname", "public", "relname", "t" + m), T + m * MIN, 6, m, m + 1, 6 * m + 3, m + 1));
                rows.add(new RollupRow("db-" + i, "pg_stat_database.blks_hit", Map.of("datname", "app"), T + m * MIN, 6, 10, 20, 90, 15));
            }
        }
        // The same key twice in one batch, labels in another order: the last one wins.
        Map<String, String> reordered = new LinkedHashMap<>();
        reordered.put("relname", "t0");
        reordered.put("schemaname", "public");
        reordered.put("datname", "app");
        rows.add(new RollupRow("db-0", "pg_stat_user_tables.n_dead_tup", reordered, T, 7, 0, 42, 99, 42));

        for (Resolution res : Resolution.values()) {
            try (Connection c = JdbcStoreWriter.open(url, null, null); JdbcStoreWriter w = new JdbcStoreWriter(c, strategy)) {
                w.upsertRollups(res, rows);
                List<List<Object>> once = dump(url, "SELECT s.instance, s.metric, s.labels::text, r.bucket, r.count, r.min, r.max,"
                        + " r.sum, r.last FROM " + res.table() + " r JOIN series s ON s.id = r.series_id ORDER BY 1, 2, 3, 4");
                assertEquals(30, once.size());
                w.upsertRollups(res, rows);
                if (strategy == JdbcStoreWriter.UpsertStrategy.OPTIMISTIC_COPY) {
                    assertEquals(1, w.fallbacks(), "the replay met existing rows and was merged");
                }
                assertEquals(once, dump(url, "SELECT s.instance, s.metric, s.labels::text, r.bucket, r.count, r.min, r.max,"
                        + " r.sum, r.last FROM " + res.table() + " r JOIN series s ON s.id = r.series_id ORDER BY 1, 2, 3, 4"));
                List<List<Object>> winner = dump(url, "SELECT r.count, r.max FROM " + res.table() + " r JOIN series s ON s.id = r.series_id"
                        + " WHERE s.instance = 'db-0' AND s.labels ->> 'relname' = 't0' AND r.bucket = to_timestamp(" + T / 1000 + ")");
                assertEquals(List.of(List.of(7L, 42.0)), winner);
            }
        }
        // One series row per (instance, metric, labels), shared by the three resolutions.
        assertEquals(List.of(List.of(18L)), dump(url, "SELECT count(*) FROM series"));
        // A new writer (empty cache) finds the existing series instead of creating new ones.
        try (JdbcStoreWriter w = new JdbcStoreWriter(url, null, null)) {
            w.upsertRollups(Resolution.MINUTE, rows.subList(0, 4));
        }
        assertEquals(List.of(List.of(18L)), dump(url, "SELECT count(*) FROM series"));
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void batchMixingNewAndExistingRows_isMerged_andOddLabelsRoundTrip(PostgresExtension pg) throws Exception {
        String url = store(pg, "mixed");
        Map<String, String> odd = Map.of("datname", "app", "schemaname", "public", "relname", "we\"ird\\name\tü");
        try (JdbcStoreWriter w = new JdbcStoreWriter(url, null, null)) {
            w.upsertRollups(Resolution.MINUTE, List.of(
                    new RollupRow("db-1", "pg_stat_user_tables.n_dead_tup", odd, T, 6, 1, 2, 9, 2)));
            assertEquals(0, w.fallbacks());
            // One existing row (updated) and one new bucket in the same batch.
            w.upsertRollups(Resolution.MINUTE, List.of(
                    new RollupRow("db-1", "pg_stat_user_tables.n_dead_tup", odd, T, 6, 1, 5, 18, 5),
                    new RollupRow("db-1", "pg_stat_user_tables.n_dead_tup", odd, T + MIN, 6, 7, 8, 45, 8)));
            assertEquals(1, w.fallbacks());
        }
        assertEquals(List.of(List.of("we\"ird\\name\tü", 5.0), List.of("we\"ird\\name\tü", 8.0)),
                dump(url, "SELECT labels ->> 'relname', max FROM metric_1m ORDER BY bucket"));
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void labelsText_isWhatTheServerPrintsForJsonb_soNewSeriesNeedNoLookUp(PostgresExtension pg) throws Exception {
        String url = store(pg, "labels");
        List<Map<String, String>> maps = new ArrayList<>();
        maps.add(Map.of());
        maps.add(Map.of("datname", "app"));
        Map<String, String> mixed = new LinkedHashMap<>();
        mixed.put("relname", "z");
        mixed.put("a", "quote\" backslash\\ tab\t nl\n cr\r bs\b ff\f ctl\u0001 del\u007f");
        mixed.put("ü", "é中文😀");
        mixed.put("bb", "");
        mixed.put("ab", "x");
        mixed.put("datname", "app");
        maps.add(mixed);
        try (Connection c = DriverManager.getConnection(url); java.sql.PreparedStatement ps = c.prepareStatement("SELECT ?::jsonb::text")) {
            for (Map<String, String> m : maps) {
                ps.setString(1, JsonbText.of(m));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertEquals(JsonbText.of(m), rs.getString(1), "labels " + m);
                }
            }
        }
        List<RollupRow> rows = new ArrayList<>();
        for (Map<String, String> m : maps) {
            rows.add(new RollupRow("db-1", "pg_stat_user_tables.n_dead_tup", m, T, 1, 1, 1, 1, 1));
        }
        try (JdbcStoreWriter w = new JdbcStoreWriter(url, null, null)) {
            w.upsertRollups(Resolution.MINUTE, rows);
            assertEquals(0, w.seriesLookedUp(), "new series come back from the INSERT");
            assertEquals(0, w.seriesFallbacks(), "all new: the plain INSERT created them");
        }
        try (JdbcStoreWriter w = new JdbcStoreWriter(url, null, null)) {
            w.upsertRollups(Resolution.HOUR, rows);
            assertEquals(maps.size(), w.seriesLookedUp(), "a new writer finds the existing series");
            assertEquals(1, w.seriesFallbacks(), "the plain INSERT met them and was redone with ON CONFLICT");
        }
        assertEquals(List.of(List.of((long) maps.size(), (long) maps.size(), (long) maps.size())), dump(url,
                "SELECT (SELECT count(*) FROM series), (SELECT count(*) FROM metric_rollup_1m), (SELECT count(*) FROM metric_rollup_1h)"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("serversAndStrategies")
    void rollupsById_sameRowsAsRollupsByKey_andSeriesIdsStable(PostgresExtension pg,
            JdbcStoreWriter.UpsertStrategy strategy) throws Exception {
        String byKey = store(pg, "bykey");
        String byId = store(pg, "byid");
        List<RollupRow> rows = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            for (int m = 0; m < 3; m++) {
                rows.add(new RollupRow("db-" + i, "pg_stat_user_tables.n_live_tup", Map.of("datname", "app", "relname", "t" + m),
                        T + m * MIN, 6, m, m + 2, 6 * m + 1, m + 1));
            }
            // the same key twice in one call: the last one wins on both paths
            rows.add(new RollupRow("db-" + i, "pg_stat_database.numbackends", Map.of("datname", "app"), T, 6, 1, 1, 6, 1));
            rows.add(new RollupRow("db-" + i, "pg_stat_database.numbackends", Map.of("datname", "app"), T, 6, 2, 3, 15, 3));
        }
        try (Connection c = JdbcStoreWriter.open(byKey, null, null); JdbcStoreWriter w = new JdbcStoreWriter(c, strategy)) {
            w.upsertRollups(Resolution.MINUTE, rows);
        }
        List<SeriesKey> keys = new ArrayList<>();
        for (RollupRow r : rows) {
            keys.add(new SeriesKey(r.instance(), r.metric(), r.labels()));
        }
        long[] ids;
        try (Connection c = JdbcStoreWriter.open(byId, null, null); JdbcStoreWriter w = new JdbcStoreWriter(c, strategy)) {
            ids = w.seriesIds(keys);
            assertEquals(0, w.seriesFallbacks());
            RollupColumns cols = new RollupColumns(1);
            for (int i = 0; i < rows.size(); i++) {
                RollupRow r = rows.get(i);
                cols.add(ids[i], r.bucketStart(), r.count(), r.min(), r.max(), r.sum(), r.last());
            }
            w.upsertRollupsById(Resolution.MINUTE, cols);
            w.upsertRollupsById(Resolution.MINUTE, cols); // a replay changes nothing
            assertTrue(ids[ids.length - 1] == ids[ids.length - 2], "one series, one id");
        }
        try (Connection c = JdbcStoreWriter.open(byId, null, null); JdbcStoreWriter w = new JdbcStoreWriter(c, strategy)) {
            assertEquals(java.util.Arrays.toString(ids), java.util.Arrays.toString(w.seriesIds(keys)),
                    "a new writer gets the same ids for the existing series");
        }
        String q = "SELECT s.instance, s.metric, s.labels::text, r.bucket, r.count, r.min, r.max, r.sum, r.last"
                + " FROM metric_rollup_1m r JOIN series s ON s.id = r.series_id ORDER BY 1, 2, 3, 4";
        List<List<Object>> expected = dump(byKey, q);
        assertEquals(16, expected.size()); // 4 instances x (3 tables + 1 database row)
        assertEquals(expected, dump(byId, q));
    }

    @org.junit.jupiter.api.Test
    void keyOrder_primitiveSort_equalsComparatorSort_andLastOfAKeyWins() {
        java.util.Random rnd = new java.util.Random(7);
        for (int round = 0; round < 200; round++) {
            // most rounds: short runs per series; then runs near the insertion-sort bound; last,
            // runs far beyond it (a backfill of one series), which take the comparator sort
            int n = 1 + rnd.nextInt(round < 190 ? 250 : 3000);
            int series = round < 180 ? 40 : round < 190 ? 5 : 2;
            int buckets = round < 180 ? 4 : 2000;
            RollupColumns small = new RollupColumns(n);
            RollupColumns huge = new RollupColumns(n);
            for (int i = 0; i < n; i++) {
                long id = 1 + rnd.nextInt(series);
                long bucket = T + rnd.nextInt(buckets) * MIN;
                small.add(id, bucket, i + 1, 0, 0, 0, 0);
                huge.add(Long.MAX_VALUE - 100 + id, bucket, i + 1, 0, 0, 0, 0); // too large to pack: comparator path
            }
            int[] a = RollupCopyWriter.keyOrder(small);
            int[] b = RollupCopyWriter.keyOrder(huge);
            assertEquals(java.util.Arrays.toString(b), java.util.Arrays.toString(a));
            for (int k = 0; k < a.length; k++) {
                int i = a[k];
                for (int j = 0; j < n; j++) {
                    if (j > i && small.seriesId(j) == small.seriesId(i) && small.bucketStart(j) == small.bucketStart(i)) {
                        throw new AssertionError("row " + i + " kept although row " + j + " has the same key and came later");
                    }
                }
                if (k > 0) {
                    int p = a[k - 1];
                    assertTrue(small.seriesId(p) < small.seriesId(i)
                            || small.seriesId(p) == small.seriesId(i) && small.bucketStart(p) < small.bucketStart(i), "key order");
                }
            }
        }
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("serversAndStrategies")
    void values_andBuckets_arriveExactly(PostgresExtension pg, JdbcStoreWriter.UpsertStrategy strategy) throws Exception {
        String url = store(pg, "exact");
        double[] values = {0.0, -0.0, 1.0 / 3, -1e-300, 1.7976931348623157e308, Double.MIN_VALUE, 123456789.123456789,
            Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        long[] buckets = {T, T + 1, Instant.parse("1999-12-31T23:59:00Z").toEpochMilli(), Instant.parse("2100-01-01T00:00:00Z").toEpochMilli()};
        List<RollupRow> rows = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            for (long b : buckets) {
                double v = values[i];
                double min = Double.isNaN(v) ? Double.NEGATIVE_INFINITY : v; // the table checks min <= max
                rows.add(new RollupRow("db-" + i, "pg_stat_database.blks_hit", Map.of("datname", "app"), b, Long.MAX_VALUE - i,
                        min, min, v, v));
            }
        }
        try (JdbcStoreWriter w = new JdbcStoreWriter(JdbcStoreWriter.open(url, null, null), strategy)) {
            w.upsertRollups(Resolution.MINUTE, rows);
        }
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT s.instance, (extract(epoch FROM r.bucket) * 1000)::bigint, r.count, r.min,"
                        + " r.max, r.sum, r.last FROM metric_rollup_1m r JOIN series s ON s.id = r.series_id")) {
            int n = 0;
            while (rs.next()) {
                int i = Integer.parseInt(rs.getString(1).substring(3));
                double v = values[i];
                double min = Double.isNaN(v) ? Double.NEGATIVE_INFINITY : v;
                assertTrue(java.util.Arrays.stream(buckets).anyMatch(b -> b == readLong(rs, 2)), "bucket " + readLong(rs, 2));
                assertEquals(Long.MAX_VALUE - i, rs.getLong(3));
                assertEquals(Double.doubleToLongBits(min), Double.doubleToLongBits(rs.getDouble(4)), "min of " + v);
                assertEquals(Double.doubleToLongBits(min), Double.doubleToLongBits(rs.getDouble(5)), "max of " + v);
                assertEquals(Double.doubleToLongBits(v), Double.doubleToLongBits(rs.getDouble(6)), "sum " + v);
                assertEquals(Double.doubleToLongBits(v), Double.doubleToLongBits(rs.getDouble(7)), "last " + v);
                n++;
            }
            assertEquals(rows.size(), n);
        }
    }

    private static long readLong(ResultSet rs, int col) {
        try {
            return rs.getLong(col);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void statementSpread_isStoredPerHour_andClassifiedSteadyOrSpiky(PostgresExtension pg) throws Exception {
        String url = store(pg, "spread");
        // steady: 10 calls of 1.2 s +- 0.1 s; spiky: 9 calls of 10 ms and one of 6 s; old: no spread columns
        double steadySq = 5 * 1100.0 * 1100.0 + 5 * 1300.0 * 1300.0;
        double spikySq = 9 * 10.0 * 10.0 + 6000.0 * 6000.0;
        try (JdbcStoreWriter w = new JdbcStoreWriter(url, null, null)) {
            w.upsertStatementRollups(List.of(
                    new StatementRollupRow("db-1", "1", "app", "web", T, 10, 12_000, 10, 0, 0, 0, 0, 0, 0, 0, steadySq, 1300.0),
                    new StatementRollupRow("db-1", "2", "app", "web", T, 10, 6090, 10, 0, 0, 0, 0, 0, 0, 0, spikySq, 6000.0),
                    new StatementRollupRow("db-1", "3", "app", "web", T, 10, 100, 10, 0, 0, 0, 0, 0, 0, 0)));
        }
        List<List<Object>> got = dump(url, "SELECT queryid, round(mean_exec_time_ms::numeric, 1)::float8,"
                + " round(stddev_exec_time_ms::numeric, 1)::float8, max_exec_time_ms, spread FROM statement_spread_hourly ORDER BY 1");
        assertEquals(List.of(List.of("1", 1200.0, 100.0, 1300.0, "steady"), List.of("2", 609.0, 1797.0, 6000.0, "spiky")), got);
        StatementRollupRow r = new StatementRollupRow("db-1", "1", "app", "web", T, 10, 12_000, 10, 0, 0, 0, 0, 0, 0, 0,
                steadySq, 1300.0);
        assertEquals(100.0, r.stddevExecTimeMs(), 1e-6);
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void statementsTextsInstancesAlertsInsights_writtenTwice_sameRows(PostgresExtension pg) throws Exception {
        String url = store(pg, "others");
        List<StatementRollupRow> stmts = List.of(
                new StatementRollupRow("db-1", "-123", "app", "web", T, 10, 500, 100, 90, 10, 1, 2, 0, 0, 4096),
                new StatementRollupRow("db-1", "777", "app", "web", T, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
                new StatementRollupRow("db-1", "-123", "app", "web", T, 20, 1000, 200, 180, 20, 2, 4, 0, 0, 8192));
        List<QueryText> texts = List.of(new QueryText("-123", "SELECT * FROM orders WHERE id = $1", false),
                new QueryText("777", "UPDATE t SET x = $1", true));
        List<InstanceRow> instances = List.of(new InstanceRow("db-1", Map.of("env", "prod"), 170004, T),
                new InstanceRow("db-1", Map.of("env", "prod", "az", "b"), 180001, T + MIN),
                new InstanceRow("db-2", Map.of(), 150010, T));
        AlertEvent firing = alert(AlertStatus.FIRING, Severity.WARNING, T, null);
        AlertEvent escalated = alert(AlertStatus.FIRING, Severity.CRITICAL, T + 5 * MIN, null);
        AlertEvent resolved = alert(AlertStatus.RESOLVED, Severity.CRITICAL, T + 9 * MIN, null); // resolvedAt filled from eventAt
        List<InsightRow> insights = List.of(
                new InsightRow("db-1", "unused_index", "public.orders_old_idx", "info", "never scanned", "{\"size_bytes\": 1}", T),
                new InsightRow("db-1", "unused_index", "public.orders_old_idx", "warning", "never scanned, 2 GB", "{\"size_bytes\": 2}", T + MIN));

        String[] queries = {
            "SELECT instance, queryid, datname, rolname, bucket, calls, total_exec_time_ms, mean_exec_time_ms, wal_bytes FROM statement_rollup_1h ORDER BY 2",
            "SELECT instance, queryid, query, truncated, first_seen, last_seen FROM statement_text ORDER BY 2",
            "SELECT instance, labels::text, server_version_num, first_seen, last_seen FROM instance ORDER BY 1",
            "SELECT fingerprint, status, severity, event_at, started_at, resolved_at, value, summary FROM alert_event ORDER BY event_at",
            "SELECT instance, kind, subject, severity, summary, evidence::text, first_seen, observed_at FROM insight"};
        List<List<List<Object>>> first = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            try (JdbcStoreWriter w = new JdbcStoreWriter(url, null, null)) {
                w.upsertStatementRollups(stmts);
                w.upsertStatementTexts("db-1", texts, T + round * MIN);
                w.upsertInstances(instances);
                w.insertAlertEvents(List.of(firing, escalated, resolved));
                w.upsertInsights(insights);
            }
            List<List<List<Object>>> now = new ArrayList<>();
            for (String q : queries) {
                now.add(dump(url, q));
            }
            if (round == 0) {
                first = now;
            } else {
                // statement_text.last_seen moves with the second sighting; everything else is unchanged.
                for (int i = 0; i < queries.length; i++) {
                    if (i != 1) {
                        assertEquals(first.get(i), now.get(i), queries[i]);
                    }
                }
                assertEquals(first.get(1).get(0).subList(0, 5), now.get(1).get(0).subList(0, 5));
            }
        }
        List<List<Object>> st = first.get(0);
        assertEquals(2, st.size());
        assertEquals(20.0, st.get(0).get(5));
        assertEquals(50.0, st.get(0).get(7));
        assertEquals(null, st.get(1).get(7)); // no calls, no mean
        List<List<Object>> inst = first.get(2);
        assertEquals(List.of("db-1", "{\"az\": \"b\", \"env\": \"prod\"}", 180001), inst.get(0).subList(0, 3));
        assertEquals(3, first.get(3).size());
        assertEquals(first.get(3).get(2).get(3), first.get(3).get(2).get(5)); // resolved_at = event_at
        assertEquals(List.of("warning", "never scanned, 2 GB", "{\"size_bytes\": 2}"), first.get(4).get(0).subList(3, 6));
        assertTrue(!first.get(4).get(0).get(6).equals(first.get(4).get(0).get(7)), "first_seen kept, observed_at moved");

        // A later snapshot of an unreachable server (version 0 = unknown) keeps the known version
        // but moves last_seen; in one batch or across batches.
        try (JdbcStoreWriter w = new JdbcStoreWriter(url, null, null)) {
            w.upsertInstances(List.of(new InstanceRow("db-1", Map.of("env", "prod"), 0, T + 10 * MIN)));
            w.upsertInstances(List.of(new InstanceRow("db-3", Map.of(), 160002, T),
                    new InstanceRow("db-3", Map.of(), 0, T + MIN)));
        }
        assertEquals(List.of(List.of("db-1", 180001), List.of("db-2", 150010), List.of("db-3", 160002)),
                dump(url, "SELECT instance, server_version_num FROM instance ORDER BY 1"));
        assertEquals(List.of(List.of(true)), dump(url, "SELECT last_seen = to_timestamp(" + (T + 10 * MIN) / 1000
                + ") FROM instance WHERE instance = 'db-1'"));
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void alertEvent_storesItsContextAndInstanceLabels_andOpenAlertShowsThem(PostgresExtension pg) throws Exception {
        String url = store(pg, "context");
        AlertEvent firing = alert(AlertStatus.FIRING, Severity.WARNING, T, null);
        AlertContext ctx = AlertContext.create();
        ctx.item(AlertContext.KIND_STATEMENT).put("queryid", "-123").put("text", "SELECT * FROM logs\nWHERE id = $1")
                .put("mean", "3.2 s");
        ctx.item(AlertContext.KIND_TABLE).put("relname", "public.logs").put("growth", "1.2 GB/h");
        firing.setContext(ctx.bounded());
        firing.setInstanceLabels(new LinkedHashMap<>(Map.of("team", "billing", "env", "prod")));
        AlertEvent old = alert(AlertStatus.FIRING, Severity.CRITICAL, T + MIN, null); // a schema-1 event: no context
        try (JdbcStoreWriter w = new JdbcStoreWriter(url, null, null)) {
            w.insertAlertEvents(List.of(firing, old));
            w.insertAlertEvents(List.of(firing)); // a replay changes nothing
        }
        assertEquals(List.of(
                        List.of("warning", "statement", "SELECT * FROM logs WHERE id = $1", "public.logs", "billing", 2),
                        List.of("critical", "[]", "{}")),
                List.of(dump(url, "SELECT severity, context -> 0 ->> 'kind', context -> 0 -> 'fields' ->> 'text',"
                                + " context -> 1 -> 'fields' ->> 'relname', instance_labels ->> 'team', jsonb_array_length(context)"
                                + " FROM alert_event WHERE severity = 'warning'").get(0),
                        dump(url, "SELECT severity, context::text, instance_labels::text FROM alert_event"
                                + " WHERE severity = 'critical'").get(0)));
        assertEquals(List.of(List.of("billing", "statement")), dump(url,
                "SELECT instance_labels ->> 'team', context -> 0 ->> 'kind' FROM alert_history WHERE severity = 'warning'"));
        assertEquals(List.of(List.of(2L)), dump(url, "SELECT count(*) FROM alert_event"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("serversAndStrategies")
    void seriesLatest_followsTheNewestBucket_lateRowsOfOlderBucketsDoNotMoveItBack_replaysChangeNothing(
            PostgresExtension pg, JdbcStoreWriter.UpsertStrategy strategy) throws Exception {
        String url = store(pg, "latest");
        StoreServers.ensureLoginUsers(url);
        Map<String, String> app = Map.of("datname", "app");
        List<RollupRow> first = new ArrayList<>();
        for (int m = 0; m < 5; m++) {
            first.add(new RollupRow("db-1", "pg_database.size_bytes", app, T + m * MIN, 6, m, m, 6 * m, m));
        }
        for (int m = 0; m < 3; m++) {
            first.add(new RollupRow("db-2", "pg_database.size_bytes", app, T + m * MIN, 6, 10 + m, 10 + m, 6 * (10 + m), 10 + m));
        }
        // Second batch: db-1 moves on a minute; db-2 gets a late row for an older minute (must not
        // move its latest back) and a correction of its newest minute (must replace it).
        List<RollupRow> second = List.of(
                new RollupRow("db-1", "pg_database.size_bytes", app, T + 5 * MIN, 6, 5, 5, 30, 5),
                new RollupRow("db-2", "pg_database.size_bytes", app, T + MIN, 6, 99, 99, 6 * 99, 99),
                new RollupRow("db-2", "pg_database.size_bytes", app, T + 2 * MIN, 3, 12, 13, 37, 13));
        String latest = "SELECT instance, extract(epoch FROM bucket)::bigint, count, last FROM metric_latest ORDER BY instance";
        try (JdbcStoreWriter w = new JdbcStoreWriter(JdbcStoreWriter.open(StoreServers.as(url, "test_writer"), null, null),
                strategy)) {
            w.upsertRollups(Resolution.MINUTE, first);
            assertEquals(List.of(List.of("db-1", (T + 4 * MIN) / 1000, 6L, 4.0), List.of("db-2", (T + 2 * MIN) / 1000, 6L, 12.0)),
                    dump(url, latest));
            w.upsertRollups(Resolution.MINUTE, second);
            List<List<Object>> after = List.of(List.of("db-1", (T + 5 * MIN) / 1000, 6L, 5.0),
                    List.of("db-2", (T + 2 * MIN) / 1000, 3L, 13.0));
            assertEquals(after, dump(url, latest));
            w.upsertRollups(Resolution.MINUTE, second);
            assertEquals(after, dump(url, latest));
            // A replay from further back rewrites db-2's newest minute with its first values, in
            // the rollup table and in series_latest alike (the same row, last write wins).
            w.upsertRollups(Resolution.MINUTE, first);
            after = List.of(after.get(0), List.of("db-2", (T + 2 * MIN) / 1000, 6L, 12.0));
            assertEquals(after, dump(url, latest));
            assertEquals(dump(url, "SELECT DISTINCT ON (instance) instance, extract(epoch FROM bucket)::bigint, count, last"
                    + " FROM metric_1m ORDER BY instance, bucket DESC"), dump(url, latest));
            // Hourly rows are not minutes: they leave series_latest alone.
            w.upsertRollups(Resolution.HOUR, List.of(new RollupRow("db-1", "pg_database.size_bytes", app, T + 60 * MIN, 1, 7, 7, 7, 7)));
            assertEquals(after, dump(url, latest));
        }
        assertEquals(List.of(List.of(2L)), dump(url, "SELECT count(*) FROM series_latest"));
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void alertState_followsFireEscalateResolve_olderEventsNeverOverwrite_replaysChangeNothing(PostgresExtension pg)
            throws Exception {
        String url = store(pg, "alertstate");
        StoreServers.ensureLoginUsers(url);
        String state = "SELECT fingerprint, status, severity, extract(epoch FROM event_at)::bigint, threshold FROM alert_state";
        String open = "SELECT fingerprint, status, severity FROM open_alert";
        AlertEvent pending = alert(AlertStatus.PENDING, Severity.WARNING, T, null);
        AlertEvent firing = alert(AlertStatus.FIRING, Severity.WARNING, T + MIN, null);
        AlertEvent critical = alert(AlertStatus.FIRING, Severity.CRITICAL, T + 2 * MIN, null);
        AlertEvent lateWarning = alert(AlertStatus.FIRING, Severity.WARNING, T + MIN + 30_000, null);
        AlertEvent resolved = alert(AlertStatus.RESOLVED, Severity.CRITICAL, T + 5 * MIN, T + 5 * MIN);
        AlertEvent lateFiring = alert(AlertStatus.FIRING, Severity.CRITICAL, T + 4 * MIN, null);
        AlertEvent other = alert(AlertStatus.FIRING, Severity.WARNING, T + 3 * MIN, null);
        other.setFingerprint("fp-2");
        try (JdbcStoreWriter w = new JdbcStoreWriter(StoreServers.as(url, "test_writer"), null, null)) {
            w.insertAlertEvents(List.of(pending));
            assertEquals(List.of(List.of("fp-1", "pending", "warning")), dump(url, open));
            // One batch, newest first: the newest still wins.
            w.insertAlertEvents(List.of(critical, firing));
            assertEquals(List.of(List.of("fp-1", "firing", "critical", (T + 2 * MIN) / 1000, 0.8)), dump(url, state));
            // An event older than the state arrives late (a replay after a restart): no change.
            w.insertAlertEvents(List.of(lateWarning, other));
            assertEquals(List.of(List.of("fp-1", "firing", "critical"), List.of("fp-2", "firing", "warning")),
                    dump(url, open + " ORDER BY fingerprint"));
            w.insertAlertEvents(List.of(resolved));
            assertEquals(List.of(List.of("fp-2", "firing", "warning")), dump(url, open));
            // A firing event from before the resolution, seen after it: the alert stays resolved.
            w.insertAlertEvents(List.of(lateFiring));
            List<List<Object>> closed = List.of(List.of("fp-1", "resolved", "critical", (T + 5 * MIN) / 1000, 0.8),
                    List.of("fp-2", "firing", "warning", (T + 3 * MIN) / 1000, 0.9));
            assertEquals(closed, dump(url, state + " ORDER BY fingerprint"));
            // Replaying everything, in any order, leaves the same state.
            w.insertAlertEvents(List.of(resolved, pending, other, lateFiring, critical, firing, lateWarning));
            assertEquals(closed, dump(url, state + " ORDER BY fingerprint"));
        }
        assertEquals(List.of(List.of(7L)), dump(url, "SELECT count(*) FROM alert_event"));
    }

    @org.junit.jupiter.api.Test
    void soFarViews_currentHourFromMinutes_currentDayFromFinalHoursPlusMinutesOfHoursNotFinal() throws Exception {
        String url = StoreServers.migratedStore(PG17, "sofar");
        new PartitionMaintenance(url, null, null).run();
        long now = System.currentTimeMillis();
        long hour = now / 3_600_000L * 3_600_000L;
        long day = now / 86_400_000L * 86_400_000L;
        int minutes = (int) ((now - hour) / MIN); // buckets hour .. hour + minutes are <= now
        int hours = (int) ((hour - day) / 3_600_000L); // closed hours of today
        Map<String, String> none = Map.of();
        List<RollupRow> m1 = new ArrayList<>();
        List<RollupRow> h1 = new ArrayList<>();
        long count1h = 0;
        double sum1h = 0;
        for (int i = 0; i <= minutes; i++) {
            m1.add(new RollupRow("db-1", "pg_stat_activity.connections_total", none, hour + i * MIN, 6, i, i, 6.0 * i, i));
            count1h += 6;
            sum1h += 6.0 * i;
        }
        long countDay = count1h;
        double sumDay = sum1h;
        double minDay = 0;
        for (int h = 0; h < hours; h++) {
            long b = day + h * 3_600_000L;
            if (h == hours - 1) {
                // The hour before this one has no final 1-hour row yet: its minutes count.
                for (int i = 0; i < 3; i++) {
                    m1.add(new RollupRow("db-1", "pg_stat_activity.connections_total", none, b + i * MIN, 6, -1, 5, 12, 2));
                    countDay += 6;
                    sumDay += 12;
                    minDay = Math.min(minDay, -1);
                }
            } else {
                h1.add(new RollupRow("db-1", "pg_stat_activity.connections_total", none, b, 360, -10 - h, 100, 3600, 9));
                countDay += 360;
                sumDay += 3600;
                minDay = Math.min(minDay, -10 - h);
                if (h == 0) {
                    // A minute of an hour that is final: already in the hour's row, not counted twice.
                    m1.add(new RollupRow("db-1", "pg_stat_activity.connections_total", none, b, 6, -1000, 1000, 6, 1));
                }
            }
        }
        // Yesterday's last hour and minute: not part of today.
        h1.add(new RollupRow("db-1", "pg_stat_activity.connections_total", none, day - 3_600_000L, 360, -99, 999, 1, 1));
        m1.add(new RollupRow("db-1", "pg_stat_activity.connections_total", none, day - MIN, 6, -99, 999, 1, 1));
        // db-2: the current hour's 1-hour row is there already; the day counts it, not its minutes.
        for (int i = 0; i <= minutes; i++) {
            m1.add(new RollupRow("db-2", "pg_stat_activity.connections_total", none, hour + i * MIN, 6, 7, 7, 42, 7));
        }
        h1.add(new RollupRow("db-2", "pg_stat_activity.connections_total", none, hour, 360, 1, 3, 720, 2));
        try (JdbcStoreWriter w = new JdbcStoreWriter(url, null, null)) {
            w.upsertRollups(Resolution.MINUTE, m1);
            w.upsertRollups(Resolution.HOUR, h1);
        }
        assertEquals(List.of(List.of("db-1", hour / 1000, count1h, 0.0, (double) minutes, sum1h, (double) minutes),
                        List.of("db-2", hour / 1000, 6L * (minutes + 1), 7.0, 7.0, 42.0 * (minutes + 1), 7.0)),
                dump(url, "SELECT instance, extract(epoch FROM bucket)::bigint, count, min, max, sum, last FROM metric_1h_so_far"
                        + " ORDER BY instance"));
        assertEquals(List.of(List.of("db-2", day / 1000, 360L, 1.0, 3.0, 720.0, 2.0)),
                dump(url, "SELECT instance, extract(epoch FROM bucket)::bigint, count, min, max, sum, last FROM metric_1d_so_far"
                        + " WHERE instance = 'db-2'"));
        double maxDay = hours >= 2 ? 100 : Math.max(minutes, hours == 1 ? 5 : 0);
        assertEquals(List.of(List.of("db-1", day / 1000, countDay, minDay, maxDay, sumDay, (double) minutes)),
                dump(url, "SELECT instance, extract(epoch FROM bucket)::bigint, count, min, max, sum, last FROM metric_1d_so_far"
                        + " WHERE instance = 'db-1'"));
    }

    private static AlertEvent alert(AlertStatus status, Severity sev, long at, Long resolvedAt) {
        AlertEvent e = new AlertEvent();
        e.setFingerprint("fp-1");
        e.setRule("cache_hit_ratio");
        e.setSeverity(sev);
        e.setStatus(status);
        e.setInstance("db-1");
        e.setLabels(Map.of("datname", "app"));
        e.setValue(0.7);
        e.setThreshold(sev == Severity.CRITICAL ? 0.8 : 0.9);
        e.setStartedAt(T - 5 * MIN);
        e.setResolvedAt(resolvedAt);
        e.setEventAt(at);
        e.setSummary("cache hit ratio 70% on app");
        return e;
    }

    static List<List<Object>> dump(String url, String sql) throws Exception {
        List<List<Object>> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.add(rs.getObject(i));
                }
                out.add(row);
            }
        }
        return out;
    }
}
