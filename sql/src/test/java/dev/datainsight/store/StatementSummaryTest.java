package dev.datainsight.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * V11: every span of statement_summary and every live row equals the same sums taken straight
 * from statement_rollup_1h, after the maintenance's build, after the writer's inserts and
 * updates of today's hours (triggers), and after a late row of a closed day (stale, then rebuilt).
 */
class StatementSummaryTest {
    @RegisterExtension static final PostgresExtension PG17 = StoreServers.PG17;

    /** 2026-03-12 10:30 UTC: the summary's as_of is the 12th, D the 11th, D-7 the 4th. */
    private static final Instant NOW = Instant.parse("2026-03-12T10:30:00Z");

    private static final String INSERT = """
            INSERT INTO statement_rollup_1h (instance, queryid, datname, rolname, bucket, calls, total_exec_time_ms,
                mean_exec_time_ms, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written,
                temp_blks_read, temp_blks_written, wal_bytes, exec_time_sq_ms2, max_exec_time_ms)
            """;

    /** The spans' bounds as V11 defines them, relative to as_of 2026-03-12. */
    private static final String SPANS = """
            SELECT span, lo, hi FROM (VALUES ('d7', 7, 0), ('b7', 14, 7), ('d30', 30, 0), ('b30', 37, 30), ('w6', 6, 0), ('wp', 13, 6)) v(span, a, b),
                LATERAL (SELECT timestamptz '2026-03-12 00:00+00' - a * interval '1 day' AS lo,
                                timestamptz '2026-03-12 00:00+00' - b * interval '1 day' AS hi) x
            UNION ALL
            SELECT p || lpad(h::text, 2, '0'), d + h * interval '1 hour', d + interval '1 day'
            FROM (VALUES ('y', timestamptz '2026-03-11 00:00+00'), ('x', timestamptz '2026-03-04 00:00+00')) v(p, d),
                 generate_series(0, 23) h""";

    /** Spans (and live days) whose summary rows differ from the hourly rows' sums, both ways. */
    private static final String SPAN_DIFF = """
            WITH spans AS (%s),
            expected AS (
                SELECT s.span, r.instance, r.queryid, r.datname, r.rolname, round(sum(r.calls)::numeric, 6) AS calls,
                       round(sum(r.total_exec_time_ms)::numeric, 6) AS total, round(sum(r.rows)::numeric, 6) AS rows,
                       CASE WHEN count(r.exec_time_sq_ms2) = count(*) THEN round(sum(r.exec_time_sq_ms2)::numeric, 6) END AS sq,
                       max(r.max_exec_time_ms) AS mx
                FROM spans s JOIN statement_rollup_1h r ON r.bucket >= s.lo AND r.bucket < s.hi
                WHERE r.queryid <> 'other'
                GROUP BY 1, 2, 3, 4, 5
            ), actual AS (
                SELECT span, instance, queryid, datname, rolname, round(calls::numeric, 6), round(total_exec_time_ms::numeric, 6),
                       round(rows::numeric, 6), CASE WHEN sq_rows = source_rows THEN round(exec_time_sq_ms2::numeric, 6) END,
                       max_exec_time_ms
                FROM statement_summary
                UNION ALL
                SELECT 'live ' || (day AT TIME ZONE 'UTC')::date, instance, queryid, datname, rolname, round(calls::numeric, 6),
                       round(total_exec_time_ms::numeric, 6), round(rows::numeric, 6),
                       CASE WHEN sq_rows = source_rows THEN round(exec_time_sq_ms2::numeric, 6) END, max_exec_time_ms
                FROM statement_summary_live
            )
            SELECT count(*) FROM ((SELECT * FROM expected EXCEPT SELECT * FROM actual)
                                  UNION ALL (SELECT * FROM actual EXCEPT SELECT * FROM expected)) d""";

    private static final String WITH_LIVE = SPANS + """

            UNION ALL
            SELECT 'live ' || (d AT TIME ZONE 'UTC')::date, d, d + interval '1 day'
            FROM generate_series(timestamptz '2026-03-12 00:00+00', '2026-03-13 00:00+00', interval '1 day') d""";

    @Test
    void everySpanAndLiveRow_equalsTheHourlySums_afterBuildInsertsUpdatesAndLateRows() throws Exception {
        String url = StoreServers.migratedStore(PG17, "ssummary");
        // Nothing rolled yet: no state, and the triggers keep nothing.
        assertEquals("0", one(url, "SELECT count(*) FROM statement_summary_state"));
        // 2 instances x 3 statements from Jan 30 to Mar 12 10:00; statement 2 runs in two databases and
        // lacks its sum of squares every 5th hour; statement 3 only runs in the first 17 hours of a day
        exec(url, INSERT + """
                SELECT 'db-' || i, q::text, CASE WHEN q = 2 AND h % 2 = 0 THEN 'other_db' ELSE 'app' END, 'app', b,
                       1 + (h % 5) + q, (1 + (h % 5) + q) * (q + 0.25 * (h % 3)), q + 0.25 * (h % 3), h % 7, 0, 0, 0, 0, 0, 0, 0,
                       CASE WHEN q = 2 AND h % 5 = 0 THEN NULL ELSE (1 + (h % 5) + q) * q * q * 1.5 END, q + (h % 11) * 0.5
                FROM generate_series(timestamptz '2026-01-30 00:00+00', '2026-03-12 10:00+00', interval '1 hour') b
                CROSS JOIN LATERAL (SELECT extract(epoch FROM b)::bigint / 3600 AS h) hh
                CROSS JOIN generate_series(1, 2) i CROSS JOIN generate_series(1, 3) q
                WHERE q <> 3 OR extract(hour FROM b AT TIME ZONE 'UTC') < 17""",
                INSERT + " VALUES ('db-1', 'other', 'app', 'app', '2026-03-11 05:00+00', 5, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL)");

        PartitionMaintenance m = new PartitionMaintenance(url, null, null, PartitionPolicy.defaults(), Clock.fixed(NOW, ZoneOffset.UTC));
        m.run();
        assertEquals("2026-03-12 false", one(url, "SELECT (as_of AT TIME ZONE 'UTC')::date || ' ' || stale FROM statement_summary_state"));
        assertEquals("0", one(url, String.format(SPAN_DIFF, WITH_LIVE)));
        // one row per statement key and span: 6 day spans, y00..y23 and x00..x23 (statement 3 ends at 16:00: 17 each;
        // statement 2 in other_db runs in the even hours, its last at 22:00: 23 each)
        assertEquals(Integer.toString(2 * 4 * (6 + 48) - 2 * (2 * 7) - 2 * 2), one(url, "SELECT count(*) FROM statement_summary"));
        assertEquals("0", one(url, "SELECT count(*) FROM statement_summary WHERE queryid = 'other'"));
        // a second run the same day builds nothing
        assertEquals("0", one(url, "SELECT statement_summary_refresh('2026-03-12 10:40+00')"));

        // The writer goes on: a new hour (insert), an hour seen again with a lower maximum (update), a new statement.
        exec(url, INSERT + """
                SELECT 'db-1', q::text, 'app', 'app', b, 3, 9, 3, 1, 0, 0, 0, 0, 0, 0, 0, 27, 4
                FROM (VALUES ('1'), ('7')) v(q), (VALUES (timestamptz '2026-03-12 10:00+00'), ('2026-03-12 11:00+00')) w(b)
                ON CONFLICT (instance, queryid, datname, rolname, bucket) DO UPDATE SET calls = EXCLUDED.calls,
                    total_exec_time_ms = EXCLUDED.total_exec_time_ms, mean_exec_time_ms = EXCLUDED.mean_exec_time_ms,
                    exec_time_sq_ms2 = EXCLUDED.exec_time_sq_ms2, max_exec_time_ms = EXCLUDED.max_exec_time_ms""");
        assertEquals("0", one(url, String.format(SPAN_DIFF, WITH_LIVE)));
        assertEquals("f", one(url, "SELECT stale FROM statement_summary_state"));
        assertEquals("6 18", one(url, "SELECT calls || ' ' || total_exec_time_ms FROM statement_summary_live"
                + " WHERE instance = 'db-1' AND queryid = '7' AND day = '2026-03-12 00:00+00'"));

        // A late row of a closed day: the summary is stale (readers use the rollups) until the next build.
        exec(url, "UPDATE statement_rollup_1h SET calls = 100, total_exec_time_ms = 1000 WHERE instance = 'db-2' AND queryid = '1'"
                + " AND bucket = '2026-03-11 20:00+00'");
        assertEquals("t", one(url, "SELECT stale FROM statement_summary_state"));
        assertTrue(Integer.parseInt(one(url, String.format(SPAN_DIFF, WITH_LIVE))) > 0, "the spans of D differ until rebuilt");
        m.run();
        assertEquals("2026-03-12 false", one(url, "SELECT (as_of AT TIME ZONE 'UTC')::date || ' ' || stale FROM statement_summary_state"));
        assertEquals("0", one(url, String.format(SPAN_DIFF, WITH_LIVE)));

        // The reader reads the summary; only the writer may build it.
        StoreServers.ensureLoginUsers(url);
        try (Connection c = DriverManager.getConnection(StoreServers.as(url, "test_reader")); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM statement_summary s JOIN statement_summary_live l USING (instance)")) {
                assertTrue(rs.next() && rs.getLong(1) > 0);
            }
            SQLException denied = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class,
                    () -> st.executeQuery("SELECT statement_summary_refresh(now(), true)"));
            assertEquals("42501", denied.getSQLState(), denied.getMessage());
        }
        try (Connection c = DriverManager.getConnection(StoreServers.as(url, "test_writer")); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT statement_summary_refresh('2026-03-12 10:50+00', true)")) {
            assertTrue(rs.next() && rs.getLong(1) > 0);
        }
    }

    private static void exec(String url, String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    private static String one(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : "";
        }
    }
}
