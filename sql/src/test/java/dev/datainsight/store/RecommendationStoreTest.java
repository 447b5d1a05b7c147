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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code recommendation} (V12): one row per (instance, dedup key), written by the job's writer
 * role; a re-evaluation refreshes the row, a closing closes it with its reason, a replay of older
 * evaluations changes nothing, a finding that comes back opens the same row again; the reader
 * reads the open ones through {@code open_recommendation} and may not write.
 */
class RecommendationStoreTest {
    @RegisterExtension static final PostgresExtension PG17 = StoreServers.PG17;

    private static final long T = Instant.parse("2026-06-15T10:00:00Z").toEpochMilli();
    private static final long MIN = 60_000L;
    private static final String KEY = "index:app:public.orders(customer_id)";

    private static RecommendationRow open(long first, long at, double confidence) {
        return new RecommendationRow("db-1", KEY, "index", "app", "42", "public.orders (customer_id)", true, first, at,
                confidence, "Seq Scan on public.orders filtered by customer_id", "CREATE INDEX CONCURRENTLY ON public.orders (customer_id)",
                "{\"relation\": \"public.orders\", \"columns\": [\"customer_id\"]}", "not validated (hypopg absent)", null);
    }

    private static RecommendationRow closed(long first, long at) {
        return new RecommendationRow("db-1", KEY, "index", "app", "42", "public.orders (customer_id)", false, first, at,
                0.4, "Seq Scan on public.orders filtered by customer_id", "CREATE INDEX CONCURRENTLY ON public.orders (customer_id)",
                "{\"now\": \"Index Scan using orders_customer_id_idx on orders\"}", "not validated (hypopg absent)",
                "plan changed: Index Scan using orders_customer_id_idx on orders");
    }

    @Test
    void reEvaluationRefreshes_closeKeepsReason_replayIsNoOp_reopenUsesSameRow() throws Exception {
        String url = StoreServers.migratedStore(PG17, "recommend");
        StoreServers.ensureLoginUsers(url);
        try (JdbcStoreWriter w = new JdbcStoreWriter(StoreServers.as(url, "test_writer"), null, null)) {
            w.upsertRecommendations(List.of(open(T, T, 0.3), open(T, T + 15 * MIN, 0.4)));
            assertEquals(List.of("open|2026-06-15 10:00:00+00|2026-06-15 10:15:00+00|0.4|null|null|public.orders"), dump(url));
            w.upsertRecommendations(List.of(closed(T, T + 30 * MIN)));
            List<String> afterClose = dump(url);
            assertEquals(List.of("closed|2026-06-15 10:00:00+00|2026-06-15 10:30:00+00|0.4|2026-06-15 10:30:00+00"
                    + "|plan changed: Index Scan using orders_customer_id_idx on orders|null"), afterClose);
            // a replay of the whole history after a restart: nothing moves
            w.upsertRecommendations(List.of(open(T, T, 0.3), open(T, T + 15 * MIN, 0.4)));
            w.upsertRecommendations(List.of(closed(T, T + 30 * MIN)));
            assertEquals(afterClose, dump(url));
            // the index is dropped again: the same row opens again, first_seen stays
            w.upsertRecommendations(List.of(open(T + 60 * MIN, T + 60 * MIN, 0.5)));
            assertEquals(List.of("open|2026-06-15 10:00:00+00|2026-06-15 11:00:00+00|0.5|null|null|public.orders"), dump(url));
            assertThrows(IllegalArgumentException.class, () -> w.upsertRecommendations(List.of(open(T, T, 1.5))));
        }
        try (Connection c = DriverManager.getConnection(StoreServers.as(url, "test_reader")); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT queryid, kind, confidence, validated FROM open_recommendation")) {
                assertTrue(rs.next());
                assertEquals("42|index|0.5|not validated (hypopg absent)",
                        rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getDouble(3) + "|" + rs.getString(4));
            }
            SQLException denied = assertThrows(SQLException.class, () -> st.execute("DELETE FROM recommendation"));
            assertEquals("42501", denied.getSQLState());
        }
    }

    private static List<String> dump(String url) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("SET TIME ZONE 'UTC'");
            try (ResultSet rs = st.executeQuery("SELECT status, first_seen::text, last_seen::text, confidence, closed_at::text,"
                    + " closed_reason, evidence->>'relation' FROM recommendation ORDER BY dedup_key")) {
                while (rs.next()) {
                    out.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getDouble(4) + "|"
                            + rs.getString(5) + "|" + rs.getString(6) + "|" + rs.getString(7));
                }
            }
        }
        return out;
    }
}
