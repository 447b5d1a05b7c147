package dev.datainsight.cli.inspect;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inspect queries}: the statements busy right now. Two reads of
 * {@code pg_stat_statements(false)} (counters only, no texts) {@code --interval} seconds apart;
 * the difference per (role, database, queryid, toplevel) ranked by execution time; then the texts
 * of the top ones only ({@code pg_stat_statements(true)} filtered by queryid). An entry that
 * appears during the interval counts whole; one whose counters went down (reset, eviction and
 * re-entry) counts its new values. {@code pg_stat_statements_info.dealloc} (14+) tells whether
 * entries were evicted meanwhile. The columns follow the installed extension version:
 * {@code total_exec_time} from 1.8, {@code total_time} before; {@code toplevel} from 1.9.
 * Statements carrying this command's marker are left out.
 */
@Command(name = "queries", mixinStandardHelpOptions = true,
        description = "Top statements by execution time over the next --interval seconds (a delta of"
                + " pg_stat_statements), with calls, mean time, rows and text. Needs the pg_stat_statements extension"
                + " in the database connected to.")
public final class InspectQueriesCommand extends LiveInspectCommand<InspectQueriesCommand.Report> {
    static final int MAX_INTERVAL = 300;

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "5",
            description = "Seconds between the two reads, 1.." + MAX_INTERVAL + " (default ${DEFAULT-VALUE}).")
    int interval;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "10",
            description = "Statements listed (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--text-chars", paramLabel = "N", defaultValue = "500",
            description = "Characters of each statement text kept (default ${DEFAULT-VALUE}).")
    int textChars;

    /** One statement's activity during the interval. */
    public record Statement(String queryId, String user, String database, Boolean toplevel, long calls,
            double callsPerSecond, double totalMs, double shareOfTime, double meanMs, long rows, long sharedBlocksHit,
            long sharedBlocksRead, String text) {
    }

    /** The interval, its totals and the top statements. */
    public record Report(String database, String extensionVersion, int intervalSeconds, double measuredSeconds,
            long calls, double totalMs, int statementsActive, Long evictedDuringInterval, String headline,
            List<Statement> statements) {
    }

    private static final String EXTENSION = """
            SELECT n.nspname::text, e.extversion FROM pg_catalog.pg_extension e
            JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'
            """;

    private static final String COUNTERS = """
            SELECT s.userid, s.dbid, s.queryid, %1$s, s.calls, s.%2$s, s.rows, s.shared_blks_hit, s.shared_blks_read,
                   pg_catalog.clock_timestamp()
            FROM %3$s.pg_stat_statements(false) s
            WHERE s.queryid IS NOT NULL
            """;

    private static final String TEXTS = """
            SELECT s.userid, s.dbid, s.queryid, %1$s, pg_catalog.left(s.query, ?)
            FROM %2$s.pg_stat_statements(true) s
            WHERE s.queryid = ANY (?)
            """;

    private static final String DEALLOC = "SELECT i.dealloc FROM %s.pg_stat_statements_info i";

    private static final String NAMES = """
            SELECT 'u', r.oid, r.rolname::text FROM pg_catalog.pg_roles r WHERE r.oid = ANY (?)
            UNION ALL
            SELECT 'd', d.oid, d.datname::text FROM pg_catalog.pg_database d WHERE d.oid = ANY (?)
            """;

    @Override
    void validate() {
        range("--interval", interval, 1, MAX_INTERVAL);
        range("--limit", limit, 1, 1000);
        range("--text-chars", textChars, 1, 100_000);
    }

    record Key(long user, long db, long queryId, Boolean toplevel) {
    }

    record Counters(long calls, double totalMs, long rows, long hit, long read, long atMillis) {
    }

    @Override
    Report read(InspectSession s) throws InterruptedException {
        List<String[]> ext = s.query("queries", EXTENSION, null, rs -> new String[] {rs.getString(1), rs.getString(2)});
        if (ext.isEmpty()) {
            throw new InspectException("inspect queries: the pg_stat_statements extension is not installed in database "
                    + Terminal.safe(s.database()) + ": run CREATE EXTENSION pg_stat_statements there (the server also"
                    + " needs shared_preload_libraries = 'pg_stat_statements'), or --target a database that has it");
        }
        String schema = "\"" + ext.get(0)[0].replace("\"", "\"\"") + "\"";
        String version = ext.get(0)[1];
        boolean v18 = atLeast(version, 1, 8);
        boolean v19 = atLeast(version, 1, 9);
        String top = v19 ? "s.toplevel" : "NULL::boolean";
        String counters = COUNTERS.formatted(top, v18 ? "total_exec_time" : "total_time", schema);
        Long dealloc0 = v19 ? dealloc(s, schema) : null;
        Map<Key, Counters> before = counters(s, counters);
        Thread.sleep(interval * 1000L);
        Map<Key, Counters> after = counters(s, counters);
        Long dealloc1 = v19 ? dealloc(s, schema) : null;

        long t0 = before.values().stream().mapToLong(Counters::atMillis).findFirst().orElse(0);
        long t1 = after.values().stream().mapToLong(Counters::atMillis).findFirst().orElse(0);
        double measured = t0 > 0 && t1 > 0 ? (t1 - t0) / 1000.0 : interval;
        List<Map.Entry<Key, Counters>> deltas = new ArrayList<>();
        long calls = 0;
        double total = 0;
        for (Map.Entry<Key, Counters> e : after.entrySet()) {
            Counters b = before.get(e.getKey());
            Counters a = e.getValue();
            Counters d = b == null || a.calls < b.calls ? a
                    : new Counters(a.calls - b.calls, a.totalMs - b.totalMs, a.rows - b.rows, a.hit - b.hit, a.read - b.read, 0);
            if (d.calls > 0) {
                deltas.add(Map.entry(e.getKey(), d));
                calls += d.calls;
                total += d.totalMs;
            }
        }
        deltas.sort(Comparator.comparingDouble((Map.Entry<Key, Counters> e) -> e.getValue().totalMs).reversed()
                .thenComparing(e -> e.getKey().queryId));
        // A few more than asked: this command's own statements are dropped once their texts are known.
        List<Map.Entry<Key, Counters>> candidates = deltas.subList(0, Math.min(deltas.size(), limit + 8));
        Map<Key, String> texts = texts(s, schema, top, candidates);
        Map<String, String> names = names(s, candidates);
        List<Statement> out = new ArrayList<>();
        int own = 0;
        for (Map.Entry<Key, Counters> e : candidates) {
            String text = texts.get(e.getKey());
            Counters d = e.getValue();
            if (text != null && text.contains(InspectSession.MARKER)) {
                own++;
                calls -= d.calls;
                total -= d.totalMs;
                continue;
            }
            if (out.size() < limit) {
                Key k = e.getKey();
                out.add(new Statement(Long.toString(k.queryId), names.get("u" + k.user), names.get("d" + k.db), k.toplevel,
                        d.calls, d.calls / measured, d.totalMs, 0, d.totalMs / d.calls, d.rows, d.hit, d.read, text));
            }
        }
        double totalMs = total;
        List<Statement> ranked = out.stream().map(x -> new Statement(x.queryId(), x.user(), x.database(), x.toplevel(),
                x.calls(), x.callsPerSecond(), x.totalMs(), totalMs <= 0 ? 0 : x.totalMs() / totalMs, x.meanMs(), x.rows(),
                x.sharedBlocksHit(), x.sharedBlocksRead(), x.text())).toList();
        Long evicted = dealloc0 == null || dealloc1 == null ? null : Math.max(0, dealloc1 - dealloc0);
        int active = deltas.size() - own;
        String headline = active == 0 ? "No statement ran in the last " + Math.round(measured) + " s"
                : active + " statement" + (active == 1 ? "" : "s") + " ran " + Terminal.count(calls) + " calls in "
                        + String.format(java.util.Locale.ROOT, "%.1f", measured) + " s, " + Terminal.millis(totalMs)
                        + " of execution time";
        return new Report(s.database(), version, interval, measured, calls, totalMs, active, evicted, headline, ranked);
    }

    static boolean atLeast(String version, int major, int minor) {
        String[] p = version.split("\\.");
        int ma = Integer.parseInt(p[0].replaceAll("\\D", ""));
        int mi = p.length > 1 ? Integer.parseInt(p[1].replaceAll("\\D", "")) : 0;
        return ma > major || (ma == major && mi >= minor);
    }

    private static Long dealloc(InspectSession s, String schema) {
        return s.one("queries", DEALLOC.formatted(schema), null, rs -> rs.getLong(1));
    }

    private static Map<Key, Counters> counters(InspectSession s, String sql) {
        Map<Key, Counters> m = new HashMap<>();
        s.query("queries", sql, null, rs -> {
            boolean top = rs.getBoolean(4);
            Boolean tl = rs.wasNull() ? null : top;
            m.merge(new Key(rs.getLong(1), rs.getLong(2), rs.getLong(3), tl),
                    new Counters(rs.getLong(5), rs.getDouble(6), rs.getLong(7), rs.getLong(8), rs.getLong(9),
                            rs.getTimestamp(10).getTime()),
                    (a, b) -> new Counters(a.calls + b.calls, a.totalMs + b.totalMs, a.rows + b.rows, a.hit + b.hit,
                            a.read + b.read, a.atMillis));
            return null;
        });
        return m;
    }

    private Map<Key, String> texts(InspectSession s, String schema, String top, List<Map.Entry<Key, Counters>> c) {
        Map<Key, String> m = new HashMap<>();
        if (c.isEmpty()) {
            return m;
        }
        Long[] ids = c.stream().map(e -> e.getKey().queryId).distinct().toArray(Long[]::new);
        s.query("queries", TEXTS.formatted(top, schema), ps -> {
            ps.setInt(1, textChars);
            ps.setArray(2, ps.getConnection().createArrayOf("int8", ids));
        }, rs -> {
            boolean t = rs.getBoolean(4);
            Boolean tl = rs.wasNull() ? null : t;
            m.put(new Key(rs.getLong(1), rs.getLong(2), rs.getLong(3), tl), rs.getString(5));
            return null;
        });
        return m;
    }

    private static Map<String, String> names(InspectSession s, List<Map.Entry<Key, Counters>> c) {
        Map<String, String> m = new HashMap<>();
        if (c.isEmpty()) {
            return m;
        }
        Long[] users = c.stream().map(e -> e.getKey().user).distinct().toArray(Long[]::new);
        Long[] dbs = c.stream().map(e -> e.getKey().db).distinct().toArray(Long[]::new);
        s.query("queries", NAMES, ps -> {
            ps.setArray(1, ps.getConnection().createArrayOf("oid", users));
            ps.setArray(2, ps.getConnection().createArrayOf("oid", dbs));
        }, rs -> m.put(rs.getString(1) + rs.getLong(2), rs.getString(3)));
        return m;
    }

    @Override
    void print(Report r, Terminal t) {
        t.println(t.bold(r.headline() + "."));
        t.println(t.dim("pg_stat_statements " + Terminal.safe(r.extensionVersion()) + " in database "
                + Terminal.safe(r.database()) + "; all databases of the server are counted"
                + (r.evictedDuringInterval() != null && r.evictedDuringInterval() > 0
                ? "; " + r.evictedDuringInterval() + " entries were evicted meanwhile (pg_stat_statements.max): figures are partial"
                : "")));
        if (r.statements().isEmpty()) {
            return;
        }
        t.println();
        Table table = new Table("QUERYID>", "USER", "DB", "CALLS>", "CALLS/S>", "TOTAL>", "OF TIME>", "MEAN>", "ROWS>",
                "HIT>", "TEXT");
        for (Statement x : r.statements()) {
            long blocks = x.sharedBlocksHit() + x.sharedBlocksRead();
            table.row(x.queryId(), Terminal.safe(x.user(), 24), Terminal.safe(x.database(), 24), Terminal.count(x.calls()),
                    String.format(java.util.Locale.ROOT, "%.1f", x.callsPerSecond()), Terminal.millis(x.totalMs()),
                    Terminal.percent(x.shareOfTime()), Terminal.millis(x.meanMs()), Terminal.count(x.rows()),
                    blocks == 0 ? null : Terminal.percent((double) x.sharedBlocksHit() / blocks),
                    x.text() == null ? "(text not available)" : Terminal.safe(x.text(), 80));
        }
        table.print(t);
    }
}
