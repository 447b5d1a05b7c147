package dev.datainsight.collector;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PostgreSQL server address split into its parts: a JDBC URL
 * ({@code jdbc:postgresql://host[:port][,host2...]/db?k=v}) or a libpq URL
 * ({@code postgresql://[user[:password]@]host[:port]/db?k=v}). Credentials and the database name
 * given as query parameters are taken out; {@code application_name} is dropped because the
 * collector sets its own; {@code options} is refused (the driver would send it instead of the
 * collector's startup options, i.e. without its timeouts and read-only mode). Every other parameter must be on the
 * {@link #ALLOWED_PARAMETERS allowlist}: TLS, authentication and host selection. A parameter that
 * could weaken the collector's safety ({@code socketTimeout=0}, {@code readOnly=false},
 * {@code preferQueryMode}, {@code sslfactory} bypassing certificate checks, ...) is rejected.
 *
 * @param hosts {@code host[:port]} list, comma-separated
 * @param database the database (default {@code postgres})
 * @param params the remaining query parameters, URL-encoded ({@code k=v&...}), may be empty
 * @param user user from the URL, or null
 * @param password password from the URL, or null; never print it
 */
public record PostgresUrl(String hosts, String database, String params, String user, String password) {
    /**
     * URL parameters passed to the driver: TLS, authentication and host selection. Timeouts,
     * read-only mode, query mode and the session settings are the collector's and cannot be
     * overridden from a URL.
     */
    public static final java.util.Set<String> ALLOWED_PARAMETERS = java.util.Set.of(
            "ssl", "sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "sslNegotiation",
            "channelBinding", "gssEncMode", "gsslib", "kerberosServerName", "jaasApplicationName", "jaasLogin",
            "sspiServiceClass", "useSpnego", "targetServerType", "loadBalanceHosts", "hostRecheckSeconds",
            "tcpNoDelay");

    /**
     * The session settings the collector sends as startup {@code options}; a URL's own
     * {@code options} would replace them all, so it is refused.
     */
    public static final java.util.List<String> SESSION_SETTINGS = java.util.List.of("statement_timeout", "lock_timeout",
            "default_transaction_read_only", "idle_in_transaction_session_timeout");

    /** Values {@code sslmode} accepts. */
    public static final java.util.Set<String> SSL_MODES = java.util.Set.of("disable", "allow", "prefer", "require",
            "verify-ca", "verify-full");

    private static final Pattern JDBC = Pattern.compile("^jdbc:postgresql://([^/?]+)(?:/([^?]*))?(?:\\?(.*))?$");
    private static final Pattern LIBPQ = Pattern.compile("^postgres(?:ql)?://(?:([^@/]*)@)?([^/?]*)(?:/([^?]*))?(?:\\?(.*))?$");

    /**
     * Parses a URL.
     *
     * @throws IllegalArgumentException for anything that is not a PostgreSQL URL, no host, or a bad port
     */
    public static PostgresUrl parse(String url) {
        String hosts;
        String database;
        String user = null;
        String password = null;
        String query;
        Matcher m = JDBC.matcher(url.trim());
        if (m.matches()) {
            hosts = m.group(1);
            database = decode(m.group(2));
            query = m.group(3);
        } else {
            m = LIBPQ.matcher(url.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("not a PostgreSQL URL (expected jdbc:postgresql://host[:port]/db"
                        + " or postgresql://[user[:password]@]host[:port]/db)");
            }
            if (m.group(1) != null) {
                String[] up = m.group(1).split(":", 2);
                user = decode(up[0]);
                password = up.length > 1 ? decode(up[1]) : null;
            }
            hosts = m.group(2).isEmpty() ? "localhost" : m.group(2);
            database = decode(m.group(3));
            query = m.group(4);
        }
        if (hosts.isBlank()) {
            throw new IllegalArgumentException("URL has no host");
        }
        for (String h : hosts.split(",")) {
            int colon = h.lastIndexOf(':');
            if (colon > 0 && !h.endsWith("]")) {
                String port = h.substring(colon + 1);
                if (!port.matches("\\d{1,5}") || Integer.parseInt(port) > 65535 || Integer.parseInt(port) == 0) {
                    throw new IllegalArgumentException("bad port '" + port + "' in URL");
                }
            }
        }
        if (database == null || database.isEmpty()) {
            database = "postgres";
        }
        Map<String, String> q = new LinkedHashMap<>();
        if (query != null && !query.isEmpty()) {
            for (String kv : query.split("&")) {
                if (kv.isEmpty()) {
                    continue;
                }
                String[] a = kv.split("=", 2);
                String k = decode(a[0]);
                String v = a.length > 1 ? decode(a[1]) : "";
                switch (k) {
                    case "user" -> user = v;
                    case "password" -> password = v;
                    case "dbname" -> database = v;
                    case "application_name", "ApplicationName" -> {
                        // the collector sets its own (the marker name its own sessions are known by)
                    }
                    case "options" -> throw new IllegalArgumentException("URL parameter 'options' is not allowed: the"
                            + " driver would send it instead of the collector's own startup options ("
                            + String.join(", ", SESSION_SETTINGS) + "), so " + describeOptions(v)
                            + "; set timeouts with defaults.statement_timeout / lock_timeout");
                    default -> {
                        if (!ALLOWED_PARAMETERS.contains(k)) {
                            throw new IllegalArgumentException("URL parameter '" + k + "' is not allowed: the collector"
                                    + " sets its own timeouts and session settings; allowed: "
                                    + new java.util.TreeSet<>(ALLOWED_PARAMETERS));
                        }
                        if (k.equals("sslmode") && !SSL_MODES.contains(v)) {
                            throw new IllegalArgumentException("URL parameter sslmode='" + v + "' is not one of "
                                    + new java.util.TreeSet<>(SSL_MODES));
                        }
                        q.put(k, v);
                    }
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        q.forEach((k, v) -> {
            if (sb.length() > 0) {
                sb.append('&');
            }
            sb.append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        });
        return new PostgresUrl(hosts, database, sb.toString(), user, password);
    }

    /** This URL with {@code key=value} added unless the URL already sets {@code key}. */
    public PostgresUrl withDefault(String key, String value) {
        if (value == null) {
            return this;
        }
        for (String kv : params.split("&")) {
            if (URLDecoder.decode(kv.split("=", 2)[0], StandardCharsets.UTF_8).equals(key)) {
                return this;
            }
        }
        String add = URLEncoder.encode(key, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
        return new PostgresUrl(hosts, database, params.isEmpty() ? add : params + "&" + add, user, password);
    }

    /** JDBC URL of a database on this server, without credentials. */
    public String jdbcUrl(String db) {
        return "jdbc:postgresql://" + hosts + "/" + URLEncoder.encode(db, StandardCharsets.UTF_8).replace("+", "%20")
                + (params.isEmpty() ? "" : "?" + params);
    }

    @Override
    public String toString() {
        return "PostgresUrl{" + jdbcUrl(database) + ", user=" + user + ", password=" + (password == null ? "none" : "***") + "}";
    }

    /** What a refused {@code options} value would have done, for the error message. */
    private static String describeOptions(String v) {
        java.util.List<String> hit = new java.util.ArrayList<>();
        for (String name : SESSION_SETTINGS) {
            if (v.contains(name)) {
                hit.add(name);
            }
        }
        return hit.isEmpty() ? "the server would run the collector without its timeouts and read-only mode"
                : "'" + v + "' would override " + String.join(", ", hit);
    }

    private static String decode(String s) {
        return s == null ? null : URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
