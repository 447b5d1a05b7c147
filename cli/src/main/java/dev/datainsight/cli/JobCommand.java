package dev.datainsight.cli;

import dev.datainsight.jobs.DataInsightJob;
import dev.datainsight.jobs.JobConfig;
import dev.datainsight.jobs.JobNames;
import dev.datainsight.jobs.KafkaIO;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code datainsight job --config job.yaml}: runs the DataInsight Flink job on a local Flink
 * runtime in this process (the same job the shaded jar runs on a cluster). See docs/job.md.
 */
@Command(name = "job", mixinStandardHelpOptions = true,
        description = "Run the Flink job (Kafka -> rates and rollups -> store) on a local Flink runtime.")
public final class JobCommand implements Callable<Integer> {

    @Option(names = "--config", description = "Job configuration (YAML); see jobs/job.example.yaml.")
    Path config;

    @Option(names = "--set", description = "Override one setting, e.g. --set kafka.bootstrap_servers=host:9092 (repeatable; docs/configuration.md).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--web-ui-port", description = "Also serve the Flink web UI on this port (needs flink-runtime-web on the class path).")
    Integer webUiPort;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        JobConfig c = JobConfig.load(config, overrides);
        Configuration f = DataInsightJob.flinkConfiguration(c);
        if (webUiPort != null) {
            f.setString("rest.port", String.valueOf(webUiPort));
        }
        int parallelism = c.runtime().parallelismOr(JobConfig.Runtime.EMBEDDED_PARALLELISM);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, f);
        spec.commandLine().getOut().printf("DataInsight job: %s -> %s (parallelism %d, checkpoints every %s, %s state)%n",
                c.kafka().bootstrapServers(), c.store().jdbcUrl(), parallelism, c.runtime().checkpointInterval(),
                f.get(org.apache.flink.configuration.StateBackendOptions.STATE_BACKEND));
        spec.commandLine().getOut().flush();
        DataInsightJob.prepare(c);
        KafkaIO io = new KafkaIO();
        DataInsightJob.defineWorkflow(env, io, io, c);
        JobClient job = env.executeAsync(JobNames.JOB_NAME);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(job), "job-shutdown"));
        job.getJobExecutionResult().get();
        return 0;
    }

    /**
     * Ctrl-C / SIGTERM: cancels the job (the local runtime then winds down) and bounds the whole
     * stop by {@link #STOP_DEADLINE}, even while the job fails and restarts: past it the JVM halts.
     */
    static void stop(JobClient job) {
        if (job.getJobExecutionResult().isDone()) {
            return; // finished (a bounded run) or failed: nothing to cancel
        }
        Thread deadline = new Thread(() -> {
            try {
                Thread.sleep(STOP_DEADLINE.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("datainsight job: still stopping after " + STOP_DEADLINE.toSeconds() + " s; exiting");
            Runtime.getRuntime().halt(143);
        }, "job-stop-deadline");
        deadline.setDaemon(true);
        deadline.start();
        try {
            job.cancel().get(STOP_DEADLINE.toSeconds() / 2, TimeUnit.SECONDS);
        } catch (Exception e) {
            // already finished, failed or not answering: the JVM exits anyway
        }
    }

    /** How long a stop may take from Ctrl-C / SIGTERM until the process is gone. */
    static final Duration STOP_DEADLINE = Duration.ofSeconds(25);
}
