package dev.datainsight.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.Severity;
import dev.datainsight.model.WireCodec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A notifier with three webhooks (one that works, one that fails once per event then works, one
 * that refuses everything) reads real Kafka; its {@code /metrics}, scraped over HTTP, counts the
 * deliveries, failed attempts and dead letters per target and the latency histogram, and its
 * {@code /health} says up while it polls and down once stopped.
 */
class NotifierMetricsITCase {
    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void metricsCountDeliveriesFailuresAndLatencyPerTarget_andHealthFollowsTheConsumer() throws Exception {
        String topic = KAFKA.newTopic("alerts", 1);
        Path dlq = Files.createDirectories(Paths.get(System.getProperty("java.io.tmpdir"), "notify"))
                .resolve("dlq-" + UUID.randomUUID() + ".jsonl");
        try (RecordingHttpServer good = new RecordingHttpServer();
                RecordingHttpServer flaky = new RecordingHttpServer().thenAnswer(503, 200, 503, 200, 503, 200);
                RecordingHttpServer refusing = new RecordingHttpServer().answerAlways(400)) {
            WebhookNotifier g = new WebhookNotifier(good.uri("/good"));
            WebhookNotifier f = new WebhookNotifier(flaky.uri("/flaky"));
            WebhookNotifier r = new WebhookNotifier(refusing.uri("/refusing"));
            // An Alertmanager bridge whose first re-post (1 s after start) fails.
            RecordingHttpServer amServer = new RecordingHttpServer();
            AlertmanagerNotifier am = new AlertmanagerNotifier(amServer.uri("/"), Duration.ofSeconds(5), Duration.ofMinutes(10),
                    Duration.ofSeconds(1), Map.of(), System::currentTimeMillis);
            AlertConsumer c = new AlertConsumer(new AlertConsumer.Config(KAFKA.bootstrapServers(), topic,
                    "notify-" + UUID.randomUUID(), AlertConsumer.StartFrom.EARLIEST,
                    new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(50), 2.0), Duration.ofMillis(100)),
                    List.of(g, f, r, am), new FileDeadLetterSink(dlq));
            try (NotifierHttpServer srv = NotifierHttpServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), c)) {
                URI base = URI.create("http://127.0.0.1:" + srv.port());
                assertEquals(503, get(base, "/health").statusCode(), "down before it runs");
                Thread t = new Thread(c, "notify-metrics");
                t.start();
                try {
                    AlertConsumerITCase.await(() -> c.assignedPartitions().size() == 1, "the partition is assigned");
                    WireCodec codec = new WireCodec();
                    try (KafkaProducer<byte[], byte[]> p = producer()) {
                        for (int i = 0; i < 3; i++) {
                            AlertEvent e = Alerts.firing("m-" + i, "lock_contention", Severity.CRITICAL, 9_000_000L + i);
                            p.send(new ProducerRecord<>(topic, e.getFingerprint().getBytes(StandardCharsets.UTF_8), codec.encode(e)))
                                    .get();
                        }
                        p.send(new ProducerRecord<>(topic, "junk".getBytes(StandardCharsets.UTF_8),
                                "not json".getBytes(StandardCharsets.UTF_8))).get();
                    }
                    AlertConsumerITCase.await(() -> c.committed() == 4, "every record committed");
                    amServer.answerAlways(500);
                    AlertConsumerITCase.await(() -> am.repostFailures() >= 1, "a re-post to Alertmanager failed");

                    String text = get(base, "/metrics").body();
                    assertEquals(3.0, value(text, "datainsight_notify_deliveries_total", g.name(), "delivered"), text);
                    assertEquals(3.0, value(text, "datainsight_notify_deliveries_total", f.name(), "delivered"), text);
                    assertEquals(3.0, value(text, "datainsight_notify_deliveries_total", r.name(), "dead_lettered"), text);
                    assertEquals(3.0, value(text, "datainsight_notify_delivery_failures_total", f.name(), null),
                            "one failed attempt per event before it went through");
                    assertEquals(3.0, value(text, "datainsight_notify_delivery_failures_total", r.name(), null),
                            "a 400 is not retried: one attempt per event");
                    assertEquals(3.0, value(text, "datainsight_notify_delivery_latency_seconds_count", g.name(), null), text);
                    assertTrue(value(text, "datainsight_notify_delivery_latency_seconds_sum", f.name(), null) > 0.0);
                    assertEquals(4.0, value(text, "datainsight_notify_events_received_total", null, null));
                    assertEquals(1.0, value(text, "datainsight_notify_events_unreadable_total", null, null));
                    assertEquals(4.0, value(text, "datainsight_notify_events_committed_total", null, null));
                    assertEquals(0.0, value(text, "datainsight_notify_queued_events", g.name(), null));
                    assertEquals(1.0, value(text, "datainsight_notify_assigned_partitions", null, null));
                    assertEquals(1.0, value(text, "datainsight_notify_up", null, null));
                    assertEquals(3.0, value(text, "datainsight_notify_alertmanager_firing", am.name(), null));
                    assertTrue(value(text, "datainsight_notify_alertmanager_repost_failures_total", am.name(), null) >= 1.0, text);
                    assertEquals(3.0, value(text, "datainsight_notify_deliveries_total", am.name(), "delivered"), text);

                    HttpResponse<String> h = get(base, "/health");
                    assertEquals(200, h.statusCode(), h.body());
                    JsonNode health = new ObjectMapper().readTree(h.body());
                    assertEquals("up", health.get("status").asText());
                    assertEquals("[0]", health.get("assigned_partitions").toString());
                    assertEquals(0, health.get("queued").get(g.name()).asInt());
                } finally {
                    c.stop();
                    assertTrue(c.awaitStopped(Duration.ofSeconds(30)));
                }
                HttpResponse<String> down = get(base, "/health");
                assertEquals(503, down.statusCode(), down.body());
                assertEquals("stopped", new ObjectMapper().readTree(down.body()).get("reason").asText());
                assertEquals(0.0, value(get(base, "/metrics").body(), "datainsight_notify_up", null, null));
            } finally {
                amServer.close();
            }
        }
    }

    private HttpResponse<String> get(URI base, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The value of the one sample of {@code name} with these target/outcome labels (null: any/none). */
    private static double value(String text, String name, String target, String outcome) {
        Double found = null;
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
                continue;
            }
            if (target != null && !line.contains("target=\"" + target + "\"")) {
                continue;
            }
            if (outcome != null && !line.contains("outcome=\"" + outcome + "\"")) {
                continue;
            }
            if (found != null) {
                throw new AssertionError("more than one sample of " + name + " for " + target + "/" + outcome + ":\n" + text);
            }
            found = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        if (found == null) {
            throw new AssertionError("no sample " + name + " for " + target + "/" + outcome + " in:\n" + text);
        }
        return found;
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties props = new Properties();
        props.put("bootstrap.servers", KAFKA.bootstrapServers());
        props.put("acks", "all");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
