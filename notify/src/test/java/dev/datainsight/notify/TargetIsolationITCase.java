package dev.datainsight.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.Severity;
import dev.datainsight.model.WireCodec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A target that accepts connections and never answers sits next to a working webhook: the
 * working one still gets every event within one poll of when a notifier without the dead target
 * (a second group on the same topic, measured at the same time) delivers it, because each target
 * has its own queue and thread. Prints both latency series.
 */
class TargetIsolationITCase {
    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    private final WireCodec codec = new WireCodec();

    @Test
    void aTargetThatNeverAnswers_doesNotDelayTheWorkingOne() throws Exception {
        String topic = KAFKA.newTopic("alerts", 1);
        Path dlq = Files.createDirectories(Paths.get(System.getProperty("java.io.tmpdir"), "notify"))
                .resolve("dlq-" + UUID.randomUUID() + ".jsonl");
        Duration poll = Duration.ofMillis(100);
        // Patient retries against a 20 s request timeout: one event costs the dead target a minute.
        RetryPolicy retry = new RetryPolicy(3, Duration.ofMillis(100), Duration.ofMillis(200), 2.0);
        try (BlackHole hole = new BlackHole(); RecordingHttpServer good = new RecordingHttpServer()) {
            // The same events reach the working webhook through two notifiers at once: one with the
            // dead target beside it, one alone (the reference, in a group of its own).
            AlertConsumer c = new AlertConsumer(new AlertConsumer.Config(KAFKA.bootstrapServers(), topic,
                    "notify-" + UUID.randomUUID(), AlertConsumer.StartFrom.EARLIEST, retry, poll),
                    List.of(new WebhookNotifier(hole.uri(), Duration.ofSeconds(20), Map.of()),
                            new WebhookNotifier(good.uri("/beside-dead"))),
                    new FileDeadLetterSink(dlq));
            AlertConsumer alone = new AlertConsumer(new AlertConsumer.Config(KAFKA.bootstrapServers(), topic,
                    "notify-ref-" + UUID.randomUUID(), AlertConsumer.StartFrom.EARLIEST, retry, poll),
                    List.of(new WebhookNotifier(good.uri("/alone"))), new FileDeadLetterSink(dlq));
            Thread t = new Thread(c, "notify-isolation");
            t.start();
            Thread tr = new Thread(alone, "notify-reference");
            tr.start();
            try {
                AlertConsumerITCase.await(() -> c.assignedPartitions().size() == 1 && alone.assignedPartitions().size() == 1,
                        "both notifiers own the partition");
                int n = 10;
                List<AlertEvent> events = new ArrayList<>();
                List<Long> producedAt = new ArrayList<>();
                try (KafkaProducer<byte[], byte[]> p = producer()) {
                    // One warm-up event, not measured: both notifiers' first fetch sessions start here.
                    AlertEvent warm = Alerts.firing("iso-warm-up", "lock_contention", Severity.CRITICAL, 4_000_000L);
                    events.add(warm);
                    p.send(new ProducerRecord<>(topic, warm.getFingerprint().getBytes(StandardCharsets.UTF_8),
                            codec.encode(warm))).get();
                    AlertConsumerITCase.await(() -> paths(good, "/beside-dead").size() >= 1 && paths(good, "/alone").size() >= 1,
                            "the warm-up event at the working webhook");
                    producedAt.add(0L);
                    for (int i = 1; i <= n; i++) {
                        AlertEvent e = Alerts.firing("iso-" + i, "lock_contention", Severity.CRITICAL, 5_000_000L + i);
                        events.add(e);
                        producedAt.add(System.currentTimeMillis());
                        p.send(new ProducerRecord<>(topic, e.getFingerprint().getBytes(StandardCharsets.UTF_8),
                                codec.encode(e))).get();
                        final int k = i + 1; // with the warm-up event
                        AlertConsumerITCase.await(() -> paths(good, "/beside-dead").size() >= k
                                && paths(good, "/alone").size() >= k, "event " + k + " at the working webhook");
                    }
                }
                List<RecordingHttpServer.Request> beside = paths(good, "/beside-dead");
                List<RecordingHttpServer.Request> ref = paths(good, "/alone");
                assertEquals(events.stream().map(Notifier::dedupKey).toList(),
                        beside.stream().map(r -> r.header(WebhookNotifier.DEDUP_HEADER)).toList(), "every event, in order");
                long[] withDead = new long[n];
                long[] reference = new long[n];
                long worstExtra = Long.MIN_VALUE;
                for (int i = 0; i < n; i++) {
                    withDead[i] = beside.get(i + 1).receivedAtMillis() - producedAt.get(i + 1);
                    reference[i] = ref.get(i + 1).receivedAtMillis() - producedAt.get(i + 1);
                    worstExtra = Math.max(worstExtra, withDead[i] - reference[i]);
                }
                System.out.printf("isolation: produce-to-webhook latency beside a dead target %s ms (median %d, max %d);"
                        + " alone %s ms (median %d, max %d); worst extra delay %d ms; poll %d ms%n",
                        java.util.Arrays.toString(withDead), median(withDead), max(withDead),
                        java.util.Arrays.toString(reference), median(reference), max(reference), worstExtra, poll.toMillis());
                // The dead target alone would hold each event for a minute; allow one poll plus scheduling slack.
                assertTrue(worstExtra <= poll.toMillis() + 400, "an event reached the working webhook " + worstExtra
                        + " ms later than without the dead target beside it (poll " + poll.toMillis() + " ms)");
                assertTrue(hole.accepted() >= 1, "the dead target was tried");
                assertEquals(0, c.committed(), "nothing is committed while the dead target holds the first record");
            } finally {
                c.stop();
                alone.stop();
                assertTrue(c.awaitStopped(Duration.ofSeconds(30)), "the consumer stops despite the hung request");
                assertTrue(alone.awaitStopped(Duration.ofSeconds(30)));
            }
        }
    }

    private static List<RecordingHttpServer.Request> paths(RecordingHttpServer s, String path) {
        return s.requests().stream().filter(r -> r.path().equals(path)).toList();
    }

    private static long median(long[] xs) {
        long[] s = xs.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }

    private static long max(long[] xs) {
        return java.util.Arrays.stream(xs).max().orElseThrow();
    }

    private KafkaProducer<byte[], byte[]> producer() {
        Properties props = new Properties();
        props.put("bootstrap.servers", KAFKA.bootstrapServers());
        props.put("acks", "all");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Accepts TCP connections on a loopback port, reads nothing and never answers. */
    private static final class BlackHole implements AutoCloseable {
        private final ServerSocket server;
        private final List<Socket> held = new CopyOnWriteArrayList<>();
        private final Thread acceptor;

        BlackHole() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        held.add(server.accept());
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "black-hole");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/never");
        }

        int accepted() {
            return held.size();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
