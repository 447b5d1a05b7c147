package dev.datainsight.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.Severity;
import dev.datainsight.model.WireCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The consumer loop against the real broker and real HTTP servers. */
class AlertConsumerITCase {
    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    private static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofMillis(5), Duration.ofMillis(20), 2.0);
    private final WireCodec codec = new WireCodec();

    @Test
    void deliversEveryEvent_deadLettersWhatFails_andCommitsOnlyAfterwards() throws Exception {
        String topic = KAFKA.newTopic("alerts", 2);
        String group = "notify-" + UUID.randomUUID();
        Path dlq = tmp().resolve("dlq-" + UUID.randomUUID() + ".jsonl");
        List<AlertEvent> events = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            events.add(Alerts.firing("fp-" + i, "lock_contention", Severity.WARNING, 1_000_000L + i));
        }
        try (RecordingHttpServer good = new RecordingHttpServer().thenAnswer(503, 503);
                RecordingHttpServer broken = new RecordingHttpServer().answerAlways(500)) {
            produce(topic, events);
            produceRaw(topic, "this is not an alert".getBytes(StandardCharsets.UTF_8));

            AlertConsumer c = new AlertConsumer(new AlertConsumer.Config(KAFKA.bootstrapServers(), topic, group,
                    AlertConsumer.StartFrom.EARLIEST, FAST, Duration.ofMillis(100)),
                    List.of(new WebhookNotifier(good.uri("/good")), new WebhookNotifier(broken.uri("/broken"))),
                    new FileDeadLetterSink(dlq));
            Thread t = new Thread(c, "notify-test");
            t.start();
            await(() -> c.committed() == 7, "all 7 records committed");
            c.stop();
            assertTrue(c.awaitStopped(Duration.ofSeconds(30)));

            // Every event reached the good webhook (2 extra requests were the scripted 503s).
            Set<String> deliveredKeys = good.requests().stream().map(r -> r.header(WebhookNotifier.DEDUP_HEADER))
                    .collect(Collectors.toSet());
            assertEquals(events.stream().map(Notifier::dedupKey).collect(Collectors.toSet()), deliveredKeys);
            assertEquals(8, good.requests().size());
            // The broken one got 3 attempts per event, then each went to the dead letter.
            assertEquals(18, broken.requests().size());
            List<JsonNode> dead = Files.readAllLines(dlq).stream().map(this::json).toList();
            assertEquals(7, dead.size());
            assertEquals(6, dead.stream().filter(d -> d.get("kind").asText().equals("failed_delivery")).count());
            JsonNode one = dead.stream().filter(d -> d.get("kind").asText().equals("failed_delivery")).findFirst().orElseThrow();
            assertEquals(3, one.get("attempts").asInt());
            assertTrue(one.get("error").asText().contains("HTTP 500"), one.toString());
            assertTrue(one.get("target").asText().contains("/broken"));
            assertEquals("lock_contention", one.get("alert").get("rule").asText());
            JsonNode unreadable = dead.stream().filter(d -> d.get("kind").asText().equals("unreadable_alert")).findFirst().orElseThrow();
            assertEquals("not_json", unreadable.get("reason").asText());
            assertEquals("this is not an alert", unreadable.get("payload").asText());
            assertEquals(Map.of("webhook " + good.uri("/good"), 6L), c.delivered());
            assertEquals(7, committedOffsets(group, topic));

            // A restart of the same group resumes after the committed offsets: only the new event.
            AlertEvent late = Alerts.firing("fp-late", "slow_query", Severity.CRITICAL, 2_000_000L);
            produce(topic, List.of(late));
            int before = good.requests().size();
            AlertConsumer c2 = new AlertConsumer(new AlertConsumer.Config(KAFKA.bootstrapServers(), topic, group,
                    AlertConsumer.StartFrom.EARLIEST, FAST, Duration.ofMillis(100)),
                    List.of(new WebhookNotifier(good.uri("/good"))), new FileDeadLetterSink(dlq));
            Thread t2 = new Thread(c2, "notify-test-2");
            t2.start();
            await(() -> c2.committed() == 1, "the new record committed");
            c2.stop();
            assertTrue(c2.awaitStopped(Duration.ofSeconds(30)));
            assertEquals(List.of(Notifier.dedupKey(late)), good.requests().subList(before, good.requests().size()).stream()
                    .map(r -> r.header(WebhookNotifier.DEDUP_HEADER)).toList());
        }
    }

    @Test
    void stoppingDuringRetries_leavesTheRecordUncommitted_soARestartDeliversIt() throws Exception {
        String topic = KAFKA.newTopic("alerts", 1);
        String group = "notify-" + UUID.randomUUID();
        Path dlq = tmp().resolve("dlq-" + UUID.randomUUID() + ".jsonl");
        AlertEvent e = Alerts.firing("fp-x", "connection_saturation", Severity.CRITICAL, 3_000_000L);
        produce(topic, List.of(e));
        RetryPolicy patient = new RetryPolicy(1000, Duration.ofMillis(50), Duration.ofMillis(50), 1.0);
        try (RecordingHttpServer down = new RecordingHttpServer().answerAlways(503);
                RecordingHttpServer up = new RecordingHttpServer()) {
            AlertConsumer c = new AlertConsumer(new AlertConsumer.Config(KAFKA.bootstrapServers(), topic, group,
                    AlertConsumer.StartFrom.EARLIEST, patient, Duration.ofMillis(100)),
                    List.of(new WebhookNotifier(down.uri("/"))), new FileDeadLetterSink(dlq));
            Thread t = new Thread(c, "notify-down");
            t.start();
            await(() -> down.requests().size() >= 3, "a few failed attempts");
            c.stop();
            assertTrue(c.awaitStopped(Duration.ofSeconds(30)));
            assertEquals(0, c.committed());
            assertEquals(0, committedOffsets(group, topic));
            assertTrue(Files.notExists(dlq), "nothing was given up, so nothing is dead-lettered");

            AlertConsumer c2 = new AlertConsumer(new AlertConsumer.Config(KAFKA.bootstrapServers(), topic, group,
                    AlertConsumer.StartFrom.EARLIEST, patient, Duration.ofMillis(100)),
                    List.of(new WebhookNotifier(up.uri("/"))), new FileDeadLetterSink(dlq));
            Thread t2 = new Thread(c2, "notify-up");
            t2.start();
            await(() -> c2.committed() == 1, "redelivered after restart");
            c2.stop();
            assertTrue(c2.awaitStopped(Duration.ofSeconds(30)));
            assertEquals(1, up.requests().size());
            assertEquals(Notifier.dedupKey(e), up.requests().get(0).header(WebhookNotifier.DEDUP_HEADER));
            assertEquals(1, committedOffsets(group, topic));
        }
    }

    private JsonNode json(String line) {
        try {
            return WireCodec.mapper().readTree(line);
        } catch (Exception ex) {
            throw new AssertionError("not JSON: " + line, ex);
        }
    }

    private long committedOffsets(String group, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            Map<TopicPartition, OffsetAndMetadata> m = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            return m.entrySet().stream().filter(en -> en.getKey().topic().equals(topic) && en.getValue() != null)
                    .mapToLong(en -> en.getValue().offset()).sum();
        }
    }

    private void produce(String topic, List<AlertEvent> events) throws Exception {
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            for (AlertEvent e : events) {
                p.send(new ProducerRecord<>(topic, e.getFingerprint().getBytes(StandardCharsets.UTF_8), codec.encode(e))).get();
            }
        }
    }

    private void produceRaw(String topic, byte[] value) throws Exception {
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            p.send(new ProducerRecord<>(topic, null, value)).get();
        }
    }

    private KafkaProducer<byte[], byte[]> producer() {
        Properties props = new Properties();
        props.put("bootstrap.servers", KAFKA.bootstrapServers());
        props.put("acks", "all");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static Path tmp() throws Exception {
        return Files.createDirectories(Paths.get(System.getProperty("java.io.tmpdir"), "notify"));
    }

    /** Waits for a condition on real output, failing with its description after 60 s. */
    static void await(BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }
}
