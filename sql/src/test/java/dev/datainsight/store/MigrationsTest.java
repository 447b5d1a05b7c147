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
    /** Every migration the product ships, in order, and the schema version they leave. */
    static final List<String> APPLIED = List.of("V1 store tables", "V2 roles", "V3 views", "V4 statement spread",
            "V5 alert event context", "V6 current state and pruning", "V7 statement daily", "V8 query plans", "V9 least privilege", "V10 log events",
            "V11 statement summary", "V12 recommendations");
    static final String LATEST = "12";

    @RegisterExtension static final PostgresExtension PG15 = StoreServers.PG15;
    @RegisterExtension static final PostgresExtension PG17 = StoreServers.PG17;
    @RegisterExtension static final PostgresExtension PG18 = StoreServers.PG18;

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void migratesFromEmpty_thenRerunIsNoOp(PostgresExtension pg) throws Exception {
        String url = pg.freshDatabaseUrl("migrate");
        Migrations.Result first = Migrations.migrate(url, null, null);
        assertEquals(APPLIED, first.applied());
        assertEquals(LATEST, first.schemaVersion());

        List<String> tablesBefore = relations(url);
        assertTrue(tablesBefore.containsAll(List.of("alert_event:p", "alert_event_default:r", "instance:r", "insight:r",
                "metric_rollup_1d:p", "metric_rollup_1h:p", "metric_rollup_1m:p", "metric_rollup_1m_default:r", "series:r",
                "statement_rollup_1h:p", "statement_text:r", "open_alert:v", "instance_health:v", "alert_history:v",
                "database_growth_daily:v", "top_queries_hourly:v", "table_dead_tuples:v", "cache_hit_ratio_hourly:v",
                "statement_spread_hourly:v", "metric_1m:v", "metric_1h:v", "metric_1d:v",
                "series_latest:r", "alert_state:r", "metric_latest:v", "cache_hit_ratio_daily:v",
                "metric_week_over_week_daily:v", "metric_1h_so_far:v", "metric_1d_so_far:v",
                "log_event:p", "log_event_default:r", "query_plan:p", "query_plan_default:r", "query_plan_history:v",
                "recommendation:r", "open_recommendation:v",
                "statement_summary:r", "statement_summary_live:r", "statement_summary_state:r")), tablesBefore.toString());

        Migrations.Result second = Migrations.migrate(url, null, null);
        assertEquals(List.of(), second.applied());
        assertEquals(LATEST, second.schemaVersion());
        assertEquals(tablesBefore, relations(url));
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*), bool_and(success) FROM flyway_schema_history")) {
            rs.next();
            assertEquals(APPLIED.size(), rs.getInt(1));
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
            // A login without CREATEROLE cannot make itself a member of the owner role (V9): a DBA does.
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'datainsight_owner') THEN"
                    + " CREATE ROLE datainsight_owner NOLOGIN; END IF; END $$");
            st.execute("GRANT datainsight_owner TO store_owner");
        }
        Migrations.Result r = Migrations.migrate(StoreServers.as(b, "store_owner"), null, null);
        assertEquals(APPLIED.size(), r.applied().size());
        try (Connection c = DriverManager.getConnection(b); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT tableowner FROM pg_tables WHERE tablename = 'series'")) {
            rs.next();
            assertEquals("datainsight_owner", rs.getString(1));
        }
        assertTrue(relations(a).contains("series:r"));
    }

    @org.junit.jupiter.api.Test
    void v6_backfillsSeriesLatestAndAlertState_fromWhatV5Stored() throws Exception {
        String url = PG17.freshDatabaseUrl("backfill");
        org.flywaydb.core.Flyway.configure(Migrations.class.getClassLoader()).dataSource(url, null, null)
                .locations(Migrations.LOCATION).target("5").load().migrate();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("INSERT INTO series (instance, metric) VALUES ('db-1', 'a.b'), ('db-2', 'a.b'), ('db-3', 'a.b')");
            st.execute("INSERT INTO metric_rollup_1m SELECT s.id, timestamptz '2026-06-15 10:00+00' + m * interval '1 minute',"
                    + " 6, m, m, 6 * m, m + s.id FROM series s CROSS JOIN generate_series(0, 4) m WHERE s.instance <> 'db-3'");
            st.execute("INSERT INTO alert_event (fingerprint, rule, severity, status, instance, started_at, resolved_at, event_at, summary)"
                    + " VALUES ('fp-1', 'r', 'warning', 'firing', 'db-1', '2026-06-15 10:00+00', NULL, '2026-06-15 10:00+00', 'a'),"
                    + " ('fp-1', 'r', 'warning', 'resolved', 'db-1', '2026-06-15 10:00+00', '2026-06-15 10:05+00', '2026-06-15 10:05+00', 'b'),"
                    + " ('fp-2', 'r', 'warning', 'firing', 'db-2', '2026-06-15 10:00+00', NULL, '2026-06-15 10:00+00', 'c'),"
                    + " ('fp-2', 'r', 'critical', 'firing', 'db-2', '2026-06-15 10:00+00', NULL, '2026-06-15 10:00+00', 'd')");
        }
        assertEquals(APPLIED.subList(5, APPLIED.size()), Migrations.migrate(url, null, null).applied());
        assertEquals(List.of(List.of("db-1", 4.0 + 1, 240L), List.of("db-2", 4.0 + 2, 240L)), JdbcStoreWriterTest.dump(url,
                "SELECT instance, last, extract(epoch FROM bucket - timestamptz '2026-06-15 10:00+00')::bigint"
                        + " FROM metric_latest ORDER BY instance"));
        assertEquals(List.of(List.of("fp-1", "resolved", "b"), List.of("fp-2", "critical", "d")), JdbcStoreWriterTest.dump(url,
                "SELECT fingerprint, CASE WHEN status = 'resolved' THEN status ELSE severity END, summary FROM alert_state"
                        + " ORDER BY fingerprint"));
        assertEquals(List.of(List.of("fp-2")), JdbcStoreWriterTest.dump(url, "SELECT fingerprint FROM open_alert"));
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
