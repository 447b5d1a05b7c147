package dev.datainsight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.DecodeResult;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.WireCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/** {@code datainsight collect}: one cycle as JSON lines against a real server, and clear config errors. */
class CollectCommandTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    record Run(int rc, String out, String err) {}

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new Run(rc, out.toString(), err.toString());
    }

    @Test
    void onceTargetPrintsOneCycleAsWireJsonLines() {
        String url = "postgresql://postgres@127.0.0.1:" + PG.server().port() + "/postgres";
        Run r = run("collect", "--once", "--target", url, "--id", "cli-target");
        assertEquals(0, r.rc(), r.err());
        WireCodec codec = new WireCodec();
        Set<String> views = new HashSet<>();
        for (String line : r.out().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            DecodeResult<Snapshot> d = codec.decodeSnapshot(line.getBytes(StandardCharsets.UTF_8));
            assertTrue(d.isOk(), () -> "not a wire record: " + line);
            assertEquals("cli-target", d.value().getInstance());
            views.add(d.value().getView());
        }
        assertTrue(views.containsAll(Set.of("pg_stat_activity", "pg_stat_database", "pg_stat_checkpointer",
                "pg_stat_user_tables", "pg_database", "datainsight_collector")), views.toString());
    }

    @Test
    void badMetricsListen_isRefusedBeforeAnythingStarts() {
        Run r = run("collect", "--target", "jdbc:postgresql://127.0.0.1:1/postgres", "--user", "x",
                "--bootstrap-servers", "127.0.0.1:1", "--metrics-listen", "nine");
        assertEquals(2, r.rc(), r.err());
        assertTrue(r.err().contains("--metrics-listen 'nine': the port is not a number"), r.err());
    }

    @Test
    void unreachableTargetExitsNonZeroWithTheReason() {
        Run r = run("collect", "--once", "--target", "jdbc:postgresql://127.0.0.1:1/postgres", "--user", "x");
        assertEquals(1, r.rc());
        assertTrue(r.err().contains("error: target:") && r.err().contains("refused"), r.err());
        assertTrue(r.out().contains("\"up\":0"), r.out());
    }

    @Test
    void badFleetFileNamesFileLineAndField() throws Exception {
        Path dir = Paths.get(System.getProperty("java.io.tmpdir"), "collect-cli");
        Files.createDirectories(dir);
        Path f = dir.resolve("fleet.yaml");
        Files.writeString(f, "instances:\n  - id: a\n    url: postgresql://h/db\n    usr: mon\n");
        Run r = run("collect", "--config", f.toString());
        assertEquals(1, r.rc());
        assertTrue(r.err().contains(f + ":4:") && r.err().contains("instances[0].usr") && r.err().contains("unknown key"), r.err());
    }
}
