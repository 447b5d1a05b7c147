package dev.datainsight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code maintain --archive} then {@code restore-archive}, as an operator runs them, on a real PostgreSQL. */
class RestoreArchiveCommandTest {
    @RegisterExtension static final PostgresExtension PG = new PostgresExtension(17);

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void maintainArchivesBeforeDropping_restoreArchiveLoadsIdenticalRows(@TempDir Path archives) throws Exception {
        String db = PG.freshDatabase("cli_archive");
        String url = PG.server().jdbcUrlNoUser(db);
        assertEquals(0, run("migrate", "--url", url, "--user", "postgres", "--no-maintain").exit());
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(10);
        String partition = "metric_rollup_1m_p" + day.format(DateTimeFormatter.BASIC_ISO_DATE);
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement st = c.createStatement()) {
            // Rows of a day with no partition land in the default partition.
            st.execute("INSERT INTO metric_rollup_1m SELECT s, '" + day + "T00:00:00Z'::timestamptz + (s % 1440) * interval '1 minute',"
                    + " 1, s * 0.1, s * 0.2, s * 0.3, s * 0.25 FROM generate_series(1, 500) s");
            st.execute("CREATE TABLE reference AS SELECT * FROM metric_rollup_1m");
        }

        // One run: the default's rows get their partition, which is past a 1-day retention, so it
        // is archived, verified and dropped.
        Run maintain = run("maintain", "--url", url, "--user", "postgres", "--retention", "metric_rollup_1m=1d",
                "--archive", "metric_rollup_1m=" + archives);
        assertEquals(0, maintain.exit(), maintain.out() + maintain.err());
        assertTrue(maintain.out().contains("created " + partition + " (moved 500 rows from the default partition)"), maintain.out());
        assertTrue(maintain.out().contains("archived to " + archives.resolve(partition)), maintain.out());
        assertTrue(maintain.out().contains("dropped " + partition), maintain.out());
        assertTrue(Files.size(archives.resolve(partition).resolve("data.pgcopy.gz")) > 0);
        assertEquals(0, count(url, "SELECT count(*) FROM metric_rollup_1m"));

        Run verify = run("restore-archive", "--archive", archives.resolve(partition).toString(), "--verify-only");
        assertEquals(0, verify.exit(), verify.err());
        assertTrue(verify.out().contains("500 rows, sha256 "), verify.out());

        Run restore = run("restore-archive", "--store", url, "--user", "postgres", "--archive", archives.resolve(partition).toString());
        assertEquals(0, restore.exit(), restore.err());
        assertEquals("restored 500 rows into " + partition + "_restored (a partition of metric_rollup_1m)",
                restore.out().lines().toList().get(1));
        for (String sql : List.of("SELECT * FROM reference EXCEPT ALL SELECT * FROM metric_rollup_1m",
                "SELECT * FROM metric_rollup_1m EXCEPT ALL SELECT * FROM reference")) {
            assertEquals(0, count(url, "SELECT count(*) FROM (" + sql + ") d"), sql);
        }
        assertEquals(500, count(url, "SELECT count(*) FROM metric_rollup_1m"));

        Run notAnArchive = run("restore-archive", "--store", url, "--archive", archives.toString());
        assertEquals(1, notAnArchive.exit());
        assertTrue(notAnArchive.err().contains("is not a partition archive"), notAnArchive.err());
    }

    private static long count(String url, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", null); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
