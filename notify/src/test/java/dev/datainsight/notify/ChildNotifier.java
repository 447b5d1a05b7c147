package dev.datainsight.notify;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link NotifierProcess} in a child JVM on the test's class path and follows the
 * partitions it owns (from its {@code assigned [...]} lines). {@link #kill()} is a real
 * {@code SIGKILL}. Its output goes to {@code NAME.log} in the given folder.
 */
final class ChildNotifier implements AutoCloseable {
    private final Process process;
    private final String name;
    private volatile Set<Integer> assigned = Set.of();

    private ChildNotifier(Process process, String name, Path log) throws IOException {
        this.process = process;
        this.name = name;
        PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    out.println(line);
                    if (line.startsWith("assigned [")) {
                        assigned = parse(line.substring("assigned ".length()));
                    }
                }
            } catch (IOException e) {
                // the process is gone
            } finally {
                out.close();
            }
        }, "child-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    static ChildNotifier start(String name, Path dir, String... args) throws IOException {
        Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
        cmd.add("-Dlog4j2.configurationFile=log4j2-test.properties");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(NotifierProcess.class.getName());
        cmd.addAll(Arrays.asList(args));
        cmd.add("dlq=" + dir.resolve(name + "-dlq.jsonl"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        return new ChildNotifier(p, name, dir.resolve(name + ".log"));
    }

    /** Partitions the child owns, as last printed. */
    Set<Integer> assigned() {
        return assigned;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL: the notifier neither commits, nor leaves the group, nor finishes a request. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), name + " did not die");
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    private static Set<Integer> parse(String list) {
        Set<Integer> s = new TreeSet<>();
        String inner = list.replace("[", "").replace("]", "").trim();
        if (!inner.isEmpty()) {
            for (String x : inner.split(",")) {
                s.add(Integer.parseInt(x.trim()));
            }
        }
        return Set.copyOf(s);
    }

    @Override
    public String toString() {
        return name + (process.isAlive() ? " (pid " + process.pid() + ")" : " (dead)");
    }
}
