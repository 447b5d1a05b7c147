package dev.datainsight.cli;

import dev.datainsight.bench.console.ConsoleBenchmark;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code datainsight bench console}: starts an embedded PostgreSQL, fills a store of
 * {@code --instances} × {@code --days} with set-based SQL, starts the console on it and prints the
 * p50/p95 server time of every page kind against the 300 ms target.
 */
@Command(name = "console", mixinStandardHelpOptions = true,
        description = {"Console page benchmark on an embedded PostgreSQL: p50/p95 server time (Server-Timing) per page",
            "at --instances x --days of store data (target < 300 ms)."})
public final class ConsoleBenchCommand implements Callable<Integer> {

    @Option(names = "--instances", defaultValue = "1000", description = "Instances in the store. Default: ${DEFAULT-VALUE}")
    int instances;

    @Option(names = "--days", defaultValue = "30", description = "Days of history (8 or more). Default: ${DEFAULT-VALUE}")
    int days;

    @Option(names = "--requests", defaultValue = "10", description = "Timed requests per page (after one warm-up). Default: ${DEFAULT-VALUE}")
    int requests;

    @Option(names = "--pg", defaultValue = "17", description = "PostgreSQL major version to start (13..18). Default: ${DEFAULT-VALUE}")
    int pg;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String home = System.getProperty("datainsight.home", ".");
        Path base = Files.createDirectories(Paths.get(home, "target", "bench-console"));
        Path dir = Files.createTempDirectory(base, "run");
        var out = spec.commandLine().getOut();
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(pg, dir, 0,
                Map.of("shared_buffers", "1GB", "max_wal_size", "8GB", "checkpoint_timeout", "30min"))) {
            out.printf("PostgreSQL %d (embedded) on port %d, %d instances x %d days%n", server.serverVersionNum(), server.port(),
                    instances, days);
            String db = server.createDatabase("bench");
            ConsoleBenchmark.Result r = new ConsoleBenchmark(server.jdbcUrl(db), instances, days, requests, out).run();
            return r.pages().stream().allMatch(p -> p.status() == 200) ? 0 : 1;
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
