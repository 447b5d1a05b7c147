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
                "/queries", "/queries/db-xss/4242", "/api/queries/db-xss/4242/history", "/trends", "/insights", "/static/console.js", "/webjars/uplot/1.6.30/dist/uPlot.iife.min.js", "/no-such-page")) {
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
        for (String path : NEW_PAGES) {
            assertEquals(200, get(console.url() + path).statusCode(), path);
        }
        for (String path : concat(List.of("/fleet", "/instances/db-xss", "/alerts", "/alerts/fp-conn"), NEW_PAGES)) {
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
        assertFalse(body.contains("<h2>Context</h2>"), "an empty context ([], the default of older rows) shows nothing");
        assertFalse(body.contains(XSS));
        assertEquals(404, get(console.url() + "/alerts/nope").statusCode());

        // Another store, where the firing event carries a context as the job writes it (items of kind + fields).
        ConsoleFixture withContext = ConsoleFixture.create(PG, "console_ctx");
        withContext.exec("UPDATE alert_event SET context = jsonb_build_array(jsonb_build_object('kind', 'session',"
                        + " 'fields', jsonb_build_object('pid', '12340', 'application_name', '" + XSS + "',"
                        + " 'statement', 'UPDATE accounts SET x = 1')))"
                        + " WHERE fingerprint = 'fp-conn' AND status = 'firing'");
        try (ConsoleServer c = ConsoleServer.start(new ConsoleSettings("127.0.0.1", 0, withContext.readerUrl, null, null, null))) {
            String page = get(c.url() + "/alerts/fp-conn").body();
            String ctx = section(page, "<h2>Context</h2>", "<h2>Events</h2>");
            assertTrue(ctx.contains("12340") && ctx.contains("UPDATE accounts SET x = 1"), ctx);
            assertTrue(ctx.contains("<h3>session</h3>") && ctx.contains("<dt>application_name</dt>"), ctx);
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

    /** The Queries, Trends and Insights pages (issue 17, section 2). */
    static final List<String> NEW_PAGES = List.of("/queries", "/queries?instance=db-quiet&range=7d&sort=mean", "/instances/db-xss/queries",
            "/queries/db-xss/4242", "/trends", "/instances/db-xss/trends", "/insights", "/insights?instance=db-quiet");

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static final java.time.format.DateTimeFormatter SINCE =
            java.time.format.DateTimeFormatter.ofPattern("EEE HH:mm", java.util.Locale.ROOT).withZone(java.time.ZoneOffset.UTC);

    @Test
    void navigationLinksTheNewPages_fromTheNavBarTheFleetAndTheInstance() throws Exception {
        String fleet = get(console.url() + "/fleet").body();
        for (String href : List.of("/queries", "/trends", "/insights")) {
            assertTrue(fleet.contains("<nav><a href=\"/fleet\"") && fleet.contains("href=\"" + href + "\">"), href);
        }
        assertTrue(section(fleet, "id=\"fleet-links\"", "</p>").contains("href=\"/trends\""), "fleet page links the fleet-wide trends");
        String instance = get(console.url() + "/instances/db-xss").body();
        for (String href : List.of("/instances/db-xss/queries", "/instances/db-xss/trends", "/insights?instance=db-xss")) {
            assertTrue(section(instance, "id=\"instance-links\"", "</nav>").contains("href=\"" + href + "\""), href);
        }
        assertTrue(instance.contains("href=\"/queries/db-xss/4242?range=6h\""), "top statements link to their query page, same range");
    }

    @Test
    void queriesPageListsTopStatements_escapesTheirText_sortsAndFiltersByInstance() throws Exception {
        HttpResponse<String> r = get(console.url() + "/queries");
        assertEquals(200, r.statusCode());
        String body = r.body();
        assertTrue(body.contains("SELECT &#39;" + XSS_ESCAPED + "&#39; FROM t WHERE id = $1"), "query text escaped");
        assertFalse(body.contains(XSS));
        assertTrue(body.contains("SELECT pg_sleep($1) /* nightly batch */"));
        String table = section(body, "<table id=\"queries\">", "</table>");
        assertTrue(table.indexOf("/queries/db-xss/4242") < table.indexOf("/queries/db-quiet/777"), "by total time: 4242 first");
        // 24 h by default: 25 hourly rows (the current hour included) of 120 calls; 4242 is steady, 777 spiky.
        String row4242 = section(table, "href=\"/queries/db-xss/4242?range=24h\"", "</tr>");
        assertTrue(row4242.contains(">3,000<") && row4242.contains(">steady<"), row4242);
        assertTrue(section(table, "href=\"/queries/db-quiet/777?range=24h\"", "</tr>").contains(">spiky<"));
        assertTrue(row4242.contains("×1.62"), "mean 30 ms against 18.57 ms in the 7 days before: " + row4242);

        String byMean = section(get(console.url() + "/queries?sort=mean").body(), "<table id=\"queries\">", "</table>");
        assertTrue(byMean.indexOf("/queries/db-quiet/777") < byMean.indexOf("/queries/db-xss/4242"), "777 (100 ms) before 4242 (30 ms)");
        String byRegression = section(get(console.url() + "/queries?sort=regression").body(), "<table id=\"queries\">", "</table>");
        assertTrue(byRegression.indexOf("/queries/db-xss/4242") < byRegression.indexOf("/queries/db-quiet/777"));
        String quiet = get(console.url() + "/queries?instance=db-quiet").body();
        assertTrue(quiet.contains("/queries/db-quiet/777") && !quiet.contains("/queries/db-xss/4242"), "instance filter");
        assertTrue(quiet.contains("1 statement<"));
        String own = get(console.url() + "/instances/db-xss/queries?range=7d").body();
        assertTrue(own.contains("/queries/db-xss/4242") && !own.contains("/queries/db-quiet/777"));
        assertTrue(own.contains("href=\"/instances/db-xss/queries?range=30d&amp;sort=total\""), "range links keep the order");
        assertEquals(404, get(console.url() + "/instances/nope/queries").statusCode());
        HttpResponse<String> xssInstance = get(console.url() + "/instances/" + Html.enc(XSS) + "/queries");
        assertEquals(404, xssInstance.statusCode());
        assertFalse(xssInstance.body().contains(XSS));
        assertFalse(get(console.url() + "/queries?instance=" + Html.enc(XSS) + "&sort=" + Html.enc(XSS)).body().contains(XSS));
    }

    @Test
    void queryPageShowsTextFactsAndHistory_andAnEmptyPlansPanelWithoutPlans() throws Exception {
        HttpResponse<String> r = get(console.url() + "/queries/db-xss/4242?range=7d");
        assertEquals(200, r.statusCode());
        String body = r.body();
        assertTrue(section(body, "id=\"query-text\">", "</pre>").contains("SELECT &#39;" + XSS_ESCAPED + "&#39; FROM t WHERE id = $1"));
        assertFalse(body.contains(XSS));
        assertTrue(body.contains("data-src=\"/api/queries/db-xss/4242/history?range=7d\""));
        String facts = section(body, "id=\"query-facts\"", "</dl>");
        assertTrue(facts.contains(">steady<") && facts.contains("app · billing"), facts);
        assertTrue(body.contains("<h2>Plans</h2>") && body.contains("No plan captured for this statement."),
                "the store (V8) has a plan table but no plan of this statement: an empty plans panel");
        assertEquals(404, get(console.url() + "/queries/db-xss/999").statusCode());
        assertEquals(404, get(console.url() + "/queries/nope/4242").statusCode());
        HttpResponse<String> xss = get(console.url() + "/queries/" + Html.enc(XSS) + "/" + Html.enc(XSS));
        assertEquals(404, xss.statusCode());
        assertFalse(xss.body().contains(XSS));

        JsonNode history = new ObjectMapper().readTree(get(console.url() + "/api/queries/db-xss/4242/history?range=7d").body());
        assertEquals("1h", history.get("resolution").asText());
        JsonNode mean = panel(history, "q-mean");
        assertEquals(169, mean.get("x").size(), "168 hours back and the current one");
        assertEquals(10.0, mean.get("lines").get(0).get(0).asDouble(), 1e-9, "10 ms a week ago");
        assertEquals(30.0, mean.get("lines").get(0).get(168).asDouble(), 1e-9, "30 ms now");
        assertEquals(15.0, mean.get("lines").get(1).get(168).asDouble(), 1e-9, "standard deviation half the mean");
        assertEquals(120.0, panel(history, "q-calls").get("lines").get(0).get(5).asDouble(), 1e-9);
        assertEquals(404, get(console.url() + "/api/queries/db-xss/999/history").statusCode());
    }

    @Test
    void plansPanelAppearsWhenTheStoreHasAPlanTable_withThePlanChanges() throws Exception {
        ConsoleFixture withPlans = ConsoleFixture.create(PG, "console_plans");
        withPlans.exec("INSERT INTO query_plan (instance, queryid, datname, fingerprint, summary, total_cost, first_seen, last_seen, period)"
                        + " SELECT *, date_trunc('month', f) FROM (VALUES"
                        + " ('db-xss', '4242', 'app', 'aaaaaaaaaaaaaaaa', 'Index Scan on t', 8.3, now() - interval '5 days', now() - interval '4 days'),"
                        + " ('db-xss', '4242', 'app', 'bbbbbbbbbbbbbbbb', 'Seq Scan on t ' || '" + XSS + "', 1234.5, now() - interval '4 days', now()))"
                        + " v (i, q, d, fp, s, c, f, l)");
        try (ConsoleServer c = ConsoleServer.start(new ConsoleSettings("127.0.0.1", 0, withPlans.readerUrl, null, null, null))) {
            String page = get(c.url() + "/queries/db-xss/4242").body();
            String plans = section(page, "<h2>Plans</h2>", "</table>");
            assertTrue(plans.contains("2 plans, 1 plan change"), plans);
            assertTrue(plans.indexOf("aaaaaaaaaaaaaaaa") < plans.indexOf("bbbbbbbbbbbbbbbb"), "oldest first");
            assertTrue(plans.contains("changed from aaaaaaaaaaaaaaaa") && plans.contains("Seq Scan on t " + XSS_ESCAPED), plans);
            assertFalse(page.contains(XSS));
            assertTrue(get(c.url() + "/queries/db-quiet/777").body().contains("No plan captured for this statement."));
        }
    }

    @Test
    void trendsPageSaysWhatChangedMostWeekOverWeek_withTheChangePoint() throws Exception {
        String fleet = get(console.url() + "/trends").body();
        String sentences = section(fleet, "id=\"trend-sentences\">", "</ol>");
        assertTrue(sentences.contains("<strong>db-xss</strong>: cache hit ratio 95.0% → 75.0% (-21%) since " + SINCE.format(store.cacheDropAt)),
                sentences);
        assertTrue(sentences.contains("<strong>db-xss</strong>: mean time of query 4242 10 ms → 30 ms (×3.0) since "
                + SINCE.format(store.querySlowerAt)), sentences);
        assertTrue(sentences.contains("<strong>db-quiet</strong>: connections 10 → 14 (+40%) since "), sentences);
        assertTrue(java.util.regex.Pattern.compile("<strong>fleet</strong>: connections 22 → 2[0-9]\\.[0-9] \\(\\+[0-9]+%\\) week over week")
                .matcher(sentences).find(), "fleet-wide rows compare the weeks (no change point): " + sentences);
        assertTrue(sentences.indexOf("query 4242") < sentences.indexOf("db-quiet"), "most changed first (+115% before +40%)");
        assertFalse(sentences.contains("transactions"), "no change in tps: not among the sentences");
        assertTrue(section(fleet, "<table id=\"trends\">", "</table>").contains(">transactions<"), "but in the table (0%)");
        assertFalse(fleet.contains(XSS));
        assertTrue(fleet.contains(XSS_ESCAPED), "the query text next to the trend, escaped");

        String own = get(console.url() + "/instances/db-xss/trends").body();
        assertTrue(own.contains("cache hit ratio 95.0% → 75.0%") && !own.contains("db-quiet") && !own.contains(">fleet<"), own);
        assertEquals(404, get(console.url() + "/instances/nope/trends").statusCode());

        // The class the CLI reuses, on a reader connection.
        try (Connection c = Trends.connectAsReader(store.readerUrl, null, null)) {
            List<Trends.Row> rows = Trends.weekOverWeek(c, "db-xss", java.time.Instant.now());
            Trends.Row first = rows.get(0);
            assertEquals(Trends.Metric.QUERY_MEAN_TIME, first.metric());
            assertEquals("4242", first.subject());
            assertEquals(store.querySlowerAt, first.changeAt());
            assertEquals(10.0, first.previousWeek(), 1e-9);
            Trends.Row cache = rows.stream().filter(x -> x.metric() == Trends.Metric.CACHE_HIT_RATIO).findFirst().orElseThrow();
            assertEquals(0.95, cache.previousWeek(), 1e-9);
            assertEquals(0.95, cache.before(), 1e-9);
            assertEquals(0.75, cache.after(), 1e-9);
            assertEquals(store.cacheDropAt, cache.changeAt());
            assertTrue(rows.stream().allMatch(x -> "db-xss".equals(x.instance())), "one instance only");
        }
    }

    @Test
    void insightsPageListsFindingsPerInstance_withTheBytesWastedAndTotals() throws Exception {
        String body = get(console.url() + "/insights").body();
        assertTrue(body.contains("3 findings on 2 instances; 13.0 GiB wasted"), body);
        String kinds = section(body, "id=\"insight-kinds\"", "</ul>");
        assertTrue(kinds.contains("1 unused index</a> wasting 12.0 GiB") && kinds.contains("1 duplicate index</a> wasting 1.0 GiB"), kinds);
        assertTrue(kinds.contains("1 sequence exhaustion</a>"), kinds);
        assertTrue(body.contains("public.orders_old_idx") && body.contains("12.0 GiB wasted"));
        assertTrue(body.contains("Sequence public.orders_id_seq has used 91% of its range") && body.contains("(91.0% used)"));
        assertTrue(body.contains("2 findings, 13.0 GiB wasted"), "per instance: db-xss");
        assertTrue(body.indexOf(">db-quiet</a>") < body.indexOf(">db-xss</a> <span"), "grouped by instance");
        assertTrue(body.contains("duplicates public.orders_user_idx " + XSS_ESCAPED));
        assertFalse(body.contains(XSS));
        String quiet = get(console.url() + "/insights?instance=db-quiet").body();
        assertTrue(quiet.contains("1 finding on 1 instance") && !quiet.contains("orders_old_idx"), quiet);
        String unused = get(console.url() + "/insights?kind=unused_index").body();
        assertTrue(unused.contains("orders_old_idx") && !unused.contains("orders_id_seq"));
        assertEquals(404, get(console.url() + "/insights?instance=nope").statusCode());
        assertFalse(get(console.url() + "/insights?kind=" + Html.enc(XSS)).body().contains(XSS));
    }

    @Test
    void newPagesAnswerWithTheirServerTime() throws Exception {
        for (String path : NEW_PAGES) {
            double[] ms = new double[7];
            for (int i = 0; i < ms.length; i++) {
                HttpResponse<String> r = get(console.url() + path);
                String timing = r.headers().firstValue("Server-Timing").orElseThrow(() -> new AssertionError("no Server-Timing on " + path));
                assertTrue(timing.matches("app;dur=\\d+\\.\\d"), timing);
                ms[i] = Double.parseDouble(timing.substring("app;dur=".length()));
            }
            java.util.Arrays.sort(ms);
            System.out.printf(java.util.Locale.ROOT, "server time %-45s p50 %6.1f ms  max %6.1f ms (7 requests)%n", path, ms[3], ms[6]);
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

    @Test
    void graphqlCarriesTheQueriesAndTrendsData_classRegressionAndWeekOverWeek() throws Exception {
        java.time.Instant hour = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.HOURS);
        String q = "query($r: TimeRange!) {"
                + " statements(instance: \"db-xss\", range: $r, first: 5) { nodes { queryid meanTimeMs stddevTimeMs maxTimeMs spread"
                + "   baselineMeanTimeMs regression } }"
                + " quiet: statements(instance: \"db-quiet\", range: $r, first: 5) { nodes { queryid spread } }"
                + " own: trends(instance: \"db-xss\", first: 50) { nodes { instance metric subject query previousWeek thisWeek"
                + "   changeAt sentence } }"
                + " fleet: trends(first: 2) { nodes { instance metric sentence } pageInfo { hasNextPage endCursor } }"
                + " nope: trends(instance: \"nope\") { nodes { metric } } }";
        String vars = "{\"r\": {\"from\": \"" + hour.minus(Duration.ofHours(24)) + "\", \"to\": \"" + hour.plus(Duration.ofHours(1)) + "\"}}";
        JsonNode root = graphql(q, vars);
        assertTrue(root.path("errors").isMissingNode(), root.toString());
        JsonNode st = root.at("/data/statements/nodes/0");
        assertEquals("4242", st.get("queryid").asText(), root.toString());
        assertEquals("STEADY", st.get("spread").asText());
        // 30 ms now against 18.57 ms (72 hours at 30 ms, 96 at 10 ms) in the 7 days before the range, as the Queries page says
        assertEquals(18.571, st.get("baselineMeanTimeMs").asDouble(), 0.01, st.toString());
        assertEquals(1.615, st.get("regression").asDouble(), 0.01, st.toString());
        assertEquals(15.0, st.get("stddevTimeMs").asDouble(), 0.01, "half the mean: " + st);
        assertEquals(80.0, st.get("maxTimeMs").asDouble(), 0.01, "the current hour's 80 ms: " + st);
        assertEquals("SPIKY", root.at("/data/quiet/nodes/0/spread").asText(), root.toString());

        boolean query = false;
        boolean cache = false;
        for (JsonNode t : root.at("/data/own/nodes")) {
            assertEquals("db-xss", t.get("instance").asText());
            if (t.get("metric").asText().equals("query_mean_ms") && t.get("subject").asText().equals("4242")) {
                query = true;
                assertTrue(t.get("sentence").asText().startsWith("mean time of query 4242 10 ms → 30 ms (×3.0) since "), t.toString());
                assertFalse(t.get("changeAt").isNull());
            }
            cache |= t.get("metric").asText().equals("cache_hit_ratio") && t.get("sentence").asText().contains("95.0% → 75.0%");
        }
        assertTrue(query && cache, root.at("/data/own").toString());
        assertEquals(2, root.at("/data/fleet/nodes").size());
        assertTrue(root.at("/data/fleet/pageInfo/hasNextPage").asBoolean());
        assertEquals(0, root.at("/data/nope/nodes").size());

        // the next page continues the ranking where the first stopped
        String cursor = root.at("/data/fleet/pageInfo/endCursor").asText();
        JsonNode all = graphql("{ trends(first: 4) { nodes { sentence } } }", "{}").at("/data/trends/nodes");
        JsonNode next = graphql("{ trends(first: 2, after: \"" + cursor + "\") { nodes { sentence } } }", "{}").at("/data/trends/nodes");
        assertEquals(all.get(2), next.get(0));
        assertEquals(all.get(3), next.get(1));
        JsonNode bad = graphql("{ trends(first: 2, after: \"abc\") { nodes { sentence } } }", "{}");
        assertTrue(bad.at("/errors/0/message").asText().contains("invalid cursor"), bad.toString());
    }

    private JsonNode graphql(String query, String variables) throws Exception {
        ObjectMapper m = new ObjectMapper();
        String body = m.writeValueAsString(java.util.Map.of("query", query, "variables", m.readTree(variables)));
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(console.url() + "/graphql"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(200, r.statusCode(), r.body());
        return m.readTree(r.body());
    }

    static HttpResponse<String> get(String url) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url)));
    }

    private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return HTTP.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
