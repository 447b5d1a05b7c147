package dev.datainsight.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Server-side rendering of the console pages. Every value from the store goes through
 * {@link Html#text} or {@link Html#attr}; the pages carry no inline script or style (the CSP
 * forbids both), charts are drawn by {@code /static/console.js} from the JSON API.
 */
final class Pages {
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> SEVERITIES = List.of("critical", "warning", "info");
    static final List<String> STATUSES = List.of("firing", "pending", "resolved");

    private Pages() {}

    static Html layout(String title, String active) {
        Html h = new Html();
        h.raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .raw("<title>").text(title).raw(" · DataInsight</title>")
                .raw("<link rel=\"stylesheet\" href=\"/webjars/uplot/1.6.30/dist/uPlot.min.css\">")
                .raw("<link rel=\"stylesheet\" href=\"/static/console.css\">")
                .raw("</head><body><header><a class=\"brand\" href=\"/fleet\">DataInsight</a><nav>")
                .raw(navLink("/fleet", "Fleet", "fleet", active)).raw(navLink("/queries", "Queries", "queries", active))
                .raw(navLink("/trends", "Trends", "trends", active)).raw(navLink("/insights", "Insights", "insights", active))
                .raw(navLink("/alerts", "Alerts", "alerts", active))
                .raw("</nav></header><main>");
        return h;
    }

    private static String navLink(String href, String title, String id, String active) {
        return "<a href=\"" + href + "\"" + (id.equals(active) ? " aria-current=\"page\"" : "") + ">" + title + "</a>";
    }

    static String end(Html h) {
        return h.raw("</main><script src=\"/webjars/uplot/1.6.30/dist/uPlot.iife.min.js\"></script>")
                .raw("<script src=\"/static/console.js\"></script></body></html>").toString();
    }

    // ---- fleet ----------------------------------------------------------------------------------

    /** Sort orders of the fleet table ({@code ?sort=}); the default puts firing alerts first. */
    static final Map<String, java.util.Comparator<StoreReader.FleetRow>> FLEET_SORTS = Map.of(
            "instance", java.util.Comparator.comparing(StoreReader.FleetRow::instance),
            "version", java.util.Comparator.comparingInt(StoreReader.FleetRow::serverVersionNum).reversed()
                    .thenComparing(StoreReader.FleetRow::instance),
            "connections", java.util.Comparator.comparingDouble((StoreReader.FleetRow r) -> r.connections() == null || r.maxConnections() == null
                    || r.maxConnections() <= 0 ? -1 : r.connections() / r.maxConnections()).reversed().thenComparing(StoreReader.FleetRow::instance),
            "seen", java.util.Comparator.comparing((StoreReader.FleetRow r) -> r.lastSeen() == null ? Instant.EPOCH : r.lastSeen())
                    .thenComparing(StoreReader.FleetRow::instance));

    static String fleet(List<StoreReader.FleetRow> rows, Map<String, String> filter, String sort, Instant now) {
        if (sort != null && FLEET_SORTS.containsKey(sort)) {
            rows = rows.stream().sorted(FLEET_SORTS.get(sort)).toList();
        } else {
            sort = null;
        }
        String labelParam = String.join(",", filter.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
        Html h = layout("Fleet", "fleet");
        h.raw("<h1>Fleet</h1><p class=\"see\" id=\"fleet-links\">Fleet-wide: <a href=\"/queries\">top queries</a> · "
                + "<a href=\"/trends\">week over week</a> · <a href=\"/insights\">insights</a></p>");
        h.raw("<form class=\"filters\" method=\"get\" action=\"/fleet\"><label>Label <input name=\"label\"")
                .attr("value", labelParam)
                .raw(" placeholder=\"env=prod,team=billing\"></label><button type=\"submit\">Filter</button>");
        if (!filter.isEmpty()) {
            h.raw(" <a href=\"/fleet\">clear</a>");
        }
        h.raw("</form>");
        h.raw("<p class=\"count\" id=\"fleet-count\">").text(rows.size() + (rows.size() == 1 ? " instance" : " instances")).raw("</p>");
        h.raw("<div class=\"table\"><table id=\"fleet\"><thead><tr>");
        String[][] cols = {{"Instance", "instance"}, {"State", null}, {"Open alerts", "alerts"}, {"Version", "version"},
            {"Connections", "connections"}, {"Last seen", "seen"}, {"Labels", null}};
        for (String[] col : cols) {
            h.raw("<th>");
            if (col[1] == null) {
                h.text(col[0]);
            } else {
                String href = "/fleet?sort=" + col[1] + (labelParam.isEmpty() ? "" : "&label=" + Html.enc(labelParam));
                boolean current = col[1].equals(sort) || (sort == null && col[1].equals("alerts"));
                h.raw("<a").attr("href", href).raw(current ? " aria-sort=\"descending\" class=\"sorted\">" : ">").text(col[0]).raw("</a>");
            }
            h.raw("</th>");
        }
        h.raw("</tr></thead><tbody>");
        for (StoreReader.FleetRow r : rows) {
            h.raw("<tr").attr("class", "state-" + r.state()).raw("><td data-label=\"Instance\">")
                    .link("/instances/" + Html.enc(r.instance()), r.instance())
                    .raw("</td><td data-label=\"State\">").el("span", "badge " + r.state(), "ok".equals(r.state()) || "warning".equals(r.state())
                            || "critical".equals(r.state()) ? "up · " + r.state() : r.state())
                    .raw("</td><td data-label=\"Open alerts\">");
            alertCounts(h, r);
            h.raw("</td><td data-label=\"Version\">").text(version(r.serverVersionNum()))
                    .raw("</td><td data-label=\"Connections\">").text(connections(r))
                    .raw("</td><td data-label=\"Last seen\">").raw("<time").attr("datetime", r.lastSeen()).raw(">")
                    .text(ago(r.lastSeen(), now)).raw("</time></td><td data-label=\"Labels\">");
            labels(h, r.labels(), true);
            h.raw("</td></tr>");
        }
        h.raw("</tbody></table></div>");
        if (rows.isEmpty()) {
            h.raw("<p class=\"empty\">No instance matches.</p>");
        }
        return end(h);
    }

    private static void alertCounts(Html h, StoreReader.FleetRow r) {
        if (r.firing() + r.pending() == 0) {
            h.el("span", "muted", "none");
            return;
        }
        if (r.critical() > 0) h.el("span", "badge critical", r.critical() + " critical").raw(" ");
        if (r.warning() > 0) h.el("span", "badge warning", r.warning() + " warning").raw(" ");
        if (r.info() > 0) h.el("span", "badge info", r.info() + " info").raw(" ");
        if (r.pending() > 0) h.el("span", "badge pending", r.pending() + " pending");
    }

    private static void labels(Html h, Map<String, String> labels, boolean filterLinks) {
        for (Map.Entry<String, String> e : labels.entrySet()) {
            String kv = e.getKey() + "=" + e.getValue();
            if (filterLinks) {
                h.raw("<a class=\"label\"").attr("href", "/fleet?label=" + Html.enc(kv)).raw(">").text(kv).raw("</a> ");
            } else {
                h.el("span", "label", kv).raw(" ");
            }
        }
    }

    // ---- instance -------------------------------------------------------------------------------

    static String instance(StoreReader.FleetRow r, Range range, List<StoreReader.StatementRow> statements,
                           List<StoreReader.TableRow> tables, List<StoreReader.AlertRow> alerts, int refreshSeconds, Instant now) {
        String base = "/instances/" + Html.enc(r.instance());
        Html h = layout(r.instance(), "fleet");
        h.raw("<h1>").text(r.instance()).raw("</h1><p class=\"meta\">").el("span", "badge " + r.state(), r.state()).raw(" ")
                .text("PostgreSQL " + version(r.serverVersionNum()) + " · last seen " + ago(r.lastSeen(), now) + " · ");
        labels(h, r.labels(), true);
        h.raw("</p>");
        instanceLinks(h, r.instance(), "charts");
        h.raw("<nav class=\"ranges\" aria-label=\"time range\">");
        for (Range x : Range.values()) {
            h.raw("<a").attr("href", base + "?range=" + x.param);
            if (x == range) h.raw(" aria-current=\"true\"");
            h.raw(">").text(x.param).raw("</a>");
        }
        h.raw("<span class=\"muted\">").text(range.resolution.label + " resolution, refreshed every " + refreshSeconds + " s").raw("</span></nav>");
        h.raw("<section id=\"panels\" class=\"panels\"").attr("data-src", "/api" + base + "/panels?range=" + range.param)
                .attr("data-refresh", refreshSeconds).raw(">");
        for (Panel p : Panel.ALL) {
            h.raw("<figure class=\"panel\"").attr("id", "panel-" + p.id()).attr("data-panel", p.id()).raw("><figcaption>")
                    .text(p.title()).raw(" <span class=\"muted\">").text(p.unit()).raw("</span></figcaption>")
                    .raw("<div class=\"chart\"></div><p class=\"nodata muted\" hidden>no data in this range</p></figure>");
        }
        h.raw("</section>");

        h.raw("<h2>Open alerts</h2>");
        alertTable(h, alerts, false, now);

        h.raw("<h2>Top statements by total time</h2><div class=\"table\"><table id=\"statements\"><thead><tr><th>Query</th>"
                + "<th>Database</th><th>Role</th><th>Calls</th><th>Total ms</th></tr></thead><tbody>");
        for (StoreReader.StatementRow s : statements) {
            h.raw("<tr><td data-label=\"Query\"><a").attr("href", "/queries/" + Html.enc(r.instance()) + "/" + Html.enc(s.queryid()) + "?range=" + range.param)
                    .raw("><code>").text(s.query() == null ? "(text not stored) " + s.queryid() : s.query())
                    .raw("</code></a></td><td data-label=\"Database\">").text(s.datname()).raw("</td><td data-label=\"Role\">").text(s.rolname())
                    .raw("</td><td data-label=\"Calls\">").text(number(s.calls())).raw("</td><td data-label=\"Total ms\">")
                    .text(number(s.totalMs())).raw("</td></tr>");
        }
        h.raw("</tbody></table></div>");
        if (statements.isEmpty()) h.raw("<p class=\"empty\">No statements in this range.</p>");
        h.raw("<p><a").attr("href", base + "/queries?range=" + range.param).raw(">all statements of ").text(r.instance()).raw("</a></p>");

        h.raw("<h2>Top tables by dead tuples</h2><div class=\"table\"><table id=\"tables\"><thead><tr><th>Table</th>"
                + "<th>Dead</th><th>Live</th><th>Last autovacuum</th></tr></thead><tbody>");
        for (StoreReader.TableRow t : tables) {
            h.raw("<tr><td data-label=\"Table\">").text(t.datname() + "." + t.schemaname() + "." + t.relname())
                    .raw("</td><td data-label=\"Dead\">").text(number(t.deadTuples())).raw("</td><td data-label=\"Live\">")
                    .text(number(t.liveTuples())).raw("</td><td data-label=\"Last autovacuum\">")
                    .text(t.lastAutovacuum() == null ? "never" : TIME.format(t.lastAutovacuum())).raw("</td></tr>");
        }
        h.raw("</tbody></table></div>");
        if (tables.isEmpty()) h.raw("<p class=\"empty\">No table statistics in the last 2 hours.</p>");
        return end(h);
    }

    /** The links between an instance's pages: charts, queries, trends, insights; {@code current} is marked. */
    static void instanceLinks(Html h, String instance, String current) {
        String base = "/instances/" + Html.enc(instance);
        String[][] links = {{"charts", base, "Charts"}, {"queries", base + "/queries", "Queries"}, {"trends", base + "/trends", "Trends"},
            {"insights", "/insights?instance=" + Html.enc(instance), "Insights"}};
        h.raw("<nav class=\"tabs\" id=\"instance-links\" aria-label=\"instance pages\">");
        for (String[] l : links) {
            h.raw("<a").attr("href", l[1]);
            if (l[0].equals(current)) h.raw(" aria-current=\"page\"");
            h.raw(">").text(l[2]).raw("</a>");
        }
        h.raw("</nav>");
    }

    // ---- alerts ---------------------------------------------------------------------------------

    static String alerts(List<StoreReader.AlertRow> open, List<StoreReader.AlertRow> history, StoreReader.AlertFilter f,
                         List<String> rules, Instant now) {
        Html h = layout("Alerts", "alerts");
        h.raw("<h1>Alerts</h1><form class=\"filters\" id=\"alert-filters\" method=\"get\" action=\"/alerts\">");
        select(h, "severity", "Severity", SEVERITIES, f.severity());
        select(h, "rule", "Rule", rules, f.rule());
        select(h, "status", "Status", STATUSES, f.status());
        h.raw("<label>Instance <input name=\"instance\"").attr("value", f.instance() == null ? "" : f.instance())
                .raw("></label><button type=\"submit\">Filter</button> <a href=\"/alerts\">clear</a></form>");
        h.raw("<h2>Open</h2>");
        alertTable(h, open, true, now);
        h.raw("<h2>History</h2><div class=\"table\"><table id=\"history\"><thead><tr><th>When</th><th>Status</th><th>Severity</th>"
                + "<th>Rule</th><th>Instance</th><th>Summary</th></tr></thead><tbody>");
        for (StoreReader.AlertRow a : history) {
            h.raw("<tr><td data-label=\"When\">").text(TIME.format(a.eventAt())).raw("</td><td data-label=\"Status\">")
                    .el("span", "badge " + a.status(), a.status()).raw("</td><td data-label=\"Severity\">")
                    .el("span", "badge " + a.severity(), a.severity()).raw("</td><td data-label=\"Rule\">")
                    .link("/alerts/" + Html.enc(a.fingerprint()), a.rule()).raw("</td><td data-label=\"Instance\">")
                    .link("/instances/" + Html.enc(a.instance()), a.instance()).raw("</td><td data-label=\"Summary\">")
                    .text(a.summary()).raw("</td></tr>");
        }
        h.raw("</tbody></table></div>");
        if (history.isEmpty()) h.raw("<p class=\"empty\">No events match.</p>");
        return end(h);
    }

    private static void alertTable(Html h, List<StoreReader.AlertRow> alerts, boolean withInstance, Instant now) {
        h.raw("<div class=\"table\"><table class=\"open-alerts\"><thead><tr><th>Status</th><th>Severity</th><th>Rule</th>"
                + (withInstance ? "<th>Instance</th>" : "") + "<th>Open for</th><th>Summary</th></tr></thead><tbody>");
        for (StoreReader.AlertRow a : alerts) {
            h.raw("<tr><td data-label=\"Status\">").el("span", "badge " + a.status(), a.status())
                    .raw("</td><td data-label=\"Severity\">").el("span", "badge " + a.severity(), a.severity())
                    .raw("</td><td data-label=\"Rule\">").link("/alerts/" + Html.enc(a.fingerprint()), a.rule()).raw("</td>");
            if (withInstance) {
                h.raw("<td data-label=\"Instance\">").link("/instances/" + Html.enc(a.instance()), a.instance()).raw("</td>");
            }
            h.raw("<td data-label=\"Open for\">").text(duration(Duration.between(a.startedAt(), now)))
                    .raw("</td><td data-label=\"Summary\">").text(a.summary()).raw("</td></tr>");
        }
        h.raw("</tbody></table></div>");
        if (alerts.isEmpty()) h.raw("<p class=\"empty\">No open alerts.</p>");
    }

    static void select(Html h, String name, String title, List<String> options, String current) {
        h.raw("<label>").text(title).raw(" <select").attr("name", name).raw("><option value=\"\">any</option>");
        for (String o : options) {
            h.raw("<option").attr("value", o);
            if (o.equals(current)) h.raw(" selected");
            h.raw(">").text(o).raw("</option>");
        }
        h.raw("</select></label>");
    }

    static String alert(List<StoreReader.AlertRow> events, Instant now) {
        StoreReader.AlertRow last = events.get(events.size() - 1);
        Html h = layout(last.rule() + " on " + last.instance(), "alerts");
        h.raw("<h1>").text(last.rule()).raw(" <span class=\"muted\">on</span> ")
                .link("/instances/" + Html.enc(last.instance()), last.instance()).raw("</h1>");
        h.raw("<p class=\"meta\">").el("span", "badge " + last.status(), last.status()).raw(" ")
                .el("span", "badge " + last.severity(), last.severity()).raw(" ")
                .text("started " + TIME.format(last.startedAt())
                        + (last.resolvedAt() != null ? " · resolved " + TIME.format(last.resolvedAt()) : " · open for " + duration(Duration.between(last.startedAt(), now))))
                .raw("</p>");
        h.raw("<p class=\"summary\" id=\"summary\">").text(last.summary()).raw("</p>");
        Range around = Range.covering(Duration.between(last.startedAt(), now));
        h.raw("<p>").raw("<a id=\"charts-link\"").attr("href", "/instances/" + Html.enc(last.instance()) + "?range=" + around.param)
                .raw(">").text("charts of " + last.instance() + " since before the start (" + around.param + ")").raw("</a></p>");
        String description = null;
        String runbook = null;
        String context = null;
        for (StoreReader.AlertRow e : events) {
            if (e.description() != null) description = e.description();
            if (e.runbook() != null) runbook = e.runbook();
            if (hasItems(e.context())) context = e.context();
        }
        if (description != null) h.raw("<p class=\"description\">").text(description).raw("</p>");
        h.raw("<dl class=\"facts\"><dt>Labels</dt><dd>");
        labels(h, last.labels(), false);
        h.raw("</dd><dt>Value / threshold</dt><dd>").text(number(last.value()) + " / " + number(last.threshold())).raw("</dd>");
        if (runbook != null) {
            h.raw("<dt>Runbook</dt><dd id=\"runbook\">");
            if (runbook.startsWith("https://") || runbook.startsWith("http://")) {
                h.raw("<a rel=\"noopener noreferrer\"").attr("href", runbook).raw(">").text(runbook).raw("</a>");
            } else {
                h.text(runbook);
            }
            h.raw("</dd>");
        }
        h.raw("<dt>Fingerprint</dt><dd><code>").text(last.fingerprint()).raw("</code></dd></dl>");
        if (context != null) {
            h.raw("<h2>Context</h2><div id=\"context\" class=\"context\">");
            try {
                contextItems(h, JSON.readTree(context));
            } catch (Exception ex) {
                h.raw("<pre>").text(context).raw("</pre>");
            }
            h.raw("</div>");
        }
        h.raw("<h2>Events</h2><div class=\"table\"><table id=\"events\"><thead><tr><th>When</th><th>Status</th><th>Severity</th>"
                + "<th>Value</th><th>Summary</th></tr></thead><tbody>");
        for (StoreReader.AlertRow e : events) {
            h.raw("<tr><td data-label=\"When\">").text(TIME.format(e.eventAt())).raw("</td><td data-label=\"Status\">")
                    .el("span", "badge " + e.status(), e.status()).raw("</td><td data-label=\"Severity\">").text(e.severity())
                    .raw("</td><td data-label=\"Value\">").text(number(e.value())).raw("</td><td data-label=\"Summary\">")
                    .text(e.summary()).raw("</td></tr>");
        }
        h.raw("</tbody></table></div>");
        return end(h);
    }

    /** Whether a stored context has anything to show (null, [] and {} do not). */
    static boolean hasItems(String context) {
        if (context == null) {
            return false;
        }
        String s = context.strip();
        return !(s.isEmpty() || s.equals("null") || s.equals("[]") || s.equals("{}"));
    }

    /**
     * The alert's context as the job writes it (docs/wire-format.md: a list of items
     * {@code {"kind": ..., "fields": {...}}}): one block per item, its kind as the heading and its
     * fields in their order. Anything else is rendered as generic JSON.
     */
    private static void contextItems(Html h, JsonNode n) {
        boolean items = n.isArray();
        for (JsonNode item : n) {
            items &= item.isObject() && item.path("kind").isTextual() && item.path("fields").isObject();
        }
        if (!items) {
            json(h, n);
            return;
        }
        for (JsonNode item : n) {
            h.raw("<section class=\"context-item\">").el("h3", null, item.get("kind").asText()).raw("<dl>");
            for (Iterator<Map.Entry<String, JsonNode>> it = item.get("fields").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                h.el("dt", null, f.getKey()).raw("<dd>");
                json(h, f.getValue());
                h.raw("</dd>");
            }
            h.raw("</dl></section>");
        }
    }

    /** Renders any JSON: objects as definition lists, arrays of objects as tables, values as text. */
    private static void json(Html h, JsonNode n) {
        if (n.isObject()) {
            h.raw("<dl>");
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                h.el("dt", null, e.getKey()).raw("<dd>");
                json(h, e.getValue());
                h.raw("</dd>");
            }
            h.raw("</dl>");
        } else if (n.isArray() && n.size() > 0 && n.get(0).isObject()) {
            java.util.LinkedHashSet<String> cols = new java.util.LinkedHashSet<>();
            n.forEach(row -> row.fieldNames().forEachRemaining(cols::add));
            h.raw("<div class=\"table\"><table><thead><tr>");
            cols.forEach(c -> h.el("th", null, c));
            h.raw("</tr></thead><tbody>");
            for (JsonNode row : n) {
                h.raw("<tr>");
                for (String c : cols) {
                    h.raw("<td").attr("data-label", c).raw(">");
                    JsonNode v = row.get(c);
                    if (v != null) json(h, v);
                    h.raw("</td>");
                }
                h.raw("</tr>");
            }
            h.raw("</tbody></table></div>");
        } else if (n.isArray()) {
            h.raw("<ul>");
            n.forEach(v -> {
                h.raw("<li>");
                json(h, v);
                h.raw("</li>");
            });
            h.raw("</ul>");
        } else {
            h.text(n.isNull() ? "" : n.asText());
        }
    }

    static String notFound(String what) {
        Html h = layout("Not found", "");
        h.raw("<h1>Not found</h1><p>").text(what).raw("</p>");
        return end(h);
    }

    static String login(boolean failed) {
        Html h = layout("Sign in", "");
        h.raw("<h1>Sign in</h1>");
        if (failed) h.raw("<p class=\"error\">Wrong token.</p>");
        h.raw("<form method=\"post\" action=\"/login\"><label>Token <input type=\"password\" name=\"token\" autocomplete=\"current-password\">"
                + "</label><button type=\"submit\">Sign in</button></form>");
        return end(h);
    }

    // ---- formatting -----------------------------------------------------------------------------

    static String version(int num) {
        if (num <= 0) return "?";
        return num >= 100000 ? (num / 10000) + "." + (num % 100) : (num / 10000) + "." + (num / 100 % 100) + "." + (num % 100);
    }

    private static String connections(StoreReader.FleetRow r) {
        if (r.connections() == null) return "—";
        String used = number(r.connections());
        if (r.maxConnections() == null || r.maxConnections() <= 0) return used;
        return used + " / " + number(r.maxConnections()) + " (" + Math.round(100 * r.connections() / r.maxConnections()) + "%)";
    }

    static String ago(Instant t, Instant now) {
        if (t == null) return "never";
        return duration(Duration.between(t, now)) + " ago";
    }

    static String duration(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 120) return s + "s";
        if (s < 7200) return (s / 60) + "m";
        if (s < 172800) return (s / 3600) + "h " + (s % 3600 / 60) + "m";
        return (s / 86400) + "d " + (s % 86400 / 3600) + "h";
    }

    static String number(Double v) {
        if (v == null) return "—";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return String.format(Locale.ROOT, "%,d", v.longValue());
        return String.format(Locale.ROOT, "%,.2f", v);
    }
}
