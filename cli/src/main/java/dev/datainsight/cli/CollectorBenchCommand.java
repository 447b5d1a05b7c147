package dev.datainsight.cli;

import dev.datainsight.bench.collector.CollectorBenchmark;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code datainsight bench collector}: the collector's cost on the monitored server. Starts an
 * embedded PostgreSQL with the settings the measurement needs and runs {@link CollectorBenchmark}
 * (bench module) on a fresh database; exit code 2 when a steady cycle is over the budget.
 */
@Command(name = "collector", mixinStandardHelpOptions = true,
        description = "Server time of one full collection cycle on a server with many tables and statements.")
public final class CollectorBenchCommand implements Callable<Integer> {
    @Option(names = "--tables", defaultValue = "2000", description = "Tables to create (default: ${DEFAULT-VALUE}).")
    int tables;

    @Option(names = "--statements", defaultValue = "5000", description = "Distinct statements to run (default: ${DEFAULT-VALUE}).")
    int statements;

    @Option(names = "--cycles", defaultValue = "3", description = "Full cycles to measure after the first (default: ${DEFAULT-VALUE}).")
    int cycles;

    @Option(names = "--budget-ms", defaultValue = "200", description = "Server-time budget of one cycle (default: ${DEFAULT-VALUE}).")
    double budgetMs;

    @Option(names = "--pg-version", defaultValue = "17",
            description = "PostgreSQL major version (13..17; 18's pg_stat_statements strips the probe comments; default: ${DEFAULT-VALUE}).")
    int major;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String home = System.getProperty("datainsight.home");
        Path base = home != null ? Paths.get(home, "target", "bench-collector") : Paths.get(System.getProperty("java.io.tmpdir"), "datainsight-bench-collector");
        Files.createDirectories(base);
        out.printf("starting PostgreSQL %d (data under %s) ...%n", major, base);
        out.flush();
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(major, base, 0,
                CollectorBenchmark.serverSettings(statements))) {
            String db = pg.createDatabase("bench");
            CollectorBenchmark.Result r = new CollectorBenchmark(
                    new CollectorBenchmark.Params(tables, statements, cycles, budgetMs), out)
                    .run(pg.jdbcUrl(db), pg.jdbcUrlNoUser(db));
            return r.withinBudget() ? 0 : 2;
        }
    }
}
