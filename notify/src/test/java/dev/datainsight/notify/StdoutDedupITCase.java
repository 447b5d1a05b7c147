package dev.datainsight.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.Severity;
import dev.datainsight.model.WireCodec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real alerts topic holding what a restarting job leaves behind (the events since its last
 * checkpoint written again after each of two restarts, plus a consumer-side redelivery): the
 * stdout notifier prints every distinct transition once, in order, and a re-notify (same alert,
 * later event time) is not mistaken for a repeat.
 */
class StdoutDedupITCase {
    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @Test
    void replayedEventsOnTheTopicArePrintedOnce() throws Exception {
        String topic = KAFKA.newTopic("alerts", 1);
        AlertEvent a = Alerts.firing("fp-a", "lock_contention", Severity.WARNING, 1_795_000_000_000L);
        AlertEvent b = Alerts.firing("fp-b", "deadlocks", Severity.CRITICAL, 1_795_000_030_000L);
        AlertEvent aResolved = Alerts.resolved(a, 1_795_000_300_000L);
        AlertEvent bRenotify = Alerts.firing("fp-b", "deadlocks", Severity.CRITICAL, 1_795_000_030_000L);
        bRenotify.setEventAt(b.getEventAt() + 4 * 3_600_000L);
        // Run 1 wrote a, b; restart 1 replayed b and wrote aResolved; restart 2 replayed b, aResolved; then a re-notify.
        List<AlertEvent> onTopic = List.of(a, b, b, aResolved, b, aResolved, bRenotify, bRenotify);
        WireCodec codec = new WireCodec();
        Properties props = new Properties();
        props.put("bootstrap.servers", KAFKA.bootstrapServers());
        props.put("acks", "all");
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (AlertEvent e : onTopic) {
                p.send(new ProducerRecord<>(topic, e.getFingerprint().getBytes(StandardCharsets.UTF_8), codec.encode(e))).get();
            }
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StdoutNotifier stdout = new StdoutNotifier(new PrintStream(buf, true, StandardCharsets.UTF_8));
        Path dlq = Files.createTempFile(Path.of(System.getProperty("java.io.tmpdir")), "dedup-dlq", ".jsonl");
        AlertConsumer c = new AlertConsumer(new AlertConsumer.Config(KAFKA.bootstrapServers(), topic,
                "dedup-" + UUID.randomUUID(), AlertConsumer.StartFrom.EARLIEST,
                new RetryPolicy(3, Duration.ofMillis(5), Duration.ofMillis(20), 2.0), Duration.ofMillis(100)),
                List.of(stdout), new FileDeadLetterSink(dlq));
        Thread t = new Thread(c, "dedup-test");
        t.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (c.committed() < onTopic.size() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        c.stop();
        assertTrue(c.awaitStopped(Duration.ofSeconds(30)));
        assertEquals(onTopic.size(), c.committed(), "every record consumed");

        List<String> lines = new ArrayList<>(Arrays.asList(buf.toString(StandardCharsets.UTF_8).split("\n")));
        List<String> want = List.of(StdoutNotifier.format(a), StdoutNotifier.format(b), StdoutNotifier.format(aResolved),
                StdoutNotifier.format(bRenotify));
        assertEquals(want, lines);
        assertEquals(4, stdout.duplicatesDropped());
    }

    @Test
    void memoryIsBounded_theOldestKeysAreForgottenFirst() {
        SeenEvents seen = new SeenEvents(3);
        List<AlertEvent> ev = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ev.add(Alerts.firing("fp-" + i, "deadlocks", Severity.WARNING, 1_000L * i));
            assertTrue(seen.firstTime(ev.get(i)));
        }
        assertEquals(3, seen.size());
        assertTrue(!seen.firstTime(ev.get(4)), "a recent key is remembered");
        assertTrue(seen.firstTime(ev.get(0)), "the oldest was forgotten");
    }
}
