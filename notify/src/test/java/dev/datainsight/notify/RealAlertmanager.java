package dev.datainsight.notify;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real Alertmanager process for the tests: Debian's {@code prometheus-alertmanager}
 * ({@code -Dalertmanager.binary=PATH} for another one; a missing binary fails the test, never
 * skips it), on a free loopback port, with its own storage folder, ready when {@link #start}
 * returns. Its log is {@code alertmanager.log} in {@link #dir()}.
 */
final class RealAlertmanager implements AutoCloseable {
    /** A configuration that accepts every alert and sends it nowhere. */
    static final String NULL_ROUTE = "route:\n  receiver: 'null'\n  group_wait: 1s\nreceivers:\n  - name: 'null'\n";

    private final Process process;
    private final URI base;
    private final Path dir;

    private RealAlertmanager(Process process, URI base, Path dir) {
        this.process = process;
        this.base = base;
        this.dir = dir;
    }

    static RealAlertmanager start(String config) throws Exception {
        Path binary = Paths.get(System.getProperty("alertmanager.binary", "/usr/bin/prometheus-alertmanager"));
        assertTrue(Files.isExecutable(binary), binary + " is not installed: apt-get install prometheus-alertmanager");
        Path dir = Files.createDirectories(Paths.get(System.getProperty("java.io.tmpdir"), "alertmanager-" + UUID.randomUUID()));
        Path cfg = dir.resolve("alertmanager.yml");
        Files.writeString(cfg, config);
        int port = FreePorts.next();
        Process p = new ProcessBuilder(binary.toString(), "--config.file=" + cfg, "--storage.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address=")
                .redirectErrorStream(true).redirectOutput(dir.resolve("alertmanager.log").toFile()).start();
        RealAlertmanager am = new RealAlertmanager(p, URI.create("http://127.0.0.1:" + port), dir);
        try {
            am.awaitReady();
        } catch (Exception | AssertionError e) {
            am.close();
            throw e;
        }
        return am;
    }

    URI base() {
        return base;
    }

    Path dir() {
        return dir;
    }

    private void awaitReady() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/-/ready")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!process.isAlive()) {
                throw new AssertionError("Alertmanager exited with " + process.exitValue() + "; see " + dir.resolve("alertmanager.log"));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Alertmanager did not become ready at " + base);
            }
            Thread.sleep(100);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
