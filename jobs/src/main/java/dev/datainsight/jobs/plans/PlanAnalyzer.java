package dev.datainsight.jobs.plans;

import com.fasterxml.jackson.databind.JsonNode;
import dev.datainsight.model.WireCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The deterministic plan analysis (issue 16, section 3): reads one captured plan ({@code EXPLAIN
 * (GENERIC_PLAN, FORMAT JSON, VERBOSE, SETTINGS)}, never ANALYZE) and what the job knows about the
 * statement, and returns findings, each with its evidence, a confidence computed from that
 * evidence and a stable dedup key. Pure: no I/O, no state; the formulas are in docs/plans.md.
 *
 * <ul>
 *   <li><b>index</b> — a Seq Scan on a relation of at least {@link #MIN_SCAN_SIZE} pages (or cost
 *       units, when the relation's size is not known) with a Filter whose conjuncts are plain
 *       comparisons of one of its columns with a parameter or constant: an index on the
 *       equality columns (in the Filter's order), then the first range column. Confidence
 *       {@code S × F × P}: size {@code S = clamp(log10(size) / 5)}, selectivity {@code F = 1 −
 *       rows/relation rows} (0.5 when the relation's rows are not known), parse completeness
 *       {@code P = usable conjuncts / conjuncts}. Not made when the filter keeps more than
 *       {@link #MAX_SELECTIVITY} of the rows.</li>
 *   <li><b>work_mem</b> — the statement writes temp blocks (pg_stat_statements, per call) and the
 *       plan has a node that can spill (Sort, Incremental Sort, Hash, hashed Aggregate,
 *       Materialize): work_mem that would fit is twice the temp bytes per call rounded up to a
 *       power of two in MB. Confidence {@code clamp(temp per call / work_mem) × clamp(log10(1 +
 *       calls) / 2)}.</li>
 *   <li><b>analyze</b> — a relation the plan reads has, per the tables probe, at least
 *       {@link #MIN_MODS} rows changed since its last analyze and at least {@link #MIN_MOD_SHARE}
 *       of its rows (twice autovacuum's default analyze scale factor: autoanalyze is behind), so
 *       the estimates the plan was chosen on are stale. Confidence {@code clamp((mods / rows − 0.1)
 *       / 0.9)}: 0 at autoanalyze's own default threshold, 1 once the changes reach the table's
 *       size.</li>
 * </ul>
 */
public final class PlanAnalyzer {
    /** Smallest scan worth an index: pages of the relation (or, without its size, the scan's cost). */
    public static final double MIN_SCAN_SIZE = 100;
    /** A filter keeping more than this share of the rows does not make an index finding. */
    public static final double MAX_SELECTIVITY = 0.2;
    /** Selectivity factor when the relation's row count is unknown. */
    public static final double UNKNOWN_SELECTIVITY = 0.5;
    /** PostgreSQL's default work_mem, taken when the plan's SETTINGS do not list it. */
    public static final long DEFAULT_WORK_MEM = 4L << 20;
    /** The analyze finding: changed rows since the last analyze, at least this many and this share. */
    public static final double MIN_MODS = 1000;
    public static final double MIN_MOD_SHARE = 0.2;
    public static final String NOT_VALIDATED = "not validated (hypopg absent)";
    static final int BLOCK = 8192;

    private PlanAnalyzer() {}

    /** A finding; {@code key} is stable for the same advice on the same statement. */
    public record Finding(String kind, String key, String target, double confidence, String summary, String action,
            Map<String, Object> evidence) {}

    /** What the tables probe says of a relation (null fields when not known). */
    public record RelationStats(Double liveTuples, Double tableBytes, Double modsSinceAnalyze) {}

    /** The statement's cumulative pg_stat_statements counters (summed over roles). */
    public record StatementStats(double calls, double tempBlksWritten) {}

    /**
     * @param planJson the EXPLAIN JSON text (a cut plan, or anything not JSON, gives no findings)
     * @param relations stats per {@code schema.relation}, may be empty
     * @param statement the statement's counters, or null
     * @return the findings, or null when the plan could not be read (then nothing is closed either)
     */
    public static List<Finding> analyze(String datname, String queryid, String planJson,
            Map<String, RelationStats> relations, StatementStats statement) {
        JsonNode root = parse(planJson);
        if (root == null) {
            return null;
        }
        List<Finding> out = new ArrayList<>();
        List<JsonNode> nodes = new ArrayList<>();
        collect(root.path("Plan"), nodes);
        Map<String, Finding> indexes = new LinkedHashMap<>();
        for (JsonNode n : nodes) {
            Finding f = indexFinding(datname, queryid, n, relations);
            if (f != null && !indexes.containsKey(f.key())) {
                indexes.put(f.key(), f);
            }
        }
        out.addAll(indexes.values());
        Finding w = workMemFinding(datname, queryid, root, nodes, statement);
        if (w != null) {
            out.add(w);
        }
        Set<String> read = new LinkedHashSet<>();
        for (JsonNode n : nodes) {
            if (n.hasNonNull("Relation Name")) {
                String schema = n.path("Schema").asText("");
                String rel = n.path("Relation Name").asText();
                read.add(schema.isEmpty() ? rel : schema + "." + rel);
            }
        }
        for (String rel : read) {
            Finding a = analyzeFinding(datname, queryid, rel, relations == null ? null : relations.get(rel));
            if (a != null) {
                out.add(a);
            }
        }
        return out;
    }

    /** The first plan of an EXPLAIN (FORMAT JSON) text, or null. */
    static JsonNode parse(String planJson) {
        if (planJson == null || planJson.isBlank()) {
            return null;
        }
        try {
            JsonNode t = WireCodec.mapper().readTree(planJson);
            JsonNode first = t != null && t.isArray() && !t.isEmpty() ? t.get(0) : t;
            return first != null && first.path("Plan").isObject() ? first : null;
        } catch (Exception e) {
            return null;
        }
    }

    static void collect(JsonNode n, List<JsonNode> out) {
        if (n == null || !n.isObject()) {
            return;
        }
        out.add(n);
        for (JsonNode c : n.path("Plans")) {
            collect(c, out);
        }
    }

    // ---- index ------------------------------------------------------------------------------

    static Finding indexFinding(String datname, String queryid, JsonNode n, Map<String, RelationStats> relations) {
        if (!"Seq Scan".equals(n.path("Node Type").asText()) || !n.hasNonNull("Filter") || !n.hasNonNull("Relation Name")) {
            return null;
        }
        String rel = n.path("Relation Name").asText();
        String schema = n.path("Schema").asText("");
        String alias = n.path("Alias").asText(rel);
        String qualified = schema.isEmpty() ? rel : schema + "." + rel;
        Filter f = Filter.parse(n.path("Filter").asText(), alias, rel);
        List<String> columns = f.indexColumns();
        if (columns.isEmpty()) {
            return null;
        }
        double planRows = n.path("Plan Rows").asDouble(Double.NaN);
        double cost = n.path("Total Cost").asDouble(Double.NaN);
        RelationStats stats = relations == null ? null : relations.get(qualified);
        Double pages = stats != null && stats.tableBytes() != null ? stats.tableBytes() / BLOCK : null;
        double size = pages != null ? pages : cost;
        if (!(size >= MIN_SCAN_SIZE)) {
            return null;
        }
        Double relRows = stats == null ? null : stats.liveTuples();
        double selectivity;
        Double share = null;
        if (relRows != null && relRows > 0 && planRows >= 0) {
            share = Math.min(1, planRows / relRows);
            if (share > MAX_SELECTIVITY) {
                return null;
            }
            selectivity = 1 - share;
        } else {
            selectivity = UNKNOWN_SELECTIVITY;
        }
        double sizeFactor = clamp(Math.log10(size) / 5);
        double parseFactor = (double) f.usable / f.conjuncts;
        double confidence = round2(sizeFactor * selectivity * parseFactor);

        String cols = String.join(", ", quoteAll(columns));
        String target = qualified + " (" + String.join(", ", columns) + ")";
        String action = "CREATE INDEX CONCURRENTLY ON " + quoteQualified(schema, rel) + " (" + cols + ")";
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("relation", qualified);
        ev.put("columns", columns);
        ev.put("filter", n.path("Filter").asText());
        ev.put("plan_rows", planRows);
        ev.put("scan_cost", cost);
        if (pages != null) {
            ev.put("relation_pages", Math.round(pages));
        }
        if (relRows != null) {
            ev.put("relation_rows", relRows);
        }
        if (share != null) {
            ev.put("row_share", share);
        }
        ev.put("conjuncts", f.conjuncts);
        ev.put("usable_conjuncts", f.usable);
        ev.put("size_factor", round2(sizeFactor));
        ev.put("selectivity_factor", round2(selectivity));
        ev.put("parse_factor", round2(parseFactor));
        ev.put("formula", "confidence = size_factor × selectivity_factor × parse_factor");
        String sizeText = pages != null ? Math.round(pages) + " pages" : "cost " + Math.round(cost);
        String summary = "Seq Scan on " + qualified + " (" + sizeText
                + (relRows != null ? ", " + Math.round(relRows) + " rows" : "") + ") filtered by "
                + String.join(", ", columns) + ": an index on (" + String.join(", ", columns)
                + ") would read only the matching rows";
        return new Finding("index", "index|" + datname + "|" + queryid + "|" + target, target, confidence, summary, action, ev);
    }

    /** A Seq Scan's Filter, read conservatively: top-level AND of column-vs-value comparisons. */
    static final class Filter {
        private static final String IDENT = "(?:\"(?:[^\"]|\"\")+\"|[a-z_][a-z0-9_$]*)";
        private static final String VALUE = "(?:\\$\\d+|'(?:[^']|'')*'|-?\\d+(?:\\.\\d+)?)(?:::[a-z_][a-z0-9_ ]*(?:\\[\\])?)?";
        private static final Pattern COLUMN_FIRST = Pattern.compile(
                "^(?:(" + IDENT + ")\\.)?(" + IDENT + ") (=|<|<=|>|>=) (?:ANY \\((" + VALUE + ")\\)|(" + VALUE + "))$");
        private static final Pattern VALUE_FIRST = Pattern.compile(
                "^(" + VALUE + ") (=|<|<=|>|>=) (?:(" + IDENT + ")\\.)?(" + IDENT + ")$");

        final int conjuncts;
        int usable;
        final Set<String> equality = new LinkedHashSet<>();
        final Set<String> range = new LinkedHashSet<>();

        private Filter(int conjuncts) {
            this.conjuncts = conjuncts;
        }

        static Filter parse(String text, String alias, String rel) {
            List<String> parts = splitAnd(unwrap(text.trim()));
            Filter f = new Filter(Math.max(1, parts.size()));
            for (String p : parts) {
                String c = unwrap(p.trim());
                Matcher m = COLUMN_FIRST.matcher(c);
                String qualifier;
                String column;
                String op;
                if (m.matches()) {
                    qualifier = m.group(1);
                    column = m.group(2);
                    op = m.group(3);
                } else {
                    m = VALUE_FIRST.matcher(c);
                    if (!m.matches()) {
                        continue;
                    }
                    qualifier = m.group(3);
                    column = m.group(4);
                    op = flip(m.group(2));
                }
                if (qualifier != null && !unquote(qualifier).equals(alias) && !unquote(qualifier).equals(rel)) {
                    continue;
                }
                String col = unquote(column);
                f.usable++;
                if (op.equals("=")) {
                    f.equality.add(col);
                } else {
                    f.range.add(col);
                }
            }
            return f;
        }

        /** Equality columns in the Filter's order, then the first range column not among them. */
        List<String> indexColumns() {
            List<String> cols = new ArrayList<>(equality);
            for (String r : range) {
                if (!equality.contains(r)) {
                    cols.add(r);
                    break;
                }
            }
            return cols;
        }

        private static String flip(String op) {
            return switch (op) {
                case "<" -> ">";
                case "<=" -> ">=";
                case ">" -> "<";
                case ">=" -> "<=";
                default -> op;
            };
        }

        /** Removes parentheses that enclose the whole text. */
        static String unwrap(String s) {
            while (s.length() >= 2 && s.charAt(0) == '(' && closing(s, 0) == s.length() - 1) {
                s = s.substring(1, s.length() - 1).trim();
            }
            return s;
        }

        /** The index of the parenthesis closing the one at {@code open}, skipping quotes; -1 if none. */
        private static int closing(String s, int open) {
            int depth = 0;
            for (int i = open; i < s.length(); i++) {
                char ch = s.charAt(i);
                if (ch == '\'' || ch == '"') {
                    i = s.indexOf(ch, i + 1);
                    if (i < 0) {
                        return -1;
                    }
                } else if (ch == '(') {
                    depth++;
                } else if (ch == ')' && --depth == 0) {
                    return i;
                }
            }
            return -1;
        }

        /** Splits on AND at depth 0, outside quotes; an OR at depth 0 makes the whole one unusable part. */
        static List<String> splitAnd(String s) {
            List<String> parts = new ArrayList<>();
            int depth = 0;
            int start = 0;
            for (int i = 0; i < s.length(); i++) {
                char ch = s.charAt(i);
                if (ch == '\'' || ch == '"') {
                    int j = s.indexOf(ch, i + 1);
                    if (j < 0) {
                        return List.of(s);
                    }
                    i = j;
                } else if (ch == '(') {
                    depth++;
                } else if (ch == ')') {
                    depth--;
                } else if (depth == 0 && s.startsWith(" OR ", i)) {
                    return List.of(s);
                } else if (depth == 0 && s.startsWith(" AND ", i)) {
                    parts.add(s.substring(start, i));
                    start = i + 5;
                    i += 4;
                }
            }
            parts.add(s.substring(start));
            return parts;
        }
    }

    // ---- analyze ----------------------------------------------------------------------------

    static Finding analyzeFinding(String datname, String queryid, String relation, RelationStats st) {
        if (st == null || st.modsSinceAnalyze() == null || st.liveTuples() == null) {
            return null;
        }
        double mods = st.modsSinceAnalyze();
        double rows = Math.max(1, st.liveTuples());
        double share = mods / rows;
        if (mods < MIN_MODS || share < MIN_MOD_SHARE) {
            return null;
        }
        double confidence = round2(clamp((share - 0.1) / 0.9));
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("relation", relation);
        ev.put("n_mod_since_analyze", mods);
        ev.put("n_live_tup", st.liveTuples());
        ev.put("mod_share", round2(share));
        ev.put("formula", "confidence = clamp((mod_share - 0.1) / 0.9)");
        String[] parts = relation.split("\\.", 2);
        String action = "ANALYZE " + (parts.length == 2 ? quote(parts[0]) + "." + quote(parts[1]) : quote(relation));
        String summary = relation + " has " + Math.round(mods) + " rows changed since its last analyze ("
                + Math.round(share * 100) + "% of " + Math.round(st.liveTuples()) + "): the plan was chosen on stale statistics";
        return new Finding("analyze", "analyze|" + datname + "|" + queryid + "|" + relation, relation, confidence, summary,
                action, ev);
    }

    // ---- work_mem ---------------------------------------------------------------------------

    static Finding workMemFinding(String datname, String queryid, JsonNode root, List<JsonNode> nodes,
            StatementStats st) {
        if (st == null || !(st.calls() > 0) || !(st.tempBlksWritten() > 0)) {
            return null;
        }
        List<String> spilling = new ArrayList<>();
        for (JsonNode n : nodes) {
            String type = n.path("Node Type").asText();
            String strategy = n.path("Strategy").asText("");
            if (type.equals("Sort") || type.equals("Incremental Sort") || type.equals("Hash") || type.equals("Materialize")
                    || (type.equals("Aggregate") && (strategy.equals("Hashed") || strategy.equals("Mixed")))) {
                spilling.add(type.equals("Aggregate") ? "HashAggregate" : type);
            }
        }
        if (spilling.isEmpty()) {
            return null;
        }
        String setting = root.path("Settings").path("work_mem").asText(null);
        long workMem = setting == null ? DEFAULT_WORK_MEM : bytes(setting);
        if (workMem <= 0) {
            workMem = DEFAULT_WORK_MEM;
        }
        double tempPerCall = st.tempBlksWritten() * BLOCK / st.calls();
        long fits = Math.max(powerOfTwoMb(2 * tempPerCall), 2 * workMem);
        double spillFactor = clamp(tempPerCall / workMem);
        double callsFactor = clamp(Math.log10(1 + st.calls()) / 2);
        double confidence = round2(spillFactor * callsFactor);
        String size = (fits >> 20) + "MB";
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("temp_blks_written", st.tempBlksWritten());
        ev.put("calls", st.calls());
        ev.put("temp_bytes_per_call", Math.round(tempPerCall));
        ev.put("work_mem_bytes", workMem);
        ev.put("work_mem_source", setting == null ? "default (not in the plan's settings)" : "plan settings");
        ev.put("spilling_nodes", new ArrayList<>(new LinkedHashSet<>(spilling)));
        ev.put("suggested_work_mem", size);
        ev.put("spill_factor", round2(spillFactor));
        ev.put("calls_factor", round2(callsFactor));
        ev.put("formula", "confidence = spill_factor × calls_factor");
        String summary = "writes " + human(tempPerCall) + " of temp files per call (" + String.join(", ", new LinkedHashSet<>(spilling))
                + " over work_mem " + human(workMem) + "): work_mem " + size + " would fit it";
        String action = "SET work_mem = '" + size + "' for this statement (or ALTER ROLE ... SET work_mem = '" + size + "')";
        return new Finding("work_mem", "work_mem|" + datname + "|" + queryid, "work_mem", confidence, summary, action, ev);
    }

    /** A PostgreSQL memory setting as SETTINGS prints it ("64MB", "4096kB", "1GB"): bytes, or -1. */
    static long bytes(String setting) {
        Matcher m = Pattern.compile("^(\\d+)\\s*(B|kB|MB|GB|TB)?$").matcher(setting.trim());
        if (!m.matches()) {
            return -1;
        }
        long v = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "kB" : m.group(2); // work_mem without unit is kB
        return switch (unit) {
            case "B" -> v;
            case "kB" -> v << 10;
            case "MB" -> v << 20;
            case "GB" -> v << 30;
            default -> v << 40;
        };
    }

    static long powerOfTwoMb(double bytes) {
        long mb = 1;
        while ((mb << 20) < bytes && mb < (1L << 20)) {
            mb <<= 1;
        }
        return mb << 20;
    }

    static String human(double bytes) {
        if (bytes >= 1 << 30) {
            return String.format(Locale.ROOT, "%.1f GB", bytes / (1 << 30));
        }
        if (bytes >= 1 << 20) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / (1 << 20));
        }
        return String.format(Locale.ROOT, "%.0f kB", bytes / 1024);
    }

    // ---- helpers ----------------------------------------------------------------------------

    static double clamp(double v) {
        return Double.isNaN(v) ? 0 : Math.max(0, Math.min(1, v));
    }

    static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }

    static String unquote(String ident) {
        if (ident.length() >= 2 && ident.startsWith("\"") && ident.endsWith("\"")) {
            return ident.substring(1, ident.length() - 1).replace("\"\"", "\"");
        }
        return ident;
    }

    static String quote(String ident) {
        if (ident.matches("[a-z_][a-z0-9_]*")) {
            return ident;
        }
        return '"' + ident.replace("\"", "\"\"") + '"';
    }

    private static List<String> quoteAll(List<String> idents) {
        List<String> out = new ArrayList<>(idents.size());
        for (String i : idents) {
            out.add(quote(i));
        }
        return out;
    }

    private static String quoteQualified(String schema, String rel) {
        return schema.isEmpty() ? quote(rel) : quote(schema) + "." + quote(rel);
    }

    /** The node of {@code planJson} that reads {@code relation} through an index, as "Index Scan using i on r"; or null. */
    public static String indexAccess(String planJson, String relation) {
        JsonNode root = parse(planJson);
        if (root == null) {
            return null;
        }
        List<JsonNode> nodes = new ArrayList<>();
        collect(root.path("Plan"), nodes);
        for (JsonNode n : nodes) {
            String schema = n.path("Schema").asText("");
            String rel = n.path("Relation Name").asText("");
            String q = schema.isEmpty() ? rel : schema + "." + rel;
            if (!q.equals(relation)) {
                continue;
            }
            if (n.hasNonNull("Index Name")) {
                return n.path("Node Type").asText() + " using " + n.path("Index Name").asText() + " on " + rel;
            }
            if ("Bitmap Heap Scan".equals(n.path("Node Type").asText())) {
                // the index is named by the Bitmap Index Scan under it (or under its BitmapAnd/Or)
                List<JsonNode> under = new ArrayList<>();
                collect(n, under);
                for (JsonNode u : under) {
                    if (u.hasNonNull("Index Name")) {
                        return "Bitmap Heap Scan on " + rel + " using " + u.path("Index Name").asText();
                    }
                }
            }
        }
        return null;
    }
}
