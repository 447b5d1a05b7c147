package dev.datainsight.cli;

import dev.datainsight.embedded.EmbeddedKafka;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.bench.job.JobBenchReport;
import dev.datainsight.bench.job.JobBenchmark;
import dev.datainsight.store.Migrations;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code datainsight bench job}: a synthetic fleet into an embedded Kafka broker, then the plain
 * consumer baseline and the job (local Flink runtime) over the same records into an embedded
 * PostgreSQL store. See docs/benchmarks.md.
 */
@Command(name = "job", mixinStandardHelpOptions = true,
        description = {"Benchmark the Flink job end to end (Kafka -> rollups in PostgreSQL) against a plain consumer.",
                "The first summary line starts 'like-for-like ratio': the job against the same consumer decoding with"
                        + " the job's own fast decoder, the faster of a run before and after the jobs. The old reading"
                        + " (full-codec baseline, mean of the two runs) follows, then one 'target ...' line per target"
                        + " (MET, MISSED or NOT MEASURED). See docs/benchmarks.md."})
public final class JobBenchCommand implements Callable<Integer> {

    @Option(names = "--instances", defaultValue = "1000", description = "Servers in the synthetic fleet. Default: ${DEFAULT-VALUE}")
    int instances;

    @Option(names = "--databases", defaultValue = "5", description = "Databases per server. Default: ${DEFAULT-VALUE}")
    int databases;

    @Option(names = "--tables", defaultValue = "20", description = "Tables per server (scale up for cardinality tests). Default: ${DEFAULT-VALUE}")
    int tables;

    @Option(names = "--statements", defaultValue = "10", description = "pg_stat_statements query ids per server. Default: ${DEFAULT-VALUE}")
    int statements;

    @Option(names = "--duration", defaultValue = "20m",
            description = "Event time covered by the stream, at a 10 s collection interval. Shorter streams weigh"
                    + " the run's one-time work more (every series created, every open hour and day flushed at the"
                    + " end, the job deployed, the JIT's first compilations): 7-10 s, a third of a 10-minute run. Default: ${DEFAULT-VALUE}")
    java.time.Duration duration;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions per topic. Default: ${DEFAULT-VALUE}")
    int partitions;

    @Option(names = "--parallelism", defaultValue = "2", description = "Job parallelism. Default: ${DEFAULT-VALUE}")
    int parallelism;

    @Option(names = "--state-backend", defaultValue = "hashmap",
            description = "hashmap, rocksdb or both (both: each measured over the same records, and the"
                    + " 'RocksDB within 2x of heap' target judged). Default: ${DEFAULT-VALUE}")
    String stateBackend;

    @Option(names = "--rules", defaultValue = "off",
            description = "off, on or both: the job without or with the stateful alert rules (with rules on every"
                    + " record takes the full decode path). both measures each over the same records. Default: ${DEFAULT-VALUE}")
    String rules;

    @Option(names = "--batch-rows", defaultValue = "5000",
            description = "The job's store.batch_rows. Default: ${DEFAULT-VALUE}, the production default"
                    + " (runs before issue 21 used 20,000).")
    int batchRows;

    @Option(names = "--checkpoint-stats", defaultValue = "true", negatable = true, fallbackValue = "true",
            description = "After the measured runs, run the first variant once more unbounded (store discarded, not"
                    + " timed) and take one checkpoint once it has read the whole stream: the checkpointed state size"
                    + " from Flink's checkpoint statistics, printed beside the simulated footprint. Default: ${DEFAULT-VALUE}")
    boolean checkpointStats;

    @Option(names = "--sink", defaultValue = "store",
            description = "store (the real store) or discard (diagnostic: the Flink pipeline alone). Default: ${DEFAULT-VALUE}")
    String sink;

    @Option(names = "--warmup", defaultValue = "true", negatable = true, fallbackValue = "true",
            description = "First run the consumer and the job once on a smaller fleet (at most 1,000 instances, 2 minutes, own topics),"
                    + " unmeasured, so the measured pass compares warmed-up code on both sides. Default: ${DEFAULT-VALUE}")
    boolean warmup;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        long seconds = duration.toSeconds();
        int cycles = (int) Math.max(2, seconds / 10);
        if (instances < 1 || databases < 0 || tables < 0 || statements < 0 || partitions < 1 || parallelism < 1
                || batchRows < 1) {
            throw new IllegalArgumentException("--instances, --partitions, --parallelism and --batch-rows must be positive,"
                    + " the others >= 0");
        }
        PrintWriter out = spec.commandLine().getOut();
        String home = System.getProperty("datainsight.home", ".");
        Path base = Files.createDirectories(Paths.get(home, "target", "bench-job"));
        Path dir = Files.createTempDirectory(base, "run");
        System.setProperty("java.io.tmpdir", dir.toString());
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(EmbeddedPostgresServer.defaultMajor(),
                dir.resolve("postgres"), 0, Map.of("shared_buffers", "512MB", "max_wal_size", "4GB",
                        "synchronous_commit", "off"));
                EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
            String url = pg.jdbcUrl(pg.createDatabase("bench"));
            Migrations.migrate(url, null, null);
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(url); java.sql.Statement st = c.createStatement()) {
                st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); // for the store statements' timings
            }
            out.printf("PostgreSQL %d and Kafka %s (embedded, same machine), %d cores%n", pg.serverVersionNum(),
                    kafka.bootstrapServers(), Runtime.getRuntime().availableProcessors());
            out.flush();
            java.io.PrintStream log = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
            JobBenchmark.Result r = JobBenchmark.run(kafka.bootstrapServers(), url, new JobBenchmark.Params(instances,
                    databases, tables, statements, cycles, partitions, parallelism, stateBackend,
                    "discard".equalsIgnoreCase(sink), warmup, rules, batchRows, checkpointStats), log);
            JobBenchReport.print(r, parallelism, out);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }
}
