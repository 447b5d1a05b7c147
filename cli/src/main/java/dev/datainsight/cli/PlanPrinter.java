package dev.datainsight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.datainsight.collector.probe.PlanShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints an {@code EXPLAIN (FORMAT JSON)} plan as an indented tree, one node a line with its
 * estimates (and actual numbers under ANALYZE) and its conditions below it. The hot nodes are
 * marked {@code ◀ hot}: those whose own share (the node's cost or time minus its children's) is
 * at least {@value #HOT_SHARE_PERCENT} % of the whole, or the single largest one. With ANALYZE the
 * share is of actual time (total time × loops), otherwise of estimated total cost. Texts from the
 * server (relation names, conditions) are untrusted: control characters become spaces.
 */
final class PlanPrinter {
    static final int HOT_SHARE_PERCENT = 30;
    private static final List<String> DETAIL_KEYS = List.of("Index Cond", "Recheck Cond", "Hash Cond", "Merge Cond",
            "Join Filter", "Filter", "Sort Key", "Group Key", "Sort Method", "Rows Removed by Filter");

    private record Node(JsonNode json, int depth, double self) {}

    private PlanPrinter() {}

    /** The printed tree of an EXPLAIN JSON document. */
    static String print(JsonNode explain, boolean analyze) {
        JsonNode top = explain.isArray() ? explain.get(0) : explain;
        JsonNode root = top.get("Plan");
        List<Node> nodes = new ArrayList<>();
        walk(root, 0, analyze, nodes);
        double total = 0;
        double max = 0;
        for (Node n : nodes) {
            total += Math.max(0, n.self);
            max = Math.max(max, n.self);
        }
        StringBuilder out = new StringBuilder();
        PlanShape shape = PlanShape.of(explain);
        out.append("plan fingerprint ").append(shape.fingerprint()).append('\n');
        for (Node n : nodes) {
            String pad = "  ".repeat(n.depth);
            JsonNode j = n.json;
            out.append(pad).append(n.depth == 0 ? "" : "-> ").append(clean(PlanShape.describe(j)));
            out.append(String.format(Locale.ROOT, "  (cost=%.2f..%.2f rows=%s width=%s)", j.path("Startup Cost").asDouble(),
                    j.path("Total Cost").asDouble(), j.path("Plan Rows").asText(), j.path("Plan Width").asText()));
            if (analyze && j.has("Actual Total Time")) {
                out.append(String.format(Locale.ROOT, " (actual time=%.3f..%.3f rows=%s loops=%s)",
                        j.path("Actual Startup Time").asDouble(), j.path("Actual Total Time").asDouble(),
                        j.path("Actual Rows").asText(), j.path("Actual Loops").asText()));
            }
            double share = total > 0 ? 100 * Math.max(0, n.self) / total : 0;
            if (total > 0 && (share >= HOT_SHARE_PERCENT || n.self == max)) {
                out.append(String.format(Locale.ROOT, "  ◀ hot: %.0f%% of the %s", share, analyze ? "time" : "cost"));
            }
            out.append('\n');
            for (String k : DETAIL_KEYS) {
                JsonNode v = j.get(k);
                if (v != null && !v.isNull()) {
                    String text = v.isArray() ? join(v) : v.asText();
                    out.append(pad).append(n.depth == 0 ? "  " : "     ").append(k).append(": ").append(clean(text)).append('\n');
                }
            }
        }
        if (top.has("Planning Time")) {
            out.append(String.format(Locale.ROOT, "Planning Time: %.3f ms%n", top.get("Planning Time").asDouble()));
        }
        if (top.has("Execution Time")) {
            out.append(String.format(Locale.ROOT, "Execution Time: %.3f ms%n", top.get("Execution Time").asDouble()));
        }
        JsonNode settings = top.get("Settings");
        if (settings != null && settings.isObject() && settings.size() > 0) {
            List<String> s = new ArrayList<>();
            settings.fields().forEachRemaining(e -> s.add(e.getKey() + " = " + e.getValue().asText()));
            out.append("Settings: ").append(clean(String.join(", ", s))).append('\n');
        }
        return out.toString();
    }

    private static double walk(JsonNode node, int depth, boolean analyze, List<Node> out) {
        int at = out.size();
        out.add(null);
        double childSum = 0;
        JsonNode kids = node.get("Plans");
        if (kids != null) {
            for (JsonNode k : kids) {
                childSum += walk(k, depth + 1, analyze, out);
            }
        }
        double mine = analyze && node.has("Actual Total Time")
                ? node.get("Actual Total Time").asDouble() * Math.max(1, node.path("Actual Loops").asDouble(1))
                : node.path("Total Cost").asDouble();
        out.set(at, new Node(node, depth, mine - childSum));
        return mine;
    }

    private static String join(JsonNode arr) {
        List<String> l = new ArrayList<>();
        arr.forEach(x -> l.add(x.asText()));
        return String.join(", ", l);
    }

    /** Control and format characters from the server become spaces. */
    static String clean(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            int t = Character.getType(cp);
            b.appendCodePoint(Character.isISOControl(cp) || t == Character.FORMAT ? ' ' : cp);
        });
        return b.toString();
    }
}
