package dev.datainsight.cli;

import dev.datainsight.model.WireFormat;
import dev.datainsight.notify.AlertConsumer;
import dev.datainsight.notify.AlertmanagerNotifier;
import dev.datainsight.notify.DeadLetterSink;
import dev.datainsight.notify.FileDeadLetterSink;
import dev.datainsight.notify.KafkaDeadLetterSink;
import dev.datainsight.notify.Notifier;
import dev.datainsight.notify.RetryPolicy;
import dev.datainsight.notify.StdoutNotifier;
import dev.datainsight.notify.WebhookNotifier;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code datainsight notify}: reads the alerts topic as a Kafka consumer group and delivers each
 * event to stdout, webhooks and/or Alertmanager, at least once (offsets are committed only after
 * delivery or dead-lettering). Each target has its own queue and delivery thread, so one that
 * hangs does not delay the others; the Alertmanager bridge's firing set follows the group's
 * partition ownership (see docs/operations.md, "Notifiers"). Runs until Ctrl-C.
 */
@Command(name = "notify", mixinStandardHelpOptions = true,
        description = {"Deliver alert events from Kafka to stdout, webhooks and Alertmanager (at least once).",
            "Offsets are committed only after every target took the event or its failure was dead-lettered;",
            "a restart may resend, and every payload carries a de-duplication key."})
public final class NotifyCommand implements Callable<Integer> {

    @Option(names = {"-b", "--bootstrap-servers"}, defaultValue = "${env:DATAINSIGHT_KAFKA:-127.0.0.1:9092}",
            description = "Kafka bootstrap servers (env DATAINSIGHT_KAFKA). Default: ${DEFAULT-VALUE}")
    String bootstrap;

    @Option(names = "--kafka-property", paramLabel = "NAME=VALUE",
            description = "A Kafka client setting (TLS, SASL, tuning), e.g. security.protocol=SASL_SSL; the same keys as the"
                    + " job's and the collector's kafka.properties (repeatable; docs/configuration.md).")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Option(names = "--topic", defaultValue = WireFormat.TOPIC_ALERTS, description = "Alerts topic. Default: ${DEFAULT-VALUE}")
    String topic;

    @Option(names = "--group", defaultValue = "datainsight-notify", description = "Consumer group id. Default: ${DEFAULT-VALUE}")
    String group;

    @Option(names = "--start", defaultValue = "earliest",
            description = "Where a new group starts: earliest or latest. Default: ${DEFAULT-VALUE}")
    AlertConsumer.StartFrom start;

    @Option(names = "--stdout", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Print one line per event (default on; --no-stdout turns it off).")
    boolean stdout;

    @Option(names = "--webhook", paramLabel = "URL", description = "POST each event's JSON here (repeatable).")
    List<URI> webhooks = new ArrayList<>();

    @Option(names = "--webhook-header", paramLabel = "NAME=ENV_VAR",
            description = "Add header NAME with the value of environment variable ENV_VAR to webhook requests (keeps secrets off the command line).")
    Map<String, String> webhookHeaders = new LinkedHashMap<>();

    @Option(names = "--alertmanager", paramLabel = "URL", description = "Alertmanager base URL, e.g. http://alertmanager:9093 (repeatable).")
    List<URI> alertmanagers = new ArrayList<>();

    @Option(names = "--console-url", paramLabel = "URL", defaultValue = "${env:DATAINSIGHT_CONSOLE_URL}",
            description = {"External base URL of the console (./datainsight serve), e.g. https://pg-console.example.org"
                + " (env DATAINSIGHT_CONSOLE_URL). Alertmanager alerts then carry generatorURL = URL/alerts/FINGERPRINT,"
                + " the alert's console page, and webhook bodies carry it as alert_url."})
    URI consoleUrl;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT",
            description = {"Serve GET /metrics (Prometheus text format: deliveries, failures and latency per target, backlog,"
                + " partitions) and GET /health (JSON; 200 while the consumer polls, 503 otherwise) here,"
                + " e.g. 0.0.0.0:9465. Off by default."})
    String metricsListen;

    @Option(names = "--max-attempts", defaultValue = "5", description = "Attempts per target before dead-lettering. Default: ${DEFAULT-VALUE}")
    int maxAttempts;

    @Option(names = "--backoff", defaultValue = "500ms", description = "First retry backoff (a duration, e.g. 500ms; doubles up to --max-backoff). Default: ${DEFAULT-VALUE}")
    Duration backoff;

    @Option(names = "--max-backoff", defaultValue = "30s", description = "Longest backoff. Default: ${DEFAULT-VALUE}")
    Duration maxBackoff;

    @Option(names = "--timeout", defaultValue = "10s", description = "HTTP timeout. Default: ${DEFAULT-VALUE}")
    Duration timeout;

    @Option(names = "--dead-letter-file", paramLabel = "FILE", description = "Append undeliverable events here (JSON lines).")
    Path deadLetterFile;

    @Option(names = "--dead-letter-topic", paramLabel = "TOPIC",
            description = "Or produce them to this Kafka topic. Default when neither is given: ./notify-deadletter.jsonl")
    String deadLetterTopic;

    @Override
    public Integer call() throws Exception {
        List<Notifier> targets = new ArrayList<>();
        if (stdout) {
            targets.add(new StdoutNotifier(System.out));
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : webhookHeaders.entrySet()) {
            String v = System.getenv(h.getValue());
            if (v == null) {
                throw new IllegalArgumentException("--webhook-header " + h.getKey() + "=" + h.getValue()
                        + ": environment variable " + h.getValue() + " is not set");
            }
            headers.put(h.getKey(), v);
        }
        for (URI u : webhooks) {
            targets.add(new WebhookNotifier(u, timeout, headers, consoleUrl));
        }
        for (URI u : alertmanagers) {
            targets.add(new AlertmanagerNotifier(u, timeout, Duration.ofHours(1), Duration.ofMinutes(5), Map.of(),
                    System::currentTimeMillis, consoleUrl));
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no target: use --stdout, --webhook URL or --alertmanager URL");
        }
        if (deadLetterFile != null && deadLetterTopic != null) {
            throw new IllegalArgumentException("choose one of --dead-letter-file and --dead-letter-topic");
        }
        checkKafka(bootstrap, topic, kafkaProperties);
        DeadLetterSink dlq = deadLetterTopic != null ? new KafkaDeadLetterSink(bootstrap, deadLetterTopic, kafkaProperties)
                : new FileDeadLetterSink(deadLetterFile != null ? deadLetterFile : Path.of("notify-deadletter.jsonl"));
        RetryPolicy retry = new RetryPolicy(maxAttempts, backoff, maxBackoff, 2.0);
        AlertConsumer consumer = new AlertConsumer(new AlertConsumer.Config(bootstrap, topic, group, start, retry,
                Duration.ofMillis(500), kafkaProperties), targets, dlq);
        Thread hook = new Thread(() -> {
            consumer.stop();
            try {
                consumer.awaitStopped(Duration.ofSeconds(15));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "notify-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        dev.datainsight.notify.NotifierHttpServer http = metricsListen == null ? null
                : dev.datainsight.notify.NotifierHttpServer.start(listenAddress(metricsListen), consumer);
        System.err.println("datainsight notify: group '" + group + "' reading " + topic + " at " + bootstrap + " -> "
                + targets.stream().map(Notifier::name).toList() + "; dead letters to " + dlq.describe() + " (Ctrl-C stops)");
        if (http != null) {
            System.err.println("datainsight notify: metrics at http://" + metricsListen + "/metrics, health at /health");
        }
        try {
            consumer.run();
        } finally {
            if (http != null) {
                http.close();
            }
            dlq.close();
        }
        System.err.println("datainsight notify: stopped after " + consumer.received() + " events; delivered "
                + consumer.delivered() + ", dead-lettered " + consumer.deadLettered());
        return 0;
    }

    /** {@code HOST:PORT} (a bracketed IPv6 host allowed) as a socket address to bind. */
    static java.net.InetSocketAddress listenAddress(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("--metrics-listen " + hostPort + ": expected HOST:PORT, e.g. 127.0.0.1:9465");
        }
        String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--metrics-listen " + hostPort + ": the port is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--metrics-listen " + hostPort + ": port out of range");
        }
        return new java.net.InetSocketAddress(host, port);
    }

    /** Fails fast, with a clear message, when the broker or the topic is not there. */
    static void checkKafka(String bootstrap, String topic) {
        checkKafka(bootstrap, topic, Map.of());
    }

    /** The topic exists, asked with the notifier's Kafka client settings ({@code --kafka-property}). */
    static void checkKafka(String bootstrap, String topic, Map<String, String> kafkaProperties) {
        Map<String, Object> props = new LinkedHashMap<>(kafkaProperties);
        props.put("bootstrap.servers", bootstrap);
        props.putIfAbsent("request.timeout.ms", 5000);
        props.putIfAbsent("default.api.timeout.ms", 10000);
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(props)) {
            java.util.Set<String> topics = admin.listTopics().names().get(15, java.util.concurrent.TimeUnit.SECONDS);
            if (!topics.contains(topic)) {
                throw new IllegalStateException("topic " + topic + " does not exist on " + bootstrap
                        + " (the job creates it; or create it with kafka-topics.sh)");
            }
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Kafka at " + bootstrap + " is unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
