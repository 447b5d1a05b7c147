package dev.datainsight.collector.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The shape of an {@code EXPLAIN (FORMAT JSON)} plan: its fingerprint and a one-line summary.
 *
 * <p>The fingerprint is the first 16 hex digits of the SHA-256 of a canonical text of the plan
 * tree that keeps only what makes it <em>that</em> plan: per node, in tree order (children in
 * plan order, so join order counts), its {@link #SHAPE_KEYS} — node type, join type, strategy,
 * parent relationship, relation (with schema), index, CTE, function, subplan name, scan direction,
 * operation. Costs, row and width estimates, conditions, output lists and every ANALYZE number are
 * left out, so the same plan with new estimates (after ANALYZE, as the table grows) has the same
 * fingerprint, while a different access path, join order or join method has another.
 */
public record PlanShape(String fingerprint, String summary, Double totalCost) {

    /** The node keys a fingerprint depends on, in the order they are written. */
    public static final List<String> SHAPE_KEYS = List.of("Node Type", "Join Type", "Strategy", "Partial Mode",
            "Parent Relationship", "Subplan Name", "Operation", "Scan Direction", "Schema", "Relation Name", "Index Name",
            "CTE Name", "Function Name");

    /** Longest summary, in characters. */
    public static final int MAX_SUMMARY = 500;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The shape of an EXPLAIN JSON document ({@code [{"Plan": {...}, ...}]}). */
    public static PlanShape of(String explainJson) throws IOException {
        JsonNode root = MAPPER.readTree(explainJson);
        return of(root);
    }

    /** The shape of a parsed EXPLAIN JSON document. */
    public static PlanShape of(JsonNode root) {
        JsonNode plan = root.isArray() ? root.path(0).path("Plan") : root.path("Plan");
        if (plan.isMissingNode()) {
            throw new IllegalArgumentException("not an EXPLAIN (FORMAT JSON) document: no Plan");
        }
        StringBuilder canon = new StringBuilder();
        canonical(plan, canon);
        StringBuilder sum = new StringBuilder();
        summary(plan, sum);
        String s = sum.length() > MAX_SUMMARY ? sum.substring(0, MAX_SUMMARY - 1) + "…" : sum.toString();
        JsonNode cost = plan.get("Total Cost");
        return new PlanShape(hash(canon.toString()), s, cost != null && cost.isNumber() ? cost.asDouble() : null);
    }

    private static void canonical(JsonNode node, StringBuilder out) {
        out.append('{');
        for (String k : SHAPE_KEYS) {
            JsonNode v = node.get(k);
            if (v != null && !v.isNull()) {
                out.append(k).append('=').append(v.asText().replace("\\", "\\\\").replace(";", "\\;")).append(';');
            }
        }
        JsonNode kids = node.get("Plans");
        if (kids != null && kids.isArray()) {
            out.append('[');
            for (JsonNode k : kids) {
                canonical(k, out);
            }
            out.append(']');
        }
        out.append('}');
    }

    /** One node in words: {@code Index Scan using orders_pkey on orders}. */
    public static String describe(JsonNode node) {
        String type = node.path("Node Type").asText("?");
        if ("ModifyTable".equals(type) && node.hasNonNull("Operation")) {
            type = node.get("Operation").asText(); // as EXPLAIN's text format: "Update on t"
        }
        StringBuilder b = new StringBuilder(type);
        if (node.hasNonNull("Join Type") && !"Inner".equals(node.get("Join Type").asText())) {
            b.append(" (").append(node.get("Join Type").asText()).append(')');
        }
        if (node.hasNonNull("Strategy") && "Aggregate".equals(node.path("Node Type").asText())
                && !"Plain".equals(node.get("Strategy").asText())) {
            // as EXPLAIN's text format: HashAggregate, GroupAggregate, MixedAggregate; plain: Aggregate
            String st = node.get("Strategy").asText();
            b.replace(0, b.indexOf("Aggregate") + "Aggregate".length(), switch (st) {
                case "Hashed" -> "HashAggregate";
                case "Sorted" -> "GroupAggregate";
                case "Mixed" -> "MixedAggregate";
                default -> st + " Aggregate";
            });
        }
        if (node.hasNonNull("Index Name")) {
            b.append(" using ").append(node.get("Index Name").asText());
        }
        if (node.hasNonNull("Relation Name")) {
            b.append(" on ").append(node.get("Relation Name").asText());
        } else if (node.hasNonNull("CTE Name")) {
            b.append(" on ").append(node.get("CTE Name").asText());
        } else if (node.hasNonNull("Function Name")) {
            b.append(" on ").append(node.get("Function Name").asText()).append("()");
        }
        return b.toString();
    }

    private static void summary(JsonNode node, StringBuilder out) {
        if (out.length() > MAX_SUMMARY) {
            return;
        }
        out.append(describe(node));
        JsonNode kids = node.get("Plans");
        if (kids != null && kids.isArray() && !kids.isEmpty()) {
            out.append('(');
            boolean first = true;
            for (JsonNode k : kids) {
                if (!first) {
                    out.append(", ");
                }
                first = false;
                summary(k, out);
            }
            out.append(')');
        }
    }

    private static String hash(String canonical) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
