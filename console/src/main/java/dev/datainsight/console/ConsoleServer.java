package dev.datainsight.console;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.console.api.ReadApi;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Header;
import io.javalin.http.HttpStatus;
import io.javalin.http.staticfiles.Location;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's HTTP server ({@code ./datainsight serve}): the Fleet, Instance, Queries, Trends, Insights and Alerts pages,
 * the JSON the charts read, uPlot from its webjar, and the GraphQL API ({@link ReadApi}). Read-only:
 * it answers GET, the sign-in POST and GraphQL queries (the schema has no mutations), and reads the
 * store through {@link StoreReader} as {@code datainsight_reader}.
 *
 * <p>Security: binds to loopback unless a token is set; with a token every request needs
 * {@code Authorization: Bearer TOKEN} or the cookie set by the sign-in form. Every response
 * carries a CSP without inline script or style, {@code X-Content-Type-Options: nosniff},
 * {@code X-Frame-Options: DENY} and {@code frame-ancestors 'none'}.
 *
 * <p>Stable URLs: {@code /fleet?label=k=v&sort=instance|alerts|version|connections|seen}, {@code /instances/NAME?range=6h},
 * (optional {@code &refresh=SECONDS}), {@code /alerts?severity=&rule=&instance=&status=}, {@code /alerts/FINGERPRINT},
 * {@code /api/instances/NAME/panels?range=6h}, {@code /queries?instance=&range=&sort=total|mean|calls|regression},
 * {@code /instances/NAME/queries}, {@code /queries/NAME/QUERYID} (+ {@code /api/queries/NAME/QUERYID/history}),
 * {@code /trends}, {@code /instances/NAME/trends}, {@code /insights?instance=&kind=}; the read-only GraphQL API at {@code /graphql} ({@link ReadApi}).
 */
public final class ConsoleServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleServer.class);

    /** Content-Security-Policy of every response: scripts and styles from this origin only. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
            + " font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    static final String COOKIE = "datainsight_console";

    private final ConsoleSettings settings;
    private final StoreReader store;
    private final ReadApi api;
    private final Javalin app;
    private final String cookieValue;

    private ConsoleServer(ConsoleSettings settings) {
        this.settings = settings;
        this.store = new StoreReader(settings.jdbcUrl(), settings.user(), settings.password());
        this.cookieValue = settings.authRequired() ? sessionValue(settings.bearerToken()) : null;
        this.api = new ReadApi(store::connect);
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.staticFiles.enableWebjars();
            config.staticFiles.add(sf -> {
                sf.hostedPath = "/static";
                sf.directory = "/console/static";
                sf.location = Location.CLASSPATH;
            });
            config.http.defaultContentType = "text/html; charset=utf-8";
        });
        app.before(this::secure);
        app.get("/", ctx -> ctx.redirect("/fleet"));
        app.get("/login", ctx -> html(ctx, Pages.login(false)));
        app.post("/login", this::login);
        app.get("/fleet", this::fleet);
        app.get("/instances/{instance}", this::instance);
        app.get("/api/instances/{instance}/panels", this::panels);
        app.get("/alerts", this::alerts);
        app.get("/alerts/{fingerprint}", this::alert);
        app.get("/queries", this::queries);
        app.get("/instances/{instance}/queries", this::instanceQueries);
        app.get("/queries/{instance}/{queryid}", this::query);
        app.get("/api/queries/{instance}/{queryid}/history", this::queryHistory);
        app.get("/trends", this::trends);
        app.get("/instances/{instance}/trends", this::instanceTrends);
        app.get("/insights", this::insights);
        app.post("/graphql", this::graphql);
        app.get("/graphql", this::graphql);
        app.exception(Unauthorized.class, (e, ctx) -> {
            ctx.status(HttpStatus.UNAUTHORIZED).header(Header.WWW_AUTHENTICATE, "Bearer realm=\"datainsight\"");
            html(ctx, Pages.login(false));
        });
        app.exception(ForbiddenHost.class, (e, ctx) -> {
            ctx.status(HttpStatus.FORBIDDEN);
            html(ctx, Pages.notFound("This console answers to localhost only (set a token to serve other host names)."));
        });
        app.exception(SQLException.class, (e, ctx) -> {
            LOG.warn("store query failed for {}: {}", ctx.path(), e.getMessage());
            ctx.status(HttpStatus.SERVICE_UNAVAILABLE);
            html(ctx, Pages.notFound("The store could not answer: " + e.getMessage()));
        });
        app.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty() || ctx.result().equals("Endpoint GET " + ctx.path() + " not found")) {
                html(ctx, Pages.notFound("No page at " + ctx.path()));
            }
        });
    }

    /**
     * Starts the console after checking that the store answers as the reader role.
     *
     * @throws SQLException when the store cannot be read as {@code datainsight_reader}
     */
    public static ConsoleServer start(ConsoleSettings settings) throws SQLException {
        ConsoleServer s = new ConsoleServer(settings);
        try (Connection c = s.store.connect()) {
            c.isValid(5);
        }
        try {
            s.app.start(settings.host(), settings.port());
        } catch (RuntimeException e) {
            // e.g. the port is taken: stop Jetty's threads before the caller tries another port.
            s.app.stop();
            throw e;
        }
        LOG.info("console listening on {} ({})", s.url(), settings);
        return s;
    }

    /** The bound port. */
    public int port() {
        return app.port();
    }

    /** Base URL of the console, e.g. {@code http://127.0.0.1:8080}. */
    public String url() {
        String host = settings.host();
        if ("0.0.0.0".equals(host) || "::".equals(host)) {
            host = "127.0.0.1";
        } else if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + port();
    }

    @Override
    public void close() {
        app.stop();
    }

    // ---- security -------------------------------------------------------------------------------

    private void secure(Context ctx) {
        ctx.attribute(T0, System.nanoTime());
        ctx.header("Content-Security-Policy", CSP);
        ctx.header(Header.X_CONTENT_TYPE_OPTIONS, "nosniff");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header(Header.CACHE_CONTROL, "no-store");
        if (!settings.authRequired()) {
            // Without a token the console is on loopback only; refusing other Host names stops a
            // web page from reading it through DNS rebinding (its name resolving to 127.0.0.1).
            if (!loopbackHost(ctx.header(Header.HOST))) {
                throw new ForbiddenHost();
            }
            return;
        }
        if (ctx.path().equals("/login")) {
            return;
        }
        String auth = ctx.header(Header.AUTHORIZATION);
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) && constantTimeEquals(auth.substring(7).trim(), settings.bearerToken())) {
            return;
        }
        String cookie = ctx.cookie(COOKIE);
        if (cookie != null && constantTimeEquals(cookie, cookieValue)) {
            return;
        }
        throw new Unauthorized();
    }

    private void login(Context ctx) {
        String token = ctx.formParam("token");
        if (!settings.authRequired()) {
            ctx.redirect("/fleet");
        } else if (token != null && constantTimeEquals(token, settings.bearerToken())) {
            ctx.header(Header.SET_COOKIE, COOKIE + "=" + cookieValue + "; Path=/; HttpOnly; SameSite=Strict");
            ctx.redirect("/fleet");
        } else {
            ctx.status(HttpStatus.UNAUTHORIZED);
            html(ctx, Pages.login(true));
        }
    }

    /** What the sign-in cookie holds: a digest of the token, so the token itself is not stored in the browser. */
    private static String sessionValue(String token) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(("datainsight-console-session:" + token).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether a Host header names this machine's loopback: localhost, 127.x.x.x or [::1], with any port. */
    static boolean loopbackHost(String host) {
        if (host == null) {
            return false;
        }
        String h = host.trim().toLowerCase(java.util.Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end > 0 && h.substring(1, end).equals("::1");
        }
        int colon = h.indexOf(':');
        if (colon >= 0) {
            h = h.substring(0, colon);
        }
        return h.equals("localhost") || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    private static final class ForbiddenHost extends RuntimeException {
        ForbiddenHost() {
            super("forbidden host", null, false, false);
        }
    }

    private static final class Unauthorized extends RuntimeException {
        Unauthorized() {
            super("unauthorized", null, false, false);
        }
    }

    // ---- pages ----------------------------------------------------------------------------------

    private void fleet(Context ctx) throws SQLException {
        Map<String, String> filter = labelFilter(ctx.queryParams("label"));
        try (Connection c = store.connect()) {
            html(ctx, Pages.fleet(store.fleet(c, filter), filter, ctx.queryParam("sort"), Instant.now()));
        }
    }

    /** {@code ?label=env=prod,team=a} (or {@code env:prod}; repeated parameters add up) to a label map. */
    static Map<String, String> labelFilter(List<String> params) {
        Map<String, String> out = new TreeMap<>();
        for (String p : params) {
            for (String part : p.split(",")) {
                String kv = part.trim();
                int i = kv.indexOf('=');
                if (i < 0) i = kv.indexOf(':');
                if (i > 0) {
                    out.put(kv.substring(0, i).trim(), kv.substring(i + 1).trim());
                }
            }
        }
        return out;
    }

    private void instance(Context ctx) throws SQLException {
        String name = ctx.pathParam("instance");
        try (Connection c = store.connect()) {
            var row = store.instance(c, name);
            if (row.isEmpty()) {
                ctx.status(HttpStatus.NOT_FOUND);
                html(ctx, Pages.notFound("No instance " + name + " in the store."));
                return;
            }
            Range range = Range.parse(ctx.queryParam("range"));
            Instant now = Instant.now();
            html(ctx, Pages.instance(row.get(), range, store.topStatements(c, name, range, now, 10), store.deadTuples(c, name, 10),
                    store.openAlerts(c, new StoreReader.AlertFilter(null, null, name, null)), refreshSeconds(ctx.queryParam("refresh")), now));
        }
    }

    private void panels(Context ctx) throws SQLException {
        String name = ctx.pathParam("instance");
        Range range = Range.parse(ctx.queryParam("range"));
        Instant now = Instant.now();
        List<StoreReader.PanelData> data;
        List<StoreReader.FiringPeriod> firing;
        try (Connection c = store.connect()) {
            data = store.panels(c, name, range, now);
            firing = store.firingPeriods(c, name, now.minus(range.length), now);
        }
        List<Map<String, Object>> panels = panelsJson(data);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instance", name);
        body.put("range", range.param);
        body.put("resolution", range.resolution.label);
        body.put("from", now.minus(range.length).getEpochSecond());
        body.put("to", now.getEpochSecond());
        body.put("panels", panels);
        List<Map<String, Object>> bands = new ArrayList<>();
        for (StoreReader.FiringPeriod f : firing) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("fingerprint", f.fingerprint());
            b.put("rule", f.rule());
            b.put("severity", f.severity());
            b.put("from", f.from().getEpochSecond());
            b.put("to", f.to() == null ? null : f.to().getEpochSecond());
            bands.add(b);
        }
        body.put("firing", bands);
        json(ctx, body);
    }

    private void alerts(Context ctx) throws SQLException {
        StoreReader.AlertFilter f = new StoreReader.AlertFilter(
                oneOf(ctx.queryParam("severity"), Pages.SEVERITIES), blankToNull(ctx.queryParam("rule")),
                blankToNull(ctx.queryParam("instance")), oneOf(ctx.queryParam("status"), Pages.STATUSES));
        try (Connection c = store.connect()) {
            html(ctx, Pages.alerts(store.openAlerts(c, f), store.history(c, f, 200), f, store.rules(c), Instant.now()));
        }
    }

    private void alert(Context ctx) throws SQLException {
        String fp = ctx.pathParam("fingerprint");
        List<StoreReader.AlertRow> events;
        try (Connection c = store.connect()) {
            events = store.alertEvents(c, fp);
        }
        if (events.isEmpty()) {
            ctx.status(HttpStatus.NOT_FOUND);
            html(ctx, Pages.notFound("No alert " + fp + " in the store."));
            return;
        }
        html(ctx, Pages.alert(events, Instant.now()));
    }

    // ---- queries, trends, insights --------------------------------------------------------------

    private static final int QUERY_LIMIT = 100;

    private static Range queryRange(Context ctx) {
        String p = ctx.queryParam("range");
        return p == null ? AnalysisPages.QUERIES_DEFAULT : Range.parse(p);
    }

    private void queries(Context ctx) throws SQLException {
        String instance = blankToNull(ctx.queryParam("instance"));
        Range range = queryRange(ctx);
        StoreReader.QueryOrder order = StoreReader.QueryOrder.parse(ctx.queryParam("sort"));
        try (Connection c = store.connect()) {
            html(ctx, AnalysisPages.queries(store.queries(c, instance, null, range, Instant.now(), order, QUERY_LIMIT), instance, range, order,
                    store.instanceNames(c), false));
        }
    }

    private void instanceQueries(Context ctx) throws SQLException {
        String name = ctx.pathParam("instance");
        Range range = queryRange(ctx);
        StoreReader.QueryOrder order = StoreReader.QueryOrder.parse(ctx.queryParam("sort"));
        try (Connection c = store.connect()) {
            if (!Trends.instanceExists(c, name)) { // the inventory row; the fleet row (state, alerts) is not shown here
                noInstance(ctx, name);
                return;
            }
            html(ctx, AnalysisPages.queries(store.queries(c, name, null, range, Instant.now(), order, QUERY_LIMIT), name, range, order,
                    List.of(), true));
        }
    }

    private void query(Context ctx) throws SQLException {
        String name = ctx.pathParam("instance");
        String queryid = ctx.pathParam("queryid");
        Range range = queryRange(ctx);
        try (Connection c = store.connect()) {
            var text = store.statement(c, name, queryid);
            if (text.isEmpty()) {
                ctx.status(HttpStatus.NOT_FOUND);
                html(ctx, Pages.notFound("No query " + queryid + " of instance " + name + " in the store."));
                return;
            }
            var summary = store.queries(c, name, queryid, range, Instant.now(), StoreReader.QueryOrder.TOTAL, 1).stream().findFirst();
            html(ctx, AnalysisPages.query(name, queryid, text.get(), summary, range, store.plans(c, name, queryid)));
        }
    }

    /** The chart panels as the JSON the console's charts read (id, title, unit, x, names, lines). */
    private static List<Map<String, Object>> panelsJson(List<StoreReader.PanelData> data) {
        List<Map<String, Object>> panels = new ArrayList<>();
        for (StoreReader.PanelData d : data) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("id", d.panel().id());
            p.put("title", d.panel().title());
            p.put("unit", d.panel().unit());
            p.put("x", d.x());
            p.put("names", d.names());
            p.put("lines", d.lines());
            panels.add(p);
        }
        return panels;
    }

    private void queryHistory(Context ctx) throws SQLException {
        String name = ctx.pathParam("instance");
        String queryid = ctx.pathParam("queryid");
        Range range = queryRange(ctx);
        Instant now = Instant.now();
        List<StoreReader.PanelData> data;
        try (Connection c = store.connect()) {
            if (store.statement(c, name, queryid).isEmpty()) {
                ctx.status(HttpStatus.NOT_FOUND);
                json(ctx, Map.of("error", "no such query"));
                return;
            }
            data = store.queryHistory(c, name, queryid, range, now);
        }
        List<Map<String, Object>> panels = panelsJson(data);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instance", name);
        body.put("queryid", queryid);
        body.put("range", range.param);
        body.put("resolution", "1h");
        body.put("from", now.minus(range.length).getEpochSecond());
        body.put("to", now.getEpochSecond());
        body.put("panels", panels);
        body.put("firing", List.of());
        json(ctx, body);
    }

    private void trends(Context ctx) throws SQLException {
        Instant now = Instant.now();
        try (Connection c = store.connect()) {
            html(ctx, AnalysisPages.trends(Trends.weekOverWeek(c, null, now), null, now));
        }
    }

    private void instanceTrends(Context ctx) throws SQLException {
        String name = ctx.pathParam("instance");
        Instant now = Instant.now();
        try (Connection c = store.connect()) {
            if (!Trends.instanceExists(c, name)) {
                noInstance(ctx, name);
                return;
            }
            html(ctx, AnalysisPages.trends(Trends.weekOverWeek(c, name, now), name, now));
        }
    }

    private void insights(Context ctx) throws SQLException {
        String instance = blankToNull(ctx.queryParam("instance"));
        String kind = blankToNull(ctx.queryParam("kind"));
        try (Connection c = store.connect()) {
            if (instance != null && !Trends.instanceExists(c, instance)) {
                noInstance(ctx, instance);
                return;
            }
            html(ctx, AnalysisPages.insights(store.insights(c, instance, kind), instance, kind, store.insightKinds(c), store.instanceNames(c),
                    Instant.now()));
        }
    }

    private static void noInstance(Context ctx, String name) {
        ctx.status(HttpStatus.NOT_FOUND);
        html(ctx, Pages.notFound("No instance " + name + " in the store."));
    }

    // ---- GraphQL API ----------------------------------------------------------------------------

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * {@code POST /graphql} with a JSON body {@code {"query", "operationName", "variables"}}, or
     * {@code GET /graphql?query=...&variables=...}. Answers {@code application/json}: 200 when
     * the query ran (field errors, if any, are in {@code errors}), 400 when it was refused
     * before running (syntax, validation, limits, a mutation), 415 for a POST body that is not JSON.
     */
    private void graphql(Context ctx) throws Exception {
        String query;
        String operation;
        Map<String, Object> variables;
        try {
            if ("POST".equals(ctx.method().name())) {
                String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(java.util.Locale.ROOT);
                if (!type.startsWith("application/json")) {
                    graphqlError(ctx, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "POST /graphql needs Content-Type: application/json");
                    return;
                }
                JsonNode body = JSON.readTree(ctx.body());
                if (body == null || !body.isObject()) {
                    throw new IllegalArgumentException("the body must be a JSON object");
                }
                query = body.path("query").isTextual() ? body.get("query").asText() : null;
                operation = body.path("operationName").isTextual() ? body.get("operationName").asText() : null;
                JsonNode vars = body.get("variables");
                variables = vars == null || vars.isNull() ? Map.of() : JSON.convertValue(vars, new TypeReference<Map<String, Object>>() {});
            } else {
                query = ctx.queryParam("query");
                operation = blankToNull(ctx.queryParam("operationName"));
                String vars = ctx.queryParam("variables");
                variables = vars == null || vars.isBlank() ? Map.of() : JSON.readValue(vars, new TypeReference<Map<String, Object>>() {});
            }
        } catch (com.fasterxml.jackson.core.JacksonException | IllegalArgumentException e) {
            graphqlError(ctx, HttpStatus.BAD_REQUEST, "not a GraphQL request: the body must be JSON {\"query\": ..., \"variables\": {...}}");
            return;
        }
        if (query == null || query.isBlank()) {
            graphqlError(ctx, HttpStatus.BAD_REQUEST, "no query: send {\"query\": \"{ instances { nodes { name } } }\"}");
            return;
        }
        Map<String, Object> result = api.execute(query, operation, variables);
        ctx.status(result.containsKey("data") ? HttpStatus.OK : HttpStatus.BAD_REQUEST);
        ctx.contentType("application/json; charset=utf-8").result(JSON.writeValueAsString(result));
    }

    private static void graphqlError(Context ctx, HttpStatus status, String message) throws Exception {
        ctx.status(status).contentType("application/json; charset=utf-8")
                .result(JSON.writeValueAsString(Map.of("errors", List.of(Map.of("message", message)))));
    }

    /** Chart auto-refresh period: {@code ?refresh=SECONDS}, 5 s to 1 h, default a minute (the rollups are per minute). */
    static int refreshSeconds(String param) {
        try {
            return param == null ? 60 : Math.max(5, Math.min(3600, Integer.parseInt(param.trim())));
        } catch (NumberFormatException e) {
            return 60;
        }
    }

    private static String oneOf(String v, List<String> allowed) {
        return v != null && allowed.contains(v) ? v : null;
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static void html(Context ctx, String body) {
        serverTiming(ctx);
        ctx.contentType("text/html; charset=utf-8").result(body);
    }

    private static final String T0 = "datainsight.t0";

    /**
     * {@code Server-Timing: app;dur=MS}: the time from the request's arrival to its body being
     * ready (store queries and rendering), also logged at debug level.
     */
    private static void serverTiming(Context ctx) {
        Long t0 = ctx.attribute(T0);
        if (t0 != null) {
            double ms = (System.nanoTime() - t0) / 1e6;
            ctx.header("Server-Timing", String.format(java.util.Locale.ROOT, "app;dur=%.1f", ms));
            LOG.debug("{} {} in {} ms", ctx.method(), ctx.path(), String.format(java.util.Locale.ROOT, "%.1f", ms));
        }
    }

    private static void json(Context ctx, Object body) {
        serverTiming(ctx);
        ctx.json(body);
    }
}
