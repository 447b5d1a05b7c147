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
    private final Security security;
    private final int securePort;

    private EmbeddedKafka(Path dataDir, int port, int controllerPort, Security security, int securePort) {
        this.dataDir = dataDir;
        this.port = port;
        this.controllerPort = controllerPort;
        this.security = security;
        this.securePort = securePort;
    }

    /**
     * A second client listener, {@code SASL_SSL}: TLS with the given certificates (the server's
     * key store), clients authenticating with SASL PLAIN or SCRAM-SHA-512. The PLAINTEXT listener
     * stays for the broker's own use (controller, the test's admin client).
     *
     * @param certificates the server certificate (signed for 127.0.0.1) and its password
     * @param plainUsers user → password accepted by the PLAIN mechanism
     * @param scramUsers user → password registered as SCRAM-SHA-512 credentials once the broker is up
     */
    public record Security(TestCertificates certificates, Map<String, String> plainUsers,
            Map<String, String> scramUsers) {
        public Security {
            plainUsers = Map.copyOf(plainUsers);
            scramUsers = Map.copyOf(scramUsers);
        }
    }

    /** Starts a broker with a {@code SASL_SSL} listener besides the PLAINTEXT one; see {@link Security}. */
    public static EmbeddedKafka startSecure(Path dataDir, Security security) {
        EmbeddedKafka k = new EmbeddedKafka(dataDir, FreePorts.next(), FreePorts.next(), security, FreePorts.next());
        k.startServer();
        k.registerScramUsers();
        return k;
    }

    /** {@code host:port} of the SASL_SSL listener (only on a broker from {@link #startSecure}). */
    public String secureBootstrapServers() {
        if (security == null) {
            throw new IllegalStateException("this broker has no SASL_SSL listener");
        }
        return "127.0.0.1:" + securePort;
    }

    private void registerScramUsers() {
        if (security.scramUsers().isEmpty()) {
            return;
        }
        List<org.apache.kafka.clients.admin.UserScramCredentialAlteration> alterations = new java.util.ArrayList<>();
        security.scramUsers().forEach((user, password) -> alterations.add(
                new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(user,
                        new org.apache.kafka.clients.admin.ScramCredentialInfo(
                                org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_512, 4096), password)));
        try {
            admin.alterUserScramCredentials(alterations).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("registering SCRAM users: " + e, e);
        }
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
        EmbeddedKafka k = new EmbeddedKafka(dataDir, p, FreePorts.next(), null, 0);
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
        if (security != null) {
            TestCertificates c = security.certificates();
            p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",SASL_SSL://127.0.0.1:" + securePort
                    + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port + ",SASL_SSL://127.0.0.1:" + securePort);
            p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL");
            p.put("sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN");
            p.put("ssl.keystore.type", "PKCS12");
            p.put("ssl.keystore.location", c.keyStore().toString());
            p.put("ssl.keystore.password", c.password());
            p.put("ssl.key.password", c.password());
            StringBuilder plain = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
            security.plainUsers().forEach((u, pw) -> plain.append(" user_").append(u).append("=\"").append(pw).append('"'));
            p.put("listener.name.sasl_ssl.plain.sasl.jaas.config", plain.append(';').toString());
            p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        }
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
