package dev.datainsight.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AlertmanagerNotifierTest {
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void mapsFiringAndResolvedToPostableAlerts_onApiV2Path() throws Exception {
        AtomicLong now = new AtomicLong(2_000_000_000_000L);
        try (RecordingHttpServer am = new RecordingHttpServer()) {
            AlertmanagerNotifier n = new AlertmanagerNotifier(am.uri("/"), Duration.ofSeconds(5), Duration.ofHours(1),
                    Duration.ofMinutes(5), Map.of(), now::get);
            AlertEvent f = Alerts.firing("c0ffee", "lock_contention", Severity.CRITICAL, 1_999_999_000_000L);
            f.getLabels().put("table-name", "public.orders");
            n.deliver(f);
            AlertEvent resolved = Alerts.resolved(f, 1_999_999_900_000L);
            resolved.getLabels().put("table-name", "public.orders");
            n.deliver(resolved);

            assertEquals(2, am.requests().size());
            RecordingHttpServer.Request first = am.requests().get(0);
            assertEquals("/api/v2/alerts", first.path());
            JsonNode a = json.readTree(first.body());
            assertEquals(1, a.size());
            JsonNode labels = a.get(0).get("labels");
            assertEquals("lock_contention", labels.get("alertname").asText());
            assertEquals("pg-orders-1", labels.get("instance").asText());
            assertEquals("critical", labels.get("severity").asText());
            assertEquals("orders", labels.get("datname").asText());
            assertEquals("public.orders", labels.get("table_name").asText(), "label names are sanitised");
            assertEquals("c0ffee", labels.get("datainsight_fingerprint").asText());
            JsonNode ann = a.get(0).get("annotations");
            assertEquals("4 sessions wait on locks held by pid 4242", ann.get("summary").asText());
            assertEquals("docs/rules.md#lock_contention", ann.get("runbook_url").asText());
            assertEquals("4", ann.get("value").asText());
            assertEquals("3", ann.get("threshold").asText());
            assertEquals(Instant.ofEpochMilli(1_999_999_000_000L).toString(), a.get(0).get("startsAt").asText());
            assertEquals(Instant.ofEpochMilli(now.get() + 3_600_000L).toString(), a.get(0).get("endsAt").asText(),
                    "a firing alert ends one TTL ahead unless refreshed");

            JsonNode r = json.readTree(am.requests().get(1).body()).get(0);
            assertEquals(labels, r.get("labels"), "the resolution addresses the same Alertmanager alert");
            assertEquals(Instant.ofEpochMilli(1_999_999_900_000L).toString(), r.get("endsAt").asText());
            assertEquals(0, n.activeCount());
        }
    }

    @Test
    void escalationEndsTheOldSeverity_andActiveAlertsAreRepostedEachResendInterval() throws Exception {
        AtomicLong now = new AtomicLong(2_000_000_000_000L);
        try (RecordingHttpServer am = new RecordingHttpServer()) {
            AlertmanagerNotifier n = new AlertmanagerNotifier(am.uri("/am/"), Duration.ofSeconds(5), Duration.ofMinutes(20),
                    Duration.ofMinutes(5), Map.of(), now::get);
            AlertEvent warn = Alerts.firing("f1", "idle_in_transaction", Severity.WARNING, now.get() - 1000);
            n.deliver(warn);
            AlertEvent crit = Alerts.firing("f1", "idle_in_transaction", Severity.CRITICAL, now.get() - 1000);
            n.deliver(crit);

            assertEquals("/am/api/v2/alerts", am.requests().get(1).path());
            JsonNode esc = json.readTree(am.requests().get(1).body());
            assertEquals(2, esc.size());
            assertEquals("warning", esc.get(0).get("labels").get("severity").asText());
            assertEquals(Instant.ofEpochMilli(now.get()).toString(), esc.get(0).get("endsAt").asText(), "old severity ended now");
            assertEquals("critical", esc.get(1).get("labels").get("severity").asText());

            n.tick(now.get() + 60_000); // before the resend interval: nothing
            assertEquals(2, am.requests().size());
            now.addAndGet(6 * 60_000);
            n.tick(now.get());
            assertEquals(3, am.requests().size());
            JsonNode re = json.readTree(am.requests().get(2).body());
            assertEquals(1, re.size());
            assertEquals("critical", re.get(0).get("labels").get("severity").asText());
            assertEquals(Instant.ofEpochMilli(now.get() + 20 * 60_000).toString(), re.get(0).get("endsAt").asText());
            assertFalse(re.get(0).get("labels").has("severity_"), "no stray labels");
        }
    }

    @Test
    void aResolutionThatFailsStillLeavesTheFiringSet_andRevokedPartitionsAreForgotten() throws Exception {
        AtomicLong now = new AtomicLong(2_000_000_000_000L);
        try (RecordingHttpServer am = new RecordingHttpServer()) {
            AlertmanagerNotifier n = new AlertmanagerNotifier(am.uri("/"), Duration.ofSeconds(5), Duration.ofMinutes(20),
                    Duration.ofMinutes(5), Map.of(), now::get);
            n.partitionsAssigned(Map.of(0, Map.of(), 1, Map.of()));
            AlertEvent p0 = Alerts.firing("on-p0", "lock_contention", Severity.CRITICAL, now.get() - 1000);
            AlertEvent p1 = Alerts.firing("on-p1", "long_transaction", Severity.WARNING, now.get() - 1000);
            n.deliver(p0, 0);
            n.deliver(p1, 1);
            n.deliver(Alerts.firing("on-p2", "long_transaction", Severity.WARNING, now.get() - 1000), 2);
            assertEquals(java.util.Set.of("on-p0", "on-p1"), n.activeFingerprints(), "only owned partitions are kept");

            am.thenAnswer(500);
            assertThrows(DeliveryException.class, () -> n.deliver(Alerts.resolved(p0, now.get()), 0));
            assertEquals(java.util.Set.of("on-p1"), n.activeFingerprints(), "a failed resolution is not re-posted as firing");

            n.partitionsRevoked(java.util.List.of(1));
            assertEquals(0, n.activeCount(), "a revoked partition's alerts belong to the new owner");
            int before = am.requests().size();
            now.addAndGet(6 * 60_000);
            n.tick(now.get());
            assertEquals(before, am.requests().size(), "nothing left to re-post");

            // Taking the partition back with its rebuilt state re-posts at the next tick.
            n.partitionsAssigned(Map.of(1, Map.of("on-p1", p1)));
            n.tick(now.get() + 1);
            assertEquals(before + 1, am.requests().size());
            assertEquals("on-p1", json.readTree(am.requests().get(before).body()).get(0).get("labels")
                    .get("datainsight_fingerprint").asText());
        }
    }

    @Test
    void withAConsoleUrl_everyPostableAlertLinksToTheAlertsConsolePage() throws Exception {
        AtomicLong now = new AtomicLong(2_000_000_000_000L);
        try (RecordingHttpServer am = new RecordingHttpServer()) {
            AlertmanagerNotifier n = new AlertmanagerNotifier(am.uri("/"), Duration.ofSeconds(5), Duration.ofMinutes(20),
                    Duration.ofMinutes(5), Map.of(), now::get, java.net.URI.create("https://console.example.org/di/"));
            AlertEvent f = Alerts.firing("0123abcd4567ef89", "lock_contention", Severity.WARNING, now.get() - 1000);
            n.deliver(f);
            n.deliver(Alerts.firing("0123abcd4567ef89", "lock_contention", Severity.CRITICAL, now.get() - 1000));
            n.deliver(Alerts.resolved(f, now.get()));
            now.addAndGet(6 * 60_000);
            n.deliver(Alerts.firing("odd fp/1", "long_transaction", Severity.WARNING, now.get() - 1000));
            n.tick(now.get());
            int postable = 0;
            for (RecordingHttpServer.Request r : am.requests()) {
                for (JsonNode a : json.readTree(r.body())) {
                    String fp = a.get("labels").get("datainsight_fingerprint").asText();
                    String expected = fp.equals("odd fp/1") ? "https://console.example.org/di/alerts/odd%20fp%2F1"
                            : "https://console.example.org/di/alerts/0123abcd4567ef89";
                    assertEquals(expected, a.get("generatorURL").asText(), "firing, escalated, resolved and re-posted alike");
                    postable++;
                }
            }
            assertEquals(7, postable); // firing; escalation (2); resolution (ends the critical one too, 2); firing; re-post

            AlertmanagerNotifier plain = new AlertmanagerNotifier(am.uri("/"));
            assertFalse(plain.toPostable(f, now.get(), now.get()).has("generatorURL"), "no console URL: no generatorURL");
            assertThrows(IllegalArgumentException.class, () -> new AlertmanagerNotifier(am.uri("/"), Duration.ofSeconds(5),
                    Duration.ofMinutes(20), Duration.ofMinutes(5), Map.of(), now::get, java.net.URI.create("console.example.org")));
            assertThrows(IllegalArgumentException.class, () -> ConsoleLinks.of(java.net.URI.create("https://c.example.org/?x=1")));
        }
    }
}
