package dev.datainsight.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.WireCodec;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * POSTs each event, as its wire JSON (the same snake_case object as on the alerts topic), to a
 * URL. The request carries header {@code X-DataInsight-Dedup-Key} ({@link Notifier#dedupKey})
 * and the body carries {@code fingerprint}, {@code status}, {@code severity}, {@code started_at}
 * and {@code event_at}, so a receiver can drop the redeliveries that at-least-once allows.
 * With a console URL the body also carries {@code alert_url}, the alert's console page (the
 * wire decoder ignores the field, so a receiver that decodes with {@link WireCodec} still can).
 */
public final class WebhookNotifier implements Notifier {
    /** Header carrying the de-duplication key. */
    public static final String DEDUP_HEADER = "X-DataInsight-Dedup-Key";
    /** Body field with the alert's console page, when a console URL is set. */
    public static final String ALERT_URL = "alert_url";

    private final URI uri;
    private final HttpJsonPoster poster;
    private final WireCodec codec = new WireCodec();
    private final ObjectMapper json = WireCodec.mapper();
    /** Where {@code alert_url} points; null: not added. */
    private final ConsoleLinks console;

    /**
     * @param uri where to POST
     * @param timeout connect and request timeout
     * @param headers extra headers on every request (e.g. Authorization, read from the environment)
     */
    public WebhookNotifier(URI uri, Duration timeout, Map<String, String> headers) {
        this(uri, timeout, headers, null);
    }

    /**
     * @param consoleUrl the console's external base URL: the body then carries {@code alert_url}
     *     = the alert's console page ({@code consoleUrl/alerts/FINGERPRINT}); null leaves it out
     */
    public WebhookNotifier(URI uri, Duration timeout, Map<String, String> headers, URI consoleUrl) {
        this.uri = uri;
        this.poster = new HttpJsonPoster(timeout, headers);
        this.console = consoleUrl == null ? null : ConsoleLinks.of(consoleUrl);
    }

    public WebhookNotifier(URI uri) {
        this(uri, Duration.ofSeconds(10), Map.of());
    }

    @Override
    public String name() {
        return "webhook " + uri;
    }

    @Override
    public void deliver(AlertEvent event) throws DeliveryException {
        poster.post(uri, body(event), Map.of(DEDUP_HEADER, Notifier.dedupKey(event)));
    }

    /** The wire JSON of the event, plus {@code alert_url} when a console URL is set. */
    byte[] body(AlertEvent event) throws DeliveryException {
        byte[] wire = codec.encode(event);
        if (console == null || event.getFingerprint() == null) {
            return wire;
        }
        try {
            ObjectNode n = (ObjectNode) json.readTree(wire);
            n.put(ALERT_URL, console.alertPage(event.getFingerprint()));
            return json.writeValueAsBytes(n);
        } catch (IOException | ClassCastException e) {
            throw new DeliveryException("encoding the webhook body: " + e, false, e);
        }
    }
}
