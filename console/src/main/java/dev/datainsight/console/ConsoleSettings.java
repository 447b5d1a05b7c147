package dev.datainsight.console;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * How {@code ./datainsight serve} runs.
 *
 * @param host address to bind (loopback by default)
 * @param port port to bind, 0 for any free port
 * @param jdbcUrl JDBC URL of the store
 * @param user login user (a member of {@code datainsight_reader}), or null when the URL carries it
 * @param password the user's password, or null; never logged
 * @param bearerToken token every request must present, or null (allowed on loopback only)
 */
public record ConsoleSettings(String host, int port, String jdbcUrl, String user, String password, String bearerToken) {

    /** Default listen address: loopback only. */
    public static final String DEFAULT_LISTEN = "127.0.0.1:8080";

    public ConsoleSettings {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("the store must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db)");
        }
        if (bearerToken != null && bearerToken.isBlank()) {
            bearerToken = null;
        }
        if (bearerToken != null && bearerToken.length() < 16) {
            throw new IllegalArgumentException("the console token must have at least 16 characters");
        }
        if (bearerToken == null && !isLoopback(host)) {
            throw new IllegalArgumentException("listening on " + host + " (not loopback) needs an auth token:"
                    + " set DATAINSIGHT_CONSOLE_TOKEN or pass --token-file");
        }
    }

    /** Parses {@code host:port} (IPv6 as {@code [::1]:8080}). */
    public static String[] splitListen(String listen) {
        int colon = listen.lastIndexOf(':');
        if (colon <= 0 || colon == listen.length() - 1) {
            throw new IllegalArgumentException("--listen must be host:port, e.g. " + DEFAULT_LISTEN + ", was " + listen);
        }
        String host = listen.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        String port = listen.substring(colon + 1);
        try {
            Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--listen port must be a number, was " + port);
        }
        return new String[] {host, port};
    }

    /** Whether requests need the token. */
    public boolean authRequired() {
        return bearerToken != null;
    }

    static boolean isLoopback(String host) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cannot resolve listen address " + host);
        }
    }

    @Override
    public String toString() {
        // Never print the password or the token.
        return "ConsoleSettings[" + host + ":" + port + ", store " + jdbcUrl.replaceAll("\\?.*", "?…") + ", user " + user + ", auth " + authRequired() + "]";
    }
}
