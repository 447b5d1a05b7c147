package dev.datainsight.collector.probe;

import dev.datainsight.model.QueryText;
import dev.datainsight.model.SnapshotRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code pg_stat_statements}, read with {@code showtext => false}, once per cycle, every entry.
 * The collector keeps each entry's counters from the previous cycle ({@link StatementsMemory}) and
 * publishes:
 *
 * <ul>
 *   <li>the top N entries by <em>change</em> of {@code total_exec_time} since the previous cycle
 *       (ties: change of calls), so a statement that became slow today is published although
 *       weeks of accumulated heavy hitters dominate the cumulative counters; on the first cycle
 *       (nothing to compare with) the top N by cumulative time;
 *   <li>a sticky set: entries that ranked in the top N in one of the last {@value #STICKY_CYCLES}
 *       cycles stay published while they get calls (at most N more rows), so entries at the
 *       boundary do not flap in and out;
 *   <li>one remainder row {@code queryid = "other"} (other labels empty) whose counters are a
 *       collector-kept accumulator, correct by construction: each cycle it grows by the change of
 *       every top-level entry whose change is not carried by its own row. An entry's own row
 *       carries its change only when the previous snapshot published it too under the same row
 *       {@code stats_reset}; whenever an entry (re)enters the published set, or pg_stat_statements
 *       reset it, its row gets a new {@code stats_reset} (the job takes the row as a new series)
 *       and that cycle's change goes to "other". So per cycle: the sum of the published top-level
 *       rows' changes plus the change of "other" is the change of all top-level entries. The
 *       accumulator starts at 0 when the collector starts ({@code stats_reset} = that time).
 * </ul>
 *
 * <p>Resets: on 1.9+ {@code pg_stat_statements_info.stats_reset} becomes the snapshot's
 * {@code stats_reset} (the job then takes every row as a new series), and a full reset makes every
 * entry new. An entry evicted and re-added between two cycles is a reset of that entry, never a
 * negative change: on 1.11+ its {@code stats_since} changed; before, one of its counters went
 * down (an entry re-added and grown past its old counters within one interval is undetectable
 * before 1.11 and shows as a plain change). An entry not remembered is new (its whole counters are
 * its change) when the previous cycle remembered every entry, or when its stats_since (1.11+) is
 * after the previous read; otherwise (first cycle, or after the memory cap) it only sets a
 * baseline. Rows with a NULL queryid (other users' entries for a role without pg_read_all_stats;
 * the collector requires pg_monitor, which includes it) are ignored.
 *
 * <p>Totals: with {@code pg_stat_statements.track = all}, nested statements are counted both in
 * their own entry ({@code toplevel = false}, 1.9+) and in the top-level statement that ran them,
 * so "other" accumulates only top-level entries; published nested rows are detail, not to be
 * added to totals. 1.8 has no toplevel column: every entry counts.
 *
 * <p>Columns are keyed by the installed extension version (not the server version: an upgraded
 * server may keep an old extension): 1.8 (PG13) has no {@code toplevel} and names the I/O times
 * {@code blk_read_time}/{@code blk_write_time}; 1.9 (PG14) adds toplevel and
 * pg_stat_statements_info; 1.10 (PG15, PG16) adds temp_blk_read_time/temp_blk_write_time and the
 * jit_* columns; 1.11 (PG17) renames the I/O times to {@code shared_blk_*_time}, adds
 * jit_deform_time and stats_since; 1.12 (PG18) adds wal_buffers_full. {@code jit_time} is the sum
 * of the jit_*_time columns; {@code exec_time_sq} = calls * (stddev_exec_time² + mean_exec_time²)
 * (the sum of squared execution times, kept monotone per entry against float rounding). Older than
 * 1.8 (total_time) is not supported (PostgreSQL 12 and older).
 *
 * <p>Texts are read for published query ids whose text Kafka has not acknowledged yet (so a
 * dropped or rejected snapshot's texts are read again next cycle), cut to a bound, and travel in
 * the same statements snapshot; a published id's text is re-sent after
 * {@value #RESEND_AFTER_CYCLES} cycles ({@value #RESEND_PER_CYCLE} per cycle at most, a read for
 * re-sends alone every {@value #RESEND_READ_EVERY} cycles), so a job that lost texts recovers. When the extension is not created in the
 * instance's database the probe is skipped, logged once, and the rest of the cycle goes on.
 */
public final class StatementsProbe implements Probe {

    /** Cycles an entry stays published after it last ranked in the top N, while it gets calls. */
    public static final int STICKY_CYCLES = 10;
    /** A published id's text is sent again when it was last sent this many cycles ago (1 h at 60 s). */
    public static final int RESEND_AFTER_CYCLES = 60;
    /** Texts re-sent per cycle at most. */
    public static final int RESEND_PER_CYCLE = 10;
    /** Cycles between text reads made for re-sends alone. */
    public static final int RESEND_READ_EVERY = 10;

    private static final String EXTENSION = SqlVariants.tag("pg_stat_statements", """
            SELECT e.extversion, n.nspname
            FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname = ?""");

    /** Counter columns in catalog order, as read; then the gauge max_exec_time. */
    static final String[] COUNTERS = {"calls", "total_exec_time", "total_plan_time", "rows", "shared_blks_hit",
        "shared_blks_read", "shared_blks_dirtied", "shared_blks_written", "temp_blks_read", "temp_blks_written",
        "shared_blk_read_time", "shared_blk_write_time", "wal_records", "wal_bytes", "temp_blk_read_time",
        "temp_blk_write_time", "jit_functions", "jit_time", "wal_buffers_full", "exec_time_sq"};
    private static final int CALLS = 0;
    private static final int EXEC_TIME = 1;
    private static final int EXEC_SQ = COUNTERS.length - 1;

    // One pass over pg_stat_statements(false): its cost grows with the number of entries (one
    // function scan and the hash joins). Ranking needs every entry's change, so every entry comes
    // back, but the entries that did not move since the previous cycle (same key, calls,
    // total_plan_time and stats_since as the collector remembers, bound as arrays) come back as
    // their key only: execution counters all move together with calls, planning counters with
    // total_plan_time. So a steady cycle transfers a few numbers per idle entry.
    private static final String ALL = """
            WITH p AS (
              SELECT * FROM ROWS FROM (pg_catalog.unnest(?::int8[]), pg_catalog.unnest(?::int8[]), pg_catalog.unnest(?::int8[]),
                pg_catalog.unnest(?::int4[]), pg_catalog.unnest(?::int8[]), pg_catalog.unnest(?::float8[]),
                pg_catalog.unnest(?::int8[])) AS p(queryid, dbid, userid, top, calls, plan, since)
            )
            SELECT q.queryid, q.since_ms, d.datname, r.rolname, %1$s, q.dbid, q.userid, q.same,
              %2$s
            FROM (
              SELECT s.*, %5$s AS since_ms, p.queryid IS NOT NULL AND p.calls = s.calls AND p.plan = s.total_plan_time
                AND p.since IS NOT DISTINCT FROM %5$s AS same
              FROM %3$s.pg_stat_statements(false) s
              LEFT JOIN p ON p.queryid = s.queryid AND p.dbid = s.dbid::int8 AND p.userid = s.userid::int8
                AND p.top = %4$s
              WHERE s.queryid IS NOT NULL
            ) q
            LEFT JOIN pg_catalog.pg_database d ON d.oid = q.dbid
            LEFT JOIN pg_catalog.pg_roles r ON r.oid = q.userid""";

    private static final String INFO_19 = """
            SELECT i.dealloc, i.stats_reset, pg_catalog.current_setting('pg_stat_statements.max')::int,
              pg_catalog.clock_timestamp()
            FROM %s.pg_stat_statements_info i""";
    private static final String INFO_18 = """
            SELECT NULL::bigint, NULL::timestamptz, pg_catalog.current_setting('pg_stat_statements.max')::int,
              pg_catalog.clock_timestamp()""";

    private static final String TEXTS = """
            SELECT DISTINCT ON (s.queryid) s.queryid::text, pg_catalog.left(s.query, ?), pg_catalog.length(s.query) > ?
            FROM %s.pg_stat_statements(true) s
            WHERE s.queryid = ANY (?)
            ORDER BY s.queryid""";

    @Override
    public String name() {
        return "pg_stat_statements";
    }

    @Override
    public ProbeGroup group() {
        return ProbeGroup.SLOW;
    }

    /** The main query for an extension version, schema-qualified (for docs and tests). */
    public static String topSql(String extVersion, String schema) {
        int v = version(extVersion);
        String jit = v >= 111
                ? "q.jit_generation_time + q.jit_inlining_time + q.jit_optimization_time + q.jit_emission_time + q.jit_deform_time"
                : v >= 110 ? "q.jit_generation_time + q.jit_inlining_time + q.jit_optimization_time + q.jit_emission_time"
                : "NULL::double precision";
        List<String> cols = List.of("q.calls", "q.total_exec_time", "q.total_plan_time", "q.rows", "q.shared_blks_hit",
                "q.shared_blks_read", "q.shared_blks_dirtied", "q.shared_blks_written", "q.temp_blks_read",
                "q.temp_blks_written", v >= 111 ? "q.shared_blk_read_time" : "q.blk_read_time",
                v >= 111 ? "q.shared_blk_write_time" : "q.blk_write_time", "q.wal_records", "q.wal_bytes",
                v >= 110 ? "q.temp_blk_read_time" : "NULL::double precision",
                v >= 110 ? "q.temp_blk_write_time" : "NULL::double precision",
                v >= 110 ? "q.jit_functions" : "NULL::bigint", jit,
                v >= 112 ? "q.wal_buffers_full" : "NULL::bigint",
                "q.calls * (q.stddev_exec_time * q.stddev_exec_time + q.mean_exec_time * q.mean_exec_time)",
                "q.max_exec_time");
        StringBuilder wide = new StringBuilder();
        for (String col : cols) {
            wide.append(wide.length() == 0 ? "" : ",\n  ").append("CASE WHEN NOT q.same THEN ").append(col).append(" END");
        }
        return SqlVariants.tag("pg_stat_statements", ALL.formatted(
                v >= 109 ? "q.toplevel" : "NULL::boolean",
                wide,
                quoteIdent(schema),
                v >= 109 ? "COALESCE(s.toplevel::int4, -1)" : "-1",
                v >= 111 ? "pg_catalog.floor(pg_catalog.date_part('epoch', s.stats_since) * 1000)::int8" : "NULL::int8"));
    }

    /** Whether the extension version has the counter column (COUNTERS order). */
    static boolean[] available(String extVersion) {
        int v = version(extVersion);
        boolean[] a = new boolean[COUNTERS.length];
        for (int j = 0; j < a.length; j++) {
            a[j] = switch (COUNTERS[j]) {
                case "temp_blk_read_time", "temp_blk_write_time", "jit_functions", "jit_time" -> v >= 110;
                case "wal_buffers_full" -> v >= 112;
                default -> true;
            };
        }
        return a;
    }

    /** "1.10" → 110, "1.8" → 108: comparable as integers (1.10 is newer than 1.9). */
    static int version(String extVersion) {
        String[] p = extVersion.split("\\.");
        return Integer.parseInt(p[0].trim()) * 100 + (p.length > 1 ? Integer.parseInt(p[1].trim()) : 0);
    }

    static String quoteIdent(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    /** One entry as read this cycle. */
    private static final class Cur {
        StatementsMemory.Key key;
        String queryid;
        String datname;
        String rolname;
        String toplevel;
        long statsSince = Long.MIN_VALUE;
        double[] v = new double[COUNTERS.length];
        double max;
        /** Change since the previous cycle, or null when unknown (a baseline). */
        double[] delta;
        boolean reset;
        StatementsMemory.Entry entry;

        double d(int j) {
            return delta == null ? 0 : delta[j];
        }
    }

    @Override
    public ProbeOutput collect(ProbeContext ctx) throws SQLException {
        Connection c = ctx.connection();
        String extVersion;
        String schema;
        try (PreparedStatement ps = c.prepareStatement(EXTENSION)) {
            ps.setString(1, "pg_stat_statements");
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    String db = c.getCatalog();
                    ctx.warnOnce("pgss-missing", "pg_stat_statements is not installed in database " + db
                            + ": statements are not collected (run CREATE EXTENSION pg_stat_statements there;"
                            + " the rest of the collection goes on)");
                    return ProbeOutput.skipped("pg_stat_statements is not installed in database " + db);
                }
                extVersion = rs.getString(1);
                schema = rs.getString(2);
            }
        }
        int v = version(extVersion);
        if (v < 108) {
            ctx.warnOnce("pgss-old", "pg_stat_statements " + extVersion + " is older than 1.8; not supported");
            return ProbeOutput.skipped("pg_stat_statements " + extVersion + " is older than 1.8");
        }
        StatementsMemory mem = ctx.state(StatementsMemory.class, StatementsMemory::new);
        boolean[] avail = available(extVersion);
        long now = System.currentTimeMillis();
        if (!extVersion.equals(mem.extVersion)) {
            // First cycle, or the extension was upgraded (columns differ): start over.
            mem.entries.clear();
            mem.complete = false;
            mem.extVersion = extVersion;
            mem.statsReset = null;
            mem.dealloc = -1;
            mem.other = new double[COUNTERS.length];
            for (int j = 0; j < avail.length; j++) {
                mem.other[j] = avail[j] ? 0.0 : Double.NaN;
            }
            mem.otherSince = mem.marker(now);
        }
        mem.cycle++;

        Long statsReset;
        long dealloc;
        long readAt;
        int pgssMax;
        try (PreparedStatement ps = c.prepareStatement(SqlVariants.tag("pg_stat_statements_info",
                v >= 109 ? INFO_19.formatted(quoteIdent(schema)) : INFO_18)); ResultSet rs = ps.executeQuery()) {
            rs.next();
            dealloc = rs.getLong(1);
            if (rs.wasNull()) {
                dealloc = -1;
            }
            statsReset = ResultRows.epochMillis(rs.getObject(2, java.time.OffsetDateTime.class));
            pgssMax = rs.getInt(3);
            readAt = rs.getObject(4, java.time.OffsetDateTime.class).toInstant().toEpochMilli();
        }
        mem.cap = Math.max(1000, 2 * pgssMax);
        // A full reset (pg_stat_statements_reset()) removed every entry after the previous read:
        // every entry now is new and its whole counters are its change.
        boolean fullReset = statsReset != null && mem.statsReset != null && !statsReset.equals(mem.statsReset);
        if (fullReset) {
            mem.entries.clear();
            mem.complete = true;
        }
        if (dealloc >= 0 && mem.dealloc >= 0 && dealloc > mem.dealloc) {
            ctx.warnOnce("pgss-dealloc", "pg_stat_statements evicted entries (dealloc " + mem.dealloc + " -> " + dealloc
                    + "): their activity since the previous cycle is lost; raise pg_stat_statements.max");
        }

        List<Cur> all = readAll(c, extVersion, schema, mem);
        mem.lastRead = all.size();

        // Changes since the previous read.
        for (Cur cur : all) {
            StatementsMemory.Entry e = mem.entries.get(cur.key);
            if (e == null) {
                boolean isNew = mem.complete || (cur.statsSince != Long.MIN_VALUE && mem.readAt != Long.MIN_VALUE
                        && cur.statsSince > mem.readAt);
                cur.entry = new StatementsMemory.Entry();
                cur.delta = isNew ? cur.v.clone() : null;
                cur.reset = true;
            } else {
                cur.entry = e;
                boolean reset = cur.statsSince != e.statsSince;
                for (int j = 0; j < EXEC_SQ && !reset; j++) {
                    reset = cur.v[j] < e.cum[j];
                }
                if (!reset && cur.v[EXEC_SQ] < e.cum[EXEC_SQ]) {
                    cur.v[EXEC_SQ] = e.cum[EXEC_SQ]; // float rounding of stddev: keep the counter monotone
                }
                cur.reset = reset;
                cur.delta = new double[COUNTERS.length];
                for (int j = 0; j < COUNTERS.length; j++) {
                    cur.delta[j] = reset ? cur.v[j] : cur.v[j] - e.cum[j];
                }
            }
        }

        // Ranking: top N by change of time (first cycle: by cumulative time), plus the sticky set.
        int top = ctx.limits().topStatements();
        boolean primed = mem.cycle > 1;
        List<Cur> ranked = new ArrayList<>();
        for (Cur cur : all) {
            if (!primed || (cur.delta != null && cur.delta[CALLS] > 0)) {
                ranked.add(cur);
            }
        }
        Comparator<Cur> byChange = Comparator.<Cur>comparingDouble(x -> -x.d(EXEC_TIME))
                .thenComparingDouble(x -> -x.d(CALLS)).thenComparingLong(x -> x.key.queryid());
        ranked.sort(primed ? byChange
                : Comparator.<Cur>comparingDouble(x -> -x.v[EXEC_TIME]).thenComparingLong(x -> x.key.queryid()));
        List<Cur> published = new ArrayList<>(ranked.subList(0, Math.min(top, ranked.size())));
        for (Cur cur : published) {
            cur.entry.lastTop = mem.cycle;
        }
        List<Cur> sticky = new ArrayList<>();
        for (int i = published.size(); i < ranked.size(); i++) {
            Cur cur = ranked.get(i);
            if (cur.delta != null && cur.delta[CALLS] > 0 && mem.cycle - cur.entry.lastTop <= STICKY_CYCLES) {
                sticky.add(cur);
            }
        }
        published.addAll(sticky.subList(0, Math.min(top, sticky.size())));
        // The plans probe of the same cycle explains from this ranking instead of reading
        // pg_stat_statements again.
        List<TopStatement> ranking = new ArrayList<>(Math.min(top, ranked.size()));
        for (Cur cur : ranked.subList(0, Math.min(top, ranked.size()))) {
            ranking.add(new TopStatement(cur.key.queryid(), cur.key.dbid(), cur.key.userid(), cur.datname, cur.rolname,
                    cur.toplevel, primed ? cur.d(EXEC_TIME) : cur.v[EXEC_TIME]));
        }
        ctx.cycleScratch().put(TopStatement.SCRATCH_KEY, new TopStatement.Ranking(schema, ranking));
        Set<StatementsMemory.Key> publishedKeys = new HashSet<>();
        for (Cur cur : published) {
            publishedKeys.add(cur.key);
        }

        // "other": every top-level change not carried by its own row.
        List<SnapshotRow> rows = new ArrayList<>(published.size() + 1);
        for (Cur cur : all) {
            boolean pub = publishedKeys.contains(cur.key);
            boolean continued = pub && cur.entry.published && !cur.reset && cur.delta != null;
            if (!continued && cur.delta != null && !"false".equals(cur.toplevel)) {
                for (int j = 0; j < COUNTERS.length; j++) {
                    if (avail[j]) {
                        mem.other[j] += Math.max(0.0, cur.delta[j]);
                    }
                }
            }
            if (pub && !continued) {
                cur.entry.runStart = mem.marker(now);
            }
            cur.entry.published = pub;
        }
        for (Cur cur : published) {
            rows.add(row(cur, avail));
        }
        SnapshotRow other = ResultRows.empty(ResultRows.def("pg_stat_statements"));
        other.label("queryid", "other");
        other.label("datname", "");
        other.label("rolname", "");
        other.label("toplevel", "");
        for (int j = 0; j < COUNTERS.length; j++) {
            other.value(COUNTERS[j], Double.isNaN(mem.other[j]) ? null : mem.other[j]);
        }
        other.setStatsReset(mem.otherSince);
        rows.add(other);

        // Remember this read (bounded: the previous read only, at most cap entries).
        Map<StatementsMemory.Key, StatementsMemory.Entry> next = new HashMap<>(Math.min(all.size(), mem.cap) * 2);
        List<Cur> keep = all;
        if (all.size() > mem.cap) {
            keep = new ArrayList<>(all);
            keep.sort(Comparator.<Cur>comparingDouble(x -> -x.v[EXEC_TIME]));
            keep = keep.subList(0, mem.cap);
            ctx.warnOnce("pgss-cap", "pg_stat_statements returned " + all.size() + " entries, more than the "
                    + mem.cap + " the collector remembers: entries beyond are ranked from their second cycle only");
        }
        for (Cur cur : keep) {
            cur.entry.cum = cur.v;
            cur.entry.statsSince = cur.statsSince;
            cur.entry.max = cur.max;
            cur.entry.datname = cur.datname;
            cur.entry.rolname = cur.rolname;
            next.put(cur.key, cur.entry);
        }
        mem.entries = next;
        mem.complete = keep.size() == all.size();
        mem.statsReset = statsReset;
        mem.dealloc = dealloc;
        mem.readAt = readAt;

        // Texts: every published id whose text Kafka has not acknowledged yet (the collector marks
        // an id seen on the ack), plus a low-rate re-send of published ids last sent long ago, so a
        // job that lost its texts recovers them.
        Set<String> seen = ctx.seenQueryIds();
        Set<Long> want = new LinkedHashSet<>();
        List<Cur> stale = new ArrayList<>();
        for (Cur cur : published) {
            if (!seen.contains(cur.queryid)) {
                want.add(cur.key.queryid());
            } else {
                Long last = mem.textCycle.get(cur.queryid);
                if (last == null) {
                    mem.textCycle.put(cur.queryid, mem.cycle); // sent by an earlier cycle we no longer track
                } else if (mem.cycle - last >= RESEND_AFTER_CYCLES) {
                    stale.add(cur);
                }
            }
        }
        // A text read loads pg_stat_statements' whole text file: re-sends alone trigger one at most
        // every RESEND_READ_EVERY cycles; when new ids need a read anyway they ride along.
        if (!stale.isEmpty() && (!want.isEmpty() || mem.cycle % RESEND_READ_EVERY == 0)) {
            stale.sort(Comparator.comparingLong(x -> mem.textCycle.get(x.queryid)));
            for (Cur cur : stale.subList(0, Math.min(RESEND_PER_CYCLE, stale.size()))) {
                want.add(cur.key.queryid());
            }
        }
        List<QueryText> texts = new ArrayList<>();
        SQLException textError = null;
        if (!want.isEmpty()) {
            try {
                texts = readTexts(c, schema, want, ctx.limits().queryTextMaxChars());
            } catch (SQLException e) {
                // The counters are still good; texts are retried next cycle (the ids stay unseen).
                textError = e;
            }
            for (QueryText t : texts) {
                mem.textCycle.put(t.queryid(), mem.cycle);
            }
        }
        ProbeOutput out = new ProbeOutput(rows, statsReset, extVersion, texts, null);
        if (textError != null) {
            throw new PartialResultException(out, new SQLException("reading query texts: " + textError.getMessage(), null, textError));
        }
        return out;
    }

    /**
     * Every entry of this read: the moved ones with their values, the others from the memory
     * (bound as arrays so the server sends only their keys).
     */
    private static List<Cur> readAll(Connection c, String extVersion, String schema, StatementsMemory mem)
            throws SQLException {
        int n = mem.entries.size();
        Long[] qid = new Long[n];
        Long[] dbid = new Long[n];
        Long[] userid = new Long[n];
        Integer[] top = new Integer[n];
        Long[] calls = new Long[n];
        Double[] plan = new Double[n];
        Long[] since = new Long[n];
        int i = 0;
        for (Map.Entry<StatementsMemory.Key, StatementsMemory.Entry> en : mem.entries.entrySet()) {
            StatementsMemory.Key k = en.getKey();
            StatementsMemory.Entry e = en.getValue();
            qid[i] = k.queryid();
            dbid[i] = k.dbid();
            userid[i] = k.userid();
            top[i] = k.toplevel();
            calls[i] = (long) e.cum[CALLS];
            plan[i] = Double.isNaN(e.cum[2]) ? null : e.cum[2];
            since[i] = e.statsSince == Long.MIN_VALUE ? null : e.statsSince;
            i++;
        }
        List<Cur> all = new ArrayList<>(Math.max(16, n));
        int wide = 0;
        try (PreparedStatement ps = binary(c.prepareStatement(topSql(extVersion, schema)))) {
            ps.setArray(1, c.createArrayOf("int8", qid));
            ps.setArray(2, c.createArrayOf("int8", dbid));
            ps.setArray(3, c.createArrayOf("int8", userid));
            ps.setArray(4, c.createArrayOf("int4", top));
            ps.setArray(5, c.createArrayOf("int8", calls));
            ps.setArray(6, c.createArrayOf("float8", plan));
            ps.setArray(7, c.createArrayOf("int8", since));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (!rs.getBoolean(8)) {
                        all.add(read(rs));
                        wide++;
                        continue;
                    }
                    boolean t = rs.getBoolean(5);
                    int toplevel = rs.wasNull() ? -1 : t ? 1 : 0;
                    StatementsMemory.Key key = new StatementsMemory.Key(rs.getLong(1), rs.getLong(6), rs.getLong(7), toplevel);
                    StatementsMemory.Entry e = mem.entries.get(key);
                    if (e == null) {
                        continue; // cannot happen: "same" means the key was bound from the memory
                    }
                    Cur cur = new Cur();
                    cur.key = key;
                    cur.queryid = Long.toString(key.queryid());
                    cur.datname = e.datname;
                    cur.rolname = e.rolname;
                    cur.toplevel = toplevel < 0 ? "" : t ? "true" : "false";
                    cur.statsSince = e.statsSince;
                    cur.v = e.cum;
                    cur.max = e.max;
                    all.add(cur);
                }
            }
        }
        mem.lastWide = wide;
        return all;
    }

    /**
     * Binary result format from the first execution: thousands of float8 values cost the server
     * far less to send as 8 bytes than as shortest-round-trip text.
     */
    private static PreparedStatement binary(PreparedStatement ps) throws SQLException {
        if (ps.isWrapperFor(org.postgresql.PGStatement.class)) {
            ps.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(-1);
        }
        return ps;
    }

    private static Cur read(ResultSet rs) throws SQLException {
        Cur cur = new Cur();
        long qid = rs.getLong(1);
        cur.queryid = Long.toString(qid);
        long since = rs.getLong(2);
        if (!rs.wasNull()) {
            cur.statsSince = since;
        }
        cur.datname = nz(rs.getString(3));
        cur.rolname = nz(rs.getString(4));
        boolean top = rs.getBoolean(5);
        int toplevel = rs.wasNull() ? -1 : top ? 1 : 0;
        cur.toplevel = toplevel < 0 ? "" : top ? "true" : "false";
        for (int j = 0; j < COUNTERS.length; j++) {
            double d = rs.getDouble(9 + j);
            cur.v[j] = rs.wasNull() ? Double.NaN : d;
        }
        double m = rs.getDouble(9 + COUNTERS.length);
        cur.max = rs.wasNull() ? Double.NaN : m;
        cur.key = new StatementsMemory.Key(qid, rs.getLong(6), rs.getLong(7), toplevel);
        return cur;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static SnapshotRow row(Cur cur, boolean[] avail) {
        SnapshotRow r = ResultRows.empty(ResultRows.def("pg_stat_statements"));
        r.label("queryid", cur.queryid);
        r.label("datname", cur.datname);
        r.label("rolname", cur.rolname);
        r.label("toplevel", cur.toplevel);
        for (int j = 0; j < COUNTERS.length; j++) {
            r.value(COUNTERS[j], !avail[j] || Double.isNaN(cur.v[j]) ? null : cur.v[j]);
        }
        r.value("max_exec_time", Double.isNaN(cur.max) ? null : cur.max);
        r.setStatsReset(cur.entry.runStart);
        return r;
    }

    private static List<QueryText> readTexts(Connection c, String schema, Set<Long> ids, int max) throws SQLException {
        List<QueryText> texts = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(SqlVariants.tag("pg_stat_statements_texts", TEXTS.formatted(quoteIdent(schema))))) {
            ps.setInt(1, max);
            ps.setInt(2, max);
            ps.setArray(3, c.createArrayOf("int8", ids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    texts.add(new QueryText(rs.getString(1), rs.getString(2), rs.getBoolean(3)));
                }
            }
        }
        return texts;
    }
}
