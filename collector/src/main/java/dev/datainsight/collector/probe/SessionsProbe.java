package dev.datainsight.collector.probe;

import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.ViewDef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-session detail ({@code pg_stat_activity_sessions}, a detail view: no rollup series) so that
 * alerts can say <em>who</em>. At most {@link SessionLimits#maxSessionRows()} (≤ 20) rows per
 * cycle, in this order of priority, one row per session with every reason it was chosen for:
 * <ol>
 *   <li>every root blocker ({@code reasons} has {@code blocker}; {@code waiters},
 *       {@code longest_wait_seconds}, and in {@code lock_mode}/{@code relation} the lock its queue
 *       waits for), the largest queues first;</li>
 *   <li>their waiters ({@code waiter}; {@code blocked_by} = root pid(s), {@code lock_mode} and
 *       {@code relation} of the lock it waits for, {@code lock_wait_seconds}), longest waits first;</li>
 *   <li>sessions idle in transaction for at least the floor ({@code idle_in_transaction}), longest
 *       first; the longest one always, whatever the floor;</li>
 *   <li>the N oldest open transactions of client backends ({@code oldest_xact}).</li>
 * </ol>
 * Both graph and sessions come from one {@link LockGraph} (shared with {@link LocksProbe}) and one
 * read of {@code pg_stat_activity}. The collector's own sessions are excluded (its
 * application_name under its own role; {@code pg_stat_activity.collector_connections} counts
 * them). {@code query} is the start of {@code pg_stat_activity.query} as a pg_monitor member sees
 * it: <b>not normalized</b> (literals included), so it is cut to
 * {@link SessionLimits#queryTextMaxChars()}, control characters are replaced by spaces, and a
 * fleet can turn it off ({@code session_query_text: false}); it never leaves the server then.
 */
public final class SessionsProbe implements Probe {
    public static final String VIEW = "pg_stat_activity_sessions";

    private static final String TEMPLATE = """
            SELECT a.pid, a.datname, a.usename, a.application_name, pg_catalog.host(a.client_addr) AS client_addr,
              a.backend_type, a.state, a.wait_event_type, a.wait_event, %s AS query_id,
              pg_catalog.left(a.query, ?) AS query,
              EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - a.xact_start) AS xact_age_seconds,
              EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - a.state_change) AS state_age_seconds,
              pg_catalog.age(a.backend_xmin) AS backend_xmin_age,
              a.xact_rank, a.idle_rank,
              a.state_change <= pg_catalog.clock_timestamp() - pg_catalog.make_interval(secs => ?) AS idle_past_floor
            FROM (
              SELECT a.*,
                CASE WHEN a.backend_type = 'client backend' AND a.xact_start IS NOT NULL THEN
                  pg_catalog.row_number() OVER (PARTITION BY a.backend_type = 'client backend' AND a.xact_start IS NOT NULL
                    ORDER BY a.xact_start) END AS xact_rank,
                CASE WHEN a.state IN ('idle in transaction', 'idle in transaction (aborted)') THEN
                  pg_catalog.row_number() OVER (PARTITION BY a.state IN ('idle in transaction', 'idle in transaction (aborted)')
                    ORDER BY a.state_change) END AS idle_rank
              FROM pg_catalog.pg_stat_activity a
              WHERE a.pid <> pg_catalog.pg_backend_pid()
                AND NOT (a.application_name = ? AND a.usename = CURRENT_USER)
            ) a
            WHERE a.pid = ANY (?) OR a.xact_rank <= ? OR a.idle_rank <= ?""";

    private static final SqlVariants SQL = SqlVariants.of(VIEW, Map.of(
            130000, TEMPLATE.formatted("NULL::text"),
            140000, TEMPLATE.formatted("a.query_id::text")));

    @Override
    public String name() {
        return VIEW;
    }

    @Override
    public ProbeGroup group() {
        return ProbeGroup.FAST;
    }

    /** The SQL variants (for docs and tests). */
    public SqlVariants sql() {
        return SQL;
    }

    private record Session(Map<String, String> labels, Double xactAge, Double stateAge, Double xminAge,
            Long xactRank, Long idleRank, boolean idlePastFloor) {}

    @Override
    public ProbeOutput collect(ProbeContext ctx) throws SQLException {
        SessionLimits lim = ctx.sessionLimits();
        int max = lim.maxSessionRows();
        LockGraph g = LockGraph.of(ctx);
        List<Integer> roots = new ArrayList<>(g.waitersOfRoot.keySet());
        roots.sort(Comparator.<Integer>comparingInt(r -> -g.waitersOfRoot.get(r).size()).thenComparing(r -> r));
        List<Integer> waiters = new ArrayList<>(g.rootsOf.keySet());
        waiters.sort(Comparator.<Integer>comparingDouble(w -> -g.waitSeconds.getOrDefault(w, 0.0)).thenComparing(w -> w));
        Set<Integer> wanted = new LinkedHashSet<>();
        for (Integer r : roots) {
            if (wanted.size() < max) {
                wanted.add(r);
            }
        }
        for (Integer w : waiters) {
            if (wanted.size() < max) {
                wanted.add(w);
            }
        }
        Connection c = ctx.connection();
        Map<Integer, Session> byPid = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(SQL.forVersion(ctx.serverVersionNum()))) {
            int i = 1;
            ps.setInt(i++, lim.queryText() ? lim.queryTextMaxChars() : 0);
            ps.setDouble(i++, lim.idleInTransactionFloorSeconds());
            ps.setString(i++, Probes.APPLICATION_NAME);
            ps.setArray(i++, c.createArrayOf("int4", wanted.toArray()));
            ps.setInt(i++, lim.oldestTransactions());
            ps.setInt(i++, max);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, String> l = new LinkedHashMap<>();
                    int pid = rs.getInt("pid");
                    l.put("pid", Integer.toString(pid));
                    for (String k : List.of("datname", "usename", "application_name", "client_addr", "backend_type",
                            "state", "wait_event_type", "wait_event", "query_id")) {
                        l.put(k, clean(rs.getString(k), 200));
                    }
                    l.put("query", lim.queryText() ? clean(rs.getString("query"), lim.queryTextMaxChars()) : "");
                    byPid.put(pid, new Session(l, nonNegative(rs.getObject("xact_age_seconds")),
                            nonNegative(rs.getObject("state_age_seconds")), nonNegative(rs.getObject("backend_xmin_age")),
                            (Long) rs.getObject("xact_rank"), (Long) rs.getObject("idle_rank"),
                            rs.getBoolean("idle_past_floor")));
                }
            }
        }
        // Priority order; a session chosen for several reasons is one row with all of them.
        Map<Integer, Set<String>> reasons = new LinkedHashMap<>();
        for (Integer r : roots) {
            reasons.computeIfAbsent(r, k -> new LinkedHashSet<>()).add("blocker");
        }
        for (Integer w : waiters) {
            reasons.computeIfAbsent(w, k -> new LinkedHashSet<>()).add("waiter");
        }
        List<Session> idle = new ArrayList<>();
        List<Session> oldest = new ArrayList<>();
        for (Session s : byPid.values()) {
            // The longest idle in transaction is always listed: it is the one the aggregate's
            // oldest_idle_in_transaction_seconds (and idle_in_transaction) is about.
            if (s.idleRank() != null && (s.idlePastFloor() || s.idleRank() == 1)) {
                idle.add(s);
            }
            if (s.xactRank() != null && s.xactRank() <= lim.oldestTransactions()) {
                oldest.add(s);
            }
        }
        idle.sort(Comparator.comparingLong(Session::idleRank));
        oldest.sort(Comparator.comparingLong(Session::xactRank));
        for (Session s : idle) {
            reasons.computeIfAbsent(Integer.valueOf(s.labels().get("pid")), k -> new LinkedHashSet<>())
                    .add("idle_in_transaction");
        }
        for (Session s : oldest) {
            reasons.computeIfAbsent(Integer.valueOf(s.labels().get("pid")), k -> new LinkedHashSet<>()).add("oldest_xact");
        }
        ViewDef def = ResultRows.def(VIEW);
        List<SnapshotRow> rows = new ArrayList<>();
        for (Map.Entry<Integer, Set<String>> e : reasons.entrySet()) {
            if (rows.size() >= max) {
                break;
            }
            int pid = e.getKey();
            Session s = byPid.get(pid);
            if (s == null && pid != 0) {
                continue; // ended between the two reads, or beyond the bound
            }
            SnapshotRow r = ResultRows.empty(def);
            for (String k : def.labelKeys()) {
                r.label(k, "");
            }
            if (s != null) {
                r.getLabels().putAll(s.labels());
                r.value("xact_age_seconds", s.xactAge());
                r.value("state_age_seconds", s.stateAge());
                r.value("backend_xmin_age", s.xminAge());
            } else {
                r.label("pid", "0");
                r.label("state", "prepared");
            }
            r.label("reasons", String.join(",", e.getValue()));
            if (e.getValue().contains("blocker")) {
                String[] held = g.heldLock(pid);
                r.label("lock_mode", held[0] == null ? "" : held[0]);
                r.label("relation", held[1] == null ? "" : clean(held[1], 200));
                r.value("waiters", (double) g.waitersOfRoot.get(pid).size());
                r.value("longest_wait_seconds", g.longestWait(pid));
            }
            if (e.getValue().contains("waiter")) {
                String[] f = g.waitsFor.get(pid);
                if (!e.getValue().contains("blocker") && f != null) {
                    r.label("lock_mode", f[0] == null ? "" : f[0]);
                    r.label("relation", f[1] == null ? "" : clean(f[1], 200));
                }
                List<String> by = new ArrayList<>();
                for (Integer root : new java.util.TreeSet<>(g.rootsOf.get(pid))) {
                    by.add(Integer.toString(root));
                }
                r.label("blocked_by", String.join(",", by));
                r.value("lock_wait_seconds", g.waitSeconds.get(pid));
            }
            rows.add(r);
        }
        return ProbeOutput.of(rows);
    }

    private static Double nonNegative(Object o) {
        Double d = ResultRows.number(o);
        return d == null ? null : Math.max(0, d);
    }

    /**
     * Untrusted text from the server (query text, application_name, ...): control characters
     * become spaces, runs of whitespace collapse, and the result is cut to {@code max} characters
     * (an ellipsis marks the cut). Null becomes "".
     */
    static String clean(String s, int max) {
        if (s == null || max <= 0) {
            return "";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), max + 1));
        boolean space = false;
        int i = 0;
        while (i < s.length() && b.length() < max) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            boolean ws = Character.isWhitespace(cp) || Character.isISOControl(cp)
                    || Character.getType(cp) == Character.FORMAT || cp == 0x2028 || cp == 0x2029;
            if (ws) {
                if (!space && b.length() > 0) {
                    b.append(' ');
                }
                space = true;
            } else {
                b.appendCodePoint(cp);
                space = false;
            }
        }
        boolean cut = !s.substring(i).isBlank();
        String out = b.toString().strip();
        return cut ? out + "…" : out;
    }
}
