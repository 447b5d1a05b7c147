package dev.datainsight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.console.ConsoleSettings;
import dev.datainsight.embedded.FreePorts;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.store.Migrations;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ./datainsight serve}: options, secrets from files, loopback-only without a token, a real start. */
class ServeCommandTest {
    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    @Test
    void nonLoopbackWithoutATokenIsRefused() {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute("serve", "--store", "jdbc:postgresql://127.0.0.1:1/none", "--listen", "0.0.0.0:0", "--token-env", "DATAINSIGHT_NO_SUCH_VAR");
        assertEquals(1, rc);
        assertTrue(err.toString().contains("needs an auth token"), err.toString());
    }

    @Test
    void passwordAndTokenComeFromFiles_andAreNeverPrinted(@TempDir Path dir) throws Exception {
        Path pw = Files.writeString(dir.resolve("pw"), "pa55word\n");
        Path token = Files.writeString(dir.resolve("token"), "  a-token-of-twenty-chars \n");
        ServeCommand c = new ServeCommand();
        new CommandLine(c).parseArgs("--store", "jdbc:postgresql://db:5432/ds", "--user", "viewer", "--password-file", pw.toString(),
                "--token-file", token.toString(), "--listen", "0.0.0.0:9090");
        ConsoleSettings s = c.settings();
        assertEquals("pa55word", s.password());
        assertEquals("a-token-of-twenty-chars", s.bearerToken());
        assertEquals("0.0.0.0", s.host());
        assertEquals(9090, s.port());
        assertFalse(s.toString().contains("pa55word") || s.toString().contains("a-token"), s.toString());
    }

    @Test
    void servesTheConsoleFromAMigratedStore() throws Exception {
        String url = PG.freshDatabaseUrl("serve");
        Migrations.migrate(url, null, null);
        int port = FreePorts.next();
        ServeCommand cmd = new ServeCommand();
        CommandLine cl = new CommandLine(cmd);
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        CompletableFuture<Integer> rc = CompletableFuture.supplyAsync(() -> cl.execute("--store", url, "--listen", "127.0.0.1:" + port));
        try {
            HttpResponse<String> r = null;
            for (int i = 0; i < 100 && r == null; i++) {
                try {
                    r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/fleet")).build(),
                            HttpResponse.BodyHandlers.ofString());
                } catch (java.io.IOException notYet) {
                    assertFalse(rc.isDone(), "serve ended early: " + out);
                    Thread.sleep(200);
                }
            }
            assertTrue(r != null && r.statusCode() == 200, "GET /fleet answered");
            assertTrue(r.body().contains("0 instances"), r.body());
            assertTrue(out.toString().contains("http://127.0.0.1:" + port + "/fleet"), out.toString());
        } finally {
            cmd.stop.countDown();
        }
        assertEquals(0, rc.get(30, TimeUnit.SECONDS));
    }
}
