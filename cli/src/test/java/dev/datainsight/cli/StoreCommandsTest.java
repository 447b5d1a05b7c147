package dev.datainsight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/** {@code datainsight migrate} and {@code maintain} against a real PostgreSQL, as a user runs them. */
class StoreCommandsTest {
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
    void migrateTwice_thenMaintain_printWhatTheyDid() {
        String url = PG.server().jdbcUrlNoUser(PG.freshDatabase("cli_store"));
        String today = LocalDate.now(ZoneOffset.UTC).format(DateTimeFormatter.BASIC_ISO_DATE);

        Run first = run("migrate", "--url", url, "--user", "postgres");
        assertEquals(0, first.exit(), first.err());
        assertTrue(first.out().contains("applied V1 store tables\napplied V2 roles\napplied V3 views\napplied V4 statement spread\napplied V5 alert event context\napplied V6 current state and pruning\napplied V7 statement daily\napplied V8 query plans\napplied V9 least privilege\napplied V10 log events\napplied V11 statement summary\napplied V12 recommendations\nschema now at version 12\n"),
                first.out());
        assertTrue(first.out().contains("created metric_rollup_1m_p" + today), first.out());

        Run again = run("migrate", "--url", url, "--user", "postgres");
        assertEquals(0, again.exit(), again.err());
        assertEquals("schema is up to date at version 12\nnothing to do\n", again.out());

        Run maintain = run("maintain", "--url", url, "--user", "postgres", "--ahead", "metric_rollup_1m=8");
        assertEquals(0, maintain.exit(), maintain.err());
        String day8 = LocalDate.now(ZoneOffset.UTC).plusDays(8).format(DateTimeFormatter.BASIC_ISO_DATE);
        assertEquals("created metric_rollup_1m_p" + day8 + "\n", maintain.out());
    }

    @Test
    void badInput_failsWithAClearMessage() {
        Run noUrl = run("migrate", "--url", "");
        assertEquals(1, noUrl.exit());
        assertTrue(noUrl.err().contains("no store given"), noUrl.err());

        Run unknown = run("maintain", "--url", "jdbc:postgresql://127.0.0.1:1/x", "--retention", "nope=P1D");
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().contains("unknown table(s) [nope]"), unknown.err());

        String url = PG.server().jdbcUrlNoUser(PG.freshDatabase("cli_empty"));
        Run notMigrated = run("maintain", "--url", url, "--user", "postgres");
        assertEquals(1, notMigrated.exit());
        assertTrue(notMigrated.err().contains("run 'datainsight migrate' first"), notMigrated.err());
    }
}
