package dev.datainsight.notify;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.WireCodec;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * POSTs each event, as its wire JSON (the same snake_case object as on the alerts topic), to a
 * URL. The request carries header {@code X-DataInsight-Dedup-Key} ({@link Notifier#dedupKey})
 * and the body carries {@code fingerprint}, {@code status}, {@code severity}, {@code started_at}
 * and {@code event_at}, so a receiver can drop the redeliveries that at-least-once allows.
 */
public final class WebhookNotifier implements Notifier {
    /** Header carrying the de-duplication key. */
    public static final String DEDUP_HEADER = "X-DataInsight-Dedup-Key";

    private final URI uri;
    private final HttpJsonPoster poster;
    private final WireCodec codec = new WireCodec();

    /**
     * @param uri where to POST
     * @param timeout connect and request timeout
     * @param headers extra headers on every request (e.g. Authorization, read from the environment)
     */
    public WebhookNotifier(URI uri, Duration timeout, Map<String, String> headers) {
        this.uri = uri;
        this.poster = new HttpJsonPoster(timeout, headers);
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
        poster.post(uri, codec.encode(event), Map.of(DEDUP_HEADER, Notifier.dedupKey(event)));
    }
}
