package dev.datainsight.hosts;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Scrapes a node_exporter {@code /metrics} endpoint with {@link HttpClient}: connect and request
 * timeouts, and a cap on the body size so a wrong URL (or a huge exposition) cannot exhaust the
 * collector's memory. Asks for the text format 0.0.4; a non-200 status, an over-size body or a
 * malformed exposition is an {@link IOException} naming the URL.
 */
public final class NodeExporterScraper {
  /** Default connect timeout. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
  /** Default whole-request timeout (node_exporter answers in milliseconds). */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);
  /** Default body cap: a full node_exporter on a large host is a few hundred KiB. */
  public static final long DEFAULT_MAX_BYTES = 8L << 20;

  private final URI url;
  private final HttpClient client;
  private final Duration requestTimeout;
  private final long maxBytes;
  private final Clock clock;

  /** A scraper with the default timeouts and cap. */
  public NodeExporterScraper(URI url) {
    this(url, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, DEFAULT_MAX_BYTES, Clock.systemUTC());
  }

  public NodeExporterScraper(URI url, Duration connectTimeout, Duration requestTimeout,
      long maxBytes, Clock clock) {
    this.url = Objects.requireNonNull(url, "url");
    String scheme = url.getScheme();
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw new IllegalArgumentException("node_exporter URL must be http or https: " + url);
    }
    this.client = HttpClient.newBuilder().connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER).build();
    this.requestTimeout = requestTimeout;
    this.maxBytes = maxBytes;
    this.clock = clock;
  }

  /** Fetches and parses the exposition. */
  public PromScrape scrapeRaw() throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(url).timeout(requestTimeout)
        .header("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1").GET().build();
    HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = response.body()) {
      if (response.statusCode() != 200) {
        throw new IOException("node_exporter " + url + " answered HTTP " + response.statusCode());
      }
      long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (declared > maxBytes) {
        throw new IOException("node_exporter " + url + " body of " + declared
            + " bytes exceeds the cap of " + maxBytes);
      }
      ByteArrayOutputStream buf = new ByteArrayOutputStream(64 << 10);
      byte[] chunk = new byte[16 << 10];
      long total = 0;
      int r;
      while ((r = in.read(chunk)) >= 0) {
        total += r;
        if (total > maxBytes) {
          throw new IOException("node_exporter " + url + " body exceeds the cap of " + maxBytes + " bytes");
        }
        buf.write(chunk, 0, r);
      }
      try {
        return PromTextParser.parse(buf.toString(StandardCharsets.UTF_8));
      } catch (PromTextParser.ParseException e) {
        throw new IOException("node_exporter " + url + " sent a malformed exposition: " + e.getMessage(), e);
      }
    }
  }

  /** Fetches, parses and maps the exposition to a sample stamped with the clock's time. */
  public HostSample scrape() throws IOException, InterruptedException {
    Instant at = clock.instant();
    return NodeExporterMapping.toHostSample(scrapeRaw(), at);
  }

  public URI url() {
    return url;
  }
}
