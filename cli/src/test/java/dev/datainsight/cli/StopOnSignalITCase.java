package dev.datainsight.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.FreePorts;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM stops {@code datainsight job} and {@code datainsight demo} within 30 s even while the
 * job keeps failing and restarting, and the demo leaves no embedded PostgreSQL or broker behind.
 * Each command runs in a JVM of its own (as {@code ./datainsight} starts it), with a job that
 * fails on purpose.
 */
class StopOnSignalITCase {
    static final Duration LIMIT = Duration.ofSeconds(30);

    /**
     * The job's store is a socket that accepts and hangs up: each start of the store writers
     * fails, the job restarts over and over; the accepted connections prove it did restart.
     */
    @Test
    void jobCommand_stopsWithin30s_whileTheJobRestarts() throws Exception {
        try (ServerSocket store = new ServerSocket()) {
            store.bind(new InetSocketAddress("127.0.0.1", 0));
            AtomicInteger opened = new AtomicInteger();
            Thread acceptor = new Thread(() -> {
                while (!store.isClosed()) {
                    try (Socket s = store.accept()) {
                        opened.incrementAndGet();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "fake-store");
            acceptor.setDaemon(true);
            acceptor.start();
            Child job = Child.start("job",
                    "--set", "kafka.bootstrap_servers=127.0.0.1:" + FreePorts.next(),
                    "--set", "kafka.create_topics_partitions=0",
                    "--set", "store.jdbc_url=jdbc:postgresql://127.0.0.1:" + store.getLocalPort() + "/datainsight?connectTimeout=2",
                    "--set", "store.retry_attempts=0",
                    "--set", "runtime.checkpoint_interval=1s",
                    "--set", "runtime.parallelism=1");
            try {
                job.await(() -> opened.get() >= 3, Duration.ofSeconds(90), "the job to fail and restart");
                long ms = job.terminate();
                System.out.printf("datainsight job: gone %d ms after SIGTERM (%d store connection attempts before)%n", ms,
                        opened.get());
                assertTrue(ms < LIMIT.toMillis(), "stopped in " + ms + " ms:\n" + job.output());
            } finally {
                job.kill();
            }
        }
    }

    /** The demo with a job whose Kafka source cannot start (an invalid consumer setting): it restarts over and over. */
    @Test
    void demo_stopsWithin30s_whileTheJobRestarts_andLeavesNoServerBehind() throws Exception {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "demo-stop-" + UUID.randomUUID());
        int pgPort = FreePorts.next();
        int kafkaPort = FreePorts.next();
        Child demo = Child.start("demo", "--duration", "10m", "--interval", "5s", "--data-dir", dir.toString(),
                "--pg-port", String.valueOf(pgPort), "--kafka-port", String.valueOf(kafkaPort),
                "--job-set", "kafka.properties.max.poll.records=0");
        try {
            demo.await(() -> demo.output().contains("job restarting ("), Duration.ofSeconds(150),
                    "the demo's job to be reported restarting");
            assertTrue(listening(pgPort) && listening(kafkaPort), "PostgreSQL and Kafka run:\n" + demo.output());
            long ms = demo.terminate();
            System.out.printf("datainsight demo: gone %d ms after SIGTERM; output:%n%s%n", ms, demo.output());
            assertTrue(ms < LIMIT.toMillis(), "stopped in " + ms + " ms:\n" + demo.output());
            assertTrue(demo.output().contains("TERM received: stopping"), demo.output());
            assertFalse(listening(pgPort), "PostgreSQL port " + pgPort + " still open:\n" + demo.output());
            assertFalse(listening(kafkaPort), "Kafka port " + kafkaPort + " still open:\n" + demo.output());
            assertFalse(postgresOf(dir), "a PostgreSQL process of the demo is left:\n" + demo.output());
        } finally {
            demo.kill();
            ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(dir.toString()))
                    .forEach(ProcessHandle::destroyForcibly);
            if (Files.exists(dir)) {
                try (var paths = Files.walk(dir)) {
                    paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static boolean postgresOf(Path dir) {
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().orElse("").contains(dir.toString())
                && p.info().command().orElse("").endsWith("postgres"));
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A {@code datainsight} command in a JVM of its own, its stdout and stderr collected. */
    private static final class Child {
        private final Process process;
        private final StringBuffer out = new StringBuffer();

        private Child(Process process) {
            this.process = process;
            Thread pump = new Thread(() -> {
                try (InputStream in = process.getInputStream()) {
                    byte[] b = new byte[8192];
                    for (int n; (n = in.read(b)) > 0; ) {
                        out.append(new String(b, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    out.append("\n(reading the output: ").append(e).append(')');
                }
            }, "child-output");
            pump.setDaemon(true);
            pump.start();
        }

        static Child start(String... args) throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Xmx1g");
            // The test JVM's --add-opens, as the launcher passes them.
            for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (a.startsWith("--add-opens")) {
                    cmd.add(a);
                }
            }
            for (String p : List.of("datainsight.pg.binaries", "java.io.tmpdir")) {
                if (System.getProperty(p) != null) {
                    cmd.add("-D" + p + "=" + System.getProperty(p));
                }
            }
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.datainsight.cli.Main"));
            cmd.addAll(List.of(args));
            Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
            return new Child(new ProcessBuilder(cmd).redirectErrorStream(true).start());
        }

        String output() {
            return out.toString();
        }

        void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
            long end = System.nanoTime() + timeout.toNanos();
            while (!condition.getAsBoolean()) {
                if (!process.isAlive()) {
                    throw new AssertionError("the command exited (" + process.exitValue() + ") before " + what + ":\n"
                            + output());
                }
                if (System.nanoTime() > end) {
                    throw new AssertionError("no sign of " + what + " within " + timeout.toSeconds() + " s:\n" + output());
                }
                Thread.sleep(200);
            }
        }

        /** Sends SIGTERM; the milliseconds until the process (and every process it started) is gone. */
        long terminate() throws InterruptedException {
            List<ProcessHandle> children = process.descendants().toList();
            long t0 = System.nanoTime();
            // SIGTERM through the handle: Process.destroy() would also close our end of its output.
            process.toHandle().destroy();
            boolean exited = process.waitFor(LIMIT.toSeconds() + 30, TimeUnit.SECONDS);
            for (ProcessHandle c : children) {
                c.onExit().completeOnTimeout(c, 5, TimeUnit.SECONDS).join();
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(exited, "still running " + ms + " ms after SIGTERM:\n" + output());
            for (ProcessHandle c : children) {
                assertFalse(c.isAlive(), "left behind: " + c.info() + "\n" + output());
            }
            return ms;
        }

        void kill() {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
