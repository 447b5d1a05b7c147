package dev.datainsight.notify;

import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * Links from a notification to the console's page of the alert: {@code BASE/alerts/FINGERPRINT},
 * the stable route of {@code ./datainsight serve} (one page per alert, its events, context and
 * chart). Alertmanager gets it as {@code generatorURL}, webhooks as {@code alert_url}.
 */
public final class ConsoleLinks {
    private final String base;

    private ConsoleLinks(String base) {
        this.base = base;
    }

    /**
     * @param consoleUrl the console's external base URL, e.g. {@code https://pg-console.example.org}
     *     or {@code https://ops.example.org/datainsight} behind a path prefix; absolute http(s),
     *     no query or fragment
     */
    public static ConsoleLinks of(URI consoleUrl) {
        String scheme = consoleUrl.getScheme() == null ? "" : consoleUrl.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!consoleUrl.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || consoleUrl.getHost() == null) {
            throw new IllegalArgumentException("console URL " + consoleUrl + " must be an absolute http(s) URL, e.g. https://console.example.org");
        }
        if (consoleUrl.getRawQuery() != null || consoleUrl.getRawFragment() != null) {
            throw new IllegalArgumentException("console URL " + consoleUrl + " must not have a query or a fragment");
        }
        return new ConsoleLinks(consoleUrl.toString().replaceAll("/+$", ""));
    }

    /** The console's page of the alert with this fingerprint. */
    public String alertPage(String fingerprint) {
        return base + "/alerts/" + pathSegment(fingerprint);
    }

    /** Percent-encodes everything but RFC 3986 unreserved characters (UTF-8). */
    static String pathSegment(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
                    || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return sb.toString();
    }
}
