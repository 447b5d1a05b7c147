package dev.datainsight.cli.inspect;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.datainsight.console.Trends;
import java.io.IOException;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import dev.datainsight.cli.ReaderLoginOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code datainsight inspect trends}: the console's Trends page in the terminal — this week against
 * the previous one for an instance (or the fleet), most changed first, computed in SQL from the
 * store's hourly rollups by {@link Trends}. Reads the store as {@code datainsight_reader}
 * (read-only transactions, one connection), like {@code serve}.
 */
@Command(name = "trends", mixinStandardHelpOptions = true,
        description = {"Week over week from the store: what changed most on an instance (or the whole fleet without --instance),",
            "e.g. \"cache hit ratio 95.0% → 75.0% (-21%) since Tue 14:00\". Reads the hourly rollups as datainsight_reader."})
public final class InspectTrendsCommand implements Callable<Integer> {

    @Mixin
    ReaderLoginOptions login = new ReaderLoginOptions();

    @Option(names = "--instance", paramLabel = "NAME", description = "The instance; without it, every instance and the fleet as a whole.")
    String instance;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "Rows at most. Default: ${DEFAULT-VALUE}")
    int limit;

    @Option(names = "--json", description = "Print JSON (for scripts) instead of the table.")
    boolean json;

    @Spec
    CommandSpec spec;

    /** The time "now" is taken at; a test may set it. */
    Instant now = null;

    private static final DateTimeFormatter SINCE = DateTimeFormatter.ofPattern("EEE HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!login.hasStore()) {
            err.println("error: no store given: pass --store jdbc:postgresql://host:port/db or set DATAINSIGHT_STORE_URL");
            err.flush();
            return 2;
        }
        if (limit < 1 || limit > 10_000) {
            err.println("error: --limit must be 1 to 10000");
            err.flush();
            return 2;
        }
        Instant at = now == null ? Instant.now() : now;
        List<Trends.Row> rows;
        try (Connection c = Trends.connectAsReader(login.store(), login.user(), login.password())) {
            if (instance != null && !Trends.instanceExists(c, instance)) {
                err.println("error: no instance " + printable(instance) + " in the store");
                err.flush();
                return 1;
            }
            rows = Trends.weekOverWeek(c, instance, at, limit);
        } catch (SQLException e) {
            err.println("error: " + printable(e.getMessage()));
            err.flush();
            return 1;
        }
        if (json) {
            out.println(json(rows, at));
        } else {
            printTable(out, rows, at);
        }
        out.flush();
        return 0;
    }

    private void printTable(PrintWriter out, List<Trends.Row> rows, Instant at) {
        out.println((instance == null ? "fleet" : printable(instance)) + ": week over week (this week " + TIME.format(Trends.weekStart(at))
                + " to " + TIME.format(at) + " against the 7 days before), most changed first");
        if (rows.isEmpty()) {
            out.println("no two weeks of hourly rollups to compare yet");
            return;
        }
        List<String> header = new ArrayList<>();
        if (instance == null) header.add("INSTANCE");
        header.addAll(List.of("WHAT", "PREVIOUS WEEK", "THIS WEEK", "CHANGE", "SINCE", "QUERY"));
        List<List<String>> table = new ArrayList<>();
        table.add(header);
        for (Trends.Row r : rows) {
            List<String> line = new ArrayList<>();
            if (instance == null) line.add(r.instance() == null ? "(fleet)" : printable(r.instance()));
            line.add(r.metric() == Trends.Metric.QUERY_MEAN_TIME ? r.metric().title + " " + printable(r.subject()) : r.metric().title);
            line.add(Trends.format(r.metric().unit, r.previousWeek()));
            line.add(Trends.format(r.metric().unit, r.thisWeek()));
            line.add(r.changeText());
            line.add(r.changeAt() == null ? "-" : SINCE.format(r.changeAt()) + " (" + Trends.format(r.metric().unit, r.before()) + " → "
                    + Trends.format(r.metric().unit, r.after()) + ")");
            line.add(r.query() == null ? "" : abbreviate(printable(r.query()).replaceAll("\\s+", " "), 60));
            table.add(line);
        }
        int[] width = new int[header.size()];
        for (List<String> line : table) {
            for (int i = 0; i < line.size(); i++) {
                width[i] = Math.max(width[i], line.get(i).codePointCount(0, line.get(i).length()));
            }
        }
        for (List<String> line : table) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < line.size(); i++) {
                String cell = line.get(i);
                b.append(cell);
                if (i < line.size() - 1) {
                    b.append(" ".repeat(width[i] - cell.codePointCount(0, cell.length()) + 2));
                }
            }
            out.println(b.toString().stripTrailing());
        }
    }

    private String json(List<Trends.Row> rows, Instant at) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instance", instance);
        body.put("from", Trends.weekStart(at).minus(Duration.ofDays(7)).toString());
        body.put("weekStart", Trends.weekStart(at).toString());
        body.put("to", at.toString());
        List<Map<String, Object>> list = new ArrayList<>();
        for (Trends.Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("instance", r.instance());
            m.put("metric", r.metric().key);
            m.put("unit", r.metric().unit);
            m.put("subject", r.subject().isEmpty() ? null : r.subject());
            m.put("query", r.query());
            m.put("previousWeek", r.previousWeek());
            m.put("thisWeek", r.thisWeek());
            m.put("relativeChange", r.relativeChange());
            m.put("changeAt", r.changeAt() == null ? null : r.changeAt().toString());
            m.put("before", r.before());
            m.put("after", r.after());
            m.put("sentence", r.sentence());
            list.add(m);
        }
        body.put("rows", list);
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(body);
    }

    /**
     * Store text as it may reach a terminal: instance names and query texts come from monitored
     * servers, so control characters (escape sequences that could rewrite the screen) are shown as
     * {@code \\uXXXX} instead of being sent.
     */
    static String printable(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (cp == '\n' || cp == '\t') {
                b.append(' ');
            } else if (Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT) {
                b.append(String.format(Locale.ROOT, "\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }

    private static String abbreviate(String s, int max) {
        return s.codePointCount(0, s.length()) <= max ? s : s.substring(0, s.offsetByCodePoints(0, max - 1)) + "…";
    }
}
