package dev.datainsight.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two notifier replicas of one consumer group (one in a JVM of its own) deliver to one webhook
 * receiver, which counts deliveries per dedup key: in steady state every event arrives exactly
 * once; when the child replica is killed ({@code SIGKILL}) mid-stream, every event still arrives
 * (the survivor re-reads the dead one's partitions from their committed offsets), and the only
 * repeats are events the dead replica had sent but not committed; after the takeover every event
 * arrives exactly once again.
 */
class NotifierReplicasITCase {
    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    private static final int PARTITIONS = 4;
    private final WireCodec codec = new WireCodec();

    @Test
    void twoReplicas_deliverEachEventOnce_andLoseNoneWhenOneIsKilled() throws Exception {
        String topic = KAFKA.newTopic("alerts", PARTITIONS);
        String group = "notify-" + UUID.randomUUID();
        Path dir = Files.createDirectories(Paths.get(System.getProperty("java.io.tmpdir"), "replicas-" + UUID.randomUUID()));
        // 15 ms per answer: a replica always has requests in flight when it dies.
        try (RecordingHttpServer hook = new RecordingHttpServer().answerAfter(15);
                KafkaProducer<byte[], byte[]> producer = producer()) {
            ChildNotifier a = ChildNotifier.start("replica-a", dir, "bootstrap=" + KAFKA.bootstrapServers(), "topic=" + topic,
                    "group=" + group, "webhook=" + hook.uri("/a"), "session=6000");
            AlertConsumer b = new AlertConsumer(new AlertConsumer.Config(KAFKA.bootstrapServers(), topic, group,
                    AlertConsumer.StartFrom.EARLIEST, new RetryPolicy(3, Duration.ofMillis(50), Duration.ofMillis(200), 2.0),
                    Duration.ofMillis(100), NotifierProcess.sessionSettings(6000)),
                    List.of(new WebhookNotifier(hook.uri("/b"))), new FileDeadLetterSink(dir.resolve("replica-b-dlq.jsonl")));
            Thread tb = new Thread(b, "replica-b");
            tb.setDaemon(true);
            tb.start();
            try {
                AlertConsumerITCase.await(() -> a.assigned().size() == PARTITIONS / 2 && b.assignedPartitions().size() == PARTITIONS / 2,
                        "the replicas share the partitions");
                Set<Integer> ofA = a.assigned();

                // Steady state: each event exactly once, both replicas deliver.
                List<AlertEvent> steady = events("steady", 120);
                produce(producer, topic, steady);
                awaitAll(hook, steady);
                Thread.sleep(1_000); // a repeat would arrive by now
                Map<String, List<RecordingHttpServer.Request>> byKey = byKey(hook.requests());
                assertEquals(keys(steady), byKey.keySet());
                assertEquals(steady.size(), hook.requests().size(), "steady state: no event delivered twice");
                long viaA = hook.requests().stream().filter(r -> r.path().equals("/a")).count();
                assertTrue(viaA > 0 && viaA < steady.size(), "both replicas deliver (A delivered " + viaA + ")");
                int before = hook.requests().size();

                // Kill A while events stream in; B takes its partitions at the session timeout.
                List<AlertEvent> stream = events("stream", 300);
                Thread feeder = new Thread(() -> {
                    try {
                        for (AlertEvent e : stream) {
                            produce(producer, topic, List.of(e));
                            Thread.sleep(20);
                        }
                    } catch (Exception ex) {
                        throw new IllegalStateException(ex);
                    }
                }, "feeder");
                feeder.start();
                Thread.sleep(2_000);
                long sentByAAtKill = hook.requests().subList(before, hook.requests().size()).stream()
                        .filter(r -> r.path().equals("/a")).count();
                a.kill();
                long killedAt = System.currentTimeMillis();
                feeder.join(60_000);
                awaitAll(hook, stream);
                AlertConsumerITCase.await(() -> b.assignedPartitions().size() == PARTITIONS, "B owns every partition");
                long recovered = System.currentTimeMillis() - killedAt;
                Thread.sleep(1_000);
                List<RecordingHttpServer.Request> failover = hook.requests().subList(before, hook.requests().size());
                Map<String, List<RecordingHttpServer.Request>> failoverByKey = byKey(failover);
                assertEquals(keys(stream), failoverByKey.keySet(), "no event lost when a replica dies");
                List<String> repeated = failoverByKey.entrySet().stream().filter(en -> en.getValue().size() > 1)
                        .map(Map.Entry::getKey).sorted().toList();
                for (String k : repeated) {
                    List<RecordingHttpServer.Request> rs = failoverByKey.get(k);
                    assertEquals(2, rs.size(), k + " delivered " + rs.size() + " times");
                    assertEquals(List.of("/a", "/b"), rs.stream().map(RecordingHttpServer.Request::path).toList(),
                            k + ": only what the dead replica sent without committing is sent again, by the survivor");
                    int partition = partitionOf(stream, k);
                    assertTrue(ofA.contains(partition), k + " is on partition " + partition + ", not one of A's " + ofA);
                }
                System.out.printf("replicas: %d events while A was killed (A sent %d of them before it died); "
                        + "%d delivered, %d distinct keys, %d repeated after dedup 0 lost; B owned all partitions %d ms after the kill%n",
                        stream.size(), sentByAAtKill, failover.size(), failoverByKey.size(), repeated.size(), recovered);

                // After the takeover: steady again, each event once, all by B.
                int mark = hook.requests().size();
                List<AlertEvent> after = events("after", 80);
                produce(producer, topic, after);
                awaitAll(hook, after);
                Thread.sleep(1_000);
                List<RecordingHttpServer.Request> tail = hook.requests().subList(mark, hook.requests().size());
                assertEquals(after.size(), tail.size(), "after the takeover: no event twice");
                assertEquals(keys(after), byKey(tail).keySet());
                assertTrue(tail.stream().allMatch(r -> r.path().equals("/b")));
                assertEquals(Map.of(), b.deadLettered());
            } finally {
                a.close();
                b.stop();
                b.awaitStopped(Duration.ofSeconds(30));
            }
        }
    }

    /**
     * A replica joining the group makes the first one hand over a partition while a slow
     * receiver holds one of its deliveries: the revocation lets that delivery finish and commits
     * it, so the new owner does not send it again.
     */
    @Test
    void aRebalance_doesNotResendTheDeliveryUnderWay() throws Exception {
        String topic = KAFKA.newTopic("alerts", PARTITIONS);
        String group = "notify-" + UUID.randomUUID();
        Path dir = Files.createDirectories(Paths.get(System.getProperty("java.io.tmpdir"), "replicas-" + UUID.randomUUID()));
        AlertConsumer b = null;
        AlertConsumer c = null;
        try (RecordingHttpServer hook = new RecordingHttpServer().answerAfter(700);
                KafkaProducer<byte[], byte[]> producer = producer()) {
            b = replica(topic, group, hook, "/b", dir);
            AlertConsumer first = b;
            AlertConsumerITCase.await(() -> first.assignedPartitions().size() == PARTITIONS, "B owns every partition");
            List<AlertEvent> events = events("slow", 8);
            produce(producer, topic, events);
            AlertConsumerITCase.await(() -> hook.requests().size() >= 1, "B delivers");
            Thread.sleep(300); // B is mid-request now: the receiver answers after 700 ms
            c = replica(topic, group, hook, "/c", dir);
            AlertConsumer second = c;
            AlertConsumerITCase.await(() -> first.assignedPartitions().size() == PARTITIONS / 2
                    && second.assignedPartitions().size() == PARTITIONS / 2, "B and C share the partitions");
            awaitAll(hook, events);
            Thread.sleep(2_000);
            Map<String, List<RecordingHttpServer.Request>> byKey = byKey(hook.requests());
            assertEquals(keys(events), byKey.keySet());
            assertEquals(List.of(), byKey.entrySet().stream().filter(en -> en.getValue().size() > 1)
                    .map(en -> en.getKey() + " via " + en.getValue().stream().map(RecordingHttpServer.Request::path).toList())
                    .toList(), "no event sent twice across the rebalance");
        } finally {
            for (AlertConsumer n : new AlertConsumer[] {b, c}) {
                if (n != null) {
                    n.stop();
                    n.awaitStopped(Duration.ofSeconds(30));
                }
            }
        }
    }

    private static AlertConsumer replica(String topic, String group, RecordingHttpServer hook, String path, Path dir)
            throws java.io.IOException {
        AlertConsumer n = new AlertConsumer(new AlertConsumer.Config(KAFKA.bootstrapServers(), topic, group,
                AlertConsumer.StartFrom.EARLIEST, new RetryPolicy(3, Duration.ofMillis(50), Duration.ofMillis(200), 2.0),
                Duration.ofMillis(100), NotifierProcess.sessionSettings(6000)),
                List.of(new WebhookNotifier(hook.uri(path))), new FileDeadLetterSink(dir.resolve(path.substring(1) + "-dlq.jsonl")));
        Thread t = new Thread(n, "replica" + path.replace('/', '-'));
        t.setDaemon(true);
        t.start();
        return n;
    }

    private static List<AlertEvent> events(String prefix, int n) {
        List<AlertEvent> out = new ArrayList<>();
        long t = System.currentTimeMillis() - 60_000;
        for (int i = 0; i < n; i++) {
            out.add(Alerts.firing(prefix + "-" + i, "lock_contention", Severity.WARNING, t + i));
        }
        return out;
    }

    private static int partitionOf(List<AlertEvent> events, String key) {
        for (int i = 0; i < events.size(); i++) {
            if (Notifier.dedupKey(events.get(i)).equals(key)) {
                return i % PARTITIONS;
            }
        }
        throw new AssertionError("unknown key " + key);
    }

    private static Set<String> keys(List<AlertEvent> events) {
        return events.stream().map(Notifier::dedupKey).collect(Collectors.toSet());
    }

    private static Map<String, List<RecordingHttpServer.Request>> byKey(List<RecordingHttpServer.Request> requests) {
        Map<String, List<RecordingHttpServer.Request>> m = new HashMap<>();
        for (RecordingHttpServer.Request r : requests) {
            m.computeIfAbsent(r.header(WebhookNotifier.DEDUP_HEADER), k -> new ArrayList<>()).add(r);
        }
        return m;
    }

    private static void awaitAll(RecordingHttpServer hook, List<AlertEvent> events) throws InterruptedException {
        Set<String> want = keys(events);
        AlertConsumerITCase.await(() -> byKey(hook.requests()).keySet().containsAll(want), want.size() + " events at the webhook");
    }

    /** Event {@code i} goes to partition {@code i % PARTITIONS}, keyed by fingerprint as the job does. */
    private void produce(KafkaProducer<byte[], byte[]> p, String topic, List<AlertEvent> events) throws Exception {
        for (AlertEvent e : events) {
            int i = Integer.parseInt(e.getFingerprint().substring(e.getFingerprint().lastIndexOf('-') + 1));
            p.send(new ProducerRecord<>(topic, i % PARTITIONS, e.getFingerprint().getBytes(StandardCharsets.UTF_8),
                    codec.encode(e))).get();
        }
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties props = new Properties();
        props.put("bootstrap.servers", KAFKA.bootstrapServers());
        props.put("acks", "all");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
