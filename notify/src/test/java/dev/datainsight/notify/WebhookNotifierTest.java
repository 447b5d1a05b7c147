package dev.datainsight.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.Severity;
import dev.datainsight.model.WireCodec;
import dev.datainsight.embedded.FreePorts;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookNotifierTest {
    private static final RetryPolicy FAST = new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(5), 2.0);

    @Test
    void postsWireJsonWithDedupHeader_andRetriesServerErrorsUntilAccepted() throws Exception {
        try (RecordingHttpServer srv = new RecordingHttpServer().thenAnswer(503, 500)) {
            WebhookNotifier hook = new WebhookNotifier(srv.uri("/hooks/pg"), Duration.ofSeconds(5), Map.of("Authorization", "Bearer t0k"));
            AlertEvent e = Alerts.firing("fp-1", "idle_in_transaction", Severity.WARNING, 1_000_000L);

            RetryingDelivery.Outcome o = new RetryingDelivery(FAST, () -> false).deliver(hook, e);

            assertEquals(new RetryingDelivery.Delivered(3), o);
            List<RecordingHttpServer.Request> reqs = srv.requests();
            assertEquals(3, reqs.size());
            RecordingHttpServer.Request last = reqs.get(2);
            assertEquals("POST", last.method());
            assertEquals("/hooks/pg", last.path());
            assertEquals("application/json", last.header("Content-Type"));
            assertEquals("Bearer t0k", last.header("Authorization"));
            assertEquals("fp-1:firing:warning:1000000:1060000", last.header(WebhookNotifier.DEDUP_HEADER));
            AlertEvent back = new WireCodec().decodeAlert(last.body().getBytes()).value();
            assertEquals(e, back);
            assertTrue(last.body().contains("\"started_at\":1000000"), last.body());
        }
    }

    @Test
    void givesUpAtOnceOnClientError_becauseRetryingCannotHelp() throws Exception {
        try (RecordingHttpServer srv = new RecordingHttpServer().answerAlways(400)) {
            WebhookNotifier hook = new WebhookNotifier(srv.uri("/x"));
            RetryingDelivery.Outcome o = new RetryingDelivery(FAST, () -> false)
                    .deliver(hook, Alerts.firing("fp-2", "slow_query", Severity.WARNING, 5L));
            RetryingDelivery.GaveUp g = assertInstanceOf(RetryingDelivery.GaveUp.class, o);
            assertEquals(1, g.attempts());
            assertTrue(g.error().contains("HTTP 400"), g.error());
            assertEquals(1, srv.requests().size());
        }
    }

    @Test
    void retriesConnectionRefusedUpToMaxAttempts() {
        int port = FreePorts.next(); // nothing listens there
        WebhookNotifier hook = new WebhookNotifier(URI.create("http://127.0.0.1:" + port + "/x"), Duration.ofSeconds(2), Map.of());
        RetryingDelivery.Outcome o = new RetryingDelivery(FAST, () -> false)
                .deliver(hook, Alerts.firing("fp-3", "slow_query", Severity.WARNING, 5L));
        RetryingDelivery.GaveUp g = assertInstanceOf(RetryingDelivery.GaveUp.class, o);
        assertEquals(4, g.attempts());
        assertTrue(g.error().contains("ConnectException"), g.error());
    }

    @Test
    void withAConsoleUrl_theBodyCarriesTheAlertsConsolePage_andStillDecodes() throws Exception {
        try (RecordingHttpServer srv = new RecordingHttpServer()) {
            WebhookNotifier hook = new WebhookNotifier(srv.uri("/hooks/pg"), Duration.ofSeconds(5), Map.of(),
                    URI.create("http://console.internal:8080"));
            AlertEvent e = Alerts.firing("fedcba9876543210", "idle_in_transaction", Severity.WARNING, 1_000_000L);
            hook.deliver(e);
            RecordingHttpServer.Request r = srv.requests().get(0);
            com.fasterxml.jackson.databind.JsonNode body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
            assertEquals("http://console.internal:8080/alerts/fedcba9876543210", body.get(WebhookNotifier.ALERT_URL).asText());
            assertEquals(e, new WireCodec().decodeAlert(r.body().getBytes()).value(), "the wire decoder ignores the link");
            assertEquals("fedcba9876543210:firing:warning:1000000:1060000", r.header(WebhookNotifier.DEDUP_HEADER));

            new WebhookNotifier(srv.uri("/plain")).deliver(e);
            assertTrue(!srv.requests().get(1).body().contains(WebhookNotifier.ALERT_URL), "no console URL: no link");
        }
    }
}
