package dev.datainsight.cli;

import dev.datainsight.cli.demo.Console;
import dev.datainsight.cli.demo.Demo;
import dev.datainsight.cli.demo.DemoException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code datainsight demo}: everything in one process tree — a real PostgreSQL (monitored server
 * and store), a real Kafka broker, the collector, the Flink job on a local runtime with the rules
 * on, a workload inducing incidents — printing each alert as it fires and resolves, then a
 * summary. See {@link Demo}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline on this machine: embedded PostgreSQL and Kafka, the collector, the Flink job"
                + " (local runtime, rules on) and a workload that induces incidents; alerts print as they fire and resolve.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--duration", defaultValue = "3m",
            description = "How long the workload runs after start-up (e.g. 90s, 3m, 10m). Default: ${DEFAULT-VALUE}")
    Duration duration;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Keep PostgreSQL, Kafka and Flink data and demo.log here (kept afterwards). Default: a temporary folder, removed at the end.")
    Path dataDir;

    @Option(names = "--keep", description = "Keep everything running after --duration, until Ctrl-C (to query the store).")
    boolean keep;

    @Option(names = "--target", paramLabel = "URL",
            description = "Monitor this PostgreSQL (postgresql://user:pass@host:5432/db or jdbc:postgresql://...) instead of the embedded one;"
                    + " no workload is run against it. The role needs pg_monitor.")
    String target;

    @Option(names = "--rules", paramLabel = "FILE", description = "Rules file (docs/rules.md). Default: the demo's rules, with short 'for' windows.")
    Path rules;

    @Option(names = "--pg-port", defaultValue = "0", description = "Port of the embedded PostgreSQL (0 = any free port). Default: ${DEFAULT-VALUE}")
    int pgPort;

    @Option(names = "--kafka-port", defaultValue = "0", description = "Port of the embedded Kafka broker (0 = any free port). Default: ${DEFAULT-VALUE}")
    int kafkaPort;

    @Option(names = "--interval", defaultValue = "5s", description = "Collector interval of the fast probes (slow probes: twice that). Default: ${DEFAULT-VALUE}")
    Duration interval;

    @Option(names = "--job-set", paramLabel = "KEY=VALUE", hidden = true,
            description = "Override one setting of the demo's job, as the job command's --set (repeatable; for troubleshooting and tests).")
    List<String> jobOverrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Duration d = duration;
        Duration every = interval;
        Console console = new Console(System.out);
        Demo demo = new Demo(new Demo.Settings(d, dataDir, keep, target, rules, pgPort, kafkaPort, every, jobOverrides), console);
        // Ctrl-C (and kill -TERM) end the run the same way --duration does, on the main thread,
        // so the summary is printed while PostgreSQL still runs. A second Ctrl-C exits at once.
        for (String sig : new String[] {"INT", "TERM"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> {
                console.line("%s received: stopping (press Ctrl-C again to exit at once) ...", s.getName());
                demo.requestStop();
                sun.misc.Signal.handle(s, sun.misc.SignalHandler.SIG_DFL);
                // Whatever the ordered stop is stuck on (start-up, a job that keeps failing and
                // restarting), the process is gone within the deadline: the watchdog stops the
                // embedded PostgreSQL — the one component that would outlive the JVM — and
                // halts (the broker and the Flink runtime live in this JVM).
                Thread watchdog = new Thread(() -> {
                    try {
                        Thread.sleep(Demo.STOP_DEADLINE.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                    System.err.println("datainsight demo: still stopping after " + Demo.STOP_DEADLINE.toSeconds()
                            + " s; stopping PostgreSQL and exiting");
                    demo.stopPostgresNow();
                    Runtime.getRuntime().halt(130);
                }, "demo-stop-watchdog");
                watchdog.setDaemon(true);
                watchdog.start();
            });
        }
        // If the JVM exits another way (a second Ctrl-C, System.exit): stop what still runs,
        // without waiting for a stop already under way on another thread.
        Runtime.getRuntime().addShutdownHook(new Thread(demo::closeFromShutdownHook, "demo-shutdown"));
        try {
            demo.start();
        } catch (DemoException e) {
            System.err.println("datainsight demo: " + e.getMessage());
            demo.close();
            return 2;
        } catch (Exception | LinkageError e) {
            // LinkageError too: a broken class path must still stop what already runs.
            System.err.println("datainsight demo: start-up failed: " + Errors.describe(e) + " (details in " + demo.dataDir().resolve("demo.log") + ")");
            demo.keepData();
            demo.close();
            return 1;
        }
        try {
            demo.runFor(d, keep);
        } finally {
            try {
                demo.close();
            } catch (Error e) {
                // e.g. the build replaced the jars under a running demo: exit anyway, so the JVM's
                // non-daemon threads cannot keep it (and the embedded server) alive.
                System.err.println("datainsight demo: stopping failed: " + e);
                System.exit(1);
            }
        }
        return 0;
    }
}
