package dev.datainsight.notify;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * POSTs JSON with {@link HttpClient} and turns the outcome into success or a
 * {@link DeliveryException} that says whether a retry can help.
 */
final class HttpJsonPoster {
    private final HttpClient client;
    private final Duration timeout;
    private final Map<String, String> headers;

    HttpJsonPoster(Duration timeout, Map<String, String> headers) {
        this.client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL).build();
        this.timeout = timeout;
        this.headers = Map.copyOf(headers);
    }

    /** Posts {@code body}; returns the status code of a 2xx answer, throws otherwise. */
    int post(URI uri, byte[] body, Map<String, String> extraHeaders) throws DeliveryException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Content-Type", "application/json")
                .header("User-Agent", "datainsight-notify")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        extraHeaders.forEach(b::header);
        HttpResponse<String> rsp;
        try {
            rsp = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new DeliveryException("POST " + uri + " failed: " + e, true, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeliveryException("POST " + uri + " interrupted", true, e);
        }
        int sc = rsp.statusCode();
        if (sc >= 200 && sc < 300) {
            return sc;
        }
        boolean retryable = sc >= 500 || sc == 408 || sc == 429;
        String text = rsp.body() == null ? "" : rsp.body().strip();
        if (text.length() > 300) {
            text = text.substring(0, 300) + "...";
        }
        throw new DeliveryException("POST " + uri + " answered HTTP " + sc + (text.isEmpty() ? "" : ": " + text), retryable);
    }
}
