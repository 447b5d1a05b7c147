package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.config.ConfigException;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the job sets in Flink and what it leaves to the cluster: state backend and checkpoint
 * storage only when the job file says so, never a temporary directory on a cluster, the
 * parallelism of {@code flink run -p} left alone, an explicit max parallelism, retained
 * checkpoints, no generic types.
 */
class FlinkSettingsTest {
    /** A mini cluster as the context environment: what a job submitted to a cluster sees (not a local runtime). */
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(3).build());

    @Test
    void clusterConfiguration_leavesStateBackendAndCheckpointStorageToTheCluster_whenUnset() {
        Configuration f = DataInsightJob.clusterConfiguration(JobConfig.defaults());
        assertFalse(f.getOptional(StateBackendOptions.STATE_BACKEND).isPresent(), f.toString());
        assertFalse(f.getOptional(CheckpointingOptions.CHECKPOINT_STORAGE).isPresent(), f.toString());
        assertFalse(f.getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY).isPresent(), f.toString());
        assertEquals(128, f.get(PipelineOptions.MAX_PARALLELISM));
        assertEquals(false, f.get(PipelineOptions.GENERIC_TYPES));
        assertEquals(false, f.get(PipelineOptions.AUTO_GENERATE_UIDS));
        assertEquals(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION,
                f.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION));
    }

    @Test
    void clusterConfiguration_setsWhatTheJobFileSays() {
        JobConfig c = JobConfig.load(null, List.of("runtime.state_backend=rocksdb",
                "runtime.checkpoint_dir=s3://bucket/datainsight", "runtime.max_parallelism=256"));
        Configuration f = DataInsightJob.clusterConfiguration(c);
        assertEquals("rocksdb", f.get(StateBackendOptions.STATE_BACKEND));
        assertEquals("filesystem", f.get(CheckpointingOptions.CHECKPOINT_STORAGE));
        assertEquals("s3://bucket/datainsight", f.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY));
        assertEquals(256, f.get(PipelineOptions.MAX_PARALLELISM));
    }

    @Test
    void embeddedConfiguration_defaultsToHashmapAndATemporaryDirectory_deletedOnCancel() {
        Configuration f = DataInsightJob.flinkConfiguration(JobConfig.defaults());
        assertEquals("hashmap", f.get(StateBackendOptions.STATE_BACKEND));
        String dir = f.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY);
        assertEquals(Path.of(System.getProperty("java.io.tmpdir"), "datainsight-checkpoints").toUri().toString(), dir);
        assertEquals(ExternalizedCheckpointRetention.DELETE_ON_CANCELLATION,
                f.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION));
        // A directory of its own is kept on cancel, as on a cluster.
        Configuration kept = DataInsightJob.flinkConfiguration(JobConfig.load(null,
                List.of("runtime.checkpoint_dir=file:///var/lib/datainsight/checkpoints")));
        assertEquals("file:///var/lib/datainsight/checkpoints", kept.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY));
        assertEquals(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION,
                kept.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION));
    }

    @Test
    void temporaryLocalDirectories_areRecognised() {
        String tmp = System.getProperty("java.io.tmpdir");
        assertTrue(DataInsightJob.isTemporaryLocalDir("file:///tmp/checkpoints"));
        assertTrue(DataInsightJob.isTemporaryLocalDir("/tmp/checkpoints"));
        assertTrue(DataInsightJob.isTemporaryLocalDir(Path.of(tmp, "x").toUri().toString()));
        assertTrue(DataInsightJob.isTemporaryLocalDir("file:/var/tmp/cp"));
        assertFalse(DataInsightJob.isTemporaryLocalDir("file:///mnt/shared/checkpoints"));
        assertFalse(DataInsightJob.isTemporaryLocalDir("s3://bucket/tmp/checkpoints"));
        assertFalse(DataInsightJob.isTemporaryLocalDir("hdfs:///tmp/checkpoints"));
        assertFalse(DataInsightJob.isTemporaryLocalDir("file:///tmpfs-not-tmp/cp"));
    }

    /** In a test the context environment is the mini cluster: main() takes the cluster path, as under flink run. */
    @Test
    void submittedToACluster_aTemporaryCheckpointDirIsRefused_withWhatToSetInstead() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataInsightJob.main(new String[] {
                "--set", "runtime.checkpoint_dir=file:///tmp/datainsight-checkpoints",
                "--set", "kafka.bootstrap_servers=127.0.0.1:1"}));
        assertTrue(e.getMessage().startsWith("runtime.checkpoint_dir file:///tmp/datainsight-checkpoints is a temporary"
                + " local directory"), e.getMessage());
        assertTrue(e.getMessage().contains("shared storage"), e.getMessage());
    }

    @Test
    void parallelismOfTheSubmission_isLeftAlone_unlessTheJobFileSetsOne() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(3); // what flink run -p 3 does to the context environment
        DataInsightJob.configure(env, JobConfig.defaults());
        assertEquals(3, env.getParallelism());
        DataInsightJob.configure(env, JobConfig.load(null, List.of("runtime.parallelism=2")));
        assertEquals(2, env.getParallelism());
    }

    /**
     * The whole pipeline (rules on) with the job's settings builds a job graph: every edge has a
     * non-generic serializer (generic types are disabled, a Kryo type fails here), every
     * vertex has the configured max parallelism.
     */
    @Test
    void wholePipeline_buildsWithGenericTypesDisabled_andTheMaxParallelism() {
        JobConfig c = JobConfig.load(null, List.of("rules.enabled=true", "runtime.max_parallelism=64",
                "kafka.bootstrap_servers=127.0.0.1:1"));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(DataInsightJob.flinkConfiguration(c));
        KafkaIO io = new KafkaIO();
        DataInsightJob.defineWorkflow(env, io, io, c);
        JobGraph graph = env.getStreamGraph().getJobGraph();
        int vertices = 0;
        for (JobVertex v : graph.getVertices()) {
            assertEquals(64, v.getMaxParallelism(), v.getName());
            vertices++;
        }
        assertTrue(vertices >= 4, "vertices: " + vertices);

        // The control: the same settings refuse a stream of a type that is not a POJO (Kryo).
        StreamExecutionEnvironment control = StreamExecutionEnvironment.getExecutionEnvironment(
                DataInsightJob.flinkConfiguration(c));
        Exception e = assertThrows(Exception.class, () -> {
            control.fromData(new NotAPojo(1), new NotAPojo(2)).uid("control-source").name("control")
                    .sinkTo(new org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink<>()).uid("control-sink");
            control.getStreamGraph().getJobGraph();
        });
        assertTrue(String.valueOf(e.getMessage()).contains("Generic types have been disabled"), e.toString());
    }

    /** No default constructor, a final field without setter: Flink can only serialize it with Kryo. */
    static final class NotAPojo {
        private final int n;

        NotAPojo(int n) {
            this.n = n;
        }

        @Override
        public String toString() {
            return "NotAPojo" + n;
        }
    }

    @Test
    void maxParallelism_isValidated() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> JobConfig.load(null, List.of("runtime.max_parallelism=0")));
        assertTrue(e.getMessage().contains("runtime.max_parallelism: must be 1 to 32768, got 0"), e.getMessage());
        e = assertThrows(ConfigException.class,
                () -> JobConfig.load(null, List.of("runtime.parallelism=8", "runtime.max_parallelism=4")));
        assertTrue(e.getMessage().contains("runtime.parallelism: must not exceed runtime.max_parallelism (4), got 8"),
                e.getMessage());
        assertThrows(ConfigException.class, () -> JobConfig.load(null, List.of("runtime.parallelism=-1")));
    }
}
