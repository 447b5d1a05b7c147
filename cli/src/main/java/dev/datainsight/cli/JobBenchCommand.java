package dev.datainsight.cli;

import dev.datainsight.embedded.EmbeddedKafka;
import dev.datainsight.embedded.EmbeddedPostgresServer;
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
        description = "Benchmark the Flink job end to end (Kafka -> rollups in PostgreSQL) against a plain consumer.")
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

    @Option(names = "--state-backend", defaultValue = "hashmap", description = "hashmap or rocksdb. Default: ${DEFAULT-VALUE}")
    String stateBackend;

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
        if (instances < 1 || databases < 0 || tables < 0 || statements < 0 || partitions < 1 || parallelism < 1) {
            throw new IllegalArgumentException("--instances, --partitions and --parallelism must be positive, the others >= 0");
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
                    databases, tables, statements, cycles, partitions, parallelism, stateBackend, "discard".equalsIgnoreCase(sink), warmup), log);
            out.printf("%nsummary (%d instances, parallelism %d, %s):%n", instances, parallelism, stateBackend);
            out.printf(("discard".equalsIgnoreCase(sink) ? "  Kafka -> rollups (store writes DISCARDED, diagnostic)"
                    : "  end to end (Kafka -> rollups in PostgreSQL)") + ": %,.0f samples/s, %,.0f records/s (target >= 300,000 samples/s)%n",
                    r.jobSamplesPerSecond(), r.records() / r.jobSeconds());
            out.printf("  baseline (plain consumer + decode, same records): %,.0f samples/s, %,.0f records/s"
                    + " (mean of a run before the job, %,.0f samples/s, and one after it, %,.0f)%n",
                    r.baselineSamplesPerSecond(), r.records() / r.baselineSeconds(),
                    r.samples() / r.baselineBeforeSeconds(), r.samples() / r.baselineAfterSeconds());
            out.printf("  ratio job/baseline: %.2f (target >= 0.35); per CPU second of this JVM: %.2f%n", r.ratio(),
                    (r.baselineCpuSeconds()) / r.jobCpuSeconds());
            out.printf("  reference: the same consumer decoding with the job's own source decoder: %,.0f samples/s;"
                    + " job/reference %.2f%n", r.samples() / r.referenceSeconds(), r.referenceRatio());
            out.printf("  store rows written: %,d%n", r.rowsWritten());
            out.printf("  state per active series (%d instances, %,d series): heap %.0f B, serialized %.0f B, estimate %.0f B (target <= 300)%n",
                    r.state().instances(), r.state().series(), r.state().heapBytesPerSeries(),
                    r.state().serializedBytesPerSeries(), r.state().estimatedBytesPerSeries());
            out.printf("  JVM heap used at peak during the job (TaskManager + in-process broker): %,d MB%n",
                    r.maxHeapUsedBytes() >> 20);
            out.flush();
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }
}
