package dev.datainsight.rules.defs;

import dev.datainsight.model.AlertContext;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.engine.Memory;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.QueryTexts;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.Window;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleFunction;

/**
 * What drives a database-wide alert: the statements with the largest increase of one
 * pg_stat_statements counter (temp_blks_written, shared_blks_read, wal_bytes) over a window, per
 * database, for the rules that read {@code pg_stat_database} and name the statements behind it.
 *
 * <p>On each statements snapshot the rule keeps one window per statement (memory
 * {@code s|<queryid, datname, rolname, toplevel>}, as slow_query's) and, per database, the top
 * {@link #TOP} statements by the window's delta (memory {@code top|<datname>}: {@code v} the deltas,
 * {@code text} the query ids and roles); the texts come from {@link QueryTexts}. A database whose
 * statements did not move in the window has no top memory. All of it is bounded by the collector's
 * top-N of statements and swept with the rule's other memories. Only the statements the collector
 * published can be named: one below its top-N is part of the "other" row and not named.
 */
final class TopStatements {
    static final ParamDef<Duration> WINDOW = ParamDef.duration("statements_window", "5m",
            "window of the top statements named in the context (pg_stat_statements deltas)");
    /** Statements named per alert. */
    static final int TOP = 3;

    private static final String TOP_PREFIX = "top|";
    private static final String STATEMENT_PREFIX = "s|";

    /** One statement behind an alert: its ids, the counter's increase in the window, its text or null. */
    record Entry(String queryid, String rolname, double delta, String text) {}

    private TopStatements() {}

    /** The group of {@link #top} for instance-wide rules (all databases together). */
    static final String ALL = "*";

    /** Updates the per-statement windows of {@code column} and the per-database top from a statements snapshot. */
    static void observe(Snapshot s, RuleContext ctx, String column) throws Exception {
        observe(s, ctx, column, true);
    }

    /**
     * The same; with {@code perDatabase} false one top over all databases, read with
     * {@code top(ctx, ALL)}.
     */
    static void observe(Snapshot s, RuleContext ctx, String column, boolean perDatabase) throws Exception {
        QueryTexts.learn(s, ctx);
        Map<String, List<Entry>> byDb = new LinkedHashMap<>();
        Set<String> dbs = new HashSet<>();
        for (Rows.QueryRow q : Rows.queries(s)) {
            String db = perDatabase ? Rows.label(q.row(), "datname") : ALL;
            dbs.add(db);
            Double v = Rows.val(q.row(), column);
            if (v == null) {
                continue;
            }
            Params p = ctx.params(q.row().getLabels());
            String key = STATEMENT_PREFIX + q.key();
            Memory m = Window.add(ctx.memory(key), 1, ctx.now(), new Double[] {v}, true,
                    Rows.reset(q.row().getStatsReset()), p.millis(WINDOW), 400, null);
            ctx.remember(key, m);
            double d = Window.delta(m, 1, 0);
            if (d > 0) {
                byDb.computeIfAbsent(db, k -> new ArrayList<>()).add(new Entry(Rows.label(q.row(), "queryid"),
                        perDatabase ? Rows.label(q.row(), "rolname")
                                : Rows.label(q.row(), "rolname") + "@" + Rows.label(q.row(), "datname"), d, null));
            }
        }
        for (String db : dbs) {
            List<Entry> es = byDb.get(db);
            if (es == null) {
                ctx.forget(TOP_PREFIX + db);
                continue;
            }
            es.sort(Comparator.comparingDouble(Entry::delta).reversed());
            es = es.subList(0, Math.min(TOP, es.size()));
            Memory top = new Memory();
            top.t = new long[] {ctx.now()};
            top.v = new double[es.size()];
            StringBuilder ids = new StringBuilder();
            for (int i = 0; i < es.size(); i++) {
                top.v[i] = es.get(i).delta();
                ids.append(i == 0 ? "" : "\n").append(es.get(i).queryid()).append('\t').append(es.get(i).rolname());
            }
            top.text = ids.toString();
            ctx.remember(TOP_PREFIX + db, top);
        }
    }

    /** The top statements of {@code db} (with their texts), largest first; empty when none moved or none is known. */
    static List<Entry> top(RuleContext ctx, String db) throws Exception {
        Memory top = ctx.memory(TOP_PREFIX + db);
        List<Entry> out = new ArrayList<>();
        if (top == null || top.text == null || top.text.isEmpty()) {
            return out;
        }
        String[] lines = top.text.split("\n");
        for (int i = 0; i < lines.length && i < top.v.length; i++) {
            String[] f = lines[i].split("\t", -1);
            out.add(new Entry(f[0], f.length > 1 ? f[1] : "", top.v[i], QueryTexts.lookup(ctx, f[0])));
        }
        return out;
    }

    /**
     * Adds one {@code statement} item per entry: queryid, rolname, {@code field} = the increase as
     * {@code fmt} writes it, the window, the text ("text not yet seen" when missing).
     */
    static void addTo(AlertContext c, List<Entry> entries, String field, DoubleFunction<String> fmt, String window) {
        for (Entry e : entries) {
            c.item(AlertContext.KIND_STATEMENT).put("queryid", e.queryid()).put("rolname", e.rolname())
                    .put(field, fmt.apply(e.delta())).put("window", window).put("text", QueryTexts.orNotSeen(e.text()));
        }
    }

    /** For a summary: "; most by `text` (id 42, 1.2 GB)", or "" without entries. */
    static String mostBy(List<Entry> entries, DoubleFunction<String> fmt, int chars) {
        if (entries.isEmpty()) {
            return "";
        }
        Entry e = entries.get(0);
        return "; most by " + QueryTexts.quote(e.text(), chars) + " (id " + e.queryid() + ", " + fmt.apply(e.delta()) + ")";
    }

    /** Whether the snapshot is a statements snapshot (the view the helper reads). */
    static boolean isStatements(Snapshot s) {
        return "pg_stat_statements".equals(s.getView());
    }
}
