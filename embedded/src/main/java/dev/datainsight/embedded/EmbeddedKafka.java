package dev.datainsight.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker + controller) running in this JVM on
 * free loopback ports. It can be stopped and started again on the same ports and data, which the
 * resilience tests use to simulate an outage.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    private final Path dataDir;
    private final int port;
    private final int controllerPort;
    private final String clusterId = Uuid.randomUuid().toString();
    private KafkaRaftServer server;
    private Admin admin;

    private EmbeddedKafka(Path dataDir, int port, int controllerPort) {
        this.dataDir = dataDir;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    /** Starts a broker with its data under {@code dataDir} on free ports. */
    public static EmbeddedKafka start(Path dataDir) {
        return start(dataDir, FreePorts.next());
    }

    /**
     * Starts a broker on a given client port (0 = any free port).
     *
     * @throws IllegalStateException with a clear message when the port is taken
     */
    public static EmbeddedKafka start(Path dataDir, int port) {
        int p = port == 0 ? FreePorts.next() : port;
        if (FreePorts.isTaken(p)) {
            throw new IllegalStateException("Kafka port " + p + " on 127.0.0.1 is already in use");
        }
        EmbeddedKafka k = new EmbeddedKafka(dataDir, p, FreePorts.next());
        k.startServer();
        return k;
    }

    private Properties config() {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", dataDir.resolve("logs").toString());
        p.put("metadata.log.dir", dataDir.resolve("meta").toString());
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "false");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        p.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
        p.put("message.max.bytes", String.valueOf(8 * 1024 * 1024));
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        return p;
    }

    private void startServer() {
        long t0 = System.nanoTime();
        Properties props = config();
        try {
            Files.createDirectories(dataDir);
            Path configFile = dataDir.resolve("server.properties");
            try (Writer w = Files.newBufferedWriter(configFile)) {
                props.store(w, "DataInsight embedded Kafka");
            }
            if (!Files.exists(dataDir.resolve("meta").resolve("meta.properties"))) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                int rc;
                try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
                    rc = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", configFile.toString(),
                        "--ignore-formatted"}, ps);
                }
                if (rc != 0) {
                    throw new IllegalStateException("formatting Kafka storage failed: " + buf.toString(StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("preparing Kafka data dir " + dataDir, e);
        }
        server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
        server.startup();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
        awaitReady(Duration.ofSeconds(60));
        LOG.info("Kafka broker up at {} in {} ms (data {})", bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), dataDir);
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                    return;
                }
            } catch (Exception e) {
                last = new IllegalStateException("Kafka not ready: " + e.getMessage(), e);
            }
            sleep(100);
        }
        throw last != null ? last : new IllegalStateException("Kafka did not become ready in " + timeout);
    }

    /** {@code host:port} for clients. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public boolean isRunning() {
        return server != null;
    }

    /** An admin client bound to this broker (owned by the broker; do not close it). */
    public Admin admin() {
        if (admin == null) {
            throw new IllegalStateException("broker is stopped");
        }
        return admin;
    }

    /** Creates the topic if it does not exist yet and waits until it is usable. */
    public void createTopic(String name, int partitions) {
        createTopics(List.of(name), partitions);
    }

    /** Creates each topic that does not exist yet. */
    public void createTopics(List<String> names, int partitions) {
        List<NewTopic> topics = new ArrayList<>();
        for (String n : names) {
            topics.add(new NewTopic(n, partitions, (short) 1));
        }
        try {
            Set<String> existing = admin().listTopics().names().get(30, TimeUnit.SECONDS);
            topics.removeIf(t -> existing.contains(t.name()));
            if (topics.isEmpty()) {
                return;
            }
            admin().createTopics(topics).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("creating topics " + names + ": " + e.getCause(), e.getCause());
            }
        } catch (Exception e) {
            throw new IllegalStateException("creating topics " + names + ": " + e, e);
        }
    }

    /** Stops the broker but keeps its data and ports, so {@link #restart()} resumes it. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
        server.shutdown();
        server.awaitShutdown();
        server = null;
        LOG.info("Kafka broker at {} stopped", bootstrapServers());
    }

    /** Starts a stopped broker again on the same ports and data. */
    public synchronized void restart() {
        if (server != null) {
            return;
        }
        startServer();
    }

    @Override
    public void close() {
        stop();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
