package dev.datainsight.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.embedded.FreePorts;
import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.Severity;
import dev.datainsight.model.WireCodec;
import java.net.URI;
import java.net.URLEncoder;
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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two notifier consumers of one group, a real Kafka and a real Alertmanager: a rebalance moves an
 * alert to the other consumer, which resolves it (the old owner must not re-post it), then one
 * consumer stops mid-incident and the survivor keeps the other alert firing (no resolution
 * invented when its endsAt passes), also across a restart of the last notifier, until it
 * resolves for good. Part of the default build, like {@link AlertmanagerRealServerITCase} (the
 * binary is Debian's prometheus-alertmanager; missing, the test fails).
 */
class AlertmanagerFailoverITCase {
    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    /** Short, so that a lapse shows within seconds; the resend is well inside it. */
    private static final Duration TTL = Duration.ofSeconds(10);
    private static final Duration RESEND = Duration.ofSeconds(1);
    private static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofMillis(50), Duration.ofMillis(200), 2.0);

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final WireCodec codec = new WireCodec();

    @Test
    void aRebalanceAndAStoppedNotifier_neitherResurrectNorLapseAnAlert() throws Exception {
        RealAlertmanager am = RealAlertmanager.start(RealAlertmanager.NULL_ROUTE);
        Path dir = am.dir();
        String topic = KAFKA.newTopic("alerts", 2);
        String group = "notify-" + UUID.randomUUID();
        AlertConsumer a = null;
        AlertConsumer b = null;
        AlertConsumer c = null;
        try {
            URI base = am.base();
            a = consumer(base, topic, group, dir.resolve("dlq-a.jsonl"));
            start(a, "notify-a");
            AlertConsumer first = a;
            AlertConsumerITCase.await(() -> first.assignedPartitions().equals(Set.of(0, 1)), "A owns both partitions");

            long t0 = System.currentTimeMillis() - 120_000;
            AlertEvent[] onPartition = {
                Alerts.firing("failover-p0", "lock_contention", Severity.CRITICAL, t0),
                Alerts.firing("failover-p1", "long_transaction", Severity.WARNING, t0)};
            produce(topic, 0, onPartition[0]);
            produce(topic, 1, onPartition[1]);
            AlertConsumerITCase.await(() -> active(base, "failover-p0") && active(base, "failover-p1"), "both alerts active");
            AlertConsumerITCase.await(() -> first.committed() == 2, "A committed both");

            b = consumer(base, topic, group, dir.resolve("dlq-b.jsonl"));
            start(b, "notify-b");
            AlertConsumer second = b;
            AlertConsumerITCase.await(() -> first.assignedPartitions().size() == 1 && second.assignedPartitions().size() == 1,
                    "the partitions are shared");
            int moved = b.assignedPartitions().iterator().next();
            int stayed = 1 - moved;
            AlertEvent m = onPartition[moved];
            AlertEvent s = onPartition[stayed];

            // B resolves the alert it took over; A, its old owner, must not post it again.
            produce(topic, moved, Alerts.resolved(m, System.currentTimeMillis()));
            AlertConsumerITCase.await(() -> !active(base, m.getFingerprint()), "the moved alert resolved");
            holds(base, m.getFingerprint(), false, Duration.ofSeconds(4), "the resolved alert stays resolved after the rebalance");

            // A stops mid-incident: B takes over the other alert and keeps it firing past its endsAt.
            a.stop();
            assertTrue(a.awaitStopped(Duration.ofSeconds(30)));
            AlertConsumerITCase.await(() -> second.assignedPartitions().equals(Set.of(0, 1)), "B owns both partitions");
            holds(base, s.getFingerprint(), true, TTL.plusSeconds(4), "the alert of the stopped notifier stays firing");

            // A restart of the last notifier: the fresh one rebuilds the firing set from the topic.
            b.stop();
            assertTrue(b.awaitStopped(Duration.ofSeconds(30)));
            c = consumer(base, topic, group, dir.resolve("dlq-c.jsonl"));
            start(c, "notify-c");
            AlertConsumer third = c;
            AlertConsumerITCase.await(() -> third.assignedPartitions().equals(Set.of(0, 1)), "C owns both partitions");
            holds(base, s.getFingerprint(), true, TTL.plusSeconds(4), "the alert stays firing across the restart");

            produce(topic, stayed, Alerts.resolved(s, System.currentTimeMillis()));
            AlertConsumerITCase.await(() -> !active(base, s.getFingerprint()), "the remaining alert resolved");
            holds(base, s.getFingerprint(), false, Duration.ofSeconds(4), "and stays resolved");
            holds(base, m.getFingerprint(), false, Duration.ofSeconds(1), "the first one too");
            assertEquals(Map.of(), b.deadLettered());
            assertEquals(Map.of(), c.deadLettered());
        } finally {
            for (AlertConsumer n : new AlertConsumer[] {a, b, c}) {
                if (n != null) {
                    n.stop();
                    n.awaitStopped(Duration.ofSeconds(30));
                }
            }
            am.close();
        }
    }

    /**
     * Two notifier processes of one group, one of them in a JVM of its own that is killed
     * ({@code SIGKILL}) mid-incident, twice: the survivor takes the dead one's partitions at the
     * session timeout, rebuilds their firing alerts from the topic and keeps them firing past the
     * endsAt the dead one had set; a restarted notifier takes a partition from the survivor, which
     * must stop re-posting it, so an alert resolved there stays resolved. Alertmanager's API v2
     * is sampled every 200 ms throughout; each alert carries the console link as generatorURL.
     */
    @Test
    void aKilledNotifier_neitherLapsesNorResurrectsAnAlert() throws Exception {
        Duration ttl = Duration.ofSeconds(20); // longer than session timeout + rebuild, shorter than the test
        String console = "https://console.example.org/di";
        RealAlertmanager am = RealAlertmanager.start(RealAlertmanager.NULL_ROUTE);
        Path dir = am.dir();
        String topic = KAFKA.newTopic("alerts", 2);
        String group = "notify-" + UUID.randomUUID();
        URI base = am.base();
        String[] childArgs = {"bootstrap=" + KAFKA.bootstrapServers(), "topic=" + topic, "group=" + group,
            "alertmanager=" + base, "ttl=" + ttl.toMillis(), "resend=" + RESEND.toMillis(), "session=6000", "console=" + console};
        ChildNotifier a = null;
        ChildNotifier a2 = null;
        AlertConsumer b = null;
        try {
            a = ChildNotifier.start("notify-a", dir, childArgs);
            ChildNotifier first = a;
            AlertConsumerITCase.await(() -> first.assigned().equals(Set.of(0, 1)), "process A owns both partitions");
            long t0 = System.currentTimeMillis() - 120_000;
            AlertEvent[] onPartition = {
                Alerts.firing("kill-p0", "lock_contention", Severity.CRITICAL, t0),
                Alerts.firing("kill-p1", "long_transaction", Severity.WARNING, t0)};
            produce(topic, 0, onPartition[0]);
            produce(topic, 1, onPartition[1]);
            AlertConsumerITCase.await(() -> active(base, "kill-p0") && active(base, "kill-p1"), "both alerts active");
            assertEquals(console + "/alerts/kill-p0", alert(base, "kill-p0").get("generatorURL").asText(),
                    "Alertmanager keeps the console link of the alert");

            b = new AlertConsumer(new AlertConsumer.Config(KAFKA.bootstrapServers(), topic, group,
                    AlertConsumer.StartFrom.EARLIEST, FAST, Duration.ofMillis(100), NotifierProcess.sessionSettings(6000)),
                    List.of(new AlertmanagerNotifier(base, Duration.ofSeconds(5), ttl, RESEND, Map.of(),
                            System::currentTimeMillis, URI.create(console))),
                    new FileDeadLetterSink(dir.resolve("dlq-b.jsonl")));
            start(b, "notify-b");
            AlertConsumer survivor = b;
            AlertConsumerITCase.await(() -> first.assigned().size() == 1 && survivor.assignedPartitions().size() == 1,
                    "A and B share the partitions");
            int ofA = first.assigned().iterator().next();
            AlertEvent x = onPartition[ofA];
            AlertEvent y = onPartition[1 - ofA];
            holds(base, Set.of(x.getFingerprint(), y.getFingerprint()), Set.of(), Duration.ofSeconds(2), "the split keeps both firing");

            // Kill A mid-incident: nothing re-posts its alert until B owns its partition.
            a.kill();
            long killedAt = System.currentTimeMillis();
            AlertConsumerITCase.await(() -> survivor.assignedPartitions().equals(Set.of(0, 1)), "B owns both partitions");
            long tookOver = System.currentTimeMillis() - killedAt;
            // The last endsAt A posted is at most killedAt + ttl: hold past it.
            holds(base, Set.of(x.getFingerprint(), y.getFingerprint()), Set.of(),
                    Duration.ofMillis(killedAt + ttl.toMillis() + 4_000 - System.currentTimeMillis()),
                    "the killed notifier's alert stays firing past its endsAt");
            System.out.printf("failover: B owned the killed notifier's partition %d ms after the SIGKILL%n", tookOver);

            // A restarted notifier takes one partition away from B.
            a2 = ChildNotifier.start("notify-a2", dir, childArgs);
            ChildNotifier second = a2;
            AlertConsumerITCase.await(() -> second.assigned().size() == 1 && survivor.assignedPartitions().size() == 1,
                    "A2 and B share the partitions");
            int moved = second.assigned().iterator().next();
            AlertEvent m = onPartition[moved];
            AlertEvent kept = onPartition[1 - moved];
            holds(base, Set.of(m.getFingerprint(), kept.getFingerprint()), Set.of(), Duration.ofSeconds(3),
                    "the rebalance keeps both firing");
            // A2 resolves the alert it took over from B; B must not post it again.
            produce(topic, moved, Alerts.resolved(m, System.currentTimeMillis()));
            AlertConsumerITCase.await(() -> !active(base, m.getFingerprint()), "the moved alert resolved");
            holds(base, Set.of(kept.getFingerprint()), Set.of(m.getFingerprint()), Duration.ofSeconds(5),
                    "the resolved alert stays resolved, the other keeps firing");

            // Kill A2 too: B takes the partition back, rebuilds it (the alert is resolved there) and keeps it so.
            a2.kill();
            AlertConsumerITCase.await(() -> survivor.assignedPartitions().equals(Set.of(0, 1)), "B owns both partitions again");
            holds(base, Set.of(kept.getFingerprint()), Set.of(m.getFingerprint()), Duration.ofSeconds(3),
                    "after the second takeover");
            produce(topic, 1 - moved, Alerts.resolved(kept, System.currentTimeMillis()));
            AlertConsumerITCase.await(() -> !active(base, kept.getFingerprint()), "the last alert resolved");
            holds(base, Set.of(), Set.of(m.getFingerprint(), kept.getFingerprint()), Duration.ofSeconds(4), "both stay resolved");
            assertEquals(Map.of(), b.deadLettered());
        } finally {
            if (a != null) {
                a.close();
            }
            if (a2 != null) {
                a2.close();
            }
            if (b != null) {
                b.stop();
                b.awaitStopped(Duration.ofSeconds(30));
            }
            am.close();
        }
    }

    /** Samples every 200 ms for {@code window}: each of {@code firing} active, each of {@code resolved} not. */
    private void holds(URI base, Set<String> firing, Set<String> resolved, Duration window, String what) throws Exception {
        long end = System.nanoTime() + Math.max(0, window.toNanos());
        do {
            for (String fp : firing) {
                assertTrue(active(base, fp), what + ": " + fp + " must be firing");
            }
            for (String fp : resolved) {
                assertTrue(!active(base, fp), what + ": " + fp + " must stay resolved");
            }
            Thread.sleep(200);
        } while (System.nanoTime() < end);
    }

    /** The one alert Alertmanager holds for a fingerprint (API v2). */
    private JsonNode alert(URI base, String fingerprint) throws Exception {
        String filter = URLEncoder.encode("datainsight_fingerprint=\"" + fingerprint + "\"", StandardCharsets.UTF_8);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/api/v2/alerts?filter=" + filter))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode alerts = json.readTree(r.body());
        assertEquals(1, alerts.size(), r.body());
        return alerts.get(0);
    }

    private AlertConsumer consumer(URI base, String topic, String group, Path dlq) throws Exception {
        AlertmanagerNotifier n = new AlertmanagerNotifier(base, Duration.ofSeconds(5), TTL, RESEND, Map.of(),
                System::currentTimeMillis);
        return new AlertConsumer(new AlertConsumer.Config(KAFKA.bootstrapServers(), topic, group,
                AlertConsumer.StartFrom.EARLIEST, FAST, Duration.ofMillis(100)), List.of(n), new FileDeadLetterSink(dlq));
    }

    private static void start(AlertConsumer c, String name) {
        Thread t = new Thread(c, name);
        t.setDaemon(true);
        t.start();
    }

    /** Samples Alertmanager every 200 ms for {@code window}: the alert's activity never differs. */
    private void holds(URI base, String fingerprint, boolean expectActive, Duration window, String what) throws Exception {
        long end = System.nanoTime() + window.toNanos();
        while (System.nanoTime() < end) {
            assertEquals(expectActive, active(base, fingerprint), what + " (" + fingerprint + ")");
            Thread.sleep(200);
        }
    }

    private boolean active(URI base, String fingerprint) {
        try {
            String filter = URLEncoder.encode("datainsight_fingerprint=\"" + fingerprint + "\"", StandardCharsets.UTF_8);
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/api/v2/alerts?active=true&silenced=false"
                    + "&inhibited=false&filter=" + filter)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode alerts = json.readTree(r.body());
            for (JsonNode n : alerts) {
                if ("active".equals(n.get("status").get("state").asText())) {
                    return true;
                }
            }
            return false;
        } catch (Exception e) {
            throw new AssertionError("reading Alertmanager's alerts", e);
        }
    }

    private void produce(String topic, int partition, AlertEvent e) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", KAFKA.bootstrapServers());
        props.put("acks", "all");
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(topic, partition, e.getFingerprint().getBytes(StandardCharsets.UTF_8),
                    codec.encode(e))).get();
        }
    }
}
