package dev.datainsight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code ./datainsight --help} lists every command, and a wrong command fails with a clear message. */
class HelpTest {

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
    void helpListsEveryCommand() {
        String[] r = run("--help");
        assertEquals("0", r[0]);
        for (String c : List.of("demo", "collect", "job", "migrate", "maintain", "notify", "bench", "serve", "queries", "explain", "inspect")) {
            assertTrue(r[1].lines().anyMatch(l -> l.trim().startsWith(c + " ")), "--help lists " + c + ":\n" + r[1]);
        }
    }

    @Test
    void benchHelpListsEveryBenchmark() {
        String[] r = run("bench", "--help");
        assertEquals("0", r[0]);
        for (String c : List.of("job", "collector", "store", "console")) {
            assertTrue(r[1].lines().anyMatch(l -> l.trim().startsWith(c + " ")), "bench --help lists " + c + ":\n" + r[1]);
        }
    }

    @Test
    void inspectHelpListsEveryView() {
        String[] r = run("inspect", "--help");
        assertEquals("0", r[0]);
        for (String c : List.of("locks", "activity", "connections", "indexes", "tables", "queries", "trends")) {
            assertTrue(r[1].lines().anyMatch(l -> l.trim().startsWith(c + " ")), "inspect --help lists " + c + ":\n" + r[1]);
        }
    }

    @Test
    void inspectTrendsWithoutAStoreFailsBeforeConnecting() {
        String[] r = run("inspect", "trends");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("no store given"), r[2]);
    }

    @Test
    void unknownCommandFailsWithAMessage() {
        String[] r = run("frobnicate");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("frobnicate"), r[2]);
    }
}
