package dev.datainsight.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
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
        assertEquals(8 + 5 * 4, first.created().size());
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
            assertEquals(28, s.lastReport().created().size());
            // A second, on-demand run while the schedule is alive: nothing left to create.
            assertEquals(List.of("nothing to do"), s.runOnce().lines());
        }
        assertEquals(8, partitions(url, "metric_rollup_1m").size());
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
