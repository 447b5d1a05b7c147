package dev.datainsight.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.console.api.ReadApi;
import dev.datainsight.embedded.PostgresExtension;
import graphql.introspection.IntrospectionQuery;
import graphql.introspection.IntrospectionResultToSchema;
import graphql.schema.idl.SchemaParser;
import graphql.schema.idl.UnExecutableSchemaGenerator;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The GraphQL API against a real, migrated store of 100 instances, read as the reader role. */
class ReadApiITCase {
    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static ApiFixture store;
    private static ConsoleServer console;
    /** Every statement any test ran through the API's counted connections. */
    private static final CountingConnection ALL_SQL = new CountingConnection();

    @BeforeAll
    static void start() throws Exception {
        store = ApiFixture.create(PG, "console_api");
        console = ConsoleServer.start(new ConsoleSettings("127.0.0.1", 0, store.readerUrl, null, null, null));
    }

    @AfterAll
    static void stop() {
        if (console != null) {
            console.close();
        }
    }

    /** An API on the reader login whose connections count into {@code counter} (and into {@link #ALL_SQL}). */
    private static ReadApi countedApi(CountingConnection counter) {
        StoreReader reader = new StoreReader(store.readerUrl, null, null);
        return new ReadApi(() -> counter.wrap(ALL_SQL.wrap(reader.connect())));
    }

    private static final String FLEET_QUERY = """
            query Fleet($n: Int!, $hour: TimeRange!, $hours: TimeRange!) {
              instances(first: $n) {
                nodes {
                  name state role
                  openAlerts(first: 10) { nodes { fingerprint severity status context { kind fields { name value } } } }
                  series(metrics: ["pg_stat_database.xact_commit"], first: 5) {
                    nodes { metric labels { name value } points(range: $hour, resolution: MINUTE) { bucket avg } }
                  }
                  statements(range: $hours, first: 2) { nodes { queryid totalTimeMs text } }
                  insights(first: 5) { nodes { kind severity } }
                }
              }
            }""";

    @Test
    void aQueryForTenOrAHundredInstancesRunsTheSameStatements_noNPlusOne() throws Exception {
        Map<Integer, List<String>> sqlByN = new LinkedHashMap<>();
        for (int n : List.of(10, 100)) {
            CountingConnection counter = new CountingConnection();
            Map<String, Object> vars = Map.of("n", n, "hour", range(store.t.minusSeconds(59 * 60), store.t.plusSeconds(60)),
                    "hours", range(store.t.minusSeconds(3 * 3600), store.t.plusSeconds(3600)));
            JsonNode r = JSON.valueToTree(countedApi(counter).execute(FLEET_QUERY, null, vars));
            assertFalse(r.has("errors"), r.toString());
            JsonNode nodes = r.at("/data/instances/nodes");
            assertEquals(n, nodes.size());
            for (JsonNode i : nodes) {
                String name = i.get("name").asText();
                assertEquals(2, i.at("/openAlerts/nodes").size(), name + " has 2 open alerts");
                assertEquals("FIRING", i.at("/openAlerts/nodes/0/status").asText(), "firing first");
                assertEquals("session", i.at("/openAlerts/nodes/0/context/0/kind").asText());
                JsonNode series = i.at("/series/nodes");
                assertEquals(2, series.size(), name + ": app and postgres");
                for (JsonNode s : series) {
                    assertEquals(60, s.get("points").size(), name + ": one point per minute of the hour");
                }
                assertEquals(2, i.at("/statements/nodes").size());
                assertEquals(2, i.at("/insights/nodes").size());
                int num = Integer.parseInt(name.substring(3));
                assertEquals(num % 10 == 0 ? "STANDBY" : "PRIMARY", i.get("role").asText(), name);
            }
            sqlByN.put(n, counter.executed.stream().map(e -> e.sql().lines().findFirst().orElse("")).toList());
        }
        System.out.println("SQL statements for 10 instances: " + sqlByN.get(10).size() + ", for 100: " + sqlByN.get(100).size()
                + " " + sqlByN.get(100));
        assertEquals(sqlByN.get(10).size(), sqlByN.get(100).size(), "same number of statements for 10 and 100 instances: " + sqlByN);
        // One per list: instances, open alerts, series, points, statements, insights.
        assertEquals(6, sqlByN.get(100).size(), sqlByN.get(100).toString());
        assertEquals(sqlByN.get(10), sqlByN.get(100));
    }

    @Test
    void pagesWalkEveryInstanceOnce_inNameOrder() throws Exception {
        List<String> names = walk("query($after: String) { instances(first: 7, after: $after) {"
                + " edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }", "/data/instances", n -> n.get("name").asText(), Map.of());
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= ApiFixture.INSTANCES; i++) {
            expected.add(String.format("db-%03d", i));
        }
        assertEquals(expected, names, "every instance once, in order, no gaps");
        List<String> staging = walk("query($after: String) { instances(first: 9, after: $after, label: [{name: \"env\", value: \"staging\"}]) {"
                + " edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }", "/data/instances", n -> n.get("name").asText(), Map.of());
        assertEquals(50, staging.size());
        assertTrue(staging.stream().allMatch(n -> Integer.parseInt(n.substring(3)) % 2 == 0), staging.toString());
    }

    @Test
    void rowsAddedWhileWalkingShiftNothing() throws Exception {
        String q = "query($after: String) { instances(first: 30, after: $after) { edges { cursor node { name } }"
                + " pageInfo { hasNextPage endCursor } } }";
        JsonNode page1 = data(q, Map.of()).get("instances");
        List<String> names = new ArrayList<>();
        page1.get("edges").forEach(e -> names.add(e.at("/node/name").asText()));
        // One instance sorting before the cursor, one after it: the walk goes on from the cursor's
        // key, so the earlier one is not seen, the later one is seen once, and no other row moves.
        store.exec("INSERT INTO instance VALUES ('db-0005', '{}', 170002, now(), now()), ('db-0505', '{}', 170002, now(), now())");
        try {
            String after = page1.at("/pageInfo/endCursor").asText();
            while (after != null) {
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("after", after);
                JsonNode p = data(q, v).get("instances");
                p.get("edges").forEach(e -> names.add(e.at("/node/name").asText()));
                after = p.at("/pageInfo/hasNextPage").asBoolean() ? p.at("/pageInfo/endCursor").asText() : null;
            }
        } finally {
            store.exec("DELETE FROM instance WHERE instance IN ('db-0005', 'db-0505')");
        }
        assertEquals(ApiFixture.INSTANCES + 1, names.size(), names.toString());
        assertEquals(names.size(), new HashSet<>(names).size(), "no duplicates");
        assertFalse(names.contains("db-0005"));
        assertEquals(names.indexOf("db-050") + 1, names.indexOf("db-0505"));
        assertEquals(names.stream().sorted().toList(), names);
    }

    @Test
    void pagesWalkAlertEventsStatementsAndInsights_withoutDuplicatesOrGaps() throws Exception {
        Map<String, Object> last4h = Map.of("range", range(store.t.minusSeconds(4 * 3600), store.t.plusSeconds(60)));
        List<String> events = walk("query($after: String, $range: TimeRange!) { alerts(range: $range, first: 37, after: $after) {"
                        + " edges { cursor node { fingerprint status eventAt } } pageInfo { hasNextPage endCursor } } }", "/data/alerts",
                n -> n.get("fingerprint").asText() + "/" + n.get("status").asText() + "/" + n.get("eventAt").asText(), last4h);
        assertEquals(5 * ApiFixture.INSTANCES, events.size(), "every event of the range (the 2020 one is outside)");
        assertEquals(events.size(), new HashSet<>(events).size(), "no duplicates");
        assertEquals(store.count("SELECT count(*) FROM alert_event WHERE event_at >= now() - interval '5 hours'"), events.size());

        List<String> open = walk("query($after: String) { openAlerts(first: 11, after: $after) {"
                + " edges { cursor node { fingerprint severity } } pageInfo { hasNextPage endCursor } } }", "/data/openAlerts",
                n -> n.get("fingerprint").asText() + "/" + n.get("severity").asText(), Map.of());
        assertEquals(2 * ApiFixture.INSTANCES, open.size());
        assertEquals(open.size(), new HashSet<>(open).size());
        assertTrue(open.subList(0, ApiFixture.INSTANCES).stream().allMatch(s -> s.endsWith("/CRITICAL")), "firing critical first");

        Map<String, Object> hours = Map.of("range", range(store.t.minusSeconds(3 * 3600), store.t.plusSeconds(3600)));
        for (String order : List.of("TOTAL_TIME", "MEAN_TIME", "CALLS")) {
            List<JsonNode> stmts = walkNodes("query($after: String, $range: TimeRange!) { statements(range: $range, orderBy: " + order
                    + ", first: 17, after: $after) { edges { cursor node { instance queryid totalTimeMs meanTimeMs calls } }"
                    + " pageInfo { hasNextPage endCursor } } }", "/data/statements", hours);
            Set<String> keys = new HashSet<>();
            stmts.forEach(s -> keys.add(s.get("instance").asText() + "/" + s.get("queryid").asText()));
            assertEquals(4 * ApiFixture.INSTANCES, stmts.size(), order);
            assertEquals(stmts.size(), keys.size(), order + ": no duplicates");
            String field = switch (order) {
                case "TOTAL_TIME" -> "totalTimeMs";
                case "MEAN_TIME" -> "meanTimeMs";
                default -> "calls";
            };
            for (int i = 1; i < stmts.size(); i++) {
                assertTrue(stmts.get(i - 1).get(field).asDouble() >= stmts.get(i).get(field).asDouble(), order + " descending at " + i);
            }
            if (order.equals("TOTAL_TIME")) {
                assertEquals(800.0, stmts.get(0).get("totalTimeMs").asDouble(), 1e-9, "q=4: 400 ms in each of 2 hours");
            }
        }

        List<String> insights = walk("query($after: String) { insights(first: 13, after: $after) {"
                + " edges { cursor node { instance kind severity } } pageInfo { hasNextPage endCursor } } }", "/data/insights",
                n -> n.get("instance").asText() + "/" + n.get("kind").asText() + "/" + n.get("severity").asText(), Map.of());
        assertEquals(2 * ApiFixture.INSTANCES, insights.size());
        assertEquals(insights.size(), new HashSet<>(insights).size());
        assertTrue(insights.get(0).endsWith("/CRITICAL") && insights.get(insights.size() - 1).endsWith("/INFO"), "critical first");

        // Nested connections page too: one instance's open alerts and series, one at a time.
        JsonNode p1 = data("{ instance(name: \"db-042\") { openAlerts(first: 1) { nodes { fingerprint } pageInfo { hasNextPage endCursor } } } }", Map.of());
        assertTrue(p1.at("/instance/openAlerts/pageInfo/hasNextPage").asBoolean());
        String after = p1.at("/instance/openAlerts/pageInfo/endCursor").asText();
        JsonNode p2 = data("query($a: String) { instance(name: \"db-042\") { openAlerts(first: 1, after: $a) { nodes { fingerprint }"
                + " pageInfo { hasNextPage } } } }", Map.of("a", after));
        assertEquals("fp-db-042-conn", p1.at("/instance/openAlerts/nodes/0/fingerprint").asText());
        assertEquals("fp-db-042-dead", p2.at("/instance/openAlerts/nodes/0/fingerprint").asText());
        assertFalse(p2.at("/instance/openAlerts/pageInfo/hasNextPage").asBoolean());
    }

    @Test
    void filtersNarrowTheLists() throws Exception {
        Map<String, Object> r = Map.of("r", range(store.t.minusSeconds(4 * 3600), store.t.plusSeconds(60)));
        JsonNode d = data("query($r: TimeRange!) {"
                + " criticalFiring: alerts(range: $r, severity: CRITICAL, status: FIRING, first: 500) { nodes { severity status } }"
                + " lag: alerts(range: $r, rule: \"replication_lag\", first: 500) { nodes { rule } }"
                + " resolved: alerts(range: $r, status: RESOLVED, first: 500) { nodes { status resolvedAt } }"
                + " one: alerts(range: $r, instance: \"db-007\", first: 500) { nodes { instance } }"
                + " openWarning: openAlerts(severity: WARNING, first: 500) { nodes { rule status } }"
                + " openPending: openAlerts(status: PENDING, first: 500) { nodes { status } }"
                + " openResolved: openAlerts(status: RESOLVED) { nodes { status } }"
                + " openOne: openAlerts(instance: \"db-007\", rule: \"dead_tuples\") { nodes { fingerprint } }"
                + " insightsCritical: insights(severity: CRITICAL, first: 500) { nodes { kind } }"
                + " insightsKind: insights(kind: \"unused_index\", first: 500) { nodes { kind } }"
                + " insightsOne: insights(instance: \"db-003\") { nodes { kind severity } }"
                + " db7: instance(name: \"db-007\") { openAlerts(severity: CRITICAL) { nodes { fingerprint } } }"
                + " }", r);
        assertEquals(ApiFixture.INSTANCES, d.at("/criticalFiring/nodes").size());
        d.at("/criticalFiring/nodes").forEach(n -> assertEquals("CRITICAL/FIRING", n.get("severity").asText() + "/" + n.get("status").asText()));
        assertEquals(2 * ApiFixture.INSTANCES, d.at("/lag/nodes").size(), "fired and resolved");
        assertEquals(ApiFixture.INSTANCES, d.at("/resolved/nodes").size());
        d.at("/resolved/nodes").forEach(n -> assertFalse(n.get("resolvedAt").isNull()));
        assertEquals(5, d.at("/one/nodes").size());
        assertEquals(ApiFixture.INSTANCES, d.at("/openWarning/nodes").size(), "the pending dead-tuples alerts (lag is resolved)");
        d.at("/openWarning/nodes").forEach(n -> assertEquals("dead_tuples", n.get("rule").asText()));
        assertEquals(ApiFixture.INSTANCES, d.at("/openPending/nodes").size());
        assertEquals(0, d.at("/openResolved/nodes").size(), "an open alert is never resolved");
        assertEquals("fp-db-007-dead", d.at("/openOne/nodes/0/fingerprint").asText());
        assertEquals(1, d.at("/openOne/nodes").size());
        assertEquals(33, d.at("/insightsCritical/nodes").size(), "every third instance");
        assertEquals(ApiFixture.INSTANCES, d.at("/insightsKind/nodes").size());
        assertEquals("sequence_exhaustion/CRITICAL", d.at("/insightsOne/nodes/0/kind").asText() + "/" + d.at("/insightsOne/nodes/0/severity").asText());
        assertEquals(2, d.at("/insightsOne/nodes").size());
        assertEquals("fp-db-007-conn", d.at("/db7/openAlerts/nodes/0/fingerprint").asText());
        assertEquals(1, d.at("/db7/openAlerts/nodes").size());
    }

    @Test
    void aCursorOfAnotherListOrAForgedOneIsRefused() throws Exception {
        String cursor = data("{ instances(first: 1) { pageInfo { endCursor } } }", Map.of()).at("/instances/pageInfo/endCursor").asText();
        JsonNode r = post("query($a: String) { insights(first: 1, after: $a) { nodes { kind } } }", Map.of("a", cursor));
        assertTrue(r.at("/errors/0/message").asText().contains("invalid cursor for insights"), r.toString());
        JsonNode forged = post("{ instances(first: 1, after: \"bm90IGEgY3Vyc29y\") { nodes { name } } }", Map.of());
        assertTrue(forged.at("/errors/0/message").asText().contains("invalid cursor"), forged.toString());
    }

    @Test
    void seriesPointsAtEachResolution() throws Exception {
        String q = "query($r: TimeRange!) { instance(name: \"db-001\") { name version serverVersionNum reporting openAlertCounts { critical warning pending }"
                + " series(metrics: [\"pg_stat_database.xact_commit\"]) { nodes { labels { name value }"
                + " points(range: $r) { bucket count avg sum last } } } } }";
        JsonNode minute = data(q, Map.of("r", range(store.t.minusSeconds(600), store.t.plusSeconds(60))));
        assertEquals("17.2", minute.at("/instance/version").asText());
        assertTrue(minute.at("/instance/reporting").asBoolean());
        assertEquals(1, minute.at("/instance/openAlertCounts/critical").asInt());
        assertEquals(1, minute.at("/instance/openAlertCounts/pending").asInt());
        JsonNode app = minute.at("/instance/series/nodes/0");
        assertEquals("app", app.at("/labels/0/value").asText());
        assertEquals(11, app.get("points").size(), "buckets t-10min .. t");
        assertEquals(1.0, app.at("/points/0/avg").asDouble(), 1e-9, "db-001 commits 1/s on app");
        assertEquals(store.t.minusSeconds(600).toString(), app.at("/points/0/bucket").asText());
        JsonNode hour = data(q, Map.of("r", range(store.t.minusSeconds(7 * 86400), store.t)));
        JsonNode hourly = hour.at("/instance/series/nodes/0/points");
        assertEquals(3, hourly.size(), "a week reads the hourly rollups: " + hourly);
        assertEquals(List.of(10.0, 20.0, 30.0), List.of(hourly.get(0).get("avg").asDouble(), hourly.get(1).get("avg").asDouble(),
                hourly.get(2).get("avg").asDouble()));
        assertFalse(data("{ instance(name: \"db-100\") { reporting } }", Map.of()).at("/instance/reporting").asBoolean(), "silent an hour");
        assertTrue(data("{ instance(name: \"nope\") { name } }", Map.of()).get("instance").isNull());
    }

    @Test
    void rangesAreCheckedAndPointsBounded() throws Exception {
        JsonNode backwards = post("query($r: TimeRange!) { alerts(range: $r) { nodes { rule } } }",
                Map.of("r", range(store.t, store.t.minusSeconds(60))));
        assertTrue(backwards.at("/errors/0/message").asText().contains("must be before to"), backwards.toString());
        JsonNode tooMany = post("query($r: TimeRange!) { instance(name: \"db-001\") { series(metrics: [\"pg_stat_database.xact_commit\"]) {"
                + " nodes { points(range: $r, resolution: MINUTE) { avg } } } } }", Map.of("r", range(store.t.minusSeconds(3 * 86400), store.t)));
        assertTrue(tooMany.at("/errors/0/message").asText().contains("4320 buckets at MINUTE resolution, more than the limit of 1440"),
                tooMany.toString());
        JsonNode noOffset = post("{ alerts(range: {from: \"2026-01-01T00:00\", to: \"2026-01-02T00:00Z\"}) { nodes { rule } } }", Map.of());
        assertTrue(noOffset.at("/errors/0/message").asText().contains("DateTime must be an ISO-8601 string"), noOffset.toString());
    }

    @Test
    void rangesPruneTheOtherPartitions() throws Exception {
        CountingConnection counter = new CountingConnection();
        ReadApi api = countedApi(counter);
        String q = "query($r: TimeRange!) { alerts(range: $r, instance: \"db-001\") { nodes { fingerprint summary } } }";
        JsonNode old = JSON.valueToTree(api.execute(q, null, Map.of("r", range(Instant.parse("2020-01-01T00:00:00Z"), Instant.parse("2020-01-31T00:00:00Z")))));
        assertEquals("fp-old", old.at("/data/alerts/nodes/0/fingerprint").asText(), old.toString());
        api.execute(q, null, Map.of("r", range(store.t.minusSeconds(3600), store.t)));
        assertEquals(2, counter.count());
        String oldPlan = explain(counter.executed.get(0));
        String recentPlan = explain(counter.executed.get(1));
        assertTrue(oldPlan.contains("alert_event_p2020_01") && !oldPlan.contains("alert_event_default"), oldPlan);
        assertTrue(recentPlan.contains("alert_event_default") && !recentPlan.contains("alert_event_p2020_01"), recentPlan);
    }

    private static String explain(CountingConnection.Executed e) throws Exception {
        try (Connection c = java.sql.DriverManager.getConnection(store.url);
             var ps = CountingConnection.replay(c, e, "EXPLAIN (FORMAT JSON) "); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void depthAndComplexityLimitsRefuseWithClearErrors_andTheIntrospectionQueryFits() throws Exception {
        StringBuilder deep = new StringBuilder("{ __schema { types { fields { type { ");
        for (int i = 0; i < 12; i++) {
            deep.append("ofType { ");
        }
        deep.append("name ").append("} ".repeat(12)).append("} } } } }");
        HttpResponse<String> tooDeep = postRaw(deep.toString(), Map.of());
        assertEquals(400, tooDeep.statusCode());
        assertTrue(JSON.readTree(tooDeep.body()).at("/errors/0/message").asText().startsWith("query too deep: depth 17 is over the limit of 15"),
                tooDeep.body());

        HttpResponse<String> tooBig = postRaw("{ instances(first: 500) { nodes { openAlerts(first: 500) { nodes { fingerprint rule"
                + " context { kind fields { name value } } } } } } }", Map.of());
        assertEquals(400, tooBig.statusCode());
        assertTrue(JSON.readTree(tooBig.body()).at("/errors/0/message").asText().startsWith("query too complex: complexity "), tooBig.body());
        assertTrue(tooBig.body().contains("over the limit of 200000"), tooBig.body());
        System.out.println("complexity refusal: " + tooBig.body());

        JsonNode first = post("{ instances(first: 501) { nodes { name } } }", Map.of());
        assertTrue(first.at("/errors/0/message").asText().contains("first must be between 1 and 500, was 501"), first.toString());

        JsonNode intro = post(IntrospectionQuery.INTROSPECTION_QUERY, Map.of());
        assertFalse(intro.has("errors"), "introspection is on and within the limits: " + intro.path("errors"));
        assertTrue(intro.at("/data/__schema/queryType/name").asText().equals("Query"));
        assertTrue(intro.at("/data/__schema/mutationType").isNull(), "no mutation type");
    }

    @Test
    void mutationsAndSubscriptionsAreRefused() throws Exception {
        for (String q : List.of("mutation { instances { nodes { name } } }", "mutation Drop { dropTable(name: \"alert_event\") }",
                "subscription { instances { nodes { name } } }")) {
            HttpResponse<String> r = postRaw(q, Map.of());
            assertEquals(400, r.statusCode(), q);
            JsonNode body = JSON.readTree(r.body());
            assertFalse(body.has("data"), q);
            String msg = body.at("/errors/0/message").asText();
            assertTrue(msg.matches("Validation error \\(UnknownOperation\\): The '(Mutation|Subscription)' operation is not supported by the schema"), msg);
        }
        HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(URI.create(console.url() + "/graphql?query="
                + URLEncoder.encode("mutation { x }", StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, get.statusCode());
        HttpResponse<String> form = HTTP.send(HttpRequest.newBuilder(URI.create(console.url() + "/graphql"))
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"{ instances { nodes { name } } }\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(415, form.statusCode(), "a cross-site form post (text/plain) is not read");
    }

    @Test
    void theReaderCannotWriteThroughAnyPath() throws Exception {
        long before = totalRows();
        // Every string argument, with SQL in it: answered as data (nothing matches), nothing written.
        String sqlText = "x'); DELETE FROM alert_event; DROP TABLE instance; --";
        Map<String, Object> vars = Map.of("s", sqlText, "r", range(store.t.minusSeconds(3600), store.t.plusSeconds(60)));
        String injection = "query($s: String!, $r: TimeRange!) {"
                + " a: instances(label: [{name: $s, value: $s}]) { nodes { name } }"
                + " b: instance(name: $s) { name }"
                + " c: openAlerts(rule: $s, instance: $s) { nodes { rule } }"
                + " d: alerts(range: $r, rule: $s, instance: $s) { nodes { rule } }"
                + " e: statements(instance: $s, range: $r) { nodes { text } }"
                + " f: insights(instance: $s, kind: $s) { nodes { kind } }"
                + " g: instance(name: \"db-001\") { series(metrics: [$s]) { nodes { metric } } } }";
        JsonNode r = post(injection, vars);
        assertFalse(r.has("errors"), r.toString());
        // The same through a counted connection, so the check of every executed statement below has these too.
        JsonNode counted = JSON.valueToTree(countedApi(new CountingConnection()).execute(injection, null, vars));
        assertEquals(r.get("data"), counted.get("data"));
        for (String k : List.of("a", "c", "d", "e", "f")) {
            assertEquals(0, r.at("/data/" + k + "/nodes").size(), k);
        }
        assertTrue(r.at("/data/b").isNull());
        assertEquals(0, r.at("/data/g/series/nodes").size());
        assertEquals(before, totalRows(), "nothing was written");

        // The connection the API reads through refuses writes, for the reader login and for a superuser login.
        for (String url : List.of(store.readerUrl, store.url)) {
            Connection held = new StoreReader(url, null, null).connect();
            try {
                ReadApi api = new ReadApi(() -> nonClosing(held));
                JsonNode ok = JSON.valueToTree(api.execute("{ instances(first: 1) { nodes { name } } }", null, Map.of()));
                assertEquals("db-001", ok.at("/data/instances/nodes/0/name").asText());
                for (String dml : List.of("INSERT INTO instance VALUES ('x', '{}', 1, now(), now())", "DELETE FROM alert_event",
                        "UPDATE insight SET summary = 'x'", "DROP TABLE series", "CREATE TABLE mine (i int)", "TRUNCATE statement_text")) {
                    try (Statement st = held.createStatement()) {
                        SQLException e = assertThrows(SQLException.class, () -> st.execute(dml), dml);
                        assertTrue(List.of("42501", "25006").contains(e.getSQLState()), dml + ": " + e.getSQLState() + " " + e.getMessage());
                    }
                }
            } finally {
                held.close();
            }
        }
        assertEquals(before, totalRows(), "nothing was written");
        // And every statement the API ran in these tests was one of its own SELECTs.
        assertFalse(ALL_SQL.executed.isEmpty());
        for (CountingConnection.Executed e : ALL_SQL.executed) {
            assertTrue(e.sql().startsWith("/* datainsight console api: ") && e.sql().contains("SELECT"), e.sql());
            assertFalse(e.sql().matches("(?is).*\\b(insert|update|delete|drop|create|alter|truncate|grant)\\b.*"), e.sql());
        }
    }

    @Test
    void untrustedTextComesBackAsData_unchanged_asJson() throws Exception {
        String q = "query($r: TimeRange!) { instance(name: \"db-001\") { labels { name value }"
                + " statements(range: $r, first: 10) { nodes { queryid text } } openAlerts { nodes { summary } } } }";
        HttpResponse<String> r = postRaw(q, Map.of("r", range(store.t.minusSeconds(3600), store.t.plusSeconds(3600))));
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
        assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""));
        assertTrue(r.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'none'"));
        JsonNode i = JSON.readTree(r.body()).at("/data/instance");
        String text = null;
        for (JsonNode s : i.at("/statements/nodes")) {
            if (s.get("queryid").asText().equals("1")) {
                text = s.get("text").asText();
            }
        }
        assertEquals(ApiFixture.XSS_QUERY, text, "the query text, byte for byte");
        boolean label = false;
        for (JsonNode l : i.get("labels")) {
            label |= l.get("name").asText().equals("app") && l.get("value").asText().equals(ApiFixture.XSS);
        }
        assertTrue(label, i.get("labels").toString());
        assertEquals("connections at 97% " + ApiFixture.XSS, i.at("/openAlerts/nodes/0/summary").asText());
    }

    @Test
    void theApiIsBehindTheSameAuth() throws Exception {
        String token = "s3cret-token-for-the-graphql-api";
        try (ConsoleServer c = ConsoleServer.start(new ConsoleSettings("0.0.0.0", 0, store.readerUrl, null, null, token))) {
            String body = JSON.writeValueAsString(Map.of("query", "{ instances(first: 1) { nodes { name } } }"));
            HttpResponse<String> anonymous = HTTP.send(HttpRequest.newBuilder(URI.create(c.url() + "/graphql"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, anonymous.statusCode());
            assertFalse(anonymous.body().contains("db-001"));
            HttpResponse<String> ok = HTTP.send(HttpRequest.newBuilder(URI.create(c.url() + "/graphql"))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode());
            assertEquals("db-001", JSON.readTree(ok.body()).at("/data/instances/nodes/0/name").asText());
        }
    }

    @Test
    void docsApiGraphqlIsTheServedSchema() throws Exception {
        ReadApi api = new ReadApi(() -> {
            throw new SQLException("not used");
        });
        String served = api.printSchema();
        Path target = Path.of("target", "api.graphql");
        Files.writeString(target, served); // copy to docs/api.graphql after a deliberate schema change
        Path docs = Path.of("..", "docs", "api.graphql");
        assertTrue(Files.exists(docs), docs.toAbsolutePath().toString());
        assertEquals(served, Files.readString(docs), "docs/api.graphql differs from the served schema: cp console/target/api.graphql docs/");
        // The same schema, as a client sees it through introspection over HTTP.
        JsonNode intro = post(IntrospectionQuery.INTROSPECTION_QUERY, Map.of());
        @SuppressWarnings("unchecked")
        Map<String, Object> introData = JSON.convertValue(intro.get("data"), Map.class);
        var doc = new IntrospectionResultToSchema().createSchemaDefinition(introData);
        var fromIntrospection = UnExecutableSchemaGenerator.makeUnExecutableSchema(new graphql.schema.idl.TypeDefinitionRegistry().merge(
                new SchemaParser().buildRegistry(doc)));
        assertEquals(served, ReadApi.print(fromIntrospection), "introspection and docs/api.graphql agree");
    }

    @Test
    void theExampleInDocsConsoleMdIsARealAnswer() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "console.md"));
        String query = block(doc, "<!-- api-example-query -->");
        JsonNode docVars = JSON.readTree(block(doc, "<!-- api-example-variables -->"));
        JsonNode docAnswer = JSON.readTree(block(doc, "<!-- api-example-answer -->"));
        Instant hour = store.t.truncatedTo(java.time.temporal.ChronoUnit.HOURS);
        Map<String, Object> vars = Map.of("last3min", range(store.t.minusSeconds(120), store.t.plusSeconds(60)),
                "thisHour", range(hour, hour.plusSeconds(3600)));
        List<String> names = new ArrayList<>();
        docVars.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("last3min", "thisHour"), names, "the documented variables");
        JsonNode answer = post(query, vars);
        Files.writeString(Path.of("target", "api-example.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(answer));
        assertFalse(answer.has("errors"), answer.toString());
        assertEquals(masked(docAnswer), masked(answer), "docs/console.md shows this answer (times and cursors aside): target/api-example.json");
        CountingConnection counter = new CountingConnection();
        countedApi(counter).execute(query, null, vars);
        assertEquals(5, counter.count(), "as docs/console.md says: instances, open alerts, series, points, statements");
    }

    /** The first fenced code block after {@code marker}. */
    private static String block(String doc, String marker) {
        int m = doc.indexOf(marker);
        assertTrue(m >= 0, marker);
        int start = doc.indexOf('\n', doc.indexOf("```", m)) + 1;
        return doc.substring(start, doc.indexOf("```", start));
    }

    /** The answer with instants and cursors replaced by placeholders (they change with every run). */
    private static JsonNode masked(JsonNode n) {
        if (n.isObject()) {
            var o = JSON.createObjectNode();
            n.fields().forEachRemaining(e -> o.set(e.getKey(), e.getKey().equals("endCursor") || e.getKey().equals("cursor")
                    ? JSON.getNodeFactory().textNode("<cursor>") : masked(e.getValue())));
            return o;
        }
        if (n.isArray()) {
            var a = JSON.createArrayNode();
            n.forEach(x -> a.add(masked(x)));
            return a;
        }
        if (n.isTextual() && n.asText().matches("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z")) {
            return JSON.getNodeFactory().textNode("<time>");
        }
        return n;
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static Map<String, Object> range(Instant from, Instant to) {
        return Map.of("from", from.toString(), "to", to.toString());
    }

    private static long totalRows() throws SQLException {
        return store.count("SELECT (SELECT count(*) FROM instance) + (SELECT count(*) FROM series) + (SELECT count(*) FROM metric_rollup_1m)"
                + " + (SELECT count(*) FROM metric_rollup_1h) + (SELECT count(*) FROM alert_event) + (SELECT count(*) FROM statement_rollup_1h)"
                + " + (SELECT count(*) FROM statement_text) + (SELECT count(*) FROM insight)"
                + " + (SELECT count(*) FROM pg_catalog.pg_class WHERE relnamespace = 'public'::regnamespace)");
    }

    private static Connection nonClosing(Connection c) {
        return (Connection) java.lang.reflect.Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (p, m, args) -> {
                    if (m.getName().equals("close")) {
                        return null;
                    }
                    try {
                        return m.invoke(c, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** Follows {@code after} cursors to the end of a list; returns one key per node. */
    private static List<String> walk(String query, String at, Function<JsonNode, String> key, Map<String, Object> vars) throws Exception {
        return walkNodes(query, at, vars).stream().map(key).toList();
    }

    private static List<JsonNode> walkNodes(String query, String at, Map<String, Object> vars) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        String after = null;
        for (int page = 0; page < 1000; page++) {
            Map<String, Object> v = new LinkedHashMap<>(vars);
            v.put("after", after);
            JsonNode conn = data(query, v).at(at.replaceFirst("^/data", ""));
            for (JsonNode e : conn.get("edges")) {
                out.add(e.get("node"));
                after = e.get("cursor").asText();
            }
            assertEquals(after == null ? null : after, conn.at("/pageInfo/endCursor").isNull() ? null : conn.at("/pageInfo/endCursor").asText(),
                    "endCursor is the last edge's cursor");
            if (!conn.at("/pageInfo/hasNextPage").asBoolean()) {
                return out;
            }
            assertNotNull(after);
        }
        throw new AssertionError("no last page after 1000 pages");
    }

    private static JsonNode data(String query, Map<String, Object> vars) throws Exception {
        JsonNode r = post(query, vars);
        assertFalse(r.has("errors"), r.toString());
        return r.get("data");
    }

    private static JsonNode post(String query, Map<String, Object> vars) throws Exception {
        return JSON.readTree(postRaw(query, vars).body());
    }

    private static HttpResponse<String> postRaw(String query, Map<String, Object> vars) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("query", query);
        body.put("variables", vars);
        return HTTP.send(HttpRequest.newBuilder(URI.create(console.url() + "/graphql")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
