package dev.datainsight.collector;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;

/**
 * A container health check without curl or wget: {@code java -cp collector/target/classes
 * dev.datainsight.collector.HealthCheck http://127.0.0.1:9464/health} exits 0 when the URL
 * answers 200 within 5 s, 1 otherwise (printing the status and body, which Docker keeps as the
 * check's output). Depends on the JDK only, so it runs in a plain JRE image and serves the
 * notifier's {@code /health} as well.
 */
public final class HealthCheck {
    private HealthCheck() {}

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: HealthCheck URL");
            System.exit(2);
        }
        System.exit(check(args[0]) ? 0 : 1);
    }

    /** Whether {@code url} answers 200; prints what it got. */
    static boolean check(String url) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setConnectTimeout(5_000);
            c.setReadTimeout(5_000);
            int code = c.getResponseCode();
            InputStream in = code >= 400 ? c.getErrorStream() : c.getInputStream();
            String body = "";
            if (in != null) {
                try (in) {
                    body = new String(in.readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8);
                }
            }
            System.out.println(code + " " + body);
            return code == 200;
        } catch (IOException | IllegalArgumentException e) {
            System.out.println("unreachable: " + e);
            return false;
        }
    }
}
