package dev.datainsight.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code query_plan} (V8): one row per (instance, database, query id, fingerprint, month), written
 * idempotently by the job's writer role; a later sighting moves last_seen, an older one first_seen;
 * a cut plan is kept as a JSON string and flagged; the reader sees the history view.
 */
class QueryPlanStoreTest {
    @RegisterExtension static final PostgresExtension PG17 = StoreServers.PG17;

    private static final long T = Instant.parse("2026-06-15T10:00:00Z").toEpochMilli();
    private static final long MIN = 60_000L;
    private static final String INDEX_PLAN = "[{\"Plan\": {\"Node Type\": \"Index Scan\", \"Index Name\": \"orders_customer_id_idx\"}}]";
    private static final String SEQ_PLAN = "[{\"Plan\": {\"Node Type\": \"Seq Scan\", \"Relation Name\": \"orders\"}}]";

    private static QueryPlanRow plan(String fp, String summary, String json, boolean truncated, long at) {
        return new QueryPlanRow("db-1", "app", "42", "app_user", fp, summary, 8.5, json, truncated,
                json == null ? 0 : json.length() + (truncated ? 1000 : 0), at);
    }

    @Test
    void sightingsUpsertOneRowPerFingerprintAndMonth_replayIsNoOp_cutPlanKeptAsString() throws Exception {
        String url = StoreServers.migratedStore(PG17, "plans");
        new PartitionMaintenance(url, null, null, PartitionPolicy.defaults(), Clock.fixed(Instant.ofEpochMilli(T), ZoneOffset.UTC)).run();
        StoreServers.ensureLoginUsers(url);
        List<QueryPlanRow> rows = List.of(
                plan("aaaaaaaaaaaaaaaa", "Index Scan using orders_customer_id_idx on orders", INDEX_PLAN, false, T),
                plan("aaaaaaaaaaaaaaaa", "Index Scan using orders_customer_id_idx on orders", INDEX_PLAN, false, T + 15 * MIN),
                plan("bbbbbbbbbbbbbbbb", "Seq Scan on orders", "[{\"Plan\": {\"Node Ty", true, T + 30 * MIN),
                // next month: its own row in its own partition
                plan("bbbbbbbbbbbbbbbb", "Seq Scan on orders", SEQ_PLAN, false, Instant.parse("2026-07-01T00:05:00Z").toEpochMilli()));
        try (JdbcStoreWriter w = new JdbcStoreWriter(StoreServers.as(url, "test_writer"), null, null)) {
            w.upsertQueryPlans(rows);
            List<String> once = dump(url);
            w.upsertQueryPlans(rows); // a replay after a restart
            assertEquals(once, dump(url));
            // an older sighting of a known plan only moves first_seen back
            w.upsertQueryPlans(List.of(plan("aaaaaaaaaaaaaaaa", "older summary", INDEX_PLAN, false, T - 5 * MIN)));
        }
        List<String> d = dump(url);
        assertEquals(List.of(
                "aaaaaaaaaaaaaaaa|query_plan_p202606|2026-06-15 09:55:00+00|2026-06-15 10:15:00+00|Index Scan using orders_customer_id_idx on orders|array|false",
                "bbbbbbbbbbbbbbbb|query_plan_p202606|2026-06-15 10:30:00+00|2026-06-15 10:30:00+00|Seq Scan on orders|string|true",
                "bbbbbbbbbbbbbbbb|query_plan_p202607|2026-07-01 00:05:00+00|2026-07-01 00:05:00+00|Seq Scan on orders|array|false"), d);

        String reader = StoreServers.as(url, "test_reader");
        try (Connection c = DriverManager.getConnection(reader); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT fingerprint, previous_fingerprint, previous_summary, truncated"
                        + " FROM query_plan_history ORDER BY first_seen")) {
            assertTrue(rs.next());
            assertEquals("aaaaaaaaaaaaaaaa", rs.getString(1));
            assertEquals(null, rs.getString(2));
            assertTrue(rs.next());
            assertEquals("bbbbbbbbbbbbbbbb", rs.getString(1));
            assertEquals("aaaaaaaaaaaaaaaa", rs.getString(2));
            assertEquals("Index Scan using orders_customer_id_idx on orders", rs.getString(3));
            assertTrue(rs.getBoolean(4));
            assertFalse(rs.next());
        }
    }

    private static List<String> dump(String url) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("SET TIME ZONE 'UTC'");
            try (ResultSet rs = st.executeQuery("SELECT fingerprint, tableoid::regclass::text, first_seen::text, last_seen::text,"
                    + " summary, jsonb_typeof(plan), truncated FROM query_plan ORDER BY fingerprint, period")) {
                while (rs.next()) {
                    out.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4) + "|"
                            + rs.getString(5) + "|" + rs.getString(6) + "|" + rs.getBoolean(7));
                }
            }
        }
        return out;
    }
}
