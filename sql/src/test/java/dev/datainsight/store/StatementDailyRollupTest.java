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
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** V7: the maintenance rolls closed days of statement_rollup_1h into statement_rollup_1d, and only those. */
class StatementDailyRollupTest {
    @RegisterExtension static final PostgresExtension PG17 = StoreServers.PG17;

    /** 2026-03-12 10:30 UTC: the 10th and 11th are closed days, the 12th is today. */
    private static final Instant NOW = Instant.parse("2026-03-12T10:30:00Z");

    @Test
    void closedDaysAreSummed_todayIsLeftToTheHourlyRows_lateRowsAreTakenIn() throws Exception {
        String url = StoreServers.migratedStore(PG17, "sdaily");
        // Migrated without statements: no day rolled yet, so readers read hourly rows only.
        assertEquals("0", one(url, "SELECT count(*) FROM statement_rollup_1d_state"));
        // statement 1: every hour from Mar 10 00:00 to Mar 12 10:00, 10 calls of 2 ms (sum of squares 10 * 5 ms²);
        // statement 2: two hours on Mar 11, one without a sum of squares
        exec(url, """
                INSERT INTO statement_rollup_1h (instance, queryid, datname, rolname, bucket, calls, total_exec_time_ms,
                    mean_exec_time_ms, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written,
                    temp_blks_read, temp_blks_written, wal_bytes, exec_time_sq_ms2, max_exec_time_ms)
                SELECT 'db-a', '1', 'app', 'app', b, 10, 20, 2, 10, 1, 1, 0, 0, 0, 0, 8, 50,
                       CASE WHEN b = '2026-03-11 07:00+00' THEN 9 ELSE 3 END
                FROM generate_series(timestamptz '2026-03-10 00:00+00', '2026-03-12 10:00+00', interval '1 hour') b""",
                """
                INSERT INTO statement_rollup_1h (instance, queryid, datname, rolname, bucket, calls, total_exec_time_ms,
                    mean_exec_time_ms, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written,
                    temp_blks_read, temp_blks_written, wal_bytes, exec_time_sq_ms2, max_exec_time_ms)
                VALUES ('db-a', '2', 'app', 'app', '2026-03-11 05:00+00', 4, 40, 10, 4, 0, 0, 0, 0, 0, 0, 0, 500, 12),
                       ('db-a', '2', 'app', 'app', '2026-03-11 06:00+00', 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL)""");

        PartitionMaintenance m = new PartitionMaintenance(url, null, null, PartitionPolicy.defaults(), Clock.fixed(NOW, ZoneOffset.UTC));
        PartitionMaintenance.Report first = m.run();
        assertTrue(first.created().contains("statement_rollup_1d_p202603"), first.created().toString());

        assertEquals(List.of(
                "1 2026-03-10 calls=240 total=480 mean=2 sq=1200 max=3",
                "1 2026-03-11 calls=240 total=480 mean=2 sq=1200 max=9",
                "2 2026-03-11 calls=4 total=40 mean=10 sq=null max=12"), daily(url));
        assertEquals("2026-03-12", one(url, "SELECT (rolled_until AT TIME ZONE 'UTC')::date FROM statement_rollup_1d_state"));
        // the rows are in their monthly partition, none in the default one
        assertEquals("0", one(url, "SELECT count(*) FROM statement_rollup_1d_default"));

        // Again: the same rows. A late hourly row of yesterday is taken in by the next run.
        m.run();
        exec(url, "UPDATE statement_rollup_1h SET calls = 20, total_exec_time_ms = 100, mean_exec_time_ms = 5"
                + " WHERE queryid = '1' AND bucket = '2026-03-11 23:00+00'");
        m.run();
        assertEquals(List.of(
                "1 2026-03-10 calls=240 total=480 mean=2 sq=1200 max=3",
                "1 2026-03-11 calls=250 total=560 mean=2.24 sq=1200 max=9",
                "2 2026-03-11 calls=4 total=40 mean=10 sq=null max=12"), daily(url));

        // The next day: the 12th is closed now and rolled (its 11 hours), the 13th is not.
        new PartitionMaintenance(url, null, null, PartitionPolicy.defaults(),
                Clock.fixed(Instant.parse("2026-03-13T00:10:00Z"), ZoneOffset.UTC)).run();
        List<String> rows = daily(url);
        assertEquals("1 2026-03-12 calls=110 total=220 mean=2 sq=550 max=3", rows.get(2), rows.toString());
        assertEquals(4, rows.size(), rows.toString());

        // The reader reads both tables and cannot run the refresh; the writer can.
        StoreServers.ensureLoginUsers(url);
        try (Connection c = DriverManager.getConnection(StoreServers.as(url, "test_reader")); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM statement_rollup_1d, statement_rollup_1d_state")) {
                rs.next();
                assertEquals(4, rs.getInt(1));
            }
            SQLException e = assertThrows(SQLException.class, () -> st.execute("SELECT statement_rollup_1d_refresh()"));
            assertEquals("42501", e.getSQLState(), e.getMessage());
        }
        try (Connection c = DriverManager.getConnection(StoreServers.as(url, "test_writer")); Statement st = c.createStatement()) {
            st.execute("SELECT statement_rollup_1d_refresh(NULL, '2026-03-13T00:10:00Z')");
        }
    }

    private static List<String> daily(String url) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT queryid, (bucket AT TIME ZONE 'UTC')::date, calls, total_exec_time_ms,"
                        + " round(mean_exec_time_ms::numeric, 2), exec_time_sq_ms2, max_exec_time_ms FROM statement_rollup_1d"
                        + " ORDER BY queryid, bucket")) {
            while (rs.next()) {
                out.add(rs.getString(1) + " " + rs.getString(2) + " calls=" + fmt(rs.getDouble(3)) + " total=" + fmt(rs.getDouble(4))
                        + " mean=" + rs.getBigDecimal(5).stripTrailingZeros().toPlainString() + " sq="
                        + (rs.getObject(6) == null ? "null" : fmt(rs.getDouble(6))) + " max=" + fmt(rs.getDouble(7)));
            }
        }
        return out;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private static String one(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void exec(String url, String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }
}
