package dev.datainsight.cli;

import dev.datainsight.collector.Collector;
import dev.datainsight.collector.CollectorHttpServer;
import dev.datainsight.collector.ConfigException;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.collector.InstanceStatus;
import dev.datainsight.collector.KafkaSnapshotSink;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.WireCodec;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code datainsight collect}: runs the collector on a fleet file and publishes to Kafka, or with
 * {@code --once} prints one cycle as JSON lines (the wire format) to stdout.
 */
@Command(name = "collect", mixinStandardHelpOptions = true,
        description = {"Collect PostgreSQL statistics and publish them to Kafka.",
            "With --once, print one cycle of one target (or of every fleet server) as JSON lines instead."},
        footer = {"", "Examples:",
            "  datainsight collect --config collector/fleet.example.yaml",
            "  datainsight collect --once --target postgresql://datainsight@localhost:5432/postgres",
            "Fleet file reference: docs/collector.md"})
public final class CollectCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "Fleet file (YAML).")
    Path config;

    @Option(names = "--once", description = "Run one cycle of every probe, print JSON lines to stdout, exit.")
    boolean once;

    @Option(names = "--target", paramLabel = "URL",
            description = "One server instead of a fleet file: jdbc:postgresql://host:port/db or postgresql://user[:pw]@host:port/db.")
    String target;

    @Option(names = "--id", paramLabel = "ID", defaultValue = "target", description = "Instance id for --target (default: ${DEFAULT-VALUE}).")
    String id;

    @Option(names = "--user", paramLabel = "ROLE", description = "Role for --target when the URL has none (default: $PGUSER, else postgres).")
    String user;

    @Option(names = "--password-env", paramLabel = "VAR",
            description = "Environment variable holding the --target password (default: PGPASSWORD if set).")
    String passwordEnv;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka, overriding the fleet file.")
    String bootstrapServers;

    @Option(names = "--metrics-listen", paramLabel = "[HOST:]PORT",
            description = {"Serve GET /metrics (Prometheus text format: up, cycle durations, probe errors by SQLSTATE,"
                + " Kafka buffer, drops) and GET /health (JSON; 200 while the scheduler runs and Kafka acknowledges,"
                + " 503 otherwise) here. A bare PORT binds the loopback interface; 0.0.0.0:9464 every interface."
                + " Overrides the fleet file's metrics_listen. Off by default."})
    String metricsListen;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        FleetConfig cfg = fleet();
        return once ? once(cfg) : run(cfg);
    }

    private FleetConfig fleet() {
        if (target != null && config != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give either --config or --target, not both");
        }
        if (target != null) {
            String pw = System.getenv(passwordEnv != null ? passwordEnv : "PGPASSWORD");
            if (passwordEnv != null && pw == null) {
                throw new ConfigException("environment variable " + passwordEnv + " is not set");
            }
            FleetConfig.InstanceBuilder b = FleetConfig.Instance.builder(id).url(target);
            if (user != null) {
                b.user(user);
            } else if (!target.contains("@") && !target.contains("user=")) {
                b.user(System.getenv().getOrDefault("PGUSER", "postgres"));
            }
            if (pw != null) {
                b.password(pw);
            }
            try {
                return FleetConfig.builder().instance(b.build()).build();
            } catch (IllegalArgumentException e) {
                throw new ConfigException("--target: " + e.getMessage(), e);
            }
        }
        if (config == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --config FILE (or --once --target URL)");
        }
        return FleetConfig.load(config);
    }

    private int once(FleetConfig cfg) {
        WireCodec codec = new WireCodec();
        PrintWriter out = spec.commandLine().getOut();
        int rc = 0;
        try (Collector c = new Collector(cfg, s -> { })) {
            for (FleetConfig.Instance i : cfg.instances()) {
                List<Snapshot> snaps = c.collectOnce(i.id());
                for (Snapshot s : snaps) {
                    out.println(new String(codec.encode(s), StandardCharsets.UTF_8));
                }
                out.flush();
                InstanceStatus st = c.status(i.id());
                if (!st.up()) {
                    spec.commandLine().getErr().println("error: " + i.id() + ": " + st.lastError());
                    rc = 1;
                }
                st.probeErrors().forEach((p, e) -> spec.commandLine().getErr().println("warning: " + i.id() + ": probe " + p + ": " + e));
            }
        }
        return rc;
    }

    private int run(FleetConfig cfg) throws Exception {
        FleetConfig.Kafka k = cfg.kafka();
        if (bootstrapServers != null) {
            k = new FleetConfig.Kafka(bootstrapServers, k.metricsTopic(), k.statementsTopic(), k.bufferRecords(),
                    k.plansTopic(), k.logsTopic(), k.properties());
        }
        String listen = metricsListen != null ? metricsListen : cfg.metricsListen();
        java.net.InetSocketAddress address;
        try {
            address = listen == null ? null : CollectorHttpServer.listenAddress(listen);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--metrics-listen " + e.getMessage());
        }
        CountDownLatch stop = new CountDownLatch(1);
        KafkaSnapshotSink sink = KafkaSnapshotSink.from(k);
        Collector c = new Collector(cfg, sink);
        CollectorHttpServer http = address == null ? null : CollectorHttpServer.start(address, c);
        Thread hook = new Thread(() -> {
            c.close();
            sink.close();
            if (http != null) {
                http.close();
            }
            stop.countDown();
        }, "datainsight-collect-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        c.start();
        if (http != null) {
            spec.commandLine().getErr().println("metrics at http://" + address.getHostString() + ":" + http.port()
                    + "/metrics, health at /health");
        }
        spec.commandLine().getErr().println("collecting from " + cfg.instances().size() + " server(s) into Kafka "
                + k.bootstrapServers() + " (" + k.metricsTopic() + ", " + k.statementsTopic() + "); Ctrl-C stops");
        stop.await();
        return 0;
    }
}
