package dev.datainsight.collector.probe;

import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.ViewDef;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The blocking graph from {@code pg_blocking_pids()}: one row per root blocker (a session that
 * blocks others and does not itself wait on a lock), with the number of sessions it blocks
 * directly or transitively, the longest of their waits, and the blocker's transaction age.
 * Labels: blocker pid, database, state and query id (14+; empty on 13). A prepared transaction
 * that blocks shows as pid 0 with state {@code prepared}.
 *
 * <p>Cost: the first query touches only sessions waiting on a lock (usually none, then it is the
 * only query); {@code pg_blocking_pids} and {@code pg_locks} are read only when there are waiters.
 * Wait start: {@code pg_locks.waitstart} on 14+, {@code query_start} on 13.
 * Ages are measured to {@code clock_timestamp()} (see {@link ActivityProbe}: never negative).
 */
public final class LocksProbe implements Probe {

    private static final String WAITERS = SqlVariants.tag("pg_locks", """
            SELECT a.pid, pg_catalog.pg_blocking_pids(a.pid) AS blockers,
              EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - a.query_start) AS wait_seconds
            FROM pg_catalog.pg_stat_activity a
            WHERE a.wait_event_type = 'Lock' AND a.pid <> pg_catalog.pg_backend_pid()""");

    private static final String WAITSTART = SqlVariants.tag("pg_locks", """
            SELECT l.pid, EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - pg_catalog.min(l.waitstart)) AS wait_seconds
            FROM pg_catalog.pg_locks l
            WHERE NOT l.granted AND l.pid = ANY (?)
            GROUP BY l.pid""");

    private static final SqlVariants BLOCKERS = SqlVariants.of("pg_locks", Map.of(
            130000, """
                    SELECT a.pid, a.datname, a.state, NULL::text AS query_id,
                      EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - a.xact_start) AS xact_age
                    FROM pg_catalog.pg_stat_activity a WHERE a.pid = ANY (?)""",
            140000, """
                    SELECT a.pid, a.datname, a.state, a.query_id::text AS query_id,
                      EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - a.xact_start) AS xact_age
                    FROM pg_catalog.pg_stat_activity a WHERE a.pid = ANY (?)"""));

    @Override
    public String name() {
        return "pg_locks";
    }

    @Override
    public ProbeGroup group() {
        return ProbeGroup.FAST;
    }

    /** The SQL this probe sends (for docs and tests). */
    public static List<String> allSql() {
        List<String> l = new ArrayList<>(List.of(WAITERS, WAITSTART));
        l.addAll(BLOCKERS.all().values());
        return l;
    }

    @Override
    public ProbeOutput collect(ProbeContext ctx) throws SQLException {
        Connection c = ctx.connection();
        Map<Integer, int[]> blockersOf = new LinkedHashMap<>();
        Map<Integer, Double> waitOf = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(WAITERS); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                int pid = rs.getInt(1);
                Array a = rs.getArray(2);
                Integer[] b = a == null ? new Integer[0] : (Integer[]) a.getArray();
                int[] bs = new int[b.length];
                for (int i = 0; i < b.length; i++) {
                    bs[i] = b[i];
                }
                blockersOf.put(pid, bs);
                waitOf.put(pid, ResultRows.number(rs.getObject(3)));
            }
        }
        blockersOf.values().removeIf(b -> b.length == 0);
        if (blockersOf.isEmpty()) {
            return ProbeOutput.of(List.of());
        }
        if (ctx.serverVersionNum() >= 140000) {
            try (PreparedStatement ps = c.prepareStatement(WAITSTART)) {
                ps.setArray(1, c.createArrayOf("int4", blockersOf.keySet().toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Double w = ResultRows.number(rs.getObject(2));
                        if (w != null) {
                            waitOf.put(rs.getInt(1), w);
                        }
                    }
                }
            }
        }
        // Roots: blockers that are not themselves blocked. Every waiter counts once for each root
        // it (transitively) waits on.
        Map<Integer, Set<Integer>> waitersOfRoot = new TreeMap<>();
        for (Integer waiter : blockersOf.keySet()) {
            Deque<Integer> todo = new ArrayDeque<>();
            Set<Integer> seen = new HashSet<>();
            for (int b : blockersOf.get(waiter)) {
                todo.add(b);
            }
            while (!todo.isEmpty()) {
                int b = todo.pop();
                if (!seen.add(b)) {
                    continue;
                }
                int[] next = blockersOf.get(b);
                if (next == null) {
                    waitersOfRoot.computeIfAbsent(b, k -> new HashSet<>()).add(waiter);
                } else {
                    for (int n : next) {
                        todo.add(n);
                    }
                }
            }
        }
        if (waitersOfRoot.isEmpty()) {
            return ProbeOutput.of(List.of());
        }
        Map<Integer, Object[]> info = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(BLOCKERS.forVersion(ctx.serverVersionNum()))) {
            ps.setArray(1, c.createArrayOf("int4", waitersOfRoot.keySet().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    info.put(rs.getInt(1), new Object[] {rs.getString(2), rs.getString(3), rs.getString(4),
                        ResultRows.number(rs.getObject(5))});
                }
            }
        }
        ViewDef def = ResultRows.def("pg_locks");
        List<SnapshotRow> rows = new ArrayList<>();
        for (Map.Entry<Integer, Set<Integer>> e : waitersOfRoot.entrySet()) {
            int pid = e.getKey();
            Object[] i = info.get(pid);
            SnapshotRow r = ResultRows.empty(def);
            r.label("blocker_pid", Integer.toString(pid));
            r.label("datname", i == null || i[0] == null ? "" : (String) i[0]);
            r.label("blocker_state", i == null ? (pid == 0 ? "prepared" : "gone") : i[1] == null ? "" : (String) i[1]);
            r.label("blocker_query_id", i == null || i[2] == null ? "" : (String) i[2]);
            double longest = 0;
            boolean any = false;
            for (Integer w : e.getValue()) {
                Double d = waitOf.get(w);
                if (d != null) {
                    longest = any ? Math.max(longest, d) : d;
                    any = true;
                }
            }
            r.value("waiters", (double) e.getValue().size());
            r.value("longest_wait_seconds", any ? longest : null);
            r.value("blocker_xact_age_seconds", i == null ? null : (Double) i[3]);
            rows.add(r);
        }
        return ProbeOutput.of(rows);
    }
}
