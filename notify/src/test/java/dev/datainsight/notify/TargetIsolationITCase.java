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
 * working one still gets every event within one poll of its production, because each target has
 * its own queue and thread.
 */
class TargetIsolationITCase {
    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    private final WireCodec codec = new WireCodec();

    @Test
    void aTargetThatNeverAnswers_doesNotDelayTheWorkingOne() throws Exception {
        String topic = KAFKA.newTopic("alerts", 1);
        String group = "notify-" + UUID.randomUUID();
        Path dlq = Files.createDirectories(Paths.get(System.getProperty("java.io.tmpdir"), "notify"))
                .resolve("dlq-" + UUID.randomUUID() + ".jsonl");
        // Patient retries against a 20 s request timeout: one event costs the dead target a minute.
        RetryPolicy retry = new RetryPolicy(3, Duration.ofMillis(100), Duration.ofMillis(200), 2.0);
        try (BlackHole hole = new BlackHole(); RecordingHttpServer good = new RecordingHttpServer()) {
            AlertConsumer c = new AlertConsumer(new AlertConsumer.Config(KAFKA.bootstrapServers(), topic, group,
                    AlertConsumer.StartFrom.EARLIEST, retry, Duration.ofMillis(100)),
                    List.of(new WebhookNotifier(hole.uri(), Duration.ofSeconds(20), Map.of()),
                            new WebhookNotifier(good.uri("/good"))),
                    new FileDeadLetterSink(dlq));
            Thread t = new Thread(c, "notify-isolation");
            t.start();
            try {
                List<AlertEvent> events = new ArrayList<>();
                List<Long> producedAt = new ArrayList<>();
                try (KafkaProducer<byte[], byte[]> p = producer()) {
                    for (int i = 0; i < 5; i++) {
                        AlertEvent e = Alerts.firing("iso-" + i, "lock_contention", Severity.CRITICAL, 5_000_000L + i);
                        events.add(e);
                        producedAt.add(System.currentTimeMillis());
                        p.send(new ProducerRecord<>(topic, e.getFingerprint().getBytes(StandardCharsets.UTF_8),
                                codec.encode(e))).get();
                        final int n = i + 1;
                        AlertConsumerITCase.await(() -> good.requests().size() >= n, "event " + n + " at the good webhook");
                    }
                }
                List<RecordingHttpServer.Request> got = good.requests();
                assertEquals(events.stream().map(Notifier::dedupKey).toList(),
                        got.stream().map(r -> r.header(WebhookNotifier.DEDUP_HEADER)).toList(), "every event, in order");
                for (int i = 0; i < events.size(); i++) {
                    long delay = got.get(i).receivedAtMillis() - producedAt.get(i);
                    // One poll (100 ms) plus the machine's slack; the dead target alone would take 60 s.
                    assertTrue(delay < 5_000, "event " + i + " reached the working webhook after " + delay + " ms");
                }
                assertTrue(hole.accepted() >= 1, "the dead target was tried");
                assertEquals(0, c.committed(), "nothing is committed while the dead target holds the first record");
            } finally {
                c.stop();
                assertTrue(c.awaitStopped(Duration.ofSeconds(30)), "the consumer stops despite the hung request");
            }
        }
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
