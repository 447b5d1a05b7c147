package dev.datainsight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/** {@code datainsight explain}: refusals before any connection, and real plans from a real PostgreSQL 17. */
class ExplainCommandTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    private static String[] run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new String[] {String.valueOf(rc), out.toString(), err.toString()};
    }

    @Test
    void analyzeOfAnythingButASelect_isRefusedWithoutConnecting() throws Exception {
        try (CountingListener l = new CountingListener("nobody", "db")) {
            for (String sql : new String[] {"UPDATE t SET v = 1 WHERE id = 1", "DELETE FROM t",
                "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "SELECT * FROM t FOR UPDATE",
                "SELECT pg_terminate_backend(42)", "SELECT 1; DROP TABLE t", "SELECT * INTO t2 FROM t", "VACUUM t"}) {
                String[] r = run("explain", "--target", l.url(), "--analyze", "--sql", sql);
                assertEquals("2", r[0], sql + ": " + r[2]);
                assertTrue(r[2].contains("refused (nothing was sent to the server)"), r[2]);
            }
            Thread.sleep(300);
            assertEquals(0, l.accepted(), "no connection was attempted");
            // The control: a SELECT does connect (and fails on this fake server).
            String[] r = run("explain", "--target", l.url(), "--analyze", "--sql", "SELECT 1");
            assertEquals("1", r[0], r[2]);
            Thread.sleep(300);
            assertTrue(l.accepted() >= 1, "the SELECT connected");
        }
    }

    @Test
    void explainPrintsATreeWithTheHotNode_genericWithoutValues_andAnalyzeWithParams() throws Exception {
        String db = PG.server().createDatabase("explain");
        try (Connection c = PG.server().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t (id int PRIMARY KEY, v int)");
            st.execute("INSERT INTO t SELECT i, i FROM generate_series(1, 20000) i");
            st.execute("ANALYZE t");
        }
        String url = PG.server().jdbcUrl(db);
        String[] g = run("explain", "--target", url, "--sql", "SELECT * FROM t WHERE id = $1 OR v > $2");
        assertEquals("0", g[0], g[2]);
        System.out.print(g[1]);
        assertTrue(g[1].startsWith("plan fingerprint "), g[1]);
        assertTrue(g[1].contains("on t") && g[1].contains("◀ hot"), g[1]);

        String[] a = run("explain", "--target", url, "--analyze", "--sql", "SELECT count(*) FROM t WHERE v > $1",
                "--param", "10");
        assertEquals("0", a[0], a[2]);
        System.out.print(a[1]);
        assertTrue(a[1].contains("actual time=") && a[1].contains("% of the time"), a[1]);
        assertTrue(a[1].contains("Execution Time:"), a[1]);

        // EXPLAIN (no ANALYZE) of an UPDATE plans it and changes nothing.
        String[] u = run("explain", "--target", url, "--sql", "UPDATE t SET v = 0 WHERE id = 7");
        assertEquals("0", u[0], u[2]);
        assertTrue(u[1].contains("Update on t"), u[1]);
        try (Connection c = PG.server().connect(db); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT v FROM t WHERE id = 7")) {
            rs.next();
            assertEquals(7, rs.getInt(1));
        }
    }

    @Test
    void queryId_explainsTheNormalisedText_andAnalyzeOfAnUpdateIdIsRefusedBeforeItRuns() throws Exception {
        String db = PG.server().createDatabase("explainqid");
        long select;
        long update;
        try (Connection c = PG.server().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            st.execute("CREATE TABLE q (id int PRIMARY KEY, v int)");
            st.execute("INSERT INTO q SELECT i, i FROM generate_series(1, 100) i");
            st.execute("SELECT v FROM q WHERE id = 5");
            st.execute("UPDATE q SET v = v + 1 WHERE id = 6");
            try (ResultSet rs = st.executeQuery("SELECT queryid FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
                    + " WHERE d.datname = current_database() AND s.query = 'SELECT v FROM q WHERE id = $1'")) {
                rs.next();
                select = rs.getLong(1);
            }
            try (ResultSet rs = st.executeQuery("SELECT queryid FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
                    + " WHERE d.datname = current_database() AND s.query LIKE 'UPDATE q SET v = v + % WHERE id = %'")) {
                rs.next();
                update = rs.getLong(1);
            }
        }
        String url = PG.server().jdbcUrl(db);
        String[] r = run("explain", "--target", url, "--query-id", Long.toString(select));
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("using q_pkey on q") && r[1].contains("Index Cond: (q.id = $1)"), r[1]);

        String[] u = run("explain", "--target", url, "--query-id", Long.toString(update), "--analyze", "--param", "1", "--param", "6");
        assertEquals("2", u[0], u[2]);
        assertTrue(u[2].contains("refused (not explained)") && u[2].contains("UPDATE"), u[2]);
        try (Connection c = PG.server().connect(db); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT v FROM q WHERE id = 6")) {
            rs.next();
            assertEquals(7, rs.getInt(1), "updated once by the setup, never by explain");
        }
    }
}
