package dev.datainsight.cli;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.bench.store.StoreBenchmark;
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
 * {@code datainsight bench store}: starts an embedded PostgreSQL, then measures 1-minute rollup
 * upserts against plain COPY of the same rows into the same partitioned table, and the one-day
 * query for one instance once the table holds {@code --rows} rows.
 */
@Command(name = "store", mixinStandardHelpOptions = true,
        description = {"Store benchmark on an embedded PostgreSQL: upsert rows/s vs COPY rows/s (target ratio >= 0.5),",
            "and the one-day, one-instance query (time and EXPLAIN) with --rows stored."})
public final class StoreBenchCommand implements Callable<Integer> {

    @Option(names = "--rows", defaultValue = "10000000", description = "Rows stored before the query is timed. Default: ${DEFAULT-VALUE}")
    long rows;

    @Option(names = "--rounds", defaultValue = "1",
            description = "Rounds of the comparison (in each, every variant writes every row once, variants alternating"
                    + " batch by batch). Default: ${DEFAULT-VALUE}")
    int rounds;

    @Option(names = "--compare-rows", defaultValue = "1000000",
            description = "Rows each strategy writes for the throughput comparison. Default: ${DEFAULT-VALUE}")
    long compareRows;

    @Option(names = "--batch", defaultValue = "10000", description = "Rows per write call (one sink flush). Default: ${DEFAULT-VALUE}")
    int batch;

    @Option(names = "--pg", defaultValue = "17", description = "PostgreSQL major version to start (13..18). Default: ${DEFAULT-VALUE}")
    int pg;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (rows < 1 || compareRows < 1 || batch < 1) {
            throw new IllegalArgumentException("--rows, --compare-rows and --batch must be positive");
        }
        String home = System.getProperty("datainsight.home", ".");
        Path base = Files.createDirectories(Paths.get(home, "target", "bench-store"));
        Path dir = Files.createTempDirectory(base, "run");
        var out = spec.commandLine().getOut();
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(pg, dir, 0,
                Map.of("shared_buffers", "512MB", "max_wal_size", "4GB", "checkpoint_timeout", "30min"))) {
            out.printf("PostgreSQL %d (embedded) on port %d%n", server.serverVersionNum(), server.port());
            String db = server.createDatabase("bench");
            StoreBenchmark.Result r = new StoreBenchmark(server.jdbcUrl(db), rows, compareRows, batch, rounds, out).run();
            out.printf("%nsummary: upsert %,.0f rows/s vs COPY %,.0f rows/s = %.2f (target >= 0.5; replay %.2f);"
                    + " one-day query %.1f ms at %,d rows%n", r.optimisticRowsPerSec(), r.copyRowsPerSec(), r.ratio(),
                    r.replayRowsPerSec() / r.copyRowsPerSec(), r.queryMillis(), r.totalRows());
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }
}
