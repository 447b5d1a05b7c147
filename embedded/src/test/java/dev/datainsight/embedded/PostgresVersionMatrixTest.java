package dev.datainsight.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every supported major version starts as a real server with pg_stat_statements usable. */
class PostgresVersionMatrixTest {

    @org.junit.jupiter.api.Test
    void restartKeepsDataAndPort() throws Exception {
        try (EmbeddedPostgresServer s = EmbeddedPostgresServer.start(17, KafkaExtension.tmpBase(), 0, Map.of())) {
            String db = s.createDatabase("restart");
            try (Connection c = DriverManager.getConnection(s.jdbcUrl(db)); Statement st = c.createStatement()) {
                st.execute("CREATE ROLE kept_role LOGIN");
                st.execute("CREATE TABLE kept AS SELECT 42 AS answer");
            }
            int port = s.port();
            s.stop();
            s.restart();
            assertEquals(port, s.port());
            try (Connection c = DriverManager.getConnection(s.jdbcUrl(db)); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT (SELECT answer FROM kept), (SELECT count(*) FROM pg_roles WHERE rolname = 'kept_role')")) {
                rs.next();
                assertEquals(42, rs.getInt(1));
                assertEquals(1, rs.getInt(2));
            }
        }
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(ints = {13, 14, 15, 16, 17, 18})
    void realServerOfThatVersion_runsPgStatStatements(int major) throws Exception {
        try (EmbeddedPostgresServer s = EmbeddedPostgresServer.start(major, KafkaExtension.tmpBase(), 0, Map.of())) {
            int num = s.serverVersionNum();
            assertEquals(major, num / 10000, "server_version_num " + num);
            String db = s.createDatabase("smoke");
            try (Connection c = DriverManager.getConnection(s.jdbcUrl(db)); Statement st = c.createStatement()) {
                st.execute("CREATE EXTENSION pg_stat_statements");
                st.execute("CREATE TABLE t(i int)");
                st.execute("INSERT INTO t SELECT generate_series(1, 10)");
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_statements WHERE query LIKE 'INSERT INTO t%'")) {
                    rs.next();
                    assertTrue(rs.getLong(1) >= 1, "pg_stat_statements saw the INSERT");
                }
                try (ResultSet rs = st.executeQuery("SHOW shared_preload_libraries")) {
                    rs.next();
                    assertTrue(rs.getString(1).contains("pg_stat_statements"));
                }
            }
        }
    }
}
