package dev.datainsight.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Migrations apply from empty, re-running them changes nothing, and existing roles are fine. */
class MigrationsTest {
    @RegisterExtension static final PostgresExtension PG15 = StoreServers.PG15;
    @RegisterExtension static final PostgresExtension PG17 = StoreServers.PG17;
    @RegisterExtension static final PostgresExtension PG18 = StoreServers.PG18;

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void migratesFromEmpty_thenRerunIsNoOp(PostgresExtension pg) throws Exception {
        String url = pg.freshDatabaseUrl("migrate");
        Migrations.Result first = Migrations.migrate(url, null, null);
        assertEquals(List.of("V1 store tables", "V2 roles", "V3 views", "V4 statement spread", "V5 alert event context",
                "V7 statement daily"), first.applied());
        assertEquals("7", first.schemaVersion());

        List<String> tablesBefore = relations(url);
        assertTrue(tablesBefore.containsAll(List.of("alert_event:p", "alert_event_default:r", "instance:r", "insight:r",
                "metric_rollup_1d:p", "metric_rollup_1h:p", "metric_rollup_1m:p", "metric_rollup_1m_default:r", "series:r",
                "statement_rollup_1h:p", "statement_text:r", "open_alert:v", "instance_health:v", "alert_history:v",
                "database_growth_daily:v", "top_queries_hourly:v", "table_dead_tuples:v", "cache_hit_ratio_hourly:v",
                "statement_spread_hourly:v", "metric_1m:v", "metric_1h:v", "metric_1d:v")), tablesBefore.toString());

        Migrations.Result second = Migrations.migrate(url, null, null);
        assertEquals(List.of(), second.applied());
        assertEquals("7", second.schemaVersion());
        assertEquals(tablesBefore, relations(url));
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*), bool_and(success) FROM flyway_schema_history")) {
            rs.next();
            assertEquals(6, rs.getInt(1));
            assertTrue(rs.getBoolean(2));
        }
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void secondStoreOnSameServer_rolesAlreadyExist_migrationSucceeds(PostgresExtension pg) throws Exception {
        String a = StoreServers.migratedStore(pg, "roles_a");
        String b = pg.freshDatabaseUrl("roles_b");
        // The roles exist cluster-wide now; a migrating user without CREATEROLE must still pass.
        try (Connection c = DriverManager.getConnection(b); Statement st = c.createStatement()) {
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'store_owner') THEN"
                    + " CREATE ROLE store_owner LOGIN NOCREATEROLE; END IF; END $$");
            st.execute("ALTER DATABASE " + c.getCatalog() + " OWNER TO store_owner");
            st.execute("ALTER SCHEMA public OWNER TO store_owner");
        }
        Migrations.Result r = Migrations.migrate(StoreServers.as(b, "store_owner"), null, null);
        assertEquals(6, r.applied().size());
        try (Connection c = DriverManager.getConnection(b); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT tableowner FROM pg_tables WHERE tablename = 'series'")) {
            rs.next();
            assertEquals("store_owner", rs.getString(1));
        }
        assertTrue(relations(a).contains("series:r"));
    }

    static List<String> relations(String url) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT relname || ':' || relkind::text FROM pg_class"
                        + " WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v') ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
