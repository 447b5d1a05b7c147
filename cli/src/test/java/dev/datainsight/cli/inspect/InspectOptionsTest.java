package dev.datainsight.cli.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.cli.CountingListener;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.config.DurationSyntax;
import dev.datainsight.embedded.PostgresExtension;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Options checked before connecting, the session's safety settings, help, colour and untrusted text. */
class InspectOptionsTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    @Test
    void badOptions_areRefusedWithExitCode2_beforeAnyConnection() throws Exception {
        try (CountingListener l = new CountingListener("oncall", "app")) {
            String pwUrl = "postgresql://oncall:s3cret@127.0.0.1:" + l.port() + "/app";
            List<String[]> cases = List.of(
                    new String[] {"--interval must be between 1 and 300, got 0", "inspect", "--target", l.url(), "queries", "--interval", "0"},
                    new String[] {"--interval must be between 1 and 300, got 301", "inspect", "--target", l.url(), "queries", "--interval", "301"},
                    new String[] {"--limit must be between 1 and 10000, got 0", "inspect", "--target", l.url(), "connections", "--limit", "0"},
                    new String[] {"--target holds a password", "inspect", "--target", pwUrl, "locks"},
                    new String[] {"--target holds a password", "inspect", "locks", "--target", pwUrl.replace("postgresql://oncall:s3cret@", "jdbc:postgresql://") + "?password=s3cret"},
                    new String[] {"give --target URL", "inspect", "tables"},
                    new String[] {"--target: not a PostgreSQL URL", "inspect", "--target", "mysql://x/y", "tables"},
                    new String[] {"URL parameter 'socketTimeout' is not allowed", "inspect", "--target", l.url() + "?socketTimeout=0", "tables"},
                    new String[] {"environment variable DATAINSIGHT_TEST_UNSET_VAR is not set", "inspect", "--target", l.url(),
                        "--password-env", "DATAINSIGHT_TEST_UNSET_VAR", "indexes"},
                    new String[] {"--statement-timeout must be between 1ms and 10m, got 0s", "inspect", "--target", l.url(),
                        "locks", "--statement-timeout", "0s"},
                    new String[] {"Invalid value for option '--interval'", "inspect", "--target", l.url(), "queries", "--interval", "soon"});
            for (String[] c : cases) {
                String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
                InspectRun r = InspectRun.run(args);
                assertEquals(2, r.rc(), String.join(" ", args) + "\n" + r);
                assertTrue(r.err().contains(c[0]), c[0] + "\n" + r);
                assertFalse(r.err().contains("s3cret"), "the password is never echoed");
            }
            Thread.sleep(300);
            assertEquals(0, l.accepted(), "no connection was attempted");
            // The control: valid options connect (and fail on this fake server with exit code 1).
            InspectRun r = InspectRun.run("inspect", "--target", l.url(), "locks");
            assertEquals(1, r.rc(), r.toString());
            assertTrue(r.err().startsWith("error: cannot connect to 127.0.0.1:" + l.port() + "/app as oncall: "), r.err());
            Thread.sleep(300);
            assertTrue(l.accepted() >= 1);
        }
    }

    @Test
    void session_isReadOnly_withTheCollectorsTimeouts_andItsMarker() throws Exception {
        FleetConfig collector = FleetConfig.builder().build();
        assertEquals(Duration.ofSeconds(5), collector.statementTimeout());
        TargetOptions none = new TargetOptions();
        TargetOptions own = new TargetOptions();
        own.target = PG.server().jdbcUrl("postgres");
        TargetOptions.Resolved t = TargetOptions.resolve(new picocli.CommandLine(new InspectCommand()), own, none, Map.of());
        assertEquals(collector.statementTimeout(), t.statementTimeout());
        assertEquals(collector.lockTimeout(), t.lockTimeout());
        try (InspectSession s = InspectSession.open(t); Statement st = s.connection().createStatement()) {
            assertEquals("on", show(st, "transaction_read_only"));
            assertEquals(DurationSyntax.format(collector.statementTimeout()), show(st, "statement_timeout"));
            assertEquals(DurationSyntax.format(collector.lockTimeout()), show(st, "lock_timeout"));
            assertEquals(InspectSession.APPLICATION_NAME, show(st, "application_name"));
            SQLException e = assertThrows(SQLException.class, () -> st.execute("CREATE TABLE nope (x int)"));
            assertEquals("25006", e.getSQLState(), e.getMessage());
            String sql = s.one("connections", "SELECT query FROM pg_catalog.pg_stat_activity WHERE pid = pg_catalog.pg_backend_pid()",
                    null, rs -> rs.getString(1));
            assertTrue(sql.startsWith("/* datainsight-inspect */ /* inspect=connections */ SELECT"), sql);
        }
        // The timeouts are the session's: a query slower than --statement-timeout is cancelled with a clear message.
        own.statementTimeout = Duration.ofMillis(200);
        TargetOptions.Resolved fast = TargetOptions.resolve(new picocli.CommandLine(new InspectCommand()), own, none, Map.of());
        try (InspectSession s = InspectSession.open(fast)) {
            InspectException e = assertThrows(InspectException.class, () -> s.query("tables", "SELECT pg_catalog.pg_sleep(2)",
                    null, rs -> null));
            assertTrue(e.getMessage().startsWith("inspect tables: cancelled by statement_timeout (200ms)"), e.getMessage());
        }
    }

    private static String show(Statement st, String name) throws SQLException {
        try (ResultSet rs = st.executeQuery("SHOW " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void help_listsEverySubcommand_andTheCollectorDefaults() {
        InspectRun top = InspectRun.run("--help");
        assertTrue(top.out().lines().anyMatch(l -> l.trim().startsWith("inspect ")), top.out());
        InspectRun r = InspectRun.run("inspect", "--help");
        assertEquals(0, r.rc());
        for (String c : List.of("locks", "activity", "connections", "indexes", "tables", "queries")) {
            assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith(c + " ")), c + "\n" + r.out());
        }
        FleetConfig d = FleetConfig.builder().build();
        String flat = r.out().replaceAll("\\s+", " ");
        assertTrue(flat.contains("statement_timeout of the session (default: the collector's, "
                + DurationSyntax.format(d.statementTimeout()) + ")"), r.out());
        assertTrue(flat.contains("lock_timeout of the session (default: the collector's, "
                + DurationSyntax.format(d.lockTimeout()) + ")"), r.out());
        InspectRun l = InspectRun.run("inspect", "locks", "--help");
        assertTrue(l.out().replaceAll("\\s+", " ").contains("(default: the collector's, "
                + dev.datainsight.collector.probe.SessionLimits.defaults().queryTextMaxChars() + ")"), l.out());
        InspectRun q = InspectRun.run("inspect", "queries", "--help");
        assertTrue(q.out().contains("--interval=SECONDS") && q.out().contains("(default 5)"), q.out());
        InspectRun bare = InspectRun.run("inspect");
        assertEquals(2, bare.rc());
        assertTrue(bare.err().contains("say what to inspect"), bare.err());
    }

    @Test
    void colour_onlyWhenWanted_andNeverInPipes() throws Exception {
        Map<String, String> env = Map.of();
        assertTrue(Terminal.colourWanted(OutputOptions.ColorMode.AUTO, true, env));
        assertFalse(Terminal.colourWanted(OutputOptions.ColorMode.AUTO, false, env));
        assertFalse(Terminal.colourWanted(OutputOptions.ColorMode.AUTO, true, Map.of("NO_COLOR", "1")));
        assertTrue(Terminal.colourWanted(OutputOptions.ColorMode.AUTO, true, Map.of("NO_COLOR", "")));
        assertFalse(Terminal.colourWanted(OutputOptions.ColorMode.AUTO, true, Map.of("TERM", "dumb")));
        assertTrue(Terminal.colourWanted(OutputOptions.ColorMode.ALWAYS, false, Map.of("NO_COLOR", "1")));
        assertFalse(Terminal.colourWanted(OutputOptions.ColorMode.NEVER, true, env));

        String url = PG.server().jdbcUrl("postgres");
        InspectRun plain = InspectRun.run("inspect", "--target", url, "connections");
        assertEquals(0, plain.rc(), plain.toString());
        assertFalse(plain.out().contains("\u001b"), "tests are not a terminal: no colour");
        InspectRun coloured = InspectRun.run("inspect", "--target", url, "--color", "always", "connections");
        assertTrue(coloured.out().contains("\u001b[1m"), coloured.out());
        // Colour codes do not shift the columns: stripped of them, the table is the plain one.
        String stripped = coloured.out().replaceAll("\u001b\\[[0-9;]*m", "");
        assertEquals(plain.out().lines().skip(3).findFirst().orElseThrow().replaceAll("\\s+", " ").split(" ").length,
                stripped.lines().skip(3).findFirst().orElseThrow().replaceAll("\\s+", " ").split(" ").length);
    }

    @Test
    void untrustedText_controlAndBidiCharactersBecomeVisibleEscapes() {
        assertEquals("a\\x1b[31mb\\x07 c", Terminal.safe("a\u001b[31mb\u0007\n\t c"));
        assertEquals("\\x9b2J \\u202eevil \\x7f", Terminal.safe("\u009b2J \u202eevil \u007f"));
        assertEquals("", Terminal.safe(null));
        assertEquals("abcd…", Terminal.safe("abcdefgh", 5));
        assertEquals("3.2 GB", Terminal.bytes(3_435_973_837L));
        assertEquals("16 kB".replace("16", "16.0"), Terminal.bytes(16 * 1024));
        assertEquals("4m12s", Terminal.age(252.0));
        assertEquals("2h03m", Terminal.age(7380.0));
    }

    @Test
    void json_escapesControlCharactersButKeepsTheText() throws Exception {
        String json = SafeJson.mapper().writeValueAsString(Map.of("app", "x\u001b[2J\u009b\u202ey"));
        assertFalse(json.chars().anyMatch(ch -> ch < 0x20 && ch != '\n' && ch != ' ' || ch == 0x1b || ch == 0x9b || ch == 0x202e),
                json);
        assertEquals("x\u001b[2J\u009b\u202ey", new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).get("app").asText());
    }
}
