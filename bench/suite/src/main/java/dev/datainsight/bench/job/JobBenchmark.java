package dev.datainsight.bench.job;

import dev.datainsight.bench.fleet.SyntheticFleet;
import dev.datainsight.jobs.DataInsightJob;
import dev.datainsight.jobs.JobConfig;
import dev.datainsight.jobs.JobSinks;
import dev.datainsight.jobs.KafkaIO;
import dev.datainsight.jobs.decode.SnapshotDeserializer;
import dev.datainsight.jobs.decode.SnapshotValidator;
import dev.datainsight.jobs.records.SourceRecord;
import dev.datainsight.jobs.sinks.StoreWriterFactory;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.DeadLetterRecord;
import org.apache.flink.api.connector.sink2.Sink;
import dev.datainsight.model.DecodeResult;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotKind;
import dev.datainsight.model.WireCodec;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The job benchmark: a synthetic fleet produced into Kafka, then (same run, same records) a plain
 * Kafka consumer that only reads and decodes them — the baseline — and the job over them on a
 * local Flink runtime into the store, once per variant asked for (rules off/on, hashmap/RocksDB).
 *
 * <p>The headline is the <b>like-for-like ratio</b>: the job against the same consumer decoding
 * with the job's own fast source decoder ({@link SnapshotDeserializer} without the full snapshot:
 * {@code CompactDecoder} plus validation), taking the <b>faster</b> of a run before and a run after
 * the jobs. The older readings (baseline with the full wire codec, mean of its two runs) are kept
 * beside it for continuity. {@link JobBenchReport} prints it all, the targets first-class.
 */
public final class JobBenchmark {
    /** The production default of {@code store.batch_rows} (JobConfig): the benchmark's default too. */
    public static final int PRODUCTION_BATCH_ROWS = JobConfig.defaults().store().batchRows();

    /**
     * What to run.
     *
     * @param stateBackend hashmap, rocksdb or both
     * @param rules off, on or both
     * @param batchRows store batch rows of the job (production default {@link #PRODUCTION_BATCH_ROWS})
     * @param checkpointStats run the first variant once more, unbounded and unmeasured, and take one
     *     checkpoint after it read the whole stream: Flink's own checkpoint statistics of the state
     */
    public record Params(int instances, int databases, int tables, int statements, int cycles, int partitions,
            int parallelism, String stateBackend, boolean discardStore, boolean warmup, String rules, int batchRows,
            boolean checkpointStats) {
        /** The job runs asked for, in order: per backend (hashmap first), rules off then on. */
        public List<Variant> variants() {
            List<String> backends = switch (stateBackend.toLowerCase(java.util.Locale.ROOT)) {
                case "both" -> List.of("hashmap", "rocksdb");
                case "hashmap", "rocksdb" -> List.of(stateBackend.toLowerCase(java.util.Locale.ROOT));
                default -> throw new IllegalArgumentException("state backend must be hashmap, rocksdb or both: " + stateBackend);
            };
            List<Boolean> ruleSettings = switch (rules.toLowerCase(java.util.Locale.ROOT)) {
                case "both" -> List.of(false, true);
                case "off" -> List.of(false);
                case "on" -> List.of(true);
                default -> throw new IllegalArgumentException("rules must be off, on or both: " + rules);
            };
            List<Variant> v = new ArrayList<>();
            for (String b : backends) {
                for (boolean r : ruleSettings) {
                    v.add(new Variant(r, b));
                }
            }
            return v;
        }
    }

    /** One job configuration measured over the stream. */
    public record Variant(boolean rules, String stateBackend) {
        public String label() {
            return "rules " + (rules ? "on" : "off") + ", " + stateBackend;
        }
    }

    /**
     * One measured job run.
     *
     * @param seriesServerSeconds server time of the store's series-id statements during the run
     *     (pg_stat_statements; NaN without it or with the store discarded): first-sight series creation
     * @param backendReported the state backend Flink reports for the job (its execution graph)
     */
    public record JobRun(Variant variant, double seconds, double cpuSeconds, long rowsWritten, long maxHeapUsedBytes,
            double seriesServerSeconds, long seriesCalls, String backendReported) {}

    /**
     * Flink's checkpoint statistics of one checkpoint taken after the whole stream was read.
     *
     * @param stateSize full state size of the checkpoint (all operators)
     * @param checkpointedSize bytes this checkpoint persisted (= stateSize unless incremental)
     * @param rollupStateSize the rollup operator's share of stateSize
     */
    public record CheckpointStats(Variant variant, long checkpointId, long stateSize, long checkpointedSize,
            long rollupStateSize, long durationMs, long series) {
        public double rollupBytesPerSeries() {
            return rollupStateSize / (double) series;
        }
    }

    /**
     * What was measured. Each baseline ran twice, right before and right after the jobs.
     *
     * @param fastBeforeSeconds the consumer decoding with the job's own fast decoder, before the jobs
     * @param fullBeforeSeconds the consumer decoding with the full wire codec (the old baseline), before
     */
    public record Result(int instances, int cycles, long seriesTotal, int batchRows, long records, long samples,
            long bytes, double produceSeconds, double fastBeforeSeconds, double fastAfterSeconds,
            double fullBeforeSeconds, double fullAfterSeconds, double baselineCpuSeconds, List<JobRun> runs,
            StateFootprint.Result state, CheckpointStats checkpoint, boolean discardStore) {
        /** The like-for-like baseline: the faster of the two runs with the job's decoder. */
        public double likeForLikeBaselineSeconds() {
            return Math.min(fastBeforeSeconds, fastAfterSeconds);
        }

        /** Mean time of the two full-codec baseline runs (the old denominator). */
        public double oldBaselineSeconds() {
            return (fullBeforeSeconds + fullAfterSeconds) / 2;
        }

        public double likeForLikeRatio(JobRun r) {
            return likeForLikeBaselineSeconds() / r.seconds();
        }

        public double oldRatio(JobRun r) {
            return oldBaselineSeconds() / r.seconds();
        }

        /** The run the headline reads: rules off on the first backend, else the first run. */
        public JobRun headline() {
            return runs.stream().filter(r -> !r.variant().rules()).findFirst().orElse(runs.get(0));
        }

        /** The run of a variant, or null when it was not measured. */
        public JobRun run(boolean rules, String backend) {
            return runs.stream().filter(r -> r.variant().rules() == rules && r.variant().stateBackend().equals(backend))
                    .findFirst().orElse(null);
        }

        public double samplesPerSecond(JobRun r) {
            return samples / r.seconds();
        }
    }

    private JobBenchmark() {}

    /** Instances and cycles of the warm-up pass (its own topics and instance names). */
    static final int WARMUP_INSTANCES = 1000;
    static final int WARMUP_CYCLES = 12;

    public static Result run(String bootstrap, String jdbcUrl, Params p, PrintStream log) throws Exception {
        // One local Flink runtime for all passes, started before and not timed: the job is
        // measured from submission to its end on a running cluster, as a job submitted to a
        // session or application cluster runs. (Starting a runtime per job also loads Flink's RPC
        // system into a fresh class loader each time, whose ~1,700 classes the JIT then compiles
        // again while the measured job runs.)
        Configuration conf = flinkConf(p, p.variants().get(0), p.batchRows());
        try (MiniCluster flink = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
                .setNumTaskManagers(1).setNumSlotsPerTaskManager(p.parallelism()).build())) {
            flink.start();
            return run(bootstrap, jdbcUrl, p, log, flink);
        }
    }

    private static Configuration flinkConf(Params p, Variant v, int batchRows) {
        Configuration conf = DataInsightJob.flinkConfiguration(runtime(JobConfig.builder(), p, v, batchRows).build());
        conf.setString("taskmanager.memory.managed.size", "256m");
        conf.setString("taskmanager.memory.network.max", "256m");
        return conf;
    }

    private static Result run(String bootstrap, String jdbcUrl, Params p, PrintStream log, MiniCluster flink)
            throws Exception {
        // 0. warm-up: the same steps on a smaller fleet with other instance names and topics, so
        // the measured pass compares a warmed-up job with a warmed-up consumer (both share this
        // JVM; without it the job's pass also pays for compiling Flink's and the job's code,
        // which a long-running job pays once).
        if (p.warmup()) {
            log.printf("warm-up pass: %d instances x %d cycles, every variant once, own topics and instance names"
                    + " (not measured)%n", Math.min(p.instances(), WARMUP_INSTANCES), WARMUP_CYCLES);
            Params w = new Params(Math.min(p.instances(), WARMUP_INSTANCES), p.databases(), p.tables(), p.statements(),
                    WARMUP_CYCLES, p.partitions(), p.parallelism(), p.stateBackend(), p.discardStore(), false, p.rules(),
                    p.batchRows(), false);
            pass(bootstrap, jdbcUrl, w, "warm-", new PrintStream(java.io.OutputStream.nullOutputStream()), false, flink);
            awaitCompilerQuiet(log);
            log.println("measured pass:");
        }
        return pass(bootstrap, jdbcUrl, p, "pg-", log, true, flink);
    }

    /**
     * Waits (at most 60 s) until the JIT compilers have had nothing to do for 2 s, so the
     * measured pass does not inherit the warm-up's queue of hot methods. (It does not stop the
     * compiling during the measured job itself: every bounded job recompiles a few hundred
     * methods as it goes through its phases; see docs/benchmarks.md.)
     */
    static void awaitCompilerQuiet(PrintStream log) throws InterruptedException {
        long start = System.nanoTime();
        long quietSince = start;
        long last = jitMillis();
        while (System.nanoTime() - start < 60_000_000_000L) {
            Thread.sleep(250);
            long now = jitMillis();
            if (now - last > 20) {
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince >= 2_000_000_000L) {
                break;
            }
            last = now;
        }
        log.printf("waited %.1f s for the JIT compilers to finish the warm-up's queue%n", (System.nanoTime() - start) / 1e9);
    }

    /** The runtime settings the cluster and a variant's job use. */
    private static JobConfig.Builder runtime(JobConfig.Builder c, Params p, Variant v, int batchRows) {
        // checkpointInterval: the job's default (30 s)
        return c.runtime(r -> r.parallelism(p.parallelism())
                        .stateBackend(JobConfig.StateBackend.valueOf(v.stateBackend().toUpperCase(java.util.Locale.ROOT))))
                .rules(r -> r.enabled(v.rules()))
                .store(s -> s.batchRows(batchRows));
    }

    /** The benchmark's topics of one pass. */
    private record Topics(String suffix, String metrics, String statements, String dlq) {
        List<String> sources() {
            return List.of(metrics, statements);
        }
    }

    private static Result pass(String bootstrap, String jdbcUrl, Params p, String instancePrefix, PrintStream log,
            boolean measured, MiniCluster flink) throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        Topics topics = new Topics(suffix, "bench.metrics." + suffix, "bench.statements." + suffix,
                "bench.deadletter." + suffix);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topics.metrics(), p.partitions(), (short) 1),
                    new NewTopic(topics.statements(), p.partitions(), (short) 1), new NewTopic(topics.dlq(), 1, (short) 1),
                    new NewTopic(topics.dlq() + ".alerts", 1, (short) 1))).all().get();
            awaitLeaders(admin, topics.sources());
        }
        long now = System.currentTimeMillis();
        // The stream starts on a full hour (an hour or more before now, within the validator's
        // bounds), so a stream shorter than an hour never straddles an hour or day boundary:
        // otherwise the final flush writes two hour rows per series or one, depending on the
        // minute the benchmark happens to run.
        long start = now - p.cycles() * 10_000L - 3_600_000L;
        start -= start % 3_600_000L;
        SyntheticFleet fleet = new SyntheticFleet(p.instances(), p.databases(), p.tables(), p.statements(), start,
                10_000, 1).withInstancePrefix(instancePrefix);
        long seriesTotal = (long) p.instances() * fleet.seriesPerInstance();
        log.printf("fleet: %d instances x %d series = %d series; %d cycles of 10 s (%d snapshots per cycle)%n",
                p.instances(), fleet.seriesPerInstance(), seriesTotal, p.cycles(), p.instances() * 10);

        // 1. produce
        AtomicLong records = new AtomicLong();
        AtomicLong samples = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        WireCodec codec = new WireCodec();
        long t0 = System.nanoTime();
        AtomicLong failed = new AtomicLong();
        java.util.concurrent.atomic.AtomicReference<Exception> firstFailure = new java.util.concurrent.atomic.AtomicReference<>();
        org.apache.kafka.clients.producer.Callback onSent = (md, e) -> {
            if (e != null) {
                failed.incrementAndGet();
                firstFailure.compareAndSet(null, e);
            }
        };
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(bootstrap))) {
            for (int c = 0; c < p.cycles(); c++) {
                fleet.nextCycle(s -> {
                    byte[] v = codec.encode(s);
                    records.incrementAndGet();
                    samples.addAndGet(s.sampleCount());
                    bytes.addAndGet(v.length);
                    producer.send(new ProducerRecord<>(s.kind() == SnapshotKind.STATEMENTS ? topics.statements()
                            : topics.metrics(), s.getInstance().getBytes(StandardCharsets.UTF_8), v), onSent);
                });
            }
            producer.flush();
        }
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " of " + records.get()
                    + " records could not be produced to the benchmark's broker; first error: " + firstFailure.get());
        }
        double produceSeconds = (System.nanoTime() - t0) / 1e9;
        log.printf("produced: %,d records, %,d samples, %,d MB in %.1f s%n", records.get(), samples.get(),
                bytes.get() >> 20, produceSeconds);

        // 2. baselines: a plain consumer that reads and decodes every record, with the job's own
        // fast decoder (like-for-like) and with the full wire codec (the old baseline)
        long expected = records.get();
        t0 = System.nanoTime();
        long baselineSamples = jobDecoderConsumer(bootstrap, topics.sources(), expected);
        double fastBefore = (System.nanoTime() - t0) / 1e9;
        log.printf("baseline, like-for-like (plain consumer + the job's fast decoder: compact form + validation):"
                + " %.1f s, %,.0f samples/s%n", fastBefore, baselineSamples / fastBefore);
        t0 = System.nanoTime();
        double cpu0 = cpuSeconds();
        timed("the full-codec baseline", () -> baseline(bootstrap, topics.sources(), expected), baselineSamples);
        double fullBefore = (System.nanoTime() - t0) / 1e9;
        double baselineCpu = cpuSeconds() - cpu0;
        log.printf("baseline, old (plain consumer + full wire codec): %.1f s (%.1f CPU s in this JVM), %,.0f records/s,"
                + " %,.0f samples/s%n", fullBefore, baselineCpu, expected / fullBefore, baselineSamples / fullBefore);

        // 3. the job, once per variant, bounded at the current end of the topics, into the store
        List<JobRun> runs = new ArrayList<>();
        for (Variant v : p.variants()) {
            if (!p.discardStore()) {
                clearStore(jdbcUrl); // every run starts from an empty store, as the first one would
            }
            resetStoreStatements(jdbcUrl);
            runs.add(runJob(bootstrap, jdbcUrl, p, v, topics, records.get(), samples.get(), log, flink));
        }

        if (!measured) {
            return null;
        }
        // 4. the baselines again, right after the jobs: the like-for-like ratio takes the faster
        // run (the one less disturbed: after millions of rows the store's autovacuum and
        // checkpoints and the GC slow the later run down); the old ratio their mean.
        double fastAfter = timed("the like-for-like baseline after the jobs",
                () -> jobDecoderConsumer(bootstrap, topics.sources(), expected), baselineSamples);
        double fullAfter = timed("the full-codec baseline after the jobs",
                () -> baseline(bootstrap, topics.sources(), expected), baselineSamples);
        log.printf("baselines again, after the jobs: like-for-like %.1f s, %,.0f samples/s (before: %,.0f);"
                + " old %.1f s, %,.0f samples/s (before: %,.0f)%n", fastAfter, baselineSamples / fastAfter,
                baselineSamples / fastBefore, fullAfter, baselineSamples / fullAfter, baselineSamples / fullBefore);

        // 5. Flink's own checkpoint statistics, one checkpoint after the whole stream was read
        CheckpointStats cp = null;
        if (p.checkpointStats()) {
            cp = checkpointPass(bootstrap, p, p.variants().get(0), topics, seriesTotal, log, flink);
        }

        // 6. state per series, steady state, for the run's whole fleet (simulated)
        StateFootprint.Result state = StateFootprint.measure(p.instances(), p.databases(), p.tables(), p.statements(), 40);
        return new Result(p.instances(), p.cycles(), seriesTotal, p.batchRows(), records.get(), samples.get(),
                bytes.get(), produceSeconds, fastBefore, fastAfter, fullBefore, fullAfter, baselineCpu, runs, state,
                cp, p.discardStore());
    }

    private static JobConfig jobConfig(String bootstrap, String jdbcUrl, Params p, Variant v, Topics t, String group,
            boolean bounded) {
        JobConfig c = runtime(JobConfig.builder(), p, v, p.batchRows())
                .kafka(k -> k.bootstrapServers(bootstrap).sourceTopics(t.sources())
                        .deadLetterTopic(t.dlq()).alertsTopic(t.dlq() + ".alerts").plansTopic("").groupId(group)
                        .startingOffsets(JobConfig.StartingOffsets.EARLIEST).bounded(bounded).createTopicsPartitions(0))
                .store(s -> s.jdbcUrl(jdbcUrl).user(null).passwordEnv(null))
                .build();
        c.validate();
        return c;
    }

    private static JobSinks sinks(KafkaIO io, boolean discard) {
        if (!discard) {
            return io;
        }
        return new JobSinks() {
            @Override
            public Sink<DeadLetterRecord> deadLetters(JobConfig config) {
                return io.deadLetters(config);
            }

            @Override
            public Sink<AlertEvent> alerts(JobConfig config) {
                return io.alerts(config);
            }

            @Override
            public StoreWriterFactory store(JobConfig config) {
                return DiscardingStoreWriter::new;
            }
        };
    }

    private static org.apache.flink.runtime.jobgraph.JobGraph jobGraph(Params p, Variant v, JobConfig c, boolean discard) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(p.parallelism(),
                flinkConf(p, v, p.batchRows()));
        KafkaIO io = new KafkaIO();
        DataInsightJob.defineWorkflow(env, io, sinks(io, discard), c);
        return env.getStreamGraph().getJobGraph();
    }

    private static JobRun runJob(String bootstrap, String jdbcUrl, Params p, Variant v, Topics t, long records,
            long samples, PrintStream log, MiniCluster flink) throws Exception {
        JobConfig c = jobConfig(bootstrap, jdbcUrl, p, v, t, "bench-" + t.suffix() + "-" + runsSoFar.incrementAndGet(),
                true);
        org.apache.flink.runtime.jobgraph.JobGraph graph = jobGraph(p, v, c, p.discardStore());
        long discardedBefore = DiscardingStoreWriter.rows();
        long rowsBefore = p.discardStore() ? 0 : countRows(jdbcUrl);
        HeapSampler heap = new HeapSampler();
        long[] gc0 = gcTotals();
        long jit0 = jitMillis();
        heap.start();
        long t0 = System.nanoTime();
        double cpu0 = cpuSeconds();
        org.apache.flink.api.common.JobID id = flink.submitJob(graph).get().getJobID();
        flink.requestJobResult(id).get().toJobExecutionResult(JobBenchmark.class.getClassLoader());
        long end = System.nanoTime();
        double jobSeconds = (end - t0) / 1e9;
        double jobCpu = cpuSeconds() - cpu0;
        heap.interrupt();
        heap.join();
        String backend = flink.getExecutionGraph(id).get().getStateBackendName().orElse("?");
        log.printf("job run (%s; Flink reports state backend %s; batch_rows %,d):%n", v.label(), backend, p.batchRows());
        if (v.rules()) {
            log.println("  rules on: the source keeps the full snapshot for the rules, so every record takes the full"
                    + " decode path (wire codec + validator + compact form); the fast decoder is not used");
        }
        log.printf("  job threads last busy %.1f s after submission, %.1f s before the job ended%n",
                (heap.lastBusyNanos - t0) / 1e9, (end - heap.lastBusyNanos) / 1e9);
        long rows = p.discardStore() ? DiscardingStoreWriter.rows() - discardedBefore : countRows(jdbcUrl) - rowsBefore;
        log.println("  job CPU by thread group (seconds):");
        double threadsTotal = 0;
        int shown = 0;
        Map<String, Double> groups = heap.cpuByGroup();
        for (Map.Entry<String, Double> e : groups.entrySet()) {
            threadsTotal += e.getValue();
            if (shown++ < 8 && e.getValue() >= 0.05) {
                log.printf("    %8.1f  %s%n", e.getValue(), e.getKey());
            }
        }
        long[] gc1 = gcTotals();
        log.printf("    %8.1f  rest of the process (garbage collection, JIT compilers, threads not shown above)%n",
                Math.max(0, jobCpu - threadsTotal) + sumAfter(groups, 8));
        log.printf("              of which: %d collections, %.1f s of collector time (%s); JIT compilation %.1f s%n",
                gc1[0] - gc0[0], (gc1[1] - gc0[1]) / 1000.0, gcNames(), (jitMillis() - jit0) / 1000.0);
        double[] series = {Double.NaN, 0};
        if (!p.discardStore()) {
            storeStatements(jdbcUrl, log);
            series = seriesStatements(jdbcUrl);
        }
        log.printf((p.discardStore() ? "  job (Kafka -> rollups, store writes DISCARDED)" : "  job (Kafka -> rollups in PostgreSQL)")
                + ": %.1f s (%.1f CPU s in this JVM), %,.0f records/s, %,.0f samples/s, %,d store rows%n",
                jobSeconds, jobCpu, records / jobSeconds, samples / jobSeconds, rows);
        return new JobRun(v, jobSeconds, jobCpu, rows, heap.max, series[0], (long) series[1], backend);
    }

    private static final AtomicLong runsSoFar = new AtomicLong();

    /**
     * The variant once more, unbounded, store discarded, not timed: once it has read the whole
     * stream (checked by the offsets its checkpoint commits), the state is what a running job
     * holds at that point, and Flink's checkpoint statistics weigh it.
     */
    private static CheckpointStats checkpointPass(String bootstrap, Params p, Variant v, Topics t, long series,
            PrintStream log, MiniCluster flink) throws Exception {
        String group = "bench-cp-" + t.suffix();
        JobConfig c = jobConfig(bootstrap, "jdbc:postgresql://unused/discarded", p, v, t, group, false);
        org.apache.flink.runtime.jobgraph.JobGraph graph = jobGraph(p, v, c, true);
        org.apache.flink.runtime.jobgraph.JobVertexID rollupVertex = null;
        for (org.apache.flink.runtime.jobgraph.JobVertex jv : graph.getVertices()) {
            if (jv.getName().contains(dev.datainsight.jobs.JobNames.NAME_ROLLUP)) {
                rollupVertex = jv.getID();
            }
        }
        long t0 = System.nanoTime();
        org.apache.flink.api.common.JobID id = flink.submitJob(graph).get().getJobID();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Map<TopicPartition, Long> ends = endOffsets(admin, t.sources());
            long deadline = System.nanoTime() + 600_000_000_000L;
            while (System.nanoTime() < deadline) {
                Thread.sleep(2000);
                long cpId;
                try {
                    cpId = flink.triggerCheckpoint(id, org.apache.flink.core.execution.CheckpointType.FULL).get();
                } catch (java.util.concurrent.ExecutionException notYet) {
                    continue; // tasks still deploying
                }
                if (!readAll(admin, group, ends)) {
                    continue; // this checkpoint was taken before the source read the whole stream
                }
                org.apache.flink.runtime.checkpoint.CompletedCheckpointStats s = completedStats(flink, id, cpId);
                long rollup = rollupVertex == null || s.getTaskStateStats(rollupVertex) == null ? -1
                        : s.getTaskStateStats(rollupVertex).getStateSize();
                CheckpointStats r = new CheckpointStats(v, cpId, s.getStateSize(), s.getCheckpointedSize(), rollup,
                        s.getEndToEndDuration(), series);
                log.printf("checkpoint statistics (%s, Flink's CheckpointStatsSnapshot, checkpoint %d taken %.0f s after"
                        + " submitting an unbounded run once it had read the whole stream): state %,d B (rollup operator"
                        + " %,d B, %.0f B per series), checkpointed %,d B, %d ms%n", v.label(), cpId,
                        (System.nanoTime() - t0) / 1e9, r.stateSize(), r.rollupStateSize(), r.rollupBytesPerSeries(),
                        r.checkpointedSize(), r.durationMs());
                return r;
            }
            throw new IllegalStateException("the checkpoint pass did not read the whole stream within 10 minutes");
        } finally {
            flink.cancelJob(id).get();
            flink.requestJobResult(id).get();
        }
    }

    private static org.apache.flink.runtime.checkpoint.CompletedCheckpointStats completedStats(MiniCluster flink,
            org.apache.flink.api.common.JobID id, long cpId) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            org.apache.flink.runtime.checkpoint.AbstractCheckpointStats s = flink.getExecutionGraph(id).get()
                    .getCheckpointStatsSnapshot().getHistory().getCheckpointById(cpId);
            if (s instanceof org.apache.flink.runtime.checkpoint.CompletedCheckpointStats done) {
                return done;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no statistics of completed checkpoint " + cpId + " after 30 s: " + s);
            }
            Thread.sleep(200);
        }
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin, List<String> topics) throws Exception {
        Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> q = new java.util.HashMap<>();
        for (org.apache.kafka.clients.admin.TopicDescription d : admin.describeTopics(topics).allTopicNames().get().values()) {
            d.partitions().forEach(pi -> q.put(new TopicPartition(d.name(), pi.partition()),
                    org.apache.kafka.clients.admin.OffsetSpec.latest()));
        }
        Map<TopicPartition, Long> ends = new java.util.HashMap<>();
        admin.listOffsets(q).all().get().forEach((tp, o) -> ends.put(tp, o.offset()));
        return ends;
    }

    /** Whether the group's committed offsets (committed when a checkpoint completes) reached the ends. */
    private static boolean readAll(Admin admin, String group, Map<TopicPartition, Long> ends) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            boolean all = ends.entrySet().stream().allMatch(e -> e.getValue() == 0 || (committed.get(e.getKey()) != null
                    && committed.get(e.getKey()).offset() >= e.getValue()));
            if (all || System.nanoTime() > deadline) {
                return all;
            }
            Thread.sleep(250);
        }
    }

    /**
     * Seconds one more consumer pass over the stream takes; it must count the samples the first
     * baseline counted (the same records, decoded another way or once more).
     */
    private static double timed(String what, java.util.function.LongSupplier pass, long expectedSamples) {
        long t0 = System.nanoTime();
        long samples = pass.getAsLong();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (samples != expectedSamples) {
            throw new IllegalStateException(what + " counted " + samples + " samples where the first baseline counted "
                    + expectedSamples);
        }
        return seconds;
    }

    /** Garbage collections so far and their accumulated time in ms, over all collectors. */
    static long[] gcTotals() {
        long n = 0;
        long ms = 0;
        for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
            ms += Math.max(0, gc.getCollectionTime());
        }
        return new long[] {n, ms};
    }

    static String gcNames() {
        return String.join(", ", java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(java.lang.management.GarbageCollectorMXBean::getName).toList());
    }

    static long jitMillis() {
        java.lang.management.CompilationMXBean c = java.lang.management.ManagementFactory.getCompilationMXBean();
        return c != null && c.isCompilationTimeMonitoringSupported() ? c.getTotalCompilationTime() : 0;
    }

    private static double sumAfter(Map<String, Double> groups, int skip) {
        return groups.values().stream().skip(skip).mapToDouble(Double::doubleValue).sum();
    }

    /** CPU time of this JVM (all threads: broker, Flink, consumer), seconds. */
    static double cpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    /** Waits until every partition of the topics has a leader (new topics take a moment). */
    static void awaitLeaders(Admin admin, List<String> topics) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            boolean ready;
            try {
                ready = admin.describeTopics(topics).allTopicNames().get().values().stream()
                        .allMatch(d -> d.partitions().stream().allMatch(pi -> pi.leader() != null && !pi.leader().isEmpty()));
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
                    throw e;
                }
                ready = false; // just created: the broker's metadata does not list it yet
            }
            if (ready) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the benchmark's topics " + topics + " have no leader after 30 s");
            }
            Thread.sleep(100);
        }
    }

    static Properties producerProps(String bootstrap) {
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        pp.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        pp.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
        pp.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(128L << 20));
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        // One request in flight: a partition whose leadership is still settling (topics created a
        // moment ago, broker busy) answers NOT_LEADER to a first batch; with several batches in
        // flight the retried one then arrived after its successors and was refused as out of
        // sequence until it expired (seen on Kafka 4.2 with the warm-up pass just before).
        pp.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        return pp;
    }

    /** Reads every record of the topics from the beginning and decodes it; returns the samples. */
    static long baseline(String bootstrap, List<String> topics, long expected) {
        WireCodec codec = new WireCodec();
        return consume(bootstrap, topics, expected, bytes -> {
            DecodeResult<Snapshot> d = codec.decodeSnapshot(bytes);
            return d.isOk() ? d.value().sampleCount() : 0;
        });
    }

    /**
     * The same consumer decoding with the job's own source decoder (the fast path straight into
     * the compact form, validation included): a reference, printed next to the baseline.
     */
    static long jobDecoderConsumer(String bootstrap, List<String> topics, long expected) {
        JobConfig.Time t = JobConfig.defaults().time(); // the job's default validation bounds
        SnapshotDeserializer d = new SnapshotDeserializer(new WireCodec(),
                new SnapshotValidator(t.maxFuture(), t.maxAge()), false);
        return consume(bootstrap, topics, expected, bytes -> {
            SourceRecord r = d.decode(bytes, "", 0, 0, 0, System.currentTimeMillis());
            return r.snapshot == null ? 0 : r.snapshot.sampleCount();
        });
    }

    /** Reads every record of the topics from the beginning; returns the samples {@code decode} counts. */
    private static long consume(String bootstrap, List<String> topics, long expected,
            java.util.function.ToLongFunction<byte[]> decode) {
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        long n = 0;
        long samples = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : topics) {
                consumer.partitionsFor(t).forEach(pi -> parts.add(new TopicPartition(t, pi.partition())));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long lastProgress = System.nanoTime();
            while (n < expected) {
                long before = n;
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    samples += decode.applyAsLong(r.value());
                    n++;
                }
                if (n > before) {
                    lastProgress = System.nanoTime();
                } else if (System.nanoTime() - lastProgress > 60_000_000_000L) {
                    throw new IllegalStateException("the baseline consumer read " + n + " of " + expected
                            + " records and nothing more arrived for 60 s");
                }
            }
        }
        return samples;
    }

    /**
     * Where the store's time went: its five costliest statements (pg_stat_statements, when the
     * store has it), so a run shows which part of the sink the server spends itself on.
     */
    static void storeStatements(String url, PrintStream log) {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT calls, rows, total_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 90)"
                        + " FROM pg_stat_statements"
                        + " ORDER BY total_exec_time DESC LIMIT 5")) {
            log.println("store statements by server time (pg_stat_statements):");
            while (rs.next()) {
                log.printf("  %8.1f s %7d calls %,10d rows  %s%n", rs.getDouble(3) / 1000, rs.getLong(1), rs.getLong(2),
                        rs.getString(4));
            }
        } catch (java.sql.SQLException e) {
            log.println("store statements: not available (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }

    /**
     * Server time and calls of the store's series-id statements (INSERT INTO series ... RETURNING,
     * the look-up of existing series) since the last reset: the store's side of first-sight
     * series creation. {NaN, 0} without pg_stat_statements.
     */
    static double[] seriesStatements(String url) {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT coalesce(sum(total_exec_time), 0), coalesce(sum(calls), 0)"
                        + " FROM pg_stat_statements WHERE query ~* '(INSERT INTO|JOIN|FROM) series\\M'")) {
            rs.next();
            return new double[] {rs.getDouble(1) / 1000, rs.getLong(2)};
        } catch (java.sql.SQLException e) {
            return new double[] {Double.NaN, 0};
        }
    }

    /** Empties the tables a run writes, so each measured run starts from the same empty store. */
    static void clearStore(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("TRUNCATE metric_rollup_1m, metric_rollup_1h, metric_rollup_1d, statement_rollup_1h, series,"
                    + " alert_event, insight, statement_text, instance CASCADE");
            st.execute("VACUUM ANALYZE");
        }
    }

    static void resetStoreStatements(String url) {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("SELECT pg_stat_statements_reset()");
        } catch (java.sql.SQLException e) {
            // no pg_stat_statements in this store: the timings are simply not printed
        }
    }

    static long countRows(String url) throws Exception {
        long n = 0;
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            for (String t : List.of("metric_rollup_1m", "metric_rollup_1h", "metric_rollup_1d", "statement_rollup_1h")) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + t)) {
                    rs.next();
                    n += rs.getLong(1);
                }
            }
        }
        return n;
    }

    /**
     * Samples, while the job runs, the JVM's used heap (the local TaskManager lives in this JVM)
     * and the CPU time of every thread, so the run can say where the job's CPU went: thread
     * groups by name (the job's threads end with the job, hence the sampling), and the rest of
     * the process (garbage collection, JIT compilers) as the difference.
     */
    static final class HeapSampler extends Thread {
        volatile long max;
        private final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        private final Map<Long, long[]> cpuAtStart = new java.util.HashMap<>();
        private final Map<Long, long[]> cpuLast = new java.util.HashMap<>();
        private final Map<Long, String> names = new java.util.HashMap<>();
        /** Per thread id: whether it does the job's work (its group, decided once). */
        private final Map<Long, Boolean> working = new java.util.HashMap<>();
        /** CPU of the job's task and store writer threads at the previous sample. */
        private long lastWorkCpu = -1;
        /** When the job's task and store writer threads last used CPU (System.nanoTime). */
        volatile long lastBusyNanos = System.nanoTime();

        HeapSampler() {
            super("heap-sampler");
            setDaemon(true);
            sampleThreads(cpuAtStart);
        }

        @Override
        public void run() {
            Runtime r = Runtime.getRuntime();
            while (!isInterrupted()) {
                max = Math.max(max, r.totalMemory() - r.freeMemory());
                sampleThreads(cpuLast);
                long work = workCpu();
                if (lastWorkCpu >= 0 && work - lastWorkCpu > 20_000_000L) { // > 10 % of one core over 200 ms
                    lastBusyNanos = System.nanoTime();
                }
                lastWorkCpu = work;
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    sampleThreads(cpuLast);
                    return;
                }
            }
            sampleThreads(cpuLast);
        }

        private void sampleThreads(Map<Long, long[]> into) {
            if (!threads.isThreadCpuTimeSupported()) {
                return;
            }
            for (java.lang.management.ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
                if (t == null) {
                    continue;
                }
                long cpu = threads.getThreadCpuTime(t.getThreadId());
                if (cpu >= 0) {
                    into.computeIfAbsent(t.getThreadId(), k -> new long[1])[0] = cpu;
                    names.putIfAbsent(t.getThreadId(), t.getThreadName());
                }
            }
        }

        /** CPU nanoseconds so far of the threads that do the job's work (tasks, fetchers, store writers). */
        private long workCpu() {
            long sum = 0;
            for (Map.Entry<Long, long[]> e : cpuLast.entrySet()) {
                if (working.computeIfAbsent(e.getKey(), id -> isWork(group(names.get(id))))) {
                    sum += e.getValue()[0];
                }
            }
            return sum;
        }

        private static boolean isWork(String group) {
            return !group.startsWith("other") && !group.startsWith("Kafka broker") && !group.startsWith("?");
        }

        /** CPU seconds per thread group during the job, largest first. */
        Map<String, Double> cpuByGroup() {
            Map<String, Double> groups = new java.util.HashMap<>();
            for (Map.Entry<Long, long[]> e : cpuLast.entrySet()) {
                long[] start = cpuAtStart.get(e.getKey());
                double s = (e.getValue()[0] - (start == null ? 0 : start[0])) / 1e9;
                groups.merge(group(names.get(e.getKey())), s, Double::sum);
            }
            Map<String, Double> sorted = new java.util.LinkedHashMap<>();
            groups.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                    .forEach(e -> sorted.put(e.getKey(), e.getValue()));
            return sorted;
        }

        static String group(String name) {
            if (name == null) {
                return "?";
            }
            if (name.startsWith("store-writer-")) {
                return "store writer threads";
            }
            if (name.startsWith("Source Data Fetcher")) {
                return "Kafka source fetchers";
            }
            if (name.startsWith("Source: ")) {
                return "source + decode + validate (task threads)";
            }
            if (name.startsWith("Counters to rates")) {
                return "rollups (task threads)";
            }
            if (name.startsWith("AsyncOperations")) {
                return "checkpoint snapshots (async)";
            }
            if (name.startsWith("data-plane-kafka") || name.startsWith("kafka-") || name.contains("raft")
                    || name.startsWith("quorum-controller") || name.startsWith("group-coordinator")) {
                return "Kafka broker (in process)";
            }
            return "other (" + name.replaceAll("[0-9]+", "N").replaceAll("\\s*\\(.*", "") + ")";
        }
    }
}
