package dev.datainsight.cli;

import dev.datainsight.cli.inspect.OutputOptions;
import dev.datainsight.cli.inspect.SafeJson;
import dev.datainsight.cli.inspect.Table;
import dev.datainsight.cli.inspect.Terminal;
import dev.datainsight.console.StoreReader;
import dev.datainsight.console.StoreReader.PlanRow;
import dev.datainsight.console.StoreReader.QueryOrder;
import dev.datainsight.console.StoreReader.QueryRow;
import dev.datainsight.console.Trends;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code datainsight queries}: the console's Queries list in the terminal, from the store — top
 * statements of an instance or the fleet since a time, with their text, class (steady/spiky),
 * regression against the 7 days before, their plan changes when the store keeps plans, and their
 * open recommendations with confidence when it keeps those ({@code recommendation}, V12). Reads
 * as {@code datainsight_reader} with {@link StoreReader#queries} (the console's SQL, one
 * connection).
 */
@Command(name = "queries", mixinStandardHelpOptions = true,
        description = {"Top statements from the store: text, calls, total and mean time, steady or spiky, regression against",
            "the 7 days before, plan changes (when the store keeps plans). Reads as datainsight_reader."})
public final class QueriesCommand implements Callable<Integer> {

    @Mixin
    ReaderLoginOptions login = new ReaderLoginOptions();

    @Option(names = "--instance", paramLabel = "NAME", description = "One instance; without it, the whole fleet.")
    String instance;

    @Option(names = "--since", paramLabel = "DURATION", defaultValue = "24h",
            description = "How far back (from the hour it falls in; at most 90d, the hourly rollups' retention). Default: ${DEFAULT-VALUE}")
    Duration since;

    @Option(names = "--order", paramLabel = "ORDER", defaultValue = "total",
            description = "total, mean, calls or regression. Default: ${DEFAULT-VALUE}")
    String order;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "Rows at most (1 to 500). Default: ${DEFAULT-VALUE}")
    int limit;

    @Mixin
    OutputOptions output = new OutputOptions();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** The time "now" is taken at; a test may set it. */
    Instant now = null;

    /** An open recommendation of a statement ({@code recommendation}, most confident first). */
    record Advice(String kind, String target, double confidence, String summary, String action, String validated) {}

    /** A listed statement, its plans and its open recommendations (null: the store keeps none). */
    record Listed(QueryRow row, List<PlanRow> plans, List<Advice> advice) {
        Integer planChanges() {
            return plans == null ? null : Math.max(0, plans.size() - 1);
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!login.hasStore()) {
            return fail(err, 2, "no store given: pass --store jdbc:postgresql://host:port/db or set DATAINSIGHT_STORE_URL");
        }
        if (limit < 1 || limit > 500) {
            return fail(err, 2, "--limit must be 1 to 500");
        }
        if (since.isNegative() || since.isZero() || since.compareTo(Duration.ofDays(90)) > 0) {
            return fail(err, 2, "--since must be more than 0 and at most 90d");
        }
        QueryOrder o = QueryOrder.parse(order);
        if (!o.name().toLowerCase(Locale.ROOT).equals(order)) {
            return fail(err, 2, "--order must be total, mean, calls or regression");
        }
        Instant at = now == null ? Instant.now() : now;
        Instant from = at.minus(since).truncatedTo(ChronoUnit.HOURS);
        List<Listed> listed = new ArrayList<>();
        try (Connection c = Trends.connectAsReader(login.store(), login.user(), login.password())) {
            if (instance != null && !Trends.instanceExists(c, instance)) {
                return fail(err, 1, "no instance " + Terminal.safe(instance) + " in the store");
            }
            boolean recommendations = hasRecommendations(c);
            for (QueryRow r : StoreReader.queries(c, instance, null, from, at, o, limit)) {
                Optional<List<PlanRow>> plans = StoreReader.plans(c, r.instance(), r.queryid());
                listed.add(new Listed(r, plans.orElse(null), recommendations ? advice(c, r.instance(), r.queryid()) : null));
            }
        } catch (SQLException e) {
            return fail(err, 1, Terminal.safe(e.getMessage()));
        }
        if (OutputOptions.json(output, null)) {
            out.println(json(listed, from, at, o));
        } else {
            print(new Terminal(out, Terminal.colourWanted(OutputOptions.color(output, null), Terminal.stdoutIsTerminal(), System.getenv())), listed, from, at, o);
        }
        out.flush();
        return 0;
    }

    /** Whether the store has the recommendation table (V12 and later). */
    static boolean hasRecommendations(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass('recommendation') IS NOT NULL");
                ResultSet rs = ps.executeQuery()) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    /** The statement's open recommendations, most confident first. */
    static List<Advice> advice(Connection c, String instance, String queryid) throws SQLException {
        List<Advice> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT kind, target, confidence, summary, action, validated"
                + " FROM recommendation WHERE instance = ? AND queryid = ? AND status = 'open'"
                + " ORDER BY confidence DESC, dedup_key LIMIT 20")) {
            ps.setString(1, instance);
            ps.setString(2, queryid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Advice(rs.getString(1), rs.getString(2), rs.getDouble(3), rs.getString(4), rs.getString(5),
                            rs.getString(6)));
                }
            }
        }
        return out;
    }

    private static int fail(PrintWriter err, int code, String message) {
        err.println("error: " + message);
        err.flush();
        return code;
    }

    private void print(Terminal t, List<Listed> listed, Instant from, Instant at, QueryOrder o) {
        t.println((instance == null ? "fleet" : Terminal.safe(instance)) + ": top statements by " + o.name().toLowerCase(Locale.ROOT)
                + " from " + from + " to " + at.truncatedTo(ChronoUnit.SECONDS) + " (hourly statement rollups; regression against the 7 days before)");
        if (listed.isEmpty()) {
            t.println("no statements in this range");
            return;
        }
        boolean plans = listed.stream().anyMatch(l -> l.plans() != null);
        boolean advice = listed.stream().anyMatch(l -> l.advice() != null);
        List<String> headers = new ArrayList<>();
        if (instance == null) {
            headers.add("INSTANCE");
        }
        headers.addAll(List.of("QUERYID", "CALLS", "TOTAL", "MEAN", "CLASS", "REGRESSION"));
        if (plans) {
            headers.add("PLAN CHANGES");
        }
        if (advice) {
            headers.add("RECOMMENDED");
        }
        headers.add("QUERY");
        Table table = new Table(headers.toArray(String[]::new));
        for (Listed l : listed) {
            QueryRow r = l.row();
            List<String> cells = new ArrayList<>();
            if (instance == null) {
                cells.add(Terminal.safe(r.instance()));
            }
            cells.add(Terminal.safe(r.queryid()));
            cells.add(Terminal.count(Math.round(r.calls())));
            cells.add(Terminal.millis(r.totalMs()));
            cells.add(r.meanMs() == null ? "-" : Terminal.millis(r.meanMs()));
            cells.add(r.spread() == null ? "-" : r.spread());
            cells.add(r.regression() == null ? "-" : String.format(Locale.ROOT, "×%.2f", r.regression()));
            if (plans) {
                cells.add(l.planChanges() == null ? "-" : Integer.toString(l.planChanges()));
            }
            if (advice) {
                cells.add(l.advice() == null || l.advice().isEmpty() ? "-" : Terminal.safe(l.advice().get(0).kind())
                        + String.format(Locale.ROOT, " %.2f", l.advice().get(0).confidence())
                        + (l.advice().size() > 1 ? " +" + (l.advice().size() - 1) : ""));
            }
            cells.add(r.query() == null ? "(no text stored)" : Terminal.safe(r.query(), 70));
            table.row(cells.toArray(String[]::new));
        }
        table.print(t);
        if (listed.stream().anyMatch(l -> l.advice() != null && !l.advice().isEmpty())) {
            t.println("open recommendations (confidence in [0, 1], computed from the evidence: see docs/plans.md):");
            for (Listed l : listed) {
                if (l.advice() == null) {
                    continue;
                }
                for (Advice a : l.advice()) {
                    t.println("  " + (instance == null ? Terminal.safe(l.row().instance()) + " " : "") + Terminal.safe(l.row().queryid())
                            + "  " + Terminal.safe(a.kind()) + String.format(Locale.ROOT, " %.2f  ", a.confidence())
                            + Terminal.safe(a.summary(), 200));
                    if (a.action() != null) {
                        t.println("      " + Terminal.safe(a.action(), 200) + "  [" + Terminal.safe(a.validated()) + "]");
                    }
                }
            }
        }
    }

    private String json(List<Listed> listed, Instant from, Instant at, QueryOrder o) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instance", instance);
        body.put("from", from.toString());
        body.put("to", at.toString());
        body.put("order", o.name().toLowerCase(Locale.ROOT));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Listed l : listed) {
            QueryRow r = l.row();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("instance", r.instance());
            m.put("queryid", r.queryid());
            m.put("databases", r.datnames());
            m.put("roles", r.rolnames());
            m.put("calls", r.calls());
            m.put("totalTimeMs", r.totalMs());
            m.put("meanTimeMs", r.meanMs());
            m.put("stddevTimeMs", r.stddevMs());
            m.put("maxTimeMs", r.maxMs());
            m.put("rows", r.rows());
            m.put("class", r.spread());
            m.put("baselineMeanTimeMs", r.baselineMeanMs());
            m.put("regression", r.regression());
            m.put("planChanges", l.planChanges());
            if (l.advice() != null) {
                List<Map<String, Object>> as = new ArrayList<>();
                for (Advice a : l.advice()) {
                    Map<String, Object> am = new LinkedHashMap<>();
                    am.put("kind", a.kind());
                    am.put("target", a.target());
                    am.put("confidence", a.confidence());
                    am.put("summary", a.summary());
                    am.put("action", a.action());
                    am.put("validated", a.validated());
                    as.add(am);
                }
                m.put("recommendations", as);
            }
            if (l.plans() != null) {
                List<Map<String, Object>> ps = new ArrayList<>();
                for (PlanRow p : l.plans()) {
                    Map<String, Object> pm = new LinkedHashMap<>();
                    pm.put("fingerprint", p.fingerprint());
                    pm.put("summary", p.summary());
                    pm.put("totalCost", p.totalCost());
                    pm.put("firstSeen", p.firstSeen() == null ? null : p.firstSeen().toString());
                    pm.put("lastSeen", p.lastSeen() == null ? null : p.lastSeen().toString());
                    ps.add(pm);
                }
                m.put("plans", ps);
            }
            m.put("query", r.query());
            rows.add(m);
        }
        body.put("rows", rows);
        return SafeJson.mapper().writeValueAsString(body);
    }
}
