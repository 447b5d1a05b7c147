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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** V10's log_event table: idempotent on (instance, file, offset, kind), checked, partitioned, granted. */
class LogEventTableTest {
    @RegisterExtension static final PostgresExtension PG17 = StoreServers.PG17;

    private static final String INSERT = "INSERT INTO log_event (instance, file, file_offset, kind, logged_at, severity,"
            + " sqlstate, pid, message, fields) VALUES ('pg1', 'postgresql.log', 52100, '%s', '2026-12-04 01:00:00+00',"
            + " 'ERROR', '40P01', 812, 'deadlock detected', '{\"processes\": 2}') ON CONFLICT DO NOTHING";

    @Test
    void aReplayedEventIsANoOp_badValuesAreRefused_andTheRolesHaveTheirRights() throws Exception {
        String url = StoreServers.migratedStore(PG17, "logev");
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            assertEquals(1, st.executeUpdate(INSERT.formatted("deadlock")));
            assertEquals(0, st.executeUpdate(INSERT.formatted("deadlock")), "the same event again");
            assertEquals(1, st.executeUpdate(INSERT.formatted("error")), "another kind of the same entry");
            try (ResultSet rs = st.executeQuery("SELECT tableoid::regclass::text, count(*) FROM log_event GROUP BY 1")) {
                assertTrue(rs.next());
                assertEquals("log_event_default", rs.getString(1));
                assertEquals(2, rs.getInt(2));
            }
            assertThrows(SQLException.class, () -> st.executeUpdate(INSERT.formatted("Not A Kind")));
            try (ResultSet rs = st.executeQuery("SELECT has_table_privilege('datainsight_writer', 'log_event', 'INSERT'),"
                    + " has_table_privilege('datainsight_writer', 'log_event', 'DELETE'),"
                    + " has_table_privilege('datainsight_reader', 'log_event', 'SELECT'),"
                    + " has_table_privilege('datainsight_reader', 'log_event', 'INSERT')")) {
                rs.next();
                assertTrue(rs.getBoolean(1));
                assertEquals(false, rs.getBoolean(2));
                assertTrue(rs.getBoolean(3));
                assertEquals(false, rs.getBoolean(4));
            }
        }
    }
}
