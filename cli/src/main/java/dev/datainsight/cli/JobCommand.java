package dev.datainsight.cli;

import dev.datainsight.jobs.DataInsightJob;
import dev.datainsight.jobs.JobConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
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
        DataInsightJob.run(env, c);
        return 0;
    }
}
