package dev.datainsight.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The writer writes and cannot drop or delete; the reader reads and cannot write; PUBLIC can
 * neither connect nor create; everything belongs to datainsight_owner and maintenance logins
 * act through it (13 and 14 are here because they still grant PUBLIC CREATE on the schema and
 * CONNECT/TEMP on the database by default).
 */
class RolesTest {
    @RegisterExtension static final PostgresExtension PG13 = new PostgresExtension(13);
    @RegisterExtension static final PostgresExtension PG14 = new PostgresExtension(14);
    @RegisterExtension static final PostgresExtension PG15 = StoreServers.PG15;
    @RegisterExtension static final PostgresExtension PG17 = StoreServers.PG17;
    @RegisterExtension static final PostgresExtension PG18 = StoreServers.PG18;

    static Stream<PostgresExtension> leastPrivilegeServers() {
        return Stream.of(PG13, PG14, PG17, PG18);
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("leastPrivilegeServers")
    void ownerOwnsEverything_publicGetsNothing_maintenanceLoginsShareThePartitions(PostgresExtension pg) throws Exception {
        String url = StoreServers.migratedStore(pg, "least");
        StoreServers.ensureLoginUsers(url);
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("DO $$ BEGIN"
                    + " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'maint_a') THEN CREATE ROLE maint_a LOGIN IN ROLE datainsight_owner; END IF;"
                    + " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'maint_b') THEN CREATE ROLE maint_b LOGIN IN ROLE datainsight_owner; END IF;"
                    + " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'plain_login') THEN CREATE ROLE plain_login LOGIN; END IF;"
                    + " END $$");
            // PUBLIC (all a role in no store role has): no CREATE on the schema, no CONNECT or TEMP on the database.
            try (ResultSet rs = st.executeQuery("SELECT has_schema_privilege('plain_login', current_schema(), 'CREATE'),"
                    + " has_database_privilege('plain_login', current_database(), 'CONNECT'),"
                    + " has_database_privilege('plain_login', current_database(), 'TEMP')")) {
                rs.next();
                assertEquals(List.of(false, false, false), List.of(rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3)));
            }
            assertEquals(List.of(), notOwnedByOwner(st));
        }
        SQLException refused = assertThrows(SQLException.class, () -> DriverManager.getConnection(StoreServers.as(url, "plain_login")).close());
        assertEquals(INSUFFICIENT_PRIVILEGE, refused.getSQLState(), refused.getMessage());
        String writerUrl = StoreServers.as(url, "test_writer");
        for (String ddl : List.of("CREATE TABLE public.mine (i int)", "DROP TABLE metric_rollup_1m", "DROP TABLE store_health")) {
            assertDenied(writerUrl, ddl);
        }
        assertDenied(StoreServers.as(url, "test_reader"), "INSERT INTO instance VALUES ('x', '{}', 1, now(), now())");

        // Two maintenance logins: partitions maint_a creates, maint_b drops (both act as datainsight_owner).
        Instant t0 = Instant.parse("2026-03-10T12:00:00Z");
        List<PartitionPolicy> one = List.of(PartitionPolicy.defaults().get(0));
        PartitionMaintenance.Report a = new PartitionMaintenance(StoreServers.as(url, "maint_a"), null, null, one,
                Clock.fixed(t0, ZoneOffset.UTC)).run();
        assertTrue(a.ok(), a.lines().toString());
        assertEquals(8, a.created().size());
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            assertEquals(List.of(), notOwnedByOwner(st));
        }
        try (Connection c = DriverManager.getConnection(StoreServers.as(url, "test_reader")); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM metric_rollup_1m_p20260310")) {
            rs.next(); // default privileges: the reader may read a partition the owner created later
            assertEquals(0, rs.getLong(1));
        }
        PartitionMaintenance.Report b = new PartitionMaintenance(StoreServers.as(url, "maint_b"), null, null, one,
                Clock.fixed(t0.plus(Duration.ofDays(20)), ZoneOffset.UTC)).run();
        assertTrue(b.ok(), b.lines().toString());
        assertEquals(6, b.dropped().size(), b.dropped().toString());

        // The writer login cannot maintain (it is not a member of the owner role).
        SQLException e = assertThrows(SQLException.class, () -> new PartitionMaintenance(writerUrl, null, null).run());
        assertTrue(e.getMessage().contains("cannot SET ROLE datainsight_owner"), e.getMessage());
    }

    /** Relations (tables, partitions, indexes, views, sequences) and functions of the store schema not owned by datainsight_owner. */
    private static List<String> notOwnedByOwner(Statement st) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("SELECT relname || ':' || pg_get_userbyid(relowner) FROM pg_class"
                + " WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p', 'i', 'I', 'v', 'm', 'S')"
                + " AND relname NOT LIKE 'flyway_schema_history%' AND pg_get_userbyid(relowner) <> 'datainsight_owner' ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        try (ResultSet rs = st.executeQuery("SELECT p.oid::regprocedure::text || ':' || pg_get_userbyid(p.proowner) FROM pg_proc p"
                + " WHERE p.pronamespace = current_schema()::regnamespace AND pg_get_userbyid(p.proowner) <> 'datainsight_owner' ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static final String INSUFFICIENT_PRIVILEGE = "42501";

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void writerWrites_butCannotDropDeleteOrTruncate(PostgresExtension pg) throws Exception {
        String url = StoreServers.migratedStore(pg, "roles_w");
        StoreServers.ensureLoginUsers(url);
        String writerUrl = StoreServers.as(url, "test_writer");
        long t = Instant.now().toEpochMilli() / 60_000 * 60_000;
        try (JdbcStoreWriter w = new JdbcStoreWriter(writerUrl, null, null)) {
            List<RollupRow> rows = List.of(new RollupRow("db-1", "datainsight_collector.up", Map.of("probe", ""), t, 6, 1, 1, 6, 1));
            w.upsertRollups(Resolution.MINUTE, rows);
            // A replay takes the merge path (temporary staging table, ON CONFLICT DO UPDATE): the
            // writer's privileges cover it too.
            w.upsertRollups(Resolution.MINUTE, rows);
            assertEquals(1, w.fallbacks());
            w.upsertInstances(List.of(new InstanceRow("db-1", Map.of(), 170000, t)));
        }
        assertEquals(1L, JdbcStoreWriterTest.dump(url, "SELECT count(*) FROM metric_rollup_1m").get(0).get(0));
        for (String ddl : List.of("DROP TABLE metric_rollup_1m", "DROP TABLE metric_rollup_1m_default", "DROP VIEW open_alert",
                "DELETE FROM instance", "DELETE FROM alert_state", "TRUNCATE series_latest", "TRUNCATE alert_event", "ALTER TABLE series ADD COLUMN x int",
                "CREATE TABLE public.mine (i int)")) {
            assertDenied(writerUrl, ddl);
        }
        assertEquals(1L, JdbcStoreWriterTest.dump(url, "SELECT count(*) FROM instance").get(0).get(0));
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void readerReadsTablesAndViews_butCannotWrite(PostgresExtension pg) throws Exception {
        String url = StoreServers.migratedStore(pg, "roles_r");
        StoreServers.ensureLoginUsers(url);
        String readerUrl = StoreServers.as(url, "test_reader");
        try (Connection c = DriverManager.getConnection(readerUrl); Statement st = c.createStatement()) {
            for (String rel : List.of("instance", "series", "metric_rollup_1m", "alert_event", "insight", "statement_text",
                    "open_alert", "instance_health", "alert_history", "database_growth_daily", "top_queries_hourly",
                    "table_dead_tuples", "cache_hit_ratio_hourly", "statement_spread_hourly", "metric_1m", "metric_1h", "metric_1d",
                    "series_latest", "alert_state", "metric_latest", "cache_hit_ratio_daily", "metric_week_over_week_daily",
                    "metric_1h_so_far", "metric_1d_so_far")) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + rel)) {
                    rs.next();
                    assertEquals(0, rs.getLong(1), rel);
                }
            }
        }
        for (String dml : List.of("INSERT INTO instance VALUES ('x', '{}', 1, now(), now())",
                "UPDATE insight SET summary = ''", "DELETE FROM alert_event", "DROP TABLE series",
                "INSERT INTO series (instance, metric) VALUES ('x', 'a.b')")) {
            assertDenied(readerUrl, dml);
        }
        SQLException e = assertThrows(SQLException.class, () -> {
            try (JdbcStoreWriter w = new JdbcStoreWriter(readerUrl, null, null)) {
                w.upsertInstances(List.of(new InstanceRow("db-1", Map.of(), 170000, 0)));
            }
        });
        assertEquals(INSUFFICIENT_PRIVILEGE, e.getSQLState());
    }

    private static void assertDenied(String url, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            SQLException e = assertThrows(SQLException.class, () -> st.execute(sql), sql);
            assertEquals(INSUFFICIENT_PRIVILEGE, e.getSQLState(), sql + ": " + e.getMessage());
        }
    }
}
