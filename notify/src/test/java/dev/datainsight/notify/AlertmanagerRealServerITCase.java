package dev.datainsight.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.embedded.FreePorts;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.Severity;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Posts to a real Alertmanager and reads back what it stored. Part of the default build and CI:
 * {@code .ci/run} installs the binary when missing (Debian: {@code apt-get install
 * prometheus-alertmanager}); a missing binary fails the test, never skips it. Another binary:
 * {@code -Dalertmanager.binary=PATH} ({@link RealAlertmanager}).
 */
class AlertmanagerRealServerITCase {
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void realAlertmanagerStoresTheFiringAlert_andMarksItResolved() throws Exception {
        try (RealAlertmanager am = RealAlertmanager.start(RealAlertmanager.NULL_ROUTE)) {
            URI base = am.base();
            AlertmanagerNotifier n = new AlertmanagerNotifier(base);
            AlertEvent f = Alerts.firing("feedbeef", "lock_contention", Severity.CRITICAL, System.currentTimeMillis() - 120_000);
            f.setEventAt(System.currentTimeMillis());
            n.deliver(f);

            JsonNode alerts = get(base.resolve("/api/v2/alerts?filter=alertname%3D%22lock_contention%22"));
            assertEquals(1, alerts.size(), alerts.toString());
            JsonNode a = alerts.get(0);
            assertEquals("active", a.get("status").get("state").asText());
            assertEquals("feedbeef", a.get("labels").get("datainsight_fingerprint").asText());
            assertEquals("critical", a.get("labels").get("severity").asText());
            assertEquals("4 sessions wait on locks held by pid 4242", a.get("annotations").get("summary").asText());

            n.deliver(f); // a redelivery merges into the same alert
            assertEquals(1, get(base.resolve("/api/v2/alerts?filter=alertname%3D%22lock_contention%22")).size());

            AlertEvent r = Alerts.resolved(f, System.currentTimeMillis() - 1000);
            n.deliver(r);
            JsonNode active = get(base.resolve("/api/v2/alerts?active=true&filter=alertname%3D%22lock_contention%22"));
            assertEquals(0, active.size(), "resolved alerts are no longer active: " + active);
        }
    }

    @Test
    void realAlertmanagerKeepsTheContextAnnotations_andRoutesOnTheTeamLabel() throws Exception {
        // The billing team's route matches the fleet label the event carries.
        String config = "route:\n  receiver: 'null'\n  group_wait: 1s\n  routes:\n    - receiver: billing\n"
                + "      matchers: ['team=\"billing\"']\nreceivers:\n  - name: 'null'\n  - name: billing\n";
        try (RealAlertmanager am = RealAlertmanager.start(config)) {
            URI base = am.base();
            AlertmanagerNotifier n = new AlertmanagerNotifier(base);
            AlertEvent f = Alerts.withContext("c0ffee", System.currentTimeMillis() - 120_000);
            f.setEventAt(System.currentTimeMillis());
            n.deliver(f);

            JsonNode alerts = get(base.resolve("/api/v2/alerts?filter=team%3D%22billing%22"));
            assertEquals(1, alerts.size(), alerts.toString());
            JsonNode a = alerts.get(0);
            assertEquals("billing", a.get("receivers").get(0).get("name").asText(), "routed by the fleet label: " + a);
            String context = a.get("annotations").get("context").asText();
            assertTrue(context.startsWith("session: pid=4242, usename=svc_billing, application_name=billing-api"), context);
            assertTrue(context.contains("statement: queryid=-27498, text=UPDATE accounts SET balance = balance - $1 WHERE id = $2"),
                    context);
            assertTrue(!context.contains("hunter2") && !context.contains("\u001b"), context);
            assertTrue(a.get("annotations").get("summary").asText().contains("`UPDATE accounts SET balance = …`"));
            JsonNode items = json.readTree(a.get("annotations").get("context_json").asText());
            assertEquals("billing-api", items.get(0).get("fields").get("application_name").asText());
        }
    }

    private JsonNode get(URI uri) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return json.readTree(r.body());
    }
}
