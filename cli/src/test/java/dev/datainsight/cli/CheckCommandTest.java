package dev.datainsight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code datainsight check}: exit codes, every problem printed, the kind guessed from content. */
class CheckCommandTest {
    @TempDir
    Path dir;

    private String[] run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new String[] {String.valueOf(rc), out.toString(), err.toString()};
    }

    private String file(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text).toString();
    }

    @Test
    void goodFilesOfEveryKind_exitZeroWithAOneLineSummary() throws Exception {
        String fleet = file("fleet.yaml", "instances:\n  - {id: a, url: \"postgresql://h/db\", user: mon}\n");
        String job = file("job.yaml", "kafka: {bootstrap_servers: k:9092}\ntime: {max_gap: 10m}\n");
        String rules = file("rules.yaml", "rules:\n  deadlocks: {for: 1m}\n");
        String[] r = run("check", fleet, job, rules);
        assertEquals("0", r[0], r[2]);
        assertEquals("3 files OK: " + fleet + " (fleet), " + job + " (job), " + rules + " (rules)", r[1].strip());
        assertEquals("", r[2]);
    }

    @Test
    void everyProblemOfEveryFileIsPrinted_andTheExitCodeIsOne() throws Exception {
        String fleet = file("fleet.yaml", "instances:\n  - {id: a, url: \"mysql://h/db\", user: mon, colour: red}\n");
        String rules = file("rules.yaml", "rules:\n  deadlocks: {for: soon}\n  nope: {}\n");
        String[] r = run("check", fleet, rules);
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("error: " + fleet + ":2:45: instances[0].colour: unknown key (valid keys: dbname, host, id,"), r[2]);
        assertTrue(r[2].contains("error: " + rules + ":2:15: rules.deadlocks.for: 'soon' is not a duration"), r[2]);
        assertTrue(r[2].contains("error: " + rules + ":3:3: rules.nope: unknown rule"), r[2]);
        assertTrue(r[2].contains("error: " + fleet + ":2:13: instances[0].url: not a PostgreSQL URL"), r[2]);
        assertEquals("4 problems in 2 of 2 files", r[1].strip());
    }

    @Test
    void kindOptionOverridesTheGuess_andAnUnknownKindIsAnError() throws Exception {
        String ambiguous = file("x.yaml", "{}\n");
        String[] r = run("check", ambiguous);
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("cannot tell whether this is a fleet, job or rules file (pass --kind)"), r[2]);
        r = run("check", "--kind", "job", ambiguous);
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("(job)"), r[1]);
        r = run("check", "--kind", "rules", file("j.yaml", "kafka: {}\n"));
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("kafka: unknown top-level key"), r[2]);
    }

    @Test
    void warningsDoNotFail_butArePrinted() throws Exception {
        String job = file("job.yaml", "kafka: {bootstrapServers: k:9092}\n");
        String fleet = file("fleet.yaml", "instances:\n  - {id: a, url: \"postgresql://h/db\", user: mon,"
                + " password_env: SURELY_NOT_SET_ANYWHERE_42}\n");
        String[] r = run("check", job, fleet);
        assertEquals("0", r[0], r[2]);
        assertTrue(r[2].contains("warning: " + job + ":1:9: kafka.bootstrapServers: deprecated camelCase key, write"
                + " kafka.bootstrap_servers"), r[2]);
        assertTrue(r[2].contains("warning: " + fleet + ":2:50: instances[0].password_env: environment variable"
                + " SURELY_NOT_SET_ANYWHERE_42 is not set"), r[2]);
    }

    @Test
    void missingFileAndBrokenYamlAreErrors() throws Exception {
        String[] r = run("check", dir.resolve("absent.yaml").toString(), file("b.yaml", "rules: [\n"));
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("cannot read file " + dir.resolve("absent.yaml")), r[2]);
        assertTrue(r[2].contains("not valid YAML"), r[2]);
        assertEquals("2", run("check")[0], "FILE is required");
    }

    @Test
    void helpSaysHowTheKindIsGuessed() {
        String[] r = run("check", "--help");
        assertEquals("0", r[0]);
        assertTrue(r[1].replaceAll("\\s+", " ").contains("fleet when the file has 'instances'"), r[1]);
    }
}
