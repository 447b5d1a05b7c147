package dev.datainsight.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KafkaBrokerSmokeTest {
    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @Test
    void producedRecordsComeBackInOrderPerKey_throughTheRealBroker() {
        String topic = KAFKA.newTopic("smoke", 3);
        int n = 500;
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < n; i++) {
                p.send(new ProducerRecord<>(topic, "server-" + (i % 5), ("value-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            p.flush();
        }
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, "smoke-" + topic);
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, byte[]>> got = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(cp, new StringDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            while (got.size() < n && System.currentTimeMillis() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(got::add);
            }
        }
        assertEquals(n, got.size(), "every produced record is consumed");
        // Per key, values arrive in the order they were produced.
        Map<String, Integer> last = new java.util.HashMap<>();
        for (ConsumerRecord<String, byte[]> r : got) {
            int i = Integer.parseInt(new String(r.value(), StandardCharsets.UTF_8).substring("value-".length()));
            Integer prev = last.put(r.key(), i);
            assertTrue(prev == null || prev < i, "order within key " + r.key());
        }
        assertEquals(5, last.size());
    }

    @Test
    void brokerComesBackAfterRestart_withItsTopics() {
        EmbeddedKafka own = EmbeddedKafka.start(KafkaExtension.tmpBase().resolve("kafka-restart-" + System.nanoTime()));
        try {
            own.createTopic("restart-topic", 1);
            String before = own.bootstrapServers();
            own.stop();
            own.restart();
            assertEquals(before, own.bootstrapServers());
            assertTrue(own.admin().listTopics().names().toCompletionStage().toCompletableFuture().join().contains("restart-topic"));
        } finally {
            own.close();
        }
    }
}
