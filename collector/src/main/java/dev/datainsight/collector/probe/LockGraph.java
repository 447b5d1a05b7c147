package dev.datainsight.collector.probe;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * Who waits on whom, from <b>one</b> read of {@code pg_locks}: a self-join of the waiting locks
 * with the locks on the same lockable object whose mode conflicts (PostgreSQL's conflict table),
 * held ones (hard blockers) and, for queue order, waiting ones ahead (soft blockers: on 14+ those
 * whose {@code waitstart} is earlier; on 13, which has no waitstart, any conflicting waiter).
 *
 * <p>Why not {@code pg_blocking_pids()}: every call takes all lock-partition LWLocks, and one call
 * per waiter does that as many times as there are waiters, exactly during the pile-ups watched.
 * Reading {@code pg_locks} once takes them once. The read is gated: the statement scans pg_locks
 * only while some session waits on a lock (a one-time filter on pg_stat_activity).
 *
 * <p>Bounds: at most {@value #MAX_WAITING} waiting locks and {@value #MAX_EDGES} edges are read.
 * A prepared transaction holds its locks without a pid: it appears as pid 0. The collector's own
 * sessions (its application_name under its role) are left out, as everywhere. Relation names are
 * resolved in the database the collector is connected to; a relation of another database shows
 * as {@code oid <n>}.
 */
final class LockGraph {
    static final int MAX_WAITING = 500;
    static final int MAX_EDGES = 2000;
    static final String SCRATCH_KEY = "lock-graph";

    private static final String[] MODES = {"AccessShareLock", "RowShareLock", "RowExclusiveLock",
        "ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"};
    /** CONFLICTS[i] = indices of the modes that mode i conflicts with (the table in the PostgreSQL docs). */
    private static final int[][] CONFLICTS = {
        {7},
        {6, 7},
        {4, 5, 6, 7},
        {3, 4, 5, 6, 7},
        {2, 3, 5, 6, 7},
        {2, 3, 4, 5, 6, 7},
        {1, 2, 3, 4, 5, 6, 7},
        {0, 1, 2, 3, 4, 5, 6, 7}};

    private static final String TEMPLATE = """
            WITH l AS MATERIALIZED (
              SELECT COALESCE(l.pid, 0) AS pid, l.locktype, l.mode, l.granted, l.database, l.relation, l.page, l.tuple,
                l.virtualxid, l.transactionid, l.classid, l.objid, l.objsubid, %1$s AS waitstart
              FROM pg_catalog.pg_locks l
              WHERE (l.pid IS NULL OR l.pid <> pg_catalog.pg_backend_pid())
                AND COALESCE(l.pid, 0) NOT IN (SELECT o.pid FROM pg_catalog.pg_stat_activity o
                  WHERE o.application_name = ? AND o.usename = CURRENT_USER)
                AND EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity x WHERE x.wait_event_type = 'Lock')
            ), w AS (
              SELECT * FROM l WHERE NOT l.granted LIMIT %3$d
            ), c(held, wanted) AS (
              VALUES %4$s
            ), e AS (
              SELECT DISTINCT w.pid AS waiter, b.pid AS blocker
              FROM w JOIN l b ON b.pid <> w.pid AND b.locktype = w.locktype
                AND b.database IS NOT DISTINCT FROM w.database AND b.relation IS NOT DISTINCT FROM w.relation
                AND b.page IS NOT DISTINCT FROM w.page AND b.tuple IS NOT DISTINCT FROM w.tuple
                AND b.virtualxid IS NOT DISTINCT FROM w.virtualxid AND b.transactionid IS NOT DISTINCT FROM w.transactionid
                AND b.classid IS NOT DISTINCT FROM w.classid AND b.objid IS NOT DISTINCT FROM w.objid
                AND b.objsubid IS NOT DISTINCT FROM w.objsubid
              JOIN c ON c.held = b.mode AND c.wanted = w.mode
              WHERE b.granted OR %2$s
              LIMIT %5$d
            ), here AS (
              SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
            ), r AS (
              SELECT 'w' AS kind, w.pid, NULL::int AS blocker, w.mode, w.locktype, w.database, w.relation,
                EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - COALESCE(w.waitstart, a.query_start)) AS wait_seconds
              FROM w LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = w.pid
              UNION ALL
              SELECT 'e', e.waiter, e.blocker, NULL, NULL, NULL, NULL, NULL FROM e
              UNION ALL
              SELECT DISTINCT 'h', hb.pid, NULL::int, hb.mode, hb.locktype, hb.database, hb.relation, NULL::numeric
              FROM e JOIN l hb ON hb.pid = e.blocker AND hb.granted AND hb.locktype = 'relation'
              JOIN l hw ON hw.pid = e.waiter AND hw.locktype IN ('relation', 'tuple', 'page')
                AND hw.relation = hb.relation AND hw.database IS NOT DISTINCT FROM hb.database
            )
            SELECT r.kind, r.pid, r.blocker, r.mode, r.locktype, r.wait_seconds,
              CASE WHEN r.relation IS NULL THEN NULL
                   WHEN r.database = (SELECT oid FROM here) THEN
                     (SELECT n.nspname || '.' || cl.relname FROM pg_catalog.pg_class cl
                      JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace WHERE cl.oid = r.relation)
                   ELSE NULL END AS relname,
              r.relation::text AS relid,
              (SELECT cl.relkind::text FROM pg_catalog.pg_class cl WHERE cl.oid = r.relation
                 AND r.database = (SELECT oid FROM here)) AS relkind
            FROM r""";

    private static final SqlVariants SQL = SqlVariants.of("pg_locks", Map.of(
            130000, TEMPLATE.formatted("NULL::timestamptz", "NOT b.granted", MAX_WAITING, conflictValues(), MAX_EDGES),
            140000, TEMPLATE.formatted("l.waitstart",
                    "(NOT b.granted AND (b.waitstart IS NULL OR w.waitstart IS NULL OR b.waitstart < w.waitstart))",
                    MAX_WAITING, conflictValues(), MAX_EDGES)));

    /** waiter → the sessions it waits on directly (hard or soft). */
    final Map<Integer, Set<Integer>> blockersOf = new LinkedHashMap<>();
    /** waiter → seconds it has waited (waitstart on 14+, query_start as a fallback and on 13). */
    final Map<Integer, Double> waitSeconds = new HashMap<>();
    /** waiter → the lock it waits for: mode and, for relation-level locks, the relation. */
    final Map<Integer, String[]> waitsFor = new HashMap<>();
    /** blocker → relation → strongest mode it holds there, on relations its direct waiters also lock. */
    final Map<Integer, Map<String, String>> heldRelations = new HashMap<>();
    /** relation name → whether it is a table (not an index, sequence...). */
    final Map<String, Boolean> isTable = new HashMap<>();
    /** Root blocker → every session waiting on it, directly or transitively. */
    final Map<Integer, Set<Integer>> waitersOfRoot = new TreeMap<>();
    /** Waiter → the root blockers it waits on. */
    final Map<Integer, Set<Integer>> rootsOf = new HashMap<>();

    private LockGraph() {}

    /** The SQL (for docs and tests). */
    static List<String> allSql() {
        return new ArrayList<>(SQL.all().values());
    }

    /** The graph of this cycle: read once and shared through the cycle scratch. */
    static LockGraph of(ProbeContext ctx) throws SQLException {
        Map<String, Object> scratch = ctx.cycleScratch();
        Object g = scratch.get(SCRATCH_KEY);
        if (g instanceof LockGraph lg) {
            return lg;
        }
        LockGraph lg = read(ctx.connection(), ctx.serverVersionNum());
        scratch.put(SCRATCH_KEY, lg);
        return lg;
    }

    static LockGraph read(Connection c, int serverVersionNum) throws SQLException {
        LockGraph g = new LockGraph();
        try (PreparedStatement ps = c.prepareStatement(SQL.forVersion(serverVersionNum))) {
            ps.setString(1, Probes.APPLICATION_NAME);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String kind = rs.getString(1);
                    int pid = rs.getInt(2);
                    String rel = relation(rs.getString(7), rs.getString(8));
                    if (rel != null) {
                        g.isTable.put(rel, isTableKind(rs.getString(9)));
                    }
                    switch (kind) {
                        case "w" -> {
                            Double w = ResultRows.number(rs.getObject(6));
                            if (w != null) {
                                g.waitSeconds.merge(pid, Math.max(0, w), Math::max);
                            }
                            g.waitsFor.put(pid, new String[] {rs.getString(4), rel, rs.getString(5)});
                        }
                        case "e" -> g.blockersOf.computeIfAbsent(pid, k -> new LinkedHashSet<>()).add(rs.getInt(3));
                        case "h" -> g.heldRelations.computeIfAbsent(pid, k -> new TreeMap<>())
                                .merge(rel, rs.getString(4), LockGraph::stronger);
                        default -> throw new IllegalStateException("unknown row kind " + kind);
                    }
                }
            }
        }
        g.resolveRoots();
        return g;
    }

    private static String relation(String name, String oid) {
        if (oid == null) {
            return null;
        }
        return name != null ? name : "oid " + oid;
    }

    private static boolean isTableKind(String relkind) {
        return relkind != null && (relkind.equals("r") || relkind.equals("p") || relkind.equals("m"));
    }

    /** Roots: blockers that do not themselves wait. Every waiter counts once per root it waits on. */
    private void resolveRoots() {
        for (Integer waiter : blockersOf.keySet()) {
            Deque<Integer> todo = new ArrayDeque<>(blockersOf.get(waiter));
            Set<Integer> seen = new HashSet<>();
            while (!todo.isEmpty()) {
                int b = todo.pop();
                if (!seen.add(b)) {
                    continue;
                }
                Set<Integer> next = blockersOf.get(b);
                if (next == null) {
                    waitersOfRoot.computeIfAbsent(b, k -> new HashSet<>()).add(waiter);
                    rootsOf.computeIfAbsent(waiter, k -> new HashSet<>()).add(b);
                } else {
                    todo.addAll(next);
                }
            }
        }
    }

    /** Whether any session waits on another. */
    boolean isEmpty() {
        return waitersOfRoot.isEmpty();
    }

    /** The longest wait among a root's waiters, or null when none is known. */
    Double longestWait(int root) {
        Double longest = null;
        for (Integer w : waitersOfRoot.getOrDefault(root, Set.of())) {
            Double d = waitSeconds.get(w);
            if (d != null && (longest == null || d > longest)) {
                longest = d;
            }
        }
        return longest;
    }

    /**
     * What the root holds that its queue waits for: {mode, relation}. The relation a direct waiter
     * waits on when it is one the root holds, else a table the root and its waiters both lock
     * (tables before indexes), else the mode of the lock a direct waiter waits for (e.g. a
     * transaction id: a row lock) with no relation.
     */
    String[] heldLock(int root) {
        Map<String, String> held = heldRelations.getOrDefault(root, Map.of());
        List<Integer> direct = new ArrayList<>();
        for (Map.Entry<Integer, Set<Integer>> e : blockersOf.entrySet()) {
            if (e.getValue().contains(root)) {
                direct.add(e.getKey());
            }
        }
        Collections.sort(direct);
        for (Integer w : direct) {
            String[] f = waitsFor.get(w);
            if (f != null && f[1] != null && held.containsKey(f[1])) {
                return new String[] {held.get(f[1]), f[1]};
            }
        }
        String best = null;
        for (String rel : held.keySet()) {
            if (best == null || (isTable.getOrDefault(rel, false) && !isTable.getOrDefault(best, false))) {
                best = rel;
            }
        }
        if (best != null) {
            return new String[] {held.get(best), best};
        }
        for (Integer w : direct) {
            String[] f = waitsFor.get(w);
            if (f != null) {
                return new String[] {null, f[1]};
            }
        }
        return new String[] {null, null};
    }

    private static String stronger(String a, String b) {
        return index(a) >= index(b) ? a : b;
    }

    private static int index(String mode) {
        for (int i = 0; i < MODES.length; i++) {
            if (MODES[i].equals(mode)) {
                return i;
            }
        }
        return -1;
    }

    private static String conflictValues() {
        StringJoiner j = new StringJoiner(", ");
        for (int i = 0; i < MODES.length; i++) {
            for (int k : CONFLICTS[i]) {
                j.add("('" + MODES[i] + "', '" + MODES[k] + "')");
            }
        }
        return j.toString();
    }
}
