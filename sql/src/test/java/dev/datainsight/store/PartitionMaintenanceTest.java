package dev.datainsight.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Partitions are created ahead, dropped past retention, and rows in default partitions are moved. */
class PartitionMaintenanceTest {
    @RegisterExtension static final PostgresExtension PG15 = StoreServers.PG15;
    @RegisterExtension static final PostgresExtension PG17 = StoreServers.PG17;
    @RegisterExtension static final PostgresExtension PG18 = StoreServers.PG18;

    private static final Instant T0 = Instant.parse("2026-03-10T12:00:00Z");

    private static PartitionMaintenance at(String url, Instant now) {
        return new PartitionMaintenance(url, null, null, PartitionPolicy.defaults(), Clock.fixed(now, ZoneOffset.UTC));
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void createsAhead_thenDropsPastRetention_asTheClockMoves(PostgresExtension pg) throws Exception {
        String url = StoreServers.migratedStore(pg, "parts");

        PartitionMaintenance.Report first = at(url, T0).run();
        assertEquals(List.of("metric_rollup_1m_p20260310", "metric_rollup_1m_p20260311", "metric_rollup_1m_p20260312",
                "metric_rollup_1m_p20260313", "metric_rollup_1m_p20260314", "metric_rollup_1m_p20260315",
                "metric_rollup_1m_p20260316", "metric_rollup_1m_p20260317"), partitions(url, "metric_rollup_1m"));
        assertEquals(List.of("metric_rollup_1h_p202603", "metric_rollup_1h_p202604", "metric_rollup_1h_p202605",
                "metric_rollup_1h_p202606"), partitions(url, "metric_rollup_1h"));
        assertEquals(List.of("alert_event_p202603", "alert_event_p202604", "alert_event_p202605", "alert_event_p202606"),
                partitions(url, "alert_event"));
        assertEquals(8 + 6 * 4, first.created().size());
        assertEquals(List.of(), first.dropped());

        // Same time again: nothing to do.
        PartitionMaintenance.Report again = at(url, T0).run();
        assertEquals(List.of("nothing to do"), again.lines());

        // 20 days later the 14-day cutoff is Mar 16 12:00: Mar 10..15 lie wholly before it and go.
        PartitionMaintenance.Report later = at(url, T0.plus(Duration.ofDays(20))).run();
        assertEquals(List.of("metric_rollup_1m_p20260310", "metric_rollup_1m_p20260311", "metric_rollup_1m_p20260312",
                "metric_rollup_1m_p20260313", "metric_rollup_1m_p20260314", "metric_rollup_1m_p20260315"), later.dropped());
        List<String> m1 = partitions(url, "metric_rollup_1m");
        assertEquals("metric_rollup_1m_p20260316", m1.get(0));
        assertEquals("metric_rollup_1m_p20260406", m1.get(m1.size() - 1));
        assertTrue(later.created().stream().noneMatch(c -> c.startsWith("metric_rollup_1h")), later.created().toString());

        // Ten months later: 1h and statement partitions past 90 days go; alerts (1 year) and daily
        // rollups (2 years) stay.
        PartitionMaintenance.Report muchLater = at(url, Instant.parse("2027-01-15T00:00:00Z")).run();
        assertTrue(muchLater.dropped().containsAll(List.of("metric_rollup_1h_p202603", "metric_rollup_1h_p202606",
                "statement_rollup_1h_p202603")), muchLater.dropped().toString());
        assertTrue(muchLater.dropped().stream().noneMatch(d -> d.startsWith("alert_event") || d.startsWith("metric_rollup_1d")),
                muchLater.dropped().toString());
        assertEquals("metric_rollup_1h_p202701", partitions(url, "metric_rollup_1h").get(0));

        // Configurable retention: alerts kept 30 days only.
        List<PartitionPolicy> custom = new ArrayList<>();
        for (PartitionPolicy p : PartitionPolicy.defaults()) {
            custom.add(p.table().equals("alert_event") ? p.withRetention(Duration.ofDays(30)) : p);
        }
        PartitionMaintenance.Report shortAlerts = new PartitionMaintenance(url, null, null, custom,
                Clock.fixed(Instant.parse("2027-01-15T00:00:00Z"), ZoneOffset.UTC)).run();
        assertTrue(shortAlerts.dropped().containsAll(List.of("alert_event_p202603", "alert_event_p202606")),
                shortAlerts.dropped().toString());
        assertEquals("alert_event_p202701", partitions(url, "alert_event").get(0));
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void rowWithoutPartition_landsInDefault_andMaintenanceMovesIt(PostgresExtension pg) throws Exception {
        String url = StoreServers.migratedStore(pg, "deflt");
        at(url, T0).run();
        long farFuture = Instant.parse("2026-05-02T10:07:00Z").toEpochMilli(); // no 1m partition yet
        long past = Instant.parse("2026-02-27T23:59:00Z").toEpochMilli();       // before the first one
        try (JdbcStoreWriter w = new JdbcStoreWriter(url, null, null)) {
            w.upsertRollups(Resolution.MINUTE, List.of(
                    new RollupRow("db-1", "pg_database.size_bytes", Map.of("datname", "app"), farFuture, 6, 1, 2, 9, 2),
                    new RollupRow("db-1", "pg_database.size_bytes", Map.of("datname", "app"), past, 6, 1, 2, 9, 2),
                    new RollupRow("db-1", "pg_database.size_bytes", Map.of("datname", "app"), T0.toEpochMilli(), 6, 1, 2, 9, 2)));
        }
        assertEquals(2, count(url, "metric_rollup_1m_default"));
        assertEquals(3, count(url, "metric_rollup_1m"));

        PartitionMaintenance.Report r = at(url, T0).run();
        assertEquals(List.of("metric_rollup_1m_p20260227", "metric_rollup_1m_p20260502"), r.created());
        assertEquals(1L, r.movedRows().get("metric_rollup_1m_p20260227"));
        assertEquals(1L, r.movedRows().get("metric_rollup_1m_p20260502"));
        assertEquals(0, count(url, "metric_rollup_1m_default"));
        assertEquals(1, count(url, "metric_rollup_1m_p20260502"));
        assertEquals(3, count(url, "metric_rollup_1m"));

        // Upserting the moved row again updates it in its new partition: still one row.
        try (JdbcStoreWriter w = new JdbcStoreWriter(url, null, null)) {
            w.upsertRollups(Resolution.MINUTE, List.of(
                    new RollupRow("db-1", "pg_database.size_bytes", Map.of("datname", "app"), farFuture, 6, 1, 3, 12, 3)));
        }
        assertEquals(3, count(url, "metric_rollup_1m"));
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT max FROM metric_rollup_1m_p20260502")) {
            rs.next();
            assertEquals(3.0, rs.getDouble(1));
        }

        // A day later than retention allows, the partition made for the late row is dropped whole.
        PartitionMaintenance.Report later = at(url, Instant.parse("2026-03-14T00:00:00Z")).run();
        assertTrue(later.dropped().contains("metric_rollup_1m_p20260227"), later.dropped().toString());
        assertEquals(2, count(url, "metric_rollup_1m"));
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void scheduler_runsRightAway_andReports(PostgresExtension pg) throws Exception {
        String url = StoreServers.migratedStore(pg, "sched");
        try (MaintenanceScheduler s = MaintenanceScheduler.start(at(url, T0), Duration.ofHours(1))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (s.lastReport() == null && s.lastError() == null && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(null, s.lastError());
            assertEquals(8 + 6 * 4, s.lastReport().created().size());
            // A second, on-demand run while the schedule is alive: nothing left to create.
            assertEquals(List.of("nothing to do"), s.runOnce().lines());
        }
        assertEquals(8, partitions(url, "metric_rollup_1m").size());
    }

    /**
     * Three writers (INSERT ... ON CONFLICT batches and COPY, each in its own transaction) write
     * into metric_rollup_1m for 4 s, into days with and without partitions, while maintenance
     * runs back to back with its clock moving a day per run: partitions are created ahead, the
     * writers' rows are moved out of the default partition, old partitions are dropped. No writer
     * sees an error (a deadlock or lock timeout would be one), no maintenance run fails, and every
     * committed row is there at the end, none left in the default partition.
     */
    @Test
    void writersAndMaintenanceAtOnce_noErrorNoDeadlockNoLostRow() throws Exception {
        String url = StoreServers.migratedStore(PG17, "concur");
        List<PartitionPolicy> policies = List.of(new PartitionPolicy("metric_rollup_1m", PartitionPolicy.Width.DAY, 2,
                Duration.ofDays(30)));
        // Old partitions (60..40 days back) that the concurrent runs drop under load.
        new PartitionMaintenance(url, null, null, List.of(policies.get(0).withAhead(20)),
                Clock.fixed(T0.minus(Duration.ofDays(60)), ZoneOffset.UTC)).run();
        new PartitionMaintenance(url, null, null, List.of(policies.get(0).withRetention(Duration.ofDays(365))),
                Clock.fixed(T0, ZoneOffset.UTC)).run();
        assertEquals(0, count(url, "metric_rollup_1m"));

        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> writerErrors = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<Long>> writers = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            int writer = w;
            writers.add(pool.submit(() -> write(url, writer, stop, writerErrors)));
        }
        List<PartitionMaintenance.Report> reports = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
        for (int day = 0; System.nanoTime() < deadline; day = (day + 1) % 25) {
            reports.add(new PartitionMaintenance(url, null, null, policies, Clock.fixed(T0.plus(Duration.ofDays(day)), ZoneOffset.UTC)).run());
        }
        stop.set(true);
        long written = 0;
        for (Future<Long> f : writers) {
            written += f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        PartitionMaintenance.Report last = new PartitionMaintenance(url, null, null, policies, Clock.fixed(T0, ZoneOffset.UTC)).run();
        reports.add(last);

        assertEquals(List.of(), writerErrors);
        for (PartitionMaintenance.Report r : reports) {
            assertNull(r.health().get(0).error(), r.lines().toString());
        }
        long moved = reports.stream().flatMap(r -> r.movedRows().values().stream()).mapToLong(Long::longValue).sum();
        long dropped = reports.stream().mapToLong(r -> r.dropped().size()).sum();
        System.out.printf("concurrent maintenance: %d runs, %d rows written by 3 writers, %d moved out of the default, %d partitions"
                + " dropped under load%n", reports.size(), written, moved, dropped);
        assertTrue(written > 1000, "writers wrote only " + written + " rows");
        assertTrue(moved > 0, "no row was moved out of the default partition while writers wrote");
        assertTrue(dropped >= 20, "old partitions dropped: " + dropped);
        assertEquals(written, count(url, "metric_rollup_1m"));
        assertEquals(0, count(url, "metric_rollup_1m_default"));
        assertTrue(last.ok(), last.lines().toString());
    }

    /** Writes until stopped; returns the rows committed. Even batches are upserts, odd ones COPY. */
    private static long write(String url, int writer, AtomicBoolean stop, List<Throwable> errors) {
        long rows = 0;
        long base = T0.toEpochMilli() / 86_400_000L * 86_400_000L;
        try (Connection c = DriverManager.getConnection(url)) {
            try (Statement st = c.createStatement()) {
                st.execute("SET lock_timeout = '10s'"); // what a writer login gets (docs/schema.md)
            }
            c.setAutoCommit(false);
            for (int batch = 0; !stop.get(); batch++) {
                int n = 100;
                if (batch % 2 == 0) {
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO metric_rollup_1m VALUES (?, ?, 1, 1, 2, 3, 2)"
                            + " ON CONFLICT (series_id, bucket) DO UPDATE SET count = excluded.count")) {
                        for (int i = 0; i < n; i++) {
                            ps.setLong(1, writer * 1_000_000L + batch);
                            ps.setObject(2, java.time.OffsetDateTime.ofInstant(Instant.ofEpochMilli(
                                    base + (i % 25) * 86_400_000L + i * 60_000L), ZoneOffset.UTC));
                            ps.addBatch();
                        }
                        ps.executeBatch();
                    }
                } else {
                    StringBuilder csv = new StringBuilder();
                    for (int i = 0; i < n; i++) {
                        csv.append(writer * 1_000_000L + batch).append(',')
                                .append(Instant.ofEpochMilli(base + (i % 25) * 86_400_000L + i * 60_000L)).append(",1,1,2,3,2\n");
                    }
                    c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY metric_rollup_1m FROM STDIN (FORMAT csv)",
                            new StringReader(csv.toString()));
                }
                c.commit();
                rows += n;
            }
        } catch (SQLException | IOException | RuntimeException e) {
            errors.add(e);
        }
        return rows;
    }

    /** A table that cannot be maintained is reported as critical; the other tables, and its own retention, still are. */
    @Test
    void errorOnOneTable_isReported_andTheOthersAreStillMaintained() throws Exception {
        String url = StoreServers.migratedStore(PG17, "isolate");
        at(url, T0).run();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            // A stray table with the name of the next 1h partition: creating it fails.
            st.execute("CREATE TABLE metric_rollup_1h_p202607 (i int)");
        }
        PartitionMaintenance.Report r = at(url, Instant.parse("2026-04-02T00:00:00Z")).run();
        assertFalse(r.ok());
        PartitionMaintenance.TableHealth h1 = r.health().stream().filter(h -> h.table().equals("metric_rollup_1h")).findFirst().orElseThrow();
        assertEquals("critical", h1.status(), h1.toString());
        assertTrue(h1.error().contains("metric_rollup_1h_p202607"), h1.toString());
        assertEquals(2, h1.partitionsAhead(), h1.toString());
        assertTrue(r.lines().stream().anyMatch(l -> l.contains("metric_rollup_1h")), r.lines().toString());
        // The other tables went on: 1m got its new days, 1m retention ran, statement and alert tables got July.
        assertTrue(r.created().containsAll(List.of("metric_rollup_1m_p20260409", "statement_rollup_1h_p202607",
                "alert_event_p202607", "metric_rollup_1d_p202607")), r.created().toString());
        assertTrue(r.dropped().contains("metric_rollup_1m_p20260310"), r.dropped().toString());
        // The failure is in store_health, readable by the reader role.
        StoreServers.ensureLoginUsers(url);
        try (Connection c = DriverManager.getConnection(StoreServers.as(url, "test_reader")); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT table_name, status, error FROM store_health ORDER BY 1")) {
            List<String> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(rs.getString(1) + ":" + rs.getString(2) + ":" + (rs.getString(3) != null));
            }
            assertEquals(List.of("alert_event:ok:false", "metric_rollup_1d:ok:false", "metric_rollup_1h:critical:true",
                    "metric_rollup_1m:ok:false", "query_plan:ok:false", "series:ok:false", "statement_rollup_1d:ok:false", "statement_rollup_1h:ok:false"), rows);
        }
    }

    /**
     * An expired partition is detached, exported, verified and dropped; the archive loads back
     * into a partition whose rows are identical (EXCEPT both ways empty), and a damaged archive
     * is refused.
     */
    @Test
    void archiveBeforeDrop_thenRestore_givesIdenticalRows(@TempDir Path archives) throws Exception {
        String url = StoreServers.migratedStore(PG17, "archive");
        at(url, T0).run();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("INSERT INTO metric_rollup_1m SELECT s, '2026-03-10T00:00:00Z'::timestamptz + (s % 1440) * interval '1 minute',"
                    + " 1 + s % 7, -s * 1.5e-3, s * pi(), s / 3.0, random() FROM generate_series(1, 3000) s");
            st.execute("CREATE TABLE reference AS SELECT * FROM metric_rollup_1m_p20260310");
        }
        List<PartitionPolicy> policies = new ArrayList<>();
        for (PartitionPolicy p : PartitionPolicy.defaults()) {
            policies.add(p.table().equals("metric_rollup_1m") ? p.withArchive(archives) : p);
        }
        PartitionMaintenance.Report r = new PartitionMaintenance(url, null, null, policies,
                Clock.fixed(Instant.parse("2026-03-25T00:00:00Z"), ZoneOffset.UTC)).run();
        assertTrue(r.dropped().contains("metric_rollup_1m_p20260310"), r.dropped().toString());
        Path dir = archives.resolve("metric_rollup_1m_p20260310");
        assertTrue(r.archived().contains(dir.toString()), r.archived().toString());
        assertFalse(partitions(url, "metric_rollup_1m").contains("metric_rollup_1m_p20260310"));
        PartitionArchive.Manifest m = PartitionArchive.verify(dir);
        assertEquals(3000, m.rows());
        assertEquals("metric_rollup_1m", m.table());

        // A flipped byte is caught before anything is loaded.
        Path broken = archives.resolve("broken");
        Files.createDirectories(broken);
        Files.copy(dir.resolve(PartitionArchive.MANIFEST), broken.resolve(PartitionArchive.MANIFEST));
        byte[] data = Files.readAllBytes(dir.resolve(PartitionArchive.DATA));
        data[data.length / 2] ^= 0x01;
        Files.write(broken.resolve(PartitionArchive.DATA), data);
        assertThrows(IOException.class, () -> PartitionArchive.verify(broken));

        try (Connection c = DriverManager.getConnection(url)) {
            try (Statement st = c.createStatement()) {
                st.execute("SET ROLE datainsight_owner");
            }
            assertEquals(3000, PartitionArchive.restore(c, dir, "metric_rollup_1m_p20260310_restored"));
        }
        for (String sql : List.of("SELECT * FROM reference EXCEPT ALL SELECT * FROM metric_rollup_1m_p20260310_restored",
                "SELECT * FROM metric_rollup_1m_p20260310_restored EXCEPT ALL SELECT * FROM reference",
                "SELECT * FROM reference EXCEPT ALL SELECT * FROM metric_rollup_1m WHERE bucket >= '2026-03-10Z' AND bucket < '2026-03-11Z'")) {
            assertEquals(0, count(url, "(" + sql + ") d"), sql);
        }
        assertEquals(3000, count(url, "metric_rollup_1m_p20260310_restored"));
        // Maintenance leaves the restored partition alone (its name is not a dated one).
        PartitionMaintenance.Report after = new PartitionMaintenance(url, null, null, policies,
                Clock.fixed(Instant.parse("2026-03-25T00:00:00Z"), ZoneOffset.UTC)).run();
        assertEquals(List.of(), after.dropped());
        assertEquals(3000, count(url, "metric_rollup_1m_p20260310_restored"));
    }

    /**
     * Series, query texts and instances that nothing in retention refers to any more are deleted;
     * anything with a rollup left, or too young, stays.
     */
    @Test
    void garbageCollection_deletesSeriesTextsAndInstancesNoRollupRefersTo() throws Exception {
        String url = StoreServers.migratedStore(PG17, "gc");
        Instant now = Instant.parse("2028-06-15T00:00:00Z");
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("INSERT INTO instance VALUES ('gone', '{}', 170000, '2025-01-01Z', '2026-01-01Z'),"
                    + " ('kept', '{}', 170000, '2025-01-01Z', '2026-01-01Z'), ('fresh', '{}', 170000, '2028-06-01Z', '2028-06-14Z')");
            st.execute("INSERT INTO insight VALUES ('gone', 'unused_index', 'public.i', 'info', 's', '{}', '2025-06-01Z', '2025-06-01Z')");
            st.execute("INSERT INTO series (instance, metric, first_seen) SELECT * FROM (VALUES"
                    + " ('gone', 'pg_database.size_bytes', '2025-01-01Z'::timestamptz),"   // no rollup left: deleted
                    + " ('kept', 'pg_database.size_bytes', '2025-01-01Z'),"                // a 1d rollup left: kept
                    + " ('kept', 'pg_database.xid_age', '2028-06-14Z')) v");               // too young: kept
            st.execute("INSERT INTO metric_rollup_1d SELECT id, '2028-01-10Z', 1, 1, 1, 1, 1 FROM series"
                    + " WHERE instance = 'kept' AND metric = 'pg_database.size_bytes'");
            st.execute("INSERT INTO statement_text VALUES ('gone', '1', 'SELECT 1', false, '2025-01-01Z', '2026-01-01Z'),"
                    + " ('kept', '2', 'SELECT 2', false, '2025-01-01Z', '2026-01-01Z'), ('kept', '3', 'SELECT 3', false, '2025-01-01Z', '2028-06-01Z')");
            st.execute("INSERT INTO statement_rollup_1h VALUES ('kept', '2', 'app', 'u', '2028-05-01Z', 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)");
            // The 1-minute rows of 'gone' left retention long ago; their series_latest row stayed.
            st.execute("INSERT INTO series_latest SELECT id, '2025-01-02Z', 1, 1, 1, 1, 1 FROM series WHERE instance = 'gone'");
            st.execute("INSERT INTO series_latest SELECT id, '2028-06-14Z', 1, 1, 1, 1, 1 FROM series WHERE metric = 'pg_database.xid_age'");
            // A resolved alert past the alert retention goes; a recent resolved one and an old firing one stay.
            st.execute("INSERT INTO alert_state (fingerprint, rule, severity, status, instance, started_at, resolved_at, event_at, summary)"
                    + " VALUES ('old', 'r', 'warning', 'resolved', 'kept', '2025-01-01Z', '2025-01-02Z', '2025-01-02Z', 's'),"
                    + " ('recent', 'r', 'warning', 'resolved', 'kept', '2028-06-01Z', '2028-06-02Z', '2028-06-02Z', 's'),"
                    + " ('open', 'r', 'warning', 'firing', 'kept', '2025-01-01Z', NULL, '2025-01-01Z', 's')");
        }
        PartitionMaintenance.Report r = at(url, now).run();
        assertEquals(Map.of("series", 1L, "series_latest", 1L, "alert_state", 1L, "statement_text", 1L, "instance", 1L,
                "insight", 1L), r.collected(), r.lines().toString());
        assertEquals(List.of(List.of("kept", "pg_database.xid_age")), JdbcStoreWriterTest.dump(url,
                "SELECT s.instance, s.metric FROM series_latest l JOIN series s ON s.id = l.series_id"));
        assertEquals(List.of(List.of("open"), List.of("recent")),
                JdbcStoreWriterTest.dump(url, "SELECT fingerprint FROM alert_state ORDER BY 1"));
        assertTrue(r.lines().contains("deleted 1 rows of series that no rollup left in retention refers to"), r.lines().toString());
        assertEquals(List.of(List.of("kept", "pg_database.size_bytes"), List.of("kept", "pg_database.xid_age")),
                JdbcStoreWriterTest.dump(url, "SELECT instance, metric FROM series ORDER BY 1, 2"));
        assertEquals(List.of(List.of("kept", "2"), List.of("kept", "3")),
                JdbcStoreWriterTest.dump(url, "SELECT instance, queryid FROM statement_text ORDER BY 1, 2"));
        assertEquals(List.of(List.of("fresh"), List.of("kept")), JdbcStoreWriterTest.dump(url, "SELECT instance FROM instance ORDER BY 1"));
        assertEquals(0, count(url, "insight"));
        assertEquals(Map.of(), at(url, now).run().collected());
    }

    static List<String> partitions(String url, String table) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                        + " WHERE i.inhparent = '" + table + "'::regclass AND c.relname <> '" + table + "_default' ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    static long count(String url, String table) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
