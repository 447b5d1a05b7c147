package dev.datainsight.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.datainsight.embedded.PostgresExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The writer writes and cannot drop or delete; the reader reads and cannot write. */
class RolesTest {
    @RegisterExtension static final PostgresExtension PG15 = StoreServers.PG15;
    @RegisterExtension static final PostgresExtension PG17 = StoreServers.PG17;
    @RegisterExtension static final PostgresExtension PG18 = StoreServers.PG18;

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
