package dev.datainsight.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.WireCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces dead letters to a Kafka topic (idempotent producer, acks=all), waiting for the broker's
 * acknowledgement of each one. The key is the alert's fingerprint (null for unreadable records);
 * the value is the same JSON as {@link FileDeadLetterSink} writes.
 */
public final class KafkaDeadLetterSink implements DeadLetterSink {
    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final ObjectMapper mapper = WireCodec.mapper();

    public KafkaDeadLetterSink(String bootstrapServers, String topic) {
        this(bootstrapServers, topic, java.util.Map.of());
    }

    /** As above, with extra Kafka client settings (TLS, SASL: the notifier's {@code --kafka-property}), applied first. */
    public KafkaDeadLetterSink(String bootstrapServers, String topic, java.util.Map<String, String> kafkaProperties) {
        this.topic = topic;
        Properties p = new Properties();
        p.putAll(kafkaProperties);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "datainsight-notify-deadletter");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Override
    public void write(FailedDelivery failed) throws IOException {
        ObjectNode node = mapper.valueToTree(failed);
        node.put("kind", "failed_delivery");
        String fp = failed.alert() == null ? null : failed.alert().getFingerprint();
        send(fp == null ? null : fp.getBytes(StandardCharsets.UTF_8), mapper.writeValueAsBytes(node));
    }

    @Override
    public void writeUnreadable(DeadLetterRecord record) throws IOException {
        ObjectNode node = mapper.valueToTree(record);
        node.put("kind", "unreadable_alert");
        send(null, mapper.writeValueAsBytes(node));
    }

    private void send(byte[] key, byte[] value) throws IOException {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(40, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("writing a dead letter to topic " + topic + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing a dead letter to topic " + topic, e);
        }
    }

    @Override
    public String describe() {
        return "topic " + topic;
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
