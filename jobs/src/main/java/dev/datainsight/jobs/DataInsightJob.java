package dev.datainsight.jobs;

import static dev.datainsight.jobs.JobNames.*;

import dev.datainsight.jobs.rollup.InstanceRollupFunction;
import dev.datainsight.jobs.decode.PlansDeserializer;
import dev.datainsight.jobs.decode.RouteRecords;
import dev.datainsight.jobs.plans.PlanHistoryFunction;
import dev.datainsight.jobs.plans.RecommendationFunction;
import dev.datainsight.jobs.plans.RoutePlans;
import dev.datainsight.jobs.plans.StatsReadings;
import dev.datainsight.jobs.records.StatsReading;
import dev.datainsight.jobs.records.CapturedPlan;
import dev.datainsight.jobs.records.PlanRecord;
import dev.datainsight.jobs.decode.SnapshotDeserializer;
import dev.datainsight.jobs.decode.SnapshotValidator;
import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.InstanceSeen;
import dev.datainsight.jobs.records.RollupBatch;
import dev.datainsight.jobs.records.SourceRecord;
import dev.datainsight.jobs.records.StatementTexts;
import dev.datainsight.jobs.sinks.RollupBuffer;
import dev.datainsight.jobs.sinks.SimpleBuffers;
import dev.datainsight.jobs.sinks.StoreBuffer;
import dev.datainsight.jobs.sinks.StoreCalls;
import dev.datainsight.jobs.sinks.StoreSink;
import dev.datainsight.jobs.sinks.StoreWriterFactory;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.InternalErrors;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.WireCodec;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DataInsight Flink job. This class only wires: Kafka source (decode + validate per record,
 * per-partition watermarks with idleness) → route (dead letters, query texts) → keyBy instance →
 * {@link InstanceRollupFunction} (rates, 1m/1h/1d rollups, statement hours, late records) → store
 * sinks; dead letters to Kafka. A second Kafka source reads the plans topic → {@link PlanHistoryFunction}
 * (keyed per instance, database, query id) → {@code query_plan}, its plan changes to the rules. See
 * docs/job.md.
 *
 * <p>Run: {@code java -cp datainsight-job.jar dev.datainsight.jobs.DataInsightJob --config job.yaml
 * [--set section.key=value ...]} (or {@code flink run}, or {@code ./datainsight job}).
 */
public final class DataInsightJob {
    private static final Logger LOG = LoggerFactory.getLogger(DataInsightJob.class);

    private DataInsightJob() {}

    public static void main(String[] args) throws Exception {
        Path config = null;
        List<String> overrides = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> config = Path.of(args[++i]);
                case "--set" -> overrides.add(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (use --config job.yaml and --set section.key=value)");
            }
        }
        JobConfig c = JobConfig.load(config, overrides);
        // Plain "java -cp" gives a local runtime in this JVM, which takes the embedded defaults;
        // under "flink run" (or a jar run on the JobManager) the cluster's configuration rules
        // and the job only adds what its file sets.
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(clusterConfiguration(c));
        if (env instanceof LocalStreamEnvironment) {
            env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfiguration(c));
            env.setParallelism(c.runtime().parallelismOr(JobConfig.Runtime.EMBEDDED_PARALLELISM));
        } else {
            checkClusterCheckpoints(c, env.getConfiguration());
        }
        run(env, c);
    }

    /** Prepares the outside world (topics, migrations), defines the workflow and executes it. */
    public static JobExecutionResult run(StreamExecutionEnvironment env, JobConfig c) throws Exception {
        prepare(c);
        KafkaIO io = new KafkaIO();
        defineWorkflow(env, io, io, c);
        return env.execute(JOB_NAME);
    }

    /** Creates missing topics and, when configured, applies the store migrations. */
    public static void prepare(JobConfig c) throws Exception {
        KafkaIO.createTopics(c);
        if (c.store().migrateOnStart()) {
            StoreAccess.migrate(c.store().jdbcUrl(), c.store().user(), c.store().password());
        }
    }

    /**
     * The Flink configuration a job submitted to a cluster carries: no auto-generated uids (a
     * missing uid fails fast), no generic (Kryo) types (every record and state type is a
     * POJO; a regression fails the job graph instead of slowing it down), object reuse (records
     * are never mutated after they are emitted), an explicit max parallelism (the key groups of
     * the state: fixed for the life of a savepoint), checkpoints retained when the job is
     * cancelled (a cancel without a savepoint must not lose the state). State backend and
     * checkpoint storage only when the job file sets them: otherwise the cluster's own
     * configuration stays in force.
     */
    public static Configuration clusterConfiguration(JobConfig c) {
        Configuration f = new Configuration();
        f.set(PipelineOptions.AUTO_GENERATE_UIDS, false);
        f.set(PipelineOptions.GENERIC_TYPES, false);
        f.set(PipelineOptions.OBJECT_REUSE, true);
        f.set(PipelineOptions.MAX_PARALLELISM, c.runtime().maxParallelism());
        f.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        if (c.runtime().stateBackend() != null) {
            f.set(StateBackendOptions.STATE_BACKEND, c.runtime().stateBackend().flinkName());
        }
        String dir = c.runtime().checkpointDir();
        if (dir != null && !dir.isBlank()) {
            f.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            f.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir);
        }
        return f;
    }

    /**
     * The Flink configuration of an embedded run (a local runtime in this JVM: {@code ./datainsight
     * job}, the demo, tests): {@link #clusterConfiguration} plus defaults for what a cluster would
     * otherwise provide — the hashmap state backend and checkpoints in files (the JobManager's
     * memory storage caps state at 5 MB, which a fleet of a few hundred servers exceeds) under
     * the temporary directory. Checkpoints in that temporary directory are deleted on
     * cancellation (nothing could resume from them after a reboot anyway).
     */
    public static Configuration flinkConfiguration(JobConfig c) {
        Configuration f = clusterConfiguration(c);
        if (c.runtime().stateBackend() == null) {
            f.set(StateBackendOptions.STATE_BACKEND, JobConfig.StateBackend.HASHMAP.flinkName());
        }
        String dir = c.runtime().checkpointDir();
        if (dir == null || dir.isBlank()) {
            f.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            f.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, embeddedCheckpointDir());
            f.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.DELETE_ON_CANCELLATION);
        }
        return f;
    }

    /** Where embedded runs keep their checkpoints when the job file names no directory. */
    static String embeddedCheckpointDir() {
        return Path.of(System.getProperty("java.io.tmpdir"), "datainsight-checkpoints").toUri().toString();
    }

    /**
     * Refuses what cannot work on a cluster: checkpoints in a {@code file://} directory under a
     * temporary folder (each TaskManager would write its own, a restart on another host finds
     * nothing, and tmp cleaners delete them). Warns when neither the job file nor the client's
     * Flink configuration names a checkpoint directory (the cluster's JobManager may still have
     * one; without it checkpoints live in the JobManager's memory, at most 5 MB).
     *
     * @throws IllegalArgumentException naming runtime.checkpoint_dir and what to set instead
     */
    static void checkClusterCheckpoints(JobConfig c, ReadableConfig cluster) {
        String dir = c.runtime().checkpointDir();
        if (dir != null && !dir.isBlank()) {
            if (isTemporaryLocalDir(dir)) {
                throw new IllegalArgumentException("runtime.checkpoint_dir " + dir + " is a temporary local directory:"
                        + " on a cluster every TaskManager would write its own and a restore on another host finds"
                        + " nothing. Set runtime.checkpoint_dir to shared storage (s3://..., hdfs://..., or a file://"
                        + " path mounted on every Flink host), or leave it unset to use the cluster's"
                        + " execution.checkpointing.dir");
            }
        } else if (cluster.getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY).isEmpty()) {
            LOG.warn("runtime.checkpoint_dir is not set and the client's Flink configuration names no {}: the"
                    + " cluster's JobManager configuration decides where checkpoints go (without one they stay in"
                    + " its memory, at most 5 MB, and are lost with it)", CheckpointingOptions.CHECKPOINTS_DIRECTORY.key());
        }
    }

    /** A file:// URI, or a plain path, inside the temporary directory or /tmp. */
    static boolean isTemporaryLocalDir(String dir) {
        Path path;
        try {
            URI uri = URI.create(dir.strip());
            if (uri.getScheme() == null) {
                path = Path.of(dir.strip());
            } else if ("file".equalsIgnoreCase(uri.getScheme())) {
                path = Path.of(uri.getPath());
            } else {
                return false;
            }
        } catch (IllegalArgumentException e) {
            path = Path.of(dir.strip());
        }
        Path p = path.toAbsolutePath().normalize();
        for (String tmp : List.of(System.getProperty("java.io.tmpdir"), "/tmp", "/var/tmp")) {
            if (p.startsWith(Path.of(tmp).toAbsolutePath().normalize())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Applies the job's settings to an environment: the parallelism only when the job file sets
     * one (otherwise {@code flink run -p}, the cluster's default or the embedded runtime's decide),
     * checkpointing.
     */
    public static void configure(StreamExecutionEnvironment env, JobConfig c) {
        env.getConfig().enableObjectReuse();
        if (c.runtime().parallelism() > 0) {
            env.setParallelism(c.runtime().parallelism());
        }
        long interval = c.runtime().checkpointInterval().toMillis();
        if (interval > 0) {
            env.enableCheckpointing(interval);
        }
    }

    /**
     * Builds the pipeline on {@code env}: everything between the given sources and sinks. Tests
     * plug in their own; production passes {@link KafkaIO}.
     */
    public static void defineWorkflow(StreamExecutionEnvironment env, JobSources sources, JobSinks sinks, JobConfig c) {
        defineWorkflow(env, sources, sinks, c, InternalErrors.NONE, InternalErrors.NONE);
    }

    /**
     * Test-only variant: the same pipeline with fault hooks in the keyed operators that hold
     * per-instance state (the rollups and the rule evaluator), to exercise the per-key quarantine.
     */
    public static void defineWorkflow(StreamExecutionEnvironment env, JobSources sources, JobSinks sinks, JobConfig c,
            InternalErrors.FaultInjection rollupFaults, InternalErrors.FaultInjection ruleFaults) {
        configure(env, c);
        WireCodec codec = new WireCodec(c.maxRecordBytes());
        SnapshotValidator validator = new SnapshotValidator(c.time().maxFuture(),
                c.time().maxAge());
        SnapshotDeserializer deserializer = new SnapshotDeserializer(codec, validator, c.rules().enabled());

        WatermarkStrategy<SourceRecord> watermarks = WatermarkStrategy
                .<SourceRecord>forBoundedOutOfOrderness(c.time().watermarkBound())
                .withTimestampAssigner((r, kafkaTs) -> r.eventTime())
                .withIdleness(c.time().idleness());

        DataStream<SourceRecord> decoded = env
                .fromSource(sources.snapshots(c, deserializer), watermarks, NAME_SOURCE)
                .uid(UID_SOURCE);

        SingleOutputStreamOperator<CompactSnapshot> snapshots = decoded
                .process(new RouteRecords())
                .uid(UID_VALIDATE).name(NAME_VALIDATE);

        SingleOutputStreamOperator<RollupBatch> rollups = snapshots
                .keyBy(s -> s.instance)
                .process(new InstanceRollupFunction(
                        c.time().allowedLateness(),
                        c.time().maxGap(),
                        c.time().inventoryInterval(),
                        c.time().stateTtl(),
                        c.kafka().sourceTopics()).withFaultInjection(rollupFaults))
                .uid(UID_ROLLUP).name(NAME_ROLLUP);

        StoreWriterFactory store = sinks.store(c);
        rollups.sinkTo(storeSink(store, new RollupBuffer(), c, sinks))
                .uid(UID_SINK_ROLLUPS).name(NAME_SINK_ROLLUPS);

        DataStream<InstanceSeen> instances = rollups.getSideOutput(InstanceRollupFunction.INSTANCES);
        instances.sinkTo(storeSink(store, new SimpleBuffers.Instances(), c, sinks))
                .uid(UID_SINK_INSTANCES).name(NAME_SINK_INSTANCES);

        DataStream<StatementTexts> texts = snapshots.getSideOutput(RouteRecords.TEXTS);
        texts.sinkTo(storeSink(store, new SimpleBuffers.Texts(), c, sinks))
                .uid(UID_SINK_TEXTS).name(NAME_SINK_TEXTS);

        DataStream<DeadLetterRecord> deadLetters = snapshots.getSideOutput(RouteRecords.DEAD_LETTERS)
                .union(rollups.getSideOutput(InstanceRollupFunction.LATE));

        // ---- PLANS ------------------------------------------------------------------------
        // The collector's plans topic, when configured: captured plans → plan history (keyed per
        // instance, database, query id) → query_plan; plan changes go to the rules below.
        DataStream<Snapshot> planChanges = null;
        Source<PlanRecord, ?, ?> planSource = sources.plans(c, new PlansDeserializer(codec, validator));
        if (planSource != null) {
            WatermarkStrategy<PlanRecord> planWatermarks = WatermarkStrategy
                    .<PlanRecord>forBoundedOutOfOrderness(c.time().watermarkBound())
                    .withTimestampAssigner((r, kafkaTs) -> r.collectedAt)
                    .withIdleness(c.time().idleness());
            SingleOutputStreamOperator<CapturedPlan> captured = env
                    .fromSource(planSource, planWatermarks, NAME_PLANS_SOURCE).uid(UID_PLANS_SOURCE)
                    .process(new RoutePlans()).uid(UID_PLANS_ROUTE).name(NAME_PLANS_ROUTE);
            SingleOutputStreamOperator<CapturedPlan> history = captured
                    .keyBy(p -> p.key())
                    .process(new PlanHistoryFunction(c.time().planHistoryTtl()))
                    .uid(UID_PLAN_HISTORY).name(NAME_PLAN_HISTORY);
            history.sinkTo(storeSink(store, new SimpleBuffers.Plans(), c, sinks))
                    .uid(UID_SINK_PLANS).name(NAME_SINK_PLANS);
            deadLetters = deadLetters.union(captured.getSideOutput(RoutePlans.DEAD_LETTERS));
            planChanges = history.getSideOutput(PlanHistoryFunction.PLAN_CHANGES);
            // Plan analysis (keyed per instance, database): each captured plan, with the statement's
            // temp-block counters and the relations' sizes → open, refreshed and closed
            // recommendations → the recommendation table.
            DataStream<StatsReading> readings = snapshots.flatMap(new StatsReadings())
                    .uid(UID_STATS_READINGS).name(NAME_STATS_READINGS);
            history.connect(readings)
                    .keyBy(RecommendationFunction::key, StatsReading::databaseKey)
                    .process(new RecommendationFunction(c.time().planHistoryTtl()))
                    .uid(UID_RECOMMEND).name(NAME_RECOMMEND)
                    .sinkTo(storeSink(store, new SimpleBuffers.Recommendations(), c, sinks))
                    .uid(UID_SINK_RECOMMENDATIONS).name(NAME_SINK_RECOMMENDATIONS);
        }

        // ---- RULES HOOK -------------------------------------------------------------------
        // The stateful alert rules (rules/ module) attach to the full snapshot stream here when
        // rules.enabled is set; their alerts go to the alerts topic (keyed by fingerprint) and the
        // alert_event table, their insights to the insight table, their internal_error dead
        // letters to the one dead-letter sink. See RulesWiring.
        if (c.rules().enabled()) {
            DataStream<Snapshot> full = snapshots.getSideOutput(RouteRecords.FULL);
            if (planChanges != null) {
                full = full.union(planChanges);
            }
            deadLetters = deadLetters.union(RulesWiring.attach(full, c, sinks, store, ruleFaults));
        }
        deadLetters.sinkTo(sinks.deadLetters(c)).uid(UID_SINK_DLQ).name(NAME_SINK_DLQ);
    }

    /**
     * A store sink with the job's batch size and retry policy; rows the store refuses go to a
     * writer of the job's dead-letter sink of its own (opened on the first one).
     */
    static <T> StoreSink<T> storeSink(StoreWriterFactory store, StoreBuffer<T> buffer, JobConfig c, JobSinks sinks) {
        StoreCalls.Retry retry = new StoreCalls.Retry(c.store().retryAttempts(), c.store().retryBackoff(),
                JobConfig.Store.MAX_RETRY_BACKOFF);
        return new StoreSink<>(store, buffer, c.store().batchRows(), retry, sinks.deadLetters(c));
    }
}
