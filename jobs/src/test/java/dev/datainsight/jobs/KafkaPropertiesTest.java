package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.datainsight.jobs.decode.SnapshotDeserializer;
import dev.datainsight.jobs.decode.SnapshotValidator;
import dev.datainsight.model.WireCodec;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.junit.jupiter.api.Test;

/**
 * {@code kafka.properties} (TLS, SASL, client tuning) reach every Kafka client of the job: the
 * snapshot source, the dead-letter and alert sinks and the admin client that creates topics, as
 * built (read back from the connector objects).
 */
class KafkaPropertiesTest {
    static final Map<String, String> SECURITY = new LinkedHashMap<>();

    static {
        SECURITY.put("security.protocol", "SASL_SSL");
        SECURITY.put("sasl.mechanism", "SCRAM-SHA-512");
        SECURITY.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"job\" password=\"${env:KAFKA_PASSWORD}\";");
        SECURITY.put("ssl.truststore.location", "/etc/datainsight/kafka-ca.p12");
        SECURITY.put("config.providers", "env");
        SECURITY.put("config.providers.env.class", "org.apache.kafka.common.config.provider.EnvVarConfigProvider");
        SECURITY.put("linger.ms", "50");
    }

    static JobConfig config() {
        return JobConfig.builder().kafka(k -> k.bootstrapServers("broker-1:9093").properties(SECURITY)).build();
    }

    static Properties field(Object o, String name) throws Exception {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return (Properties) f.get(o);
    }

    static void assertHasAll(Properties p, String client) {
        for (Map.Entry<String, String> e : SECURITY.entrySet()) {
            assertEquals(e.getValue(), p.getProperty(e.getKey()), client + " " + e.getKey());
        }
    }

    @Test
    void everyClientGetsTheConfiguredProperties() throws Exception {
        JobConfig c = config();
        KafkaIO io = new KafkaIO();
        SnapshotDeserializer d = new SnapshotDeserializer(new WireCodec(), new SnapshotValidator(Duration.ofSeconds(30),
                Duration.ofDays(7)), false);
        KafkaSource<?> source = (KafkaSource<?>) io.snapshots(c, d);
        Properties consumer = field(source, "props");
        assertHasAll(consumer, "source");
        assertEquals("broker-1:9093", consumer.getProperty("bootstrap.servers"));
        assertEquals("true", consumer.getProperty("commit.offsets.on.checkpoint"), "the job's own settings stay");

        for (Object sink : List.of(io.deadLetters(c), io.alerts(c))) {
            Properties producer = field(sink, "kafkaProducerConfig");
            assertHasAll(producer, "sink");
            assertEquals("broker-1:9093", producer.getProperty("bootstrap.servers"));
            assertEquals("lz4", producer.getProperty("compression.type"), "the job's default when not overridden");
            assertEquals(KafkaSink.class, sink.getClass());
        }

        Properties admin = KafkaIO.adminProperties(c);
        assertHasAll(admin, "admin");
        assertEquals("broker-1:9093", admin.getProperty("bootstrap.servers"));
    }

    @Test
    void kafkaPropertiesOverrideTheJobsProducerDefaults() {
        Properties p = KafkaIO.producerProperties(config());
        assertEquals("50", p.getProperty("linger.ms"));
    }
}
