package dev.datainsight.jobs;

import static dev.datainsight.jobs.JobNames.*;

import dev.datainsight.jobs.rollup.InstanceRollupFunction;
import dev.datainsight.jobs.decode.PlansDeserializer;
import dev.datainsight.jobs.decode.RouteRecords;
import dev.datainsight.jobs.plans.PlanHistoryFunction;
import dev.datainsight.jobs.plans.RoutePlans;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

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
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfiguration(c));
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
     * The Flink configuration the job needs: no auto-generated uids (a missing uid fails fast),
     * object reuse (records are never mutated after they are emitted), checkpointing, the state
     * backend.
     */
    public static Configuration flinkConfiguration(JobConfig c) {
        Configuration f = new Configuration();
        f.set(PipelineOptions.AUTO_GENERATE_UIDS, false);
        f.set(PipelineOptions.OBJECT_REUSE, true);
        f.set(StateBackendOptions.STATE_BACKEND, c.runtime().stateBackend().flinkName());
        // Checkpoints go to files: the JobManager's memory storage caps state at 5 MB, which a
        // fleet of a few hundred servers exceeds. On a cluster, point checkpointDir at shared storage.
        String dir = c.runtime().checkpointDir();
        if (dir == null || dir.isBlank()) {
            dir = Path.of(System.getProperty("java.io.tmpdir"), "datainsight-checkpoints").toUri().toString();
        }
        f.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        f.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir);
        return f;
    }

    /** Applies the job's settings to an environment (parallelism, checkpointing). */
    public static void configure(StreamExecutionEnvironment env, JobConfig c) {
        env.getConfig().enableObjectReuse();
        env.setParallelism(c.runtime().parallelism());
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
