package dev.datainsight.console;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The Queries, Trends and Insights pages. Same rules as {@link Pages}: store text only through
 * {@link Html#text}/{@link Html#attr}, no inline script or style; the per-query charts are drawn
 * by {@code /static/console.js} from {@code /api/queries/INSTANCE/QUERYID/history}.
 */
final class AnalysisPages {
    /** Range of the Queries pages when none is asked for. */
    static final Range QUERIES_DEFAULT = Range.H24;

    private AnalysisPages() {}

    // ---- queries --------------------------------------------------------------------------------

    static String queries(List<StoreReader.QueryRow> rows, String instance, Range range, StoreReader.QueryOrder order,
                          List<String> instances, boolean instancePage) {
        String base = instancePage ? "/instances/" + Html.enc(instance) + "/queries" : "/queries";
        Html h = Pages.layout(instance == null ? "Queries" : "Queries of " + instance, instancePage ? "fleet" : "queries");
        if (instancePage) {
            h.raw("<h1>").link("/instances/" + Html.enc(instance), instance).raw(" <span class=\"muted\">queries</span></h1>");
            Pages.instanceLinks(h, instance, "queries");
        } else {
            h.raw("<h1>Queries</h1><form class=\"filters\" id=\"query-filters\" method=\"get\" action=\"/queries\">");
            Pages.select(h, "instance", "Instance", instances, instance);
            h.raw("<input type=\"hidden\" name=\"range\"").attr("value", range.param).raw("><input type=\"hidden\" name=\"sort\"")
                    .attr("value", order.param).raw("><button type=\"submit\">Filter</button></form>");
        }
        String keep = (instance != null && !instancePage ? "&instance=" + Html.enc(instance) : "");
        h.raw("<nav class=\"ranges\" aria-label=\"time range\">");
        for (Range x : Range.values()) {
            h.raw("<a").attr("href", base + "?range=" + x.param + "&sort=" + order.param + keep);
            if (x == range) h.raw(" aria-current=\"true\"");
            h.raw(">").text(x.param).raw("</a>");
        }
        h.raw("<span class=\"muted\">hourly statement rollups; regression = mean time over the mean of the 7 days before</span></nav>");
        h.raw("<nav class=\"ranges\" aria-label=\"order\">");
        for (StoreReader.QueryOrder o : StoreReader.QueryOrder.values()) {
            h.raw("<a").attr("href", base + "?range=" + range.param + "&sort=" + o.param + keep);
            if (o == order) h.raw(" aria-current=\"true\"");
            h.raw(">").text("by " + o.title).raw("</a>");
        }
        h.raw("</nav>");
        h.raw("<p class=\"count\" id=\"queries-count\">").text(rows.size() + (rows.size() == 1 ? " statement" : " statements")).raw("</p>");
        h.raw("<div class=\"table\"><table id=\"queries\"><thead><tr><th>Query</th>");
        if (!instancePage) h.raw("<th>Instance</th>");
        h.raw("<th>Database</th><th>Calls</th><th>Total ms</th><th>Mean ms</th><th>Class</th><th>Regression</th></tr></thead><tbody>");
        for (StoreReader.QueryRow q : rows) {
            h.raw("<tr><td data-label=\"Query\"><a class=\"query\"").attr("href", "/queries/" + Html.enc(q.instance()) + "/" + Html.enc(q.queryid()) + "?range=" + range.param)
                    .raw("><code>").text(q.query() == null ? "(text not stored) " + q.queryid() : abbreviate(q.query(), 300)).raw("</code></a></td>");
            if (!instancePage) {
                h.raw("<td data-label=\"Instance\">").link("/instances/" + Html.enc(q.instance()), q.instance()).raw("</td>");
            }
            h.raw("<td data-label=\"Database\">").text(q.datnames() + " · " + q.rolnames()).raw("</td><td data-label=\"Calls\">")
                    .text(Pages.number(q.calls())).raw("</td><td data-label=\"Total ms\">").text(Pages.number(round(q.totalMs())))
                    .raw("</td><td data-label=\"Mean ms\">").text(Pages.number(round(q.meanMs()))).raw("</td><td data-label=\"Class\">");
            spread(h, q.spread());
            h.raw("</td><td data-label=\"Regression\">").text(regression(q.regression())).raw("</td></tr>");
        }
        h.raw("</tbody></table></div>");
        if (rows.isEmpty()) h.raw("<p class=\"empty\">No statements in this range.</p>");
        return Pages.end(h);
    }

    private static void spread(Html h, String spread) {
        if (spread == null) {
            h.el("span", "muted", "—");
        } else {
            h.el("span", "badge " + ("spiky".equals(spread) ? "warning" : "ok") + " spread", spread);
        }
    }

    static String regression(Double r) {
        if (r == null) return "—";
        return String.format(Locale.ROOT, "×%.2f", r);
    }

    static String query(String instance, String queryid, StoreReader.StatementText text, Optional<StoreReader.QueryRow> summary,
                        Range range, Optional<List<StoreReader.PlanRow>> plans) {
        String base = "/queries/" + Html.enc(instance) + "/" + Html.enc(queryid);
        Html h = Pages.layout("Query " + queryid + " on " + instance, "queries");
        h.raw("<h1>Query <code>").text(queryid).raw("</code> <span class=\"muted\">on</span> ")
                .link("/instances/" + Html.enc(instance), instance).raw("</h1>");
        Pages.instanceLinks(h, instance, "queries");
        h.raw("<pre class=\"query-text\" id=\"query-text\">").text(text.query() == null ? "(text not stored)" : text.query()).raw("</pre>");
        if (text.truncated()) h.raw("<p class=\"muted\">The text was cut by pg_stat_statements (track_activity_query_size).</p>");
        h.raw("<nav class=\"ranges\" aria-label=\"time range\">");
        for (Range x : Range.values()) {
            h.raw("<a").attr("href", base + "?range=" + x.param);
            if (x == range) h.raw(" aria-current=\"true\"");
            h.raw(">").text(x.param).raw("</a>");
        }
        h.raw("<span class=\"muted\">hourly</span></nav>");
        h.raw("<dl class=\"facts\" id=\"query-facts\">");
        if (summary.isPresent()) {
            StoreReader.QueryRow q = summary.get();
            fact(h, "Databases · roles", q.datnames() + " · " + q.rolnames());
            fact(h, "Calls", Pages.number(q.calls()));
            fact(h, "Total time", Pages.number(round(q.totalMs())) + " ms");
            fact(h, "Mean time", Pages.number(round(q.meanMs())) + " ms"
                    + (q.stddevMs() == null ? "" : " ± " + Pages.number(round(q.stddevMs())) + " ms (standard deviation)"));
            if (q.maxMs() != null) fact(h, "Max seen", Pages.number(round(q.maxMs())) + " ms");
            fact(h, "Rows", Pages.number(q.rows()));
            h.raw("<dt>Class</dt><dd>");
            spread(h, q.spread());
            h.raw(" <span class=\"muted\">spiky when the standard deviation exceeds the mean</span></dd>");
            fact(h, "Regression", regression(q.regression()) + (q.baselineMeanMs() == null ? ""
                    : " (mean " + Pages.number(round(q.baselineMeanMs())) + " ms in the 7 days before)"));
        } else {
            fact(h, "Calls", "none in this range");
        }
        if (text.firstSeen() != null) fact(h, "First seen", Pages.TIME.format(text.firstSeen()));
        if (text.lastSeen() != null) fact(h, "Last seen", Pages.TIME.format(text.lastSeen()));
        h.raw("</dl>");
        h.raw("<section id=\"panels\" class=\"panels\"").attr("data-src", "/api" + base + "/history?range=" + range.param)
                .attr("data-refresh", 300).raw(">");
        for (Panel p : StoreReader.QUERY_PANELS) {
            h.raw("<figure class=\"panel\"").attr("id", "panel-" + p.id()).attr("data-panel", p.id()).raw("><figcaption>")
                    .text(p.title()).raw(" <span class=\"muted\">").text(p.unit()).raw("</span></figcaption>")
                    .raw("<div class=\"chart\"></div><p class=\"nodata muted\" hidden>no data in this range</p></figure>");
        }
        h.raw("</section>");
        if (plans.isPresent()) {
            List<StoreReader.PlanRow> ps = plans.get();
            h.raw("<h2>Plans</h2><p class=\"count\" id=\"plan-changes\">")
                    .text(ps.size() + (ps.size() == 1 ? " plan" : " plans") + ", " + Math.max(0, ps.size() - 1)
                            + (ps.size() == 2 ? " plan change" : " plan changes"))
                    .raw("</p><div class=\"table\"><table id=\"plans\"><thead><tr><th>Fingerprint</th><th>Shape</th><th>Cost</th>"
                            + "<th>First seen</th><th>Last seen</th></tr></thead><tbody>");
            String previous = null;
            for (StoreReader.PlanRow p : ps) {
                h.raw("<tr><td data-label=\"Fingerprint\"><code>").text(p.fingerprint()).raw("</code>");
                if (previous != null) h.raw(" ").el("span", "badge warning", "changed from " + previous);
                h.raw("</td><td data-label=\"Shape\"><code>").text(p.summary()).raw("</code></td><td data-label=\"Cost\">")
                        .text(Pages.number(round(p.totalCost()))).raw("</td><td data-label=\"First seen\">")
                        .text(p.firstSeen() == null ? "—" : Pages.TIME.format(p.firstSeen())).raw("</td><td data-label=\"Last seen\">")
                        .text(p.lastSeen() == null ? "—" : Pages.TIME.format(p.lastSeen())).raw("</td></tr>");
                previous = p.fingerprint();
            }
            h.raw("</tbody></table></div>");
            if (ps.isEmpty()) h.raw("<p class=\"empty\">No plan captured for this statement.</p>");
        }
        return Pages.end(h);
    }

    private static void fact(Html h, String name, String value) {
        h.el("dt", null, name).el("dd", null, value);
    }

    // ---- trends ---------------------------------------------------------------------------------

    static String trends(List<Trends.Row> rows, String instance, Instant now) {
        Html h = Pages.layout(instance == null ? "Trends" : "Trends of " + instance, instance == null ? "trends" : "fleet");
        if (instance == null) {
            h.raw("<h1>Trends <span class=\"muted\">week over week</span></h1>");
        } else {
            h.raw("<h1>").link("/instances/" + Html.enc(instance), instance).raw(" <span class=\"muted\">week over week</span></h1>");
            Pages.instanceLinks(h, instance, "trends");
        }
        h.raw("<p class=\"muted\" id=\"trend-window\">").text("This week (" + Pages.TIME.format(Trends.weekStart(now)) + " to now) against the"
                + " 7 days before, from the daily rollups; change points from the hourly ones; most changed first.").raw("</p>");
        h.raw("<h2>What changed most</h2><ol class=\"sentences\" id=\"trend-sentences\">");
        int n = 0;
        for (Trends.Row r : rows) {
            if (n == 10 || r.relativeChange() != null && Math.abs(r.relativeChange()) < 0.05) break;
            h.raw("<li>");
            if (instance == null) h.el("strong", null, r.instance() == null ? "fleet" : r.instance()).raw(": ");
            h.text(r.sentence());
            if (r.query() != null) h.raw(" ").el("code", "muted", abbreviate(r.query(), 80));
            h.raw("</li>");
            n++;
        }
        h.raw("</ol>");
        if (n == 0) h.raw("<p class=\"empty\">Nothing changed by 5% or more.</p>");
        h.raw("<h2>Every metric</h2><div class=\"table\"><table id=\"trends\"><thead><tr>");
        if (instance == null) h.raw("<th>Instance</th>");
        h.raw("<th>What</th><th>Previous week</th><th>This week</th><th>Change</th><th>Since</th></tr></thead><tbody>");
        for (Trends.Row r : rows) {
            h.raw("<tr>");
            if (instance == null) {
                h.raw("<td data-label=\"Instance\">");
                if (r.instance() == null) h.el("strong", null, "fleet");
                else h.link("/instances/" + Html.enc(r.instance()) + "/trends", r.instance());
                h.raw("</td>");
            }
            h.raw("<td data-label=\"What\">");
            if (r.metric() == Trends.Metric.QUERY_MEAN_TIME) {
                h.text(r.metric().title + " ").link("/queries/" + Html.enc(r.instance()) + "/" + Html.enc(r.subject()) + "?range=7d", r.subject());
                if (r.query() != null) h.raw(" ").el("code", "muted", abbreviate(r.query(), 80));
            } else {
                h.text(r.metric().title);
            }
            h.raw("</td><td data-label=\"Previous week\">").text(Trends.format(r.metric().unit, r.previousWeek()))
                    .raw("</td><td data-label=\"This week\">").text(Trends.format(r.metric().unit, r.thisWeek()))
                    .raw("</td><td data-label=\"Change\">").text(r.changeText())
                    .raw("</td><td data-label=\"Since\">").text(r.changeAt() == null ? "—" : Pages.TIME.format(r.changeAt()))
                    .raw("</td></tr>");
        }
        h.raw("</tbody></table></div>");
        if (rows.isEmpty()) h.raw("<p class=\"empty\">No two weeks of hourly rollups to compare yet.</p>");
        return Pages.end(h);
    }

    // ---- insights -------------------------------------------------------------------------------

    /** Whether the bytes of a finding are space to win back (indexes and bloat), not only a size. */
    static boolean wasted(StoreReader.InsightRow r) {
        return r.bytes() != null && (r.kind().endsWith("_index") || r.kind().contains("bloat"));
    }

    static String insights(List<StoreReader.InsightRow> rows, String instance, String kind, List<String> kinds, List<String> instances,
                           Instant now) {
        Html h = Pages.layout("Insights", "insights");
        h.raw("<h1>Insights</h1><form class=\"filters\" id=\"insight-filters\" method=\"get\" action=\"/insights\">");
        Pages.select(h, "instance", "Instance", instances, instance);
        Pages.select(h, "kind", "Kind", kinds, kind);
        h.raw("<button type=\"submit\">Filter</button> <a href=\"/insights\">clear</a></form>");
        if (instance != null) Pages.instanceLinks(h, instance, "insights");

        // Totals per kind over what is listed.
        Map<String, long[]> counts = new LinkedHashMap<>();
        Map<String, Double> bytes = new LinkedHashMap<>();
        Map<String, long[]> perInstance = new LinkedHashMap<>();
        Map<String, Double> wastedPerInstance = new LinkedHashMap<>();
        double totalWasted = 0;
        for (StoreReader.InsightRow r : rows) {
            counts.computeIfAbsent(r.kind(), k -> new long[1])[0]++;
            perInstance.computeIfAbsent(r.instance(), k -> new long[1])[0]++;
            if (wasted(r)) {
                bytes.merge(r.kind(), r.bytes(), Double::sum);
                wastedPerInstance.merge(r.instance(), r.bytes(), Double::sum);
                totalWasted += r.bytes();
            }
        }
        java.util.Set<String> withFindings = perInstance.keySet();
        h.raw("<p class=\"count\" id=\"insights-total\">").text(rows.size() + (rows.size() == 1 ? " finding" : " findings") + " on "
                + withFindings.size() + (withFindings.size() == 1 ? " instance" : " instances")
                + (totalWasted > 0 ? "; " + Trends.bytes(totalWasted) + " wasted" : "")).raw("</p>");
        h.raw("<ul class=\"totals\" id=\"insight-kinds\">");
        for (Map.Entry<String, long[]> e : counts.entrySet()) {
            long c = e.getValue()[0];
            h.raw("<li>").raw("<a").attr("href", "/insights?kind=" + Html.enc(e.getKey()) + (instance == null ? "" : "&instance=" + Html.enc(instance)))
                    .raw(">").text(c + " " + kindTitle(e.getKey(), c)).raw("</a>");
            if (bytes.containsKey(e.getKey())) h.text(" wasting " + Trends.bytes(bytes.get(e.getKey())));
            h.raw("</li>");
        }
        h.raw("</ul>");

        String current = null;
        for (StoreReader.InsightRow r : rows) {
            if (!r.instance().equals(current)) {
                if (current != null) h.raw("</tbody></table></div>");
                current = r.instance();
                double wastedHere = wastedPerInstance.getOrDefault(r.instance(), 0.0);
                long here = perInstance.get(r.instance())[0];
                h.raw("<h2>").link("/instances/" + Html.enc(r.instance()), r.instance()).raw(" <span class=\"muted\">")
                        .text(here + (here == 1 ? " finding" : " findings") + (wastedHere > 0 ? ", " + Trends.bytes(wastedHere) + " wasted" : ""))
                        .raw("</span></h2>");
                h.raw("<div class=\"table\"><table class=\"insights\"><thead><tr><th>Severity</th><th>Kind</th><th>Subject</th>"
                        + "<th>Finding</th><th>Size</th><th>Seen</th></tr></thead><tbody>");
            }
            h.raw("<tr><td data-label=\"Severity\">").el("span", "badge " + r.severity(), r.severity())
                    .raw("</td><td data-label=\"Kind\">").text(r.kind().replace('_', ' ')).raw("</td><td data-label=\"Subject\"><code>")
                    .text(r.subject()).raw("</code></td><td data-label=\"Finding\">").text(r.summary());
            if (r.usedRatio() != null) h.raw(" ").el("span", "muted", String.format(Locale.ROOT, "(%.1f%% used)", r.usedRatio() * 100));
            h.raw("</td><td data-label=\"Size\">").text(r.bytes() == null ? "—" : Trends.bytes(r.bytes()) + (wasted(r) ? " wasted" : ""))
                    .raw("</td><td data-label=\"Seen\">").text("since " + Pages.TIME.format(r.firstSeen()) + ", last " + Pages.ago(r.observedAt(), now))
                    .raw("</td></tr>");
        }
        if (current != null) h.raw("</tbody></table></div>");
        if (rows.isEmpty()) h.raw("<p class=\"empty\">No findings.</p>");
        return Pages.end(h);
    }

    /** {@code unused_index} → {@code unused indexes} / {@code unused index}. */
    static String kindTitle(String kind, long count) {
        String t = kind.replace('_', ' ');
        if (count == 1) return t;
        if (t.endsWith("index")) return t.substring(0, t.length() - 5) + "indexes";
        if (t.endsWith("y")) return t.substring(0, t.length() - 1) + "ies";
        return t.endsWith("s") ? t : t + "s";
    }

    // ---- formatting -----------------------------------------------------------------------------

    static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    private static Double round(Double v) {
        if (v == null) return null;
        return Math.abs(v) >= 100 ? Math.rint(v) : Math.rint(v * 100) / 100;
    }
}
