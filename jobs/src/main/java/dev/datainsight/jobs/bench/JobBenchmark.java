package dev.datainsight.jobs.bench;

import dev.datainsight.jobs.DataInsightJob;
import dev.datainsight.jobs.JobConfig;
import dev.datainsight.jobs.JobSinks;
import dev.datainsight.jobs.KafkaIO;
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
 * local Flink runtime into the store. Prints samples/s end to end (Kafka → rollups in
 * PostgreSQL), records/s, the baseline, the ratio, state bytes per series and heap used.
 */
public final class JobBenchmark {
    /** What to run. */
    public record Params(int instances, int databases, int tables, int statements, int cycles, int partitions,
            int parallelism, String stateBackend, boolean discardStore) {}

    /** What was measured. */
    public record Result(long records, long samples, long bytes, double produceSeconds, double baselineSeconds,
            double jobSeconds, long rowsWritten, long maxHeapUsedBytes, StateFootprint.Result state,
            double baselineCpuSeconds, double jobCpuSeconds) {
        public double jobSamplesPerSecond() {
            return samples / jobSeconds;
        }

        public double baselineSamplesPerSecond() {
            return samples / baselineSeconds;
        }

        public double ratio() {
            return baselineSeconds / jobSeconds;
        }
    }

    private JobBenchmark() {}

    public static Result run(String bootstrap, String jdbcUrl, Params p, PrintStream log) throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String metrics = "bench.metrics." + suffix;
        String statements = "bench.statements." + suffix;
        String dlq = "bench.deadletter." + suffix;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(metrics, p.partitions(), (short) 1),
                    new NewTopic(statements, p.partitions(), (short) 1), new NewTopic(dlq, 1, (short) 1),
                    new NewTopic(dlq + ".alerts", 1, (short) 1))).all().get();
        }
        long now = System.currentTimeMillis();
        long start = now - now % 60_000L - p.cycles() * 10_000L - 3_600_000L;
        SyntheticFleet fleet = new SyntheticFleet(p.instances(), p.databases(), p.tables(), p.statements(), start,
                10_000, 1);
        log.printf("fleet: %d instances x %d series = %d series; %d cycles of 10 s (%d snapshots per cycle)%n",
                p.instances(), fleet.seriesPerInstance(), (long) p.instances() * fleet.seriesPerInstance(), p.cycles(),
                p.instances() * 10);

        // 1. produce
        AtomicLong records = new AtomicLong();
        AtomicLong samples = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        WireCodec codec = new WireCodec();
        long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(bootstrap))) {
            for (int c = 0; c < p.cycles(); c++) {
                fleet.nextCycle(s -> {
                    byte[] v = codec.encode(s);
                    records.incrementAndGet();
                    samples.addAndGet(s.sampleCount());
                    bytes.addAndGet(v.length);
                    producer.send(new ProducerRecord<>(s.kind() == SnapshotKind.STATEMENTS ? statements : metrics,
                            s.getInstance().getBytes(StandardCharsets.UTF_8), v));
                });
            }
            producer.flush();
        }
        double produceSeconds = (System.nanoTime() - t0) / 1e9;
        log.printf("produced: %,d records, %,d samples, %,d MB in %.1f s%n", records.get(), samples.get(),
                bytes.get() >> 20, produceSeconds);

        // 2. baseline: a plain consumer that reads and decodes every record
        t0 = System.nanoTime();
        double cpu0 = cpuSeconds();
        long baselineSamples = baseline(bootstrap, List.of(metrics, statements), records.get());
        double baselineSeconds = (System.nanoTime() - t0) / 1e9;
        double baselineCpu = cpuSeconds() - cpu0;
        log.printf("baseline (plain consumer + decode): %.1f s (%.1f CPU s in this JVM), %,.0f records/s, %,.0f samples/s%n",
                baselineSeconds, baselineCpu, records.get() / baselineSeconds, baselineSamples / baselineSeconds);

        // 3. the job, bounded at the current end of the topics, into the store
        JobConfig c = new JobConfig();
        c.kafka.bootstrapServers = bootstrap;
        c.kafka.metricsTopic = metrics;
        c.kafka.statementsTopic = statements;
        c.kafka.deadLetterTopic = dlq;
        c.kafka.alertsTopic = dlq + ".alerts";
        c.kafka.groupId = "bench-" + suffix;
        c.kafka.startingOffsets = "earliest";
        c.kafka.bounded = true;
        c.kafka.createTopicsPartitions = 0;
        c.store.jdbcUrl = jdbcUrl;
        c.store.user = null;
        c.store.passwordEnv = null;
        c.store.batchRows = 20_000;
        c.runtime.parallelism = p.parallelism();
        c.runtime.checkpointInterval = "10s";
        c.runtime.stateBackend = p.stateBackend();
        c.validate();
        Configuration conf = DataInsightJob.flinkConfiguration(c);
        conf.setString("taskmanager.memory.managed.size", "256m");
        conf.setString("taskmanager.memory.network.max", "256m");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(p.parallelism(), conf);
        KafkaIO io = new KafkaIO();
        JobSinks sinks = io;
        if (p.discardStore()) {
            sinks = new JobSinks() {
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
        long discardedBefore = DiscardingStoreWriter.rows();
        DataInsightJob.defineWorkflow(env, io, sinks, c);
        HeapSampler heap = new HeapSampler();
        heap.start();
        t0 = System.nanoTime();
        cpu0 = cpuSeconds();
        env.execute("datainsight-bench");
        double jobSeconds = (System.nanoTime() - t0) / 1e9;
        double jobCpu = cpuSeconds() - cpu0;
        heap.interrupt();
        heap.join();
        long rows = p.discardStore() ? DiscardingStoreWriter.rows() - discardedBefore : countRows(jdbcUrl);
        log.printf((p.discardStore() ? "job (Kafka -> rollups, store writes DISCARDED)" : "job (Kafka -> rollups in PostgreSQL)")
                + ": %.1f s (%.1f CPU s in this JVM), %,.0f records/s, %,.0f samples/s, %,d store rows%n",
                jobSeconds, jobCpu, records.get() / jobSeconds, samples.get() / jobSeconds, rows);

        // 4. state per series, steady state
        StateFootprint.Result state = StateFootprint.measure(Math.min(p.instances(), 1000), p.databases(), p.tables(),
                p.statements(), 40);
        return new Result(records.get(), samples.get(), bytes.get(), produceSeconds, baselineSeconds, jobSeconds, rows,
                heap.max, state, baselineCpu, jobCpu);
    }

    /** CPU time of this JVM (all threads: broker, Flink, consumer), seconds. */
    static double cpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
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
        return pp;
    }

    /** Reads every record of the topics from the beginning and decodes it; returns the samples. */
    static long baseline(String bootstrap, List<String> topics, long expected) {
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        WireCodec codec = new WireCodec();
        long n = 0;
        long samples = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : topics) {
                consumer.partitionsFor(t).forEach(pi -> parts.add(new TopicPartition(t, pi.partition())));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            while (n < expected) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    DecodeResult<Snapshot> d = codec.decodeSnapshot(r.value());
                    if (d.isOk()) {
                        samples += d.value().sampleCount();
                    }
                    n++;
                }
            }
        }
        return samples;
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

    /** Samples the JVM's used heap (the local TaskManager lives in this JVM) while the job runs. */
    static final class HeapSampler extends Thread {
        volatile long max;

        HeapSampler() {
            super("heap-sampler");
            setDaemon(true);
        }

        @Override
        public void run() {
            Runtime r = Runtime.getRuntime();
            while (!isInterrupted()) {
                max = Math.max(max, r.totalMemory() - r.freeMemory());
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }
}
