package dev.datainsight.console;

import static dev.datainsight.console.ConsoleFixture.XSS;
import static dev.datainsight.console.ConsoleFixture.XSS_ESCAPED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.embedded.PostgresExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The console over HTTP against a real, migrated store read as the reader role. */
class ConsoleHttpITCase {
    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static ConsoleFixture store;
    private static ConsoleServer console;

    @BeforeAll
    static void start() throws Exception {
        store = ConsoleFixture.create(PG, "console_http");
        console = ConsoleServer.start(new ConsoleSettings("127.0.0.1", 0, store.readerUrl, null, null, null));
    }

    @AfterAll
    static void stop() {
        if (console != null) {
            console.close();
        }
    }

    @Test
    void everyResponseCarriesTheSecurityHeaders() throws Exception {
        for (String path : List.of("/fleet", "/instances/db-xss", "/alerts", "/alerts/fp-conn", "/api/instances/db-xss/panels",
                "/static/console.js", "/webjars/uplot/1.6.30/dist/uPlot.iife.min.js", "/no-such-page")) {
            HttpResponse<String> r = get(console.url() + path);
            String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
            assertTrue(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), path + ": " + csp);
            assertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval"), path + ": " + csp);
            assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""), path);
            assertEquals("DENY", r.headers().firstValue("X-Frame-Options").orElse(""), path);
        }
        assertEquals(404, get(console.url() + "/no-such-page").statusCode());
        HttpResponse<String> js = get(console.url() + "/static/console.js");
        assertEquals(200, js.statusCode());
        assertTrue(js.body().contains("uPlot"), "console.js served from the jar");
        assertEquals(200, get(console.url() + "/webjars/uplot/1.6.30/dist/uPlot.iife.min.js").statusCode(), "uPlot from its webjar");
    }

    @Test
    void pagesHaveNoInlineScriptOrStyle() throws Exception {
        for (String path : List.of("/fleet", "/instances/db-xss", "/alerts", "/alerts/fp-conn")) {
            String body = get(console.url() + path).body();
            assertFalse(body.matches("(?s).*<script(?![^>]*\\bsrc=)[^>]*>.*"), path + " has an inline script");
            assertFalse(body.contains(" style=") || body.contains("<style"), path + " has inline style");
            assertFalse(java.util.regex.Pattern.compile("<[a-zA-Z][^>]*\\son[a-z]+\\s*=").matcher(body).find(), path + " has an inline event handler");
        }
    }

    @Test
    void fleetListsInstancesFiringFirst_andEscapesLabels() throws Exception {
        HttpResponse<String> r = get(console.url() + "/fleet");
        assertEquals(200, r.statusCode());
        String body = r.body();
        int xss = body.indexOf("href=\"/instances/db-xss\"");
        int quiet = body.indexOf("href=\"/instances/db-quiet\"");
        assertTrue(xss > 0 && quiet > xss, "db-xss (firing critical) is listed before db-quiet");
        assertTrue(body.contains("2 instances"), body);
        assertTrue(body.contains(XSS_ESCAPED), "the label value is shown escaped");
        assertFalse(body.contains(XSS), "the raw label value never reaches the page");
        assertTrue(body.contains("1 critical"), "open alerts by severity");
        assertTrue(body.contains("1 pending"), "pending alerts counted apart");
        assertTrue(body.contains("17.2") && body.contains("16.4"), "server versions");
        assertTrue(body.contains(">silent<"), "db-quiet has not reported for an hour");
        assertTrue(body.contains("12 / 100 (12%)"), "connections used of max");
    }

    @Test
    void fleetSortsByColumn_keepingTheFilter() throws Exception {
        assertOrder(get(console.url() + "/fleet?sort=instance").body(), "db-quiet", "db-xss");
        assertOrder(get(console.url() + "/fleet?sort=seen").body(), "db-quiet", "db-xss"); // least recently seen first
        assertOrder(get(console.url() + "/fleet?sort=version").body(), "db-xss", "db-quiet"); // 17 before 16
        assertOrder(get(console.url() + "/fleet?sort=connections").body(), "db-xss", "db-quiet");
        assertOrder(get(console.url() + "/fleet?sort=" + Html.enc(XSS)).body(), "db-xss", "db-quiet"); // unknown: default
        String filtered = get(console.url() + "/fleet?label=env%3Dstaging").body();
        assertTrue(filtered.contains("href=\"/fleet?sort=instance&amp;label=env%3Dstaging\""), "sort links keep the filter");
    }

    private static void assertOrder(String body, String first, String second) {
        int a = body.indexOf("href=\"/instances/" + first + "\"");
        int b = body.indexOf("href=\"/instances/" + second + "\"");
        assertTrue(a > 0 && b > a, first + " before " + second);
    }

    @Test
    void withoutATokenOnlyLoopbackHostNamesAreAnswered() throws Exception {
        // A page on another site whose name was rebound to 127.0.0.1 sends its own Host header.
        assertTrue(rawGet("evil.example:" + console.port()).startsWith("HTTP/1.1 403"), "foreign Host refused");
        assertTrue(rawGet("localhost:" + console.port()).startsWith("HTTP/1.1 200"));
        assertTrue(rawGet("127.0.0.1:" + console.port()).startsWith("HTTP/1.1 200"));
        assertTrue(ConsoleServer.loopbackHost("[::1]:8080") && !ConsoleServer.loopbackHost("127.0.0.1.evil.example"));
    }

    private static String rawGet(String host) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", console.port())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(("GET /fleet HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void fleetFiltersByLabel() throws Exception {
        String staging = get(console.url() + "/fleet?label=env%3Dstaging").body();
        assertTrue(staging.contains("/instances/db-quiet") && !staging.contains("/instances/db-xss"), staging);
        assertTrue(staging.contains("1 instance<"), staging);
        String both = get(console.url() + "/fleet?label=env:staging,team=core").body();
        assertTrue(both.contains("/instances/db-quiet"));
        String none = get(console.url() + "/fleet?label=env%3Dnowhere").body();
        assertTrue(none.contains("0 instances") && !none.contains("/instances/db-"), none);
        // A filter value with markup is echoed escaped in the form.
        String echoed = get(console.url() + "/fleet?label=app%3D" + Html.enc(XSS)).body();
        assertTrue(echoed.contains("/instances/db-xss"), "the label filter matches the stored value");
        assertFalse(echoed.contains(XSS));
    }

    @Test
    void instancePageEscapesQueryTexts_andLinksRanges() throws Exception {
        HttpResponse<String> r = get(console.url() + "/instances/db-xss?range=1h");
        assertEquals(200, r.statusCode());
        String body = r.body();
        assertTrue(body.contains("SELECT &#39;" + XSS_ESCAPED + "&#39; FROM t WHERE id = $1"), "query text escaped");
        assertFalse(body.contains(XSS));
        for (String range : List.of("1h", "6h", "24h", "7d", "30d")) {
            assertTrue(body.contains("href=\"/instances/db-xss?range=" + range + "\""), range);
        }
        assertTrue(body.contains("data-src=\"/api/instances/db-xss/panels?range=1h\""));
        assertTrue(body.contains("connections_saturation"), "open alerts of the instance");
        assertEquals(404, get(console.url() + "/instances/" + Html.enc(XSS)).statusCode());
        assertFalse(get(console.url() + "/instances/" + Html.enc(XSS)).body().contains(XSS));
    }

    @Test
    void panelsApiReturnsTheRollupsAtTheRangeResolution() throws Exception {
        HttpResponse<String> r = get(console.url() + "/api/instances/db-xss/panels?range=1h");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode root = new ObjectMapper().readTree(r.body());
        assertEquals("1m", root.get("resolution").asText());
        JsonNode tps = panel(root, "tps");
        assertEquals(30, tps.get("x").size(), "30 one-minute buckets");
        assertEquals("xact_commit", tps.get("names").get(0).asText());
        assertEquals(60.0, tps.get("lines").get(0).get(0).asDouble(), 1e-9, "commits summed over databases");
        assertEquals(2.0, tps.get("lines").get(1).get(0).asDouble(), 1e-9, "rollbacks");
        assertEquals(0.9, panel(root, "cache").get("lines").get(0).get(5).asDouble(), 1e-9, "hit ratio");
        assertEquals(XSS, panel(root, "replication").get("names").get(0).asText(), "JSON carries the name; the chart sets it as text");
        assertEquals(1073741824.0, panel(root, "sizes").get("lines").get(0).get(0).asDouble(), 1e-3);
        assertEquals(0, panel(root, "wal").get("x").size(), "no WAL series stored");
        JsonNode firing = root.get("firing");
        assertEquals(1, firing.size(), "fp-conn fires (fp-dead is only pending): " + firing);
        assertEquals("fp-conn", firing.get(0).get("fingerprint").asText());
        assertTrue(firing.get(0).get("to").isNull(), "still firing");
        long firedAgo = java.time.Instant.now().getEpochSecond() - firing.get(0).get("from").asLong();
        assertTrue(firedAgo >= 7 * 60 && firedAgo <= 10 * 60, "the firing event was 8 minutes ago, not the pending start: " + firedAgo);
        JsonNode quiet6h = new ObjectMapper().readTree(get(console.url() + "/api/instances/db-quiet/panels?range=6h").body()).get("firing");
        assertEquals(1, quiet6h.size());
        assertEquals(3600, quiet6h.get(0).get("to").asLong() - quiet6h.get(0).get("from").asLong(), 5, "fired 3h ago, resolved 2h ago");
        assertEquals(0, new ObjectMapper().readTree(get(console.url() + "/api/instances/db-quiet/panels?range=1h").body())
                .get("firing").size(), "resolved before the last hour");
        assertEquals("1h", new ObjectMapper().readTree(get(console.url() + "/api/instances/db-xss/panels?range=7d").body())
                .get("resolution").asText());
        assertEquals("1d", new ObjectMapper().readTree(get(console.url() + "/api/instances/db-xss/panels?range=30d").body())
                .get("resolution").asText());
    }

    @Test
    void alertsPageFiltersBySeverityRuleInstanceAndStatus() throws Exception {
        String all = get(console.url() + "/alerts").body();
        assertTrue(all.contains("/alerts/fp-conn") && all.contains("/alerts/fp-dead") && all.contains("/alerts/fp-lag"));
        assertFalse(all.contains(XSS));
        assertTrue(all.contains(XSS_ESCAPED), "summary escaped");

        String open = section(get(console.url() + "/alerts").body(), "<h2>Open</h2>", "<h2>History</h2>");
        assertTrue(open.contains("fp-conn") && open.contains("fp-dead") && !open.contains("fp-lag"), "fp-lag resolved: not open");
        assertTrue(open.indexOf("fp-conn") < open.indexOf("fp-dead"), "firing before pending");

        String critical = get(console.url() + "/alerts?severity=critical").body();
        assertTrue(critical.contains("fp-conn") && !critical.contains("fp-dead") && !critical.contains("fp-lag"));
        String rule = get(console.url() + "/alerts?rule=replication_lag").body();
        assertTrue(rule.contains("fp-lag") && !rule.contains("fp-conn"));
        String instance = get(console.url() + "/alerts?instance=db-quiet").body();
        assertTrue(instance.contains("fp-lag") && !instance.contains("fp-dead"));
        String resolved = get(console.url() + "/alerts?status=resolved").body();
        String history = section(resolved, "<h2>History</h2>", "</main>");
        assertTrue(history.contains("replica caught up") && !history.contains("replica behind") && !history.contains("fp-conn"), history);
        assertTrue(section(resolved, "<h2>Open</h2>", "<h2>History</h2>").contains("No open alerts"));
        // An unknown filter value is ignored, not passed through.
        assertTrue(get(console.url() + "/alerts?severity=" + Html.enc(XSS)).body().contains("fp-lag"));
    }

    @Test
    void alertPageShowsEventsSummaryRunbook_andContextWhenTheColumnExists() throws Exception {
        String body = get(console.url() + "/alerts/fp-conn").body();
        assertTrue(body.contains("connections at 97% " + XSS_ESCAPED), "summary");
        assertTrue(body.contains("used by application " + XSS_ESCAPED), "description");
        assertTrue(body.contains("href=\"https://runbooks.example/connections\""), "runbook link");
        assertTrue(body.contains("id=\"charts-link\" href=\"/instances/db-xss?range=1h\""), "charts around the start (10 min ago)");
        assertTrue(get(console.url() + "/alerts/fp-lag").body().contains("href=\"/instances/db-quiet?range=6h\""), "3 hours ago: 6h");
        assertEquals(2, section(body, "<table id=\"events\">", "</table>").split("<tr>").length - 2, "pending and firing events");
        assertFalse(body.contains("<h2>Context</h2>"), "no context column in this store");
        assertFalse(body.contains(XSS));
        assertEquals(404, get(console.url() + "/alerts/nope").statusCode());

        // Another store, where the alert_event.context column of the explain work exists.
        ConsoleFixture withContext = ConsoleFixture.create(PG, "console_ctx");
        withContext.exec("ALTER TABLE alert_event ADD COLUMN context jsonb",
                "UPDATE alert_event SET context = jsonb_build_object('sessions', jsonb_build_array(jsonb_build_object("
                        + "'pid', 12340, 'application_name', '" + XSS + "', 'query', 'UPDATE accounts SET x = 1')))"
                        + " WHERE fingerprint = 'fp-conn' AND status = 'firing'");
        try (ConsoleServer c = ConsoleServer.start(new ConsoleSettings("127.0.0.1", 0, withContext.readerUrl, null, null, null))) {
            String page = get(c.url() + "/alerts/fp-conn").body();
            String ctx = section(page, "<h2>Context</h2>", "<h2>Events</h2>");
            assertTrue(ctx.contains("12340") && ctx.contains("UPDATE accounts SET x = 1"), ctx);
            assertTrue(ctx.contains(XSS_ESCAPED), ctx);
            assertFalse(page.contains(XSS));
        }
    }

    @Test
    void aTakenPortFailsTheStart_andTheRunningConsoleKeepsAnswering() throws Exception {
        assertThrows(RuntimeException.class,
                () -> ConsoleServer.start(new ConsoleSettings("127.0.0.1", console.port(), store.readerUrl, null, null, null)));
        assertEquals(200, get(console.url() + "/fleet").statusCode());
    }

    @Test
    void nonLoopbackListenNeedsAToken() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ConsoleSettings("0.0.0.0", 0, store.readerUrl, null, null, null));
        assertTrue(e.getMessage().contains("needs an auth token"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ConsoleSettings("0.0.0.0", 0, store.readerUrl, null, null, "short"));
    }

    @Test
    void withATokenEveryRequestMustPresentIt() throws Exception {
        String token = "s3cret-token-for-the-console";
        try (ConsoleServer c = ConsoleServer.start(new ConsoleSettings("0.0.0.0", 0, store.readerUrl, null, null, token))) {
            for (String path : List.of("/fleet", "/alerts/fp-conn", "/api/instances/db-xss/panels", "/static/console.js")) {
                HttpResponse<String> anonymous = get(c.url() + path);
                assertEquals(401, anonymous.statusCode(), path);
                assertFalse(anonymous.body().contains("db-xss"), path);
                assertEquals("DENY", anonymous.headers().firstValue("X-Frame-Options").orElse(""));
                assertEquals(401, send(HttpRequest.newBuilder(URI.create(c.url() + path)).header("Authorization", "Bearer wrong-token-xxxxxxxx")).statusCode());
                HttpResponse<String> ok = send(HttpRequest.newBuilder(URI.create(c.url() + path)).header("Authorization", "Bearer " + token));
                assertEquals(200, ok.statusCode(), path);
            }
            // The sign-in form sets a cookie that is not the token itself.
            HttpResponse<String> bad = send(HttpRequest.newBuilder(URI.create(c.url() + "/login"))
                    .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString("token=nope")));
            assertEquals(401, bad.statusCode());
            HttpResponse<String> login = send(HttpRequest.newBuilder(URI.create(c.url() + "/login"))
                    .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString("token=" + token)));
            String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
            assertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && !cookie.contains(token), cookie);
            HttpResponse<String> withCookie = send(HttpRequest.newBuilder(URI.create(c.url() + "/fleet")).header("Cookie", cookie.split(";")[0]));
            assertEquals(200, withCookie.statusCode());
            assertTrue(withCookie.body().contains("/instances/db-xss"));
        }
    }

    @Test
    void theConsoleCannotWrite_evenWhenGivenASuperuserLogin() throws Exception {
        for (String url : List.of(store.readerUrl, store.url)) {
            StoreReader reader = new StoreReader(url, null, null);
            for (String dml : List.of("INSERT INTO instance VALUES ('x', '{}', 1, now(), now())", "DELETE FROM alert_event",
                    "UPDATE instance SET labels = '{}'", "DROP TABLE series", "CREATE TABLE mine (i int)")) {
                try (Connection c = reader.connect(); Statement st = c.createStatement()) {
                    SQLException e = assertThrows(SQLException.class, () -> st.execute(dml), dml);
                    assertTrue(List.of("42501", "25006").contains(e.getSQLState()), dml + ": " + e.getSQLState() + " " + e.getMessage());
                }
            }
        }
        // A login outside the reader role is refused at start.
        SQLException e = assertThrows(SQLException.class, () -> ConsoleServer.start(new ConsoleSettings("127.0.0.1", 0,
                store.url.replace("user=postgres", "user=console_outsider"), null, null, null)));
        assertTrue(e.getMessage().contains("datainsight_reader"), e.getMessage());
        assertEquals(0L, countInstances("x"), "nothing was written");
    }

    private static long countInstances(String name) throws SQLException {
        try (Connection c = java.sql.DriverManager.getConnection(store.url);
             var ps = c.prepareStatement("SELECT count(*) FROM instance WHERE instance = ?")) {
            ps.setString(1, name);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static JsonNode panel(JsonNode root, String id) {
        for (JsonNode p : root.get("panels")) {
            if (p.get("id").asText().equals(id)) {
                return p;
            }
        }
        throw new AssertionError("no panel " + id);
    }

    private static String section(String body, String from, String to) {
        int a = body.indexOf(from);
        int b = body.indexOf(to, a + from.length());
        assertTrue(a >= 0 && b > a, "section " + from + " .. " + to);
        return body.substring(a, b);
    }

    static HttpResponse<String> get(String url) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url)));
    }

    private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return HTTP.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
