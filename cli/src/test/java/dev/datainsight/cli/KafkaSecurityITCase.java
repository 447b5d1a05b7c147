package dev.datainsight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.FleetConfig;
import dev.datainsight.collector.KafkaSnapshotSink;
import dev.datainsight.embedded.EmbeddedKafka;
import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.embedded.TestCertificates;
import dev.datainsight.jobs.JobConfig;
import dev.datainsight.jobs.KafkaIO;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.WireCodec;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.notify.AlertConsumer;
import dev.datainsight.notify.FileDeadLetterSink;
import dev.datainsight.notify.Notifier;
import dev.datainsight.notify.RetryPolicy;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka over TLS with SASL, end to end through the product's own client factories, against a
 * real broker whose SASL_SSL listener and certificates (a CA and a server certificate for
 * 127.0.0.1, made with keytool) this test creates: the collector publishes with SCRAM-SHA-512
 * configured in its fleet file's {@code kafka.properties}; the job creates its topics, reads the
 * snapshot and writes an alert with SCRAM-SHA-512 from the job file's {@code kafka.properties};
 * the notifier reads the alert with PLAIN over TLS from its Kafka properties. Every password is
 * read by the Kafka clients from a secrets file through Kafka's {@code FileConfigProvider}, so
 * the configurations (and the job graph) hold only a reference. A wrong password and a client
 * that does not trust the CA are refused. Every log line of the run (broker, clients, product
 * code, INFO and up, stack traces included) is captured and searched for the passwords.
 */
class KafkaSecurityITCase {
    static final String COLLECTOR_PW = "collector-" + UUID.randomUUID();
    static final String JOB_PW = "job-" + UUID.randomUUID();
    static final String NOTIFIER_PW = "notifier-" + UUID.randomUUID();

    static Path dir;
    static TestCertificates certs;
    static EmbeddedKafka kafka;
    static Path secrets;

    /** Every log event of this class's run (broker, clients, product code), INFO and up, with stack traces. */
    static final StringBuffer LOG = new StringBuffer();
    static final Map<String, org.apache.logging.log4j.Level> LEVELS = new LinkedHashMap<>();
    static org.apache.logging.log4j.core.appender.AbstractAppender capture;
    /**
     * The logger context the capture is attached to, held here: log4j keeps contexts only weakly,
     * so when this class is the first of its JVM (no logger exists yet to hold it) a garbage
     * collection would drop it, and the next logger would come with a fresh context without the
     * capture.
     */
    static org.apache.logging.log4j.core.LoggerContext context;
    /** The console appenders set aside while INFO is captured (the build's output stays as quiet as before). */
    static final Map<org.apache.logging.log4j.core.config.LoggerConfig, List<org.apache.logging.log4j.core.Appender>>
            SET_ASIDE = new LinkedHashMap<>();

    @BeforeAll
    static void startBroker() throws Exception {
        captureLogs();
        dir = KafkaExtension.tmpBase().resolve("kafka-sasl-" + UUID.randomUUID());
        certs = TestCertificates.create(dir.resolve("certs"));
        kafka = EmbeddedKafka.startSecure(dir.resolve("broker"), new EmbeddedKafka.Security(certs,
                Map.of("notifier", NOTIFIER_PW), Map.of("collector", COLLECTOR_PW, "job", JOB_PW)));
        secrets = dir.resolve("kafka-secrets.properties");
        Files.writeString(secrets, "collector.password=" + COLLECTOR_PW + "\njob.password=" + JOB_PW
                + "\nnotifier.password=" + NOTIFIER_PW + "\nwrong.password=not-it\n");
    }

    @AfterAll
    static void stopBroker() {
        try {
            if (kafka != null) {
                kafka.close();
            }
        } finally {
            org.apache.logging.log4j.core.LoggerContext ctx =
                    (org.apache.logging.log4j.core.LoggerContext) org.apache.logging.log4j.LogManager.getContext(false);
            for (var l : loggerConfigs(ctx.getConfiguration())) {
                l.removeAppender(capture.getName());
                for (var a : SET_ASIDE.getOrDefault(l, List.of())) {
                    l.addAppender(a, null, null);
                }
                if (LEVELS.containsKey(l.getName())) {
                    l.setLevel(LEVELS.get(l.getName()));
                }
            }
            ctx.updateLoggers();
        }
        // Secrets never in a log line or a logged exception: none of the test passwords (nor the
        // SCRAM salted forms' source, the secrets file's lines) appears anywhere in the run's logs.
        String logs = LOG.toString();
        assertTrue(logs.length() > 10_000, "the run logged (" + logs.length() + " chars)");
        assertTrue(logs.contains("sasl.jaas.config = [hidden]"), "the clients logged their (masked) settings");
        for (String secret : List.of(COLLECTOR_PW, JOB_PW, NOTIFIER_PW, certs.password())) {
            assertFalse(logs.contains(secret), "a password is in the logs: " + around(logs, secret));
        }
    }

    private static String around(String text, String secret) {
        int i = text.indexOf(secret);
        return text.substring(Math.max(0, i - 300), Math.min(text.length(), i + 100)).replace(secret, "<SECRET>");
    }

    /** The root logger's configuration and every named one. */
    private static java.util.Set<org.apache.logging.log4j.core.config.LoggerConfig> loggerConfigs(
            org.apache.logging.log4j.core.config.Configuration conf) {
        java.util.Set<org.apache.logging.log4j.core.config.LoggerConfig> all = new java.util.LinkedHashSet<>();
        all.add(conf.getRootLogger());
        all.addAll(conf.getLoggers().values());
        return all;
    }

    /** Adds an appender recording every event at INFO and up from every logger (levels restored afterwards). */
    static void captureLogs() {
        org.apache.logging.log4j.core.LoggerContext ctx =
                (org.apache.logging.log4j.core.LoggerContext) org.apache.logging.log4j.LogManager.getContext(false);
        context = ctx;
        capture = new org.apache.logging.log4j.core.appender.AbstractAppender("secrets-capture", null, null, true,
                org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY) {
            @Override
            public void append(org.apache.logging.log4j.core.LogEvent e) {
                LOG.append(e.getLoggerName()).append(' ').append(e.getMessage().getFormattedMessage()).append('\n');
                if (e.getThrown() != null) {
                    java.io.StringWriter w = new java.io.StringWriter();
                    e.getThrown().printStackTrace(new java.io.PrintWriter(w));
                    LOG.append(w).append('\n');
                }
            }
        };
        capture.start();
        var conf = ctx.getConfiguration();
        for (var l : loggerConfigs(conf)) {
            LEVELS.put(l.getName(), l.getLevel());
            List<org.apache.logging.log4j.core.Appender> aside = new ArrayList<>(l.getAppenders().values());
            aside.forEach(a -> l.removeAppender(a.getName()));
            SET_ASIDE.put(l, aside);
            if (l.getLevel().isMoreSpecificThan(org.apache.logging.log4j.Level.INFO)) {
                l.setLevel(org.apache.logging.log4j.Level.INFO);
            }
            l.addAppender(capture, org.apache.logging.log4j.Level.INFO, null);
        }
        ctx.updateLoggers();
    }

    /** The client settings a deployment writes: TLS trusting the CA, SASL with the password from the secrets file. */
    static Map<String, String> clientProperties(String mechanism, String user, String secretKey) {
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        Map<String, String> p = new LinkedHashMap<>();
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", mechanism);
        p.put("sasl.jaas.config", module + " required username=\"" + user + "\" password=\"${file:" + secrets + ":"
                + secretKey + "}\";");
        p.put("config.providers", "file");
        p.put("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
        p.put("ssl.truststore.type", "PKCS12");
        p.put("ssl.truststore.location", certs.trustStore().toString());
        p.put("ssl.truststore.password", certs.password());
        return p;
    }

    @Test
    void collectorJobAndNotifier_talkToASaslSslBroker_withScramAndPlain() throws Exception {
        String metrics = "sec-metrics-" + UUID.randomUUID();
        String statements = "sec-statements-" + UUID.randomUUID();
        String alerts = "sec-alerts-" + UUID.randomUUID();
        String dlq = "sec-dlq-" + UUID.randomUUID();

        // The job: its file's kafka.properties, as --set would give them; topics created over SASL_SSL.
        List<String> overrides = new ArrayList<>(List.of("kafka.bootstrap_servers=" + kafka.secureBootstrapServers(),
                "kafka.source_topics=[" + metrics + ", " + statements + "]", "kafka.alerts_topic=" + alerts,
                "kafka.dead_letter_topic=" + dlq, "kafka.create_topics_partitions=1"));
        clientProperties("SCRAM-SHA-512", "job", "job.password")
                .forEach((k, v) -> overrides.add("kafka.properties." + k + "=" + v));
        JobConfig job = JobConfig.load(null, overrides);
        assertFalse(job.toString().contains(JOB_PW), "the job configuration holds no password");
        KafkaIO.createTopics(job);
        // Created over SASL_SSL, seen through the broker's own PLAINTEXT listener (once the new
        // topics' metadata reached it).
        List<String> wanted = List.of(metrics, statements, alerts, dlq);
        Set<String> topics = Set.of();
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); System.nanoTime() < end; Thread.sleep(200)) {
            topics = kafka.admin().listTopics().names().get(10, TimeUnit.SECONDS);
            if (topics.containsAll(wanted)) {
                break;
            }
        }
        assertTrue(topics.containsAll(wanted), topics.toString());

        // The collector: the fleet file's kafka section with the same kind of properties (SCRAM).
        StringBuilder fleet = new StringBuilder("kafka:\n  bootstrap_servers: " + kafka.secureBootstrapServers()
                + "\n  metrics_topic: " + metrics + "\n  statements_topic: " + statements + "\n  properties:\n");
        clientProperties("SCRAM-SHA-512", "collector", "collector.password")
                .forEach((k, v) -> fleet.append("    ").append(k).append(": '").append(v).append("'\n"));
        fleet.append("instances:\n  - id: sec-pg\n    url: postgresql://monitor@127.0.0.1:5432/postgres\n");
        FleetConfig cfg = FleetConfig.parse(new StringReader(fleet.toString()), "fleet.yaml", Map.of(), dir);
        CountDownLatch acked = new CountDownLatch(1);
        try (KafkaSnapshotSink sink = KafkaSnapshotSink.from(cfg.kafka())) {
            sink.publish(snapshot("sec-pg"), acked::countDown);
            assertTrue(acked.await(30, TimeUnit.SECONDS), "the broker acknowledged the collector's snapshot");
        }

        // The job's consumer settings read it back; its producer settings write an alert.
        WireCodec codec = new WireCodec();
        Properties cp = KafkaIO.consumerProperties(job);
        cp.put("bootstrap.servers", job.kafka().bootstrapServers());
        cp.put("group.id", "sec-job-" + UUID.randomUUID());
        cp.put("auto.offset.reset", "earliest");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(metrics));
            List<Snapshot> read = new ArrayList<>();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (read.isEmpty() && System.nanoTime() < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read.add(codec.decodeSnapshot(r.value()).value());
                }
            }
            assertEquals(1, read.size(), "the job read the collector's snapshot");
            assertEquals("sec-pg", read.get(0).getInstance());
        }
        AlertEvent alert = new AlertEvent();
        alert.setFingerprint("fp-sec");
        alert.setRule("lock_contention");
        alert.setSeverity(Severity.WARNING);
        alert.setStatus(AlertStatus.FIRING);
        alert.setInstance("sec-pg");
        alert.setStartedAt(1_000_000L);
        alert.setEventAt(1_060_000L);
        alert.setSummary("4 sessions wait on locks");
        Properties pp = KafkaIO.producerProperties(job);
        pp.put("bootstrap.servers", job.kafka().bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(alerts, alert.getFingerprint().getBytes(), codec.encode(alert)))
                    .get(30, TimeUnit.SECONDS);
        }

        // The notifier: PLAIN over TLS.
        List<AlertEvent> delivered = new CopyOnWriteArrayList<>();
        Notifier target = new Notifier() {
            @Override
            public String name() {
                return "recording";
            }

            @Override
            public void deliver(AlertEvent event) {
                delivered.add(event);
            }
        };
        AlertConsumer notifier = new AlertConsumer(new AlertConsumer.Config(kafka.secureBootstrapServers(), alerts,
                "sec-notify-" + UUID.randomUUID(), AlertConsumer.StartFrom.EARLIEST,
                new RetryPolicy(2, Duration.ofMillis(50), Duration.ofMillis(100), 2.0), Duration.ofMillis(200),
                clientProperties("PLAIN", "notifier", "notifier.password")), List.of(target),
                new FileDeadLetterSink(dir.resolve("notify-dlq.jsonl")));
        Thread t = new Thread(notifier, "sec-notify");
        t.start();
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (delivered.isEmpty() && System.nanoTime() < end) {
                Thread.sleep(100);
            }
        } finally {
            notifier.stop();
            assertTrue(notifier.awaitStopped(Duration.ofSeconds(30)));
        }
        assertEquals(1, delivered.size(), "the notifier delivered the job's alert");
        assertEquals("fp-sec", delivered.get(0).getFingerprint());
    }

    @Test
    void aWrongPassword_orAnUntrustedCertificate_isRefused() {
        Map<String, String> wrong = clientProperties("SCRAM-SHA-512", "job", "wrong.password");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KafkaIO.createTopics(job(wrong)));
        assertTrue(e.getMessage().contains("Authentication failed"), e.getMessage());
        assertFalse(e.getMessage().contains(JOB_PW) || e.getMessage().contains("not-it"), e.getMessage());

        Map<String, String> untrusted = new LinkedHashMap<>(clientProperties("SCRAM-SHA-512", "job", "job.password"));
        untrusted.remove("ssl.truststore.location");
        untrusted.remove("ssl.truststore.password");
        untrusted.remove("ssl.truststore.type");
        e = assertThrows(IllegalStateException.class, () -> KafkaIO.createTopics(job(untrusted)));
        assertTrue(e.getMessage().contains("SSL handshake failed"), e.getMessage());
    }

    private static JobConfig job(Map<String, String> properties) {
        return JobConfig.builder().kafka(k -> k.bootstrapServers(kafka.secureBootstrapServers())
                .sourceTopics(List.of("sec-refused")).createTopicsPartitions(1)
                .properties(withTimeouts(properties))).build();
    }

    private static Map<String, String> withTimeouts(Map<String, String> p) {
        Map<String, String> m = new LinkedHashMap<>(p);
        m.put("default.api.timeout.ms", "15000");
        m.put("request.timeout.ms", "10000");
        return m;
    }

    private static Snapshot snapshot(String instance) {
        MetricsSnapshot s = new MetricsSnapshot();
        s.setInstance(instance);
        s.setServerVersionNum(170000);
        s.setCollectedAt(System.currentTimeMillis());
        s.setView("pg_stat_database");
        s.getRows().add(new SnapshotRow().label("datname", "app").value("xact_commit", 1.0).value("numbackends", 1.0));
        return s;
    }
}
