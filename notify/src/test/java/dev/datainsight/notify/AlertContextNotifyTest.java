package dev.datainsight.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.model.AlertEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Every target carries the alert's text and context: stdout lines, the Alertmanager payload, the webhook body. */
class AlertContextNotifyTest {
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void stdout_printsTheSummaryLine_thenOneCleanIndentedLinePerContextItem() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StdoutNotifier n = new StdoutNotifier(new PrintStream(buf, true, StandardCharsets.UTF_8));
        AlertEvent f = Alerts.withContext("ab12", 1_795_000_000_000L);
        n.deliver(f);
        n.deliver(Alerts.resolved(f, 1_795_000_000_000L + 150_000));
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(4, lines.length, String.join("\n", lines));
        assertTrue(lines[0].endsWith("— pid 4242 (svc_billing@10.0.0.5, app billing-api, idle in transaction 75 s) holds"
                + " RowExclusiveLock on public.accounts — last statement `UPDATE accounts SET balance = …`; 4 sessions wait"),
                lines[0]);
        assertEquals("    session pid=4242 usename=svc_billing application_name=billing-api client_addr=10.0.0.5"
                + " state=\"idle in transaction\" query=\"UPDATE accounts SET balance = 0, note = ' [2J' WHERE password = ***\"",
                lines[1]);
        assertEquals("    statement queryid=-27498 text=\"UPDATE accounts SET balance = balance - $1 WHERE id = $2\"", lines[2]);
        assertTrue(lines[3].startsWith("2026-11-18 11:09:10Z RESOLVED"), "a resolution stays one line: " + lines[3]);
        assertFalse(buf.toString(StandardCharsets.UTF_8).contains("\u001b"), "no terminal escape reaches the terminal");
        assertFalse(buf.toString(StandardCharsets.UTF_8).contains("hunter2"), "no secret");
    }

    @Test
    void alertmanager_getsTheContextAsAnnotations_andRoutesOnFleetLabels() throws Exception {
        AtomicLong now = new AtomicLong(2_000_000_000_000L);
        try (RecordingHttpServer am = new RecordingHttpServer()) {
            AlertmanagerNotifier n = new AlertmanagerNotifier(am.uri("/"), Duration.ofSeconds(5), Duration.ofHours(1),
                    Duration.ofMinutes(5), Map.of(), now::get);
            n.deliver(Alerts.withContext("c0ffee", 1_999_999_000_000L));
            JsonNode a = json.readTree(am.requests().get(0).body()).get(0);
            JsonNode labels = a.get("labels");
            assertEquals("billing", labels.get("team").asText(), "fleet labels route by team");
            assertEquals("prod", labels.get("env").asText());
            assertEquals("orders", labels.get("datname").asText(), "the event's own label wins over a fleet label");
            assertEquals("lock_contention", labels.get("alertname").asText());
            JsonNode ann = a.get("annotations");
            assertTrue(ann.get("summary").asText().contains("`UPDATE accounts SET balance = …`"), ann.toString());
            assertEquals("session: pid=4242, usename=svc_billing, application_name=billing-api, client_addr=10.0.0.5,"
                    + " state=idle in transaction, query=UPDATE accounts SET balance = 0, note = ' [2J' WHERE password = ***\n"
                    + "statement: queryid=-27498, text=UPDATE accounts SET balance = balance - $1 WHERE id = $2",
                    ann.get("context").asText());
            JsonNode items = json.readTree(ann.get("context_json").asText());
            assertEquals(2, items.size());
            assertEquals("statement", items.get(1).get("kind").asText());
            assertEquals("UPDATE accounts SET balance = balance - $1 WHERE id = $2", items.get(1).get("fields").get("text").asText());
            assertFalse(am.requests().get(0).body().contains("hunter2"));
        }
    }

    @Test
    void webhook_bodyCarriesContextAndInstanceLabels() throws Exception {
        try (RecordingHttpServer hook = new RecordingHttpServer()) {
            new WebhookNotifier(hook.uri("/hook")).deliver(Alerts.withContext("beef", 1_999_999_000_000L));
            JsonNode body = json.readTree(hook.requests().get(0).body());
            assertEquals(2, body.get("schema").asInt());
            assertEquals("billing-api", body.get("context").get(0).get("fields").get("application_name").asText());
            assertEquals("billing", body.get("instance_labels").get("team").asText());
            java.util.List<String> names = new java.util.ArrayList<>();
            body.get("context").get(0).get("fields").fieldNames().forEachRemaining(names::add);
            assertEquals(java.util.List.of("pid", "usename", "application_name", "client_addr", "state", "query"), names);
        }
    }
}
