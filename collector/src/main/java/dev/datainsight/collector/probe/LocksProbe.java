package dev.datainsight.collector.probe;

import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.ViewDef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The blocking graph ({@link LockGraph}: one self-join of {@code pg_locks}, shared with
 * {@link SessionsProbe} in the same cycle): one row per root blocker (a session that blocks
 * others and does not itself wait on a lock), with the number of sessions it blocks directly or
 * transitively, the longest of their waits, and the blocker's transaction age. Labels: blocker
 * pid, database, state and query id (14+; empty on 13). A prepared transaction that blocks shows
 * as pid 0 with state {@code prepared}.
 *
 * <p>Cost: the lock graph statement reads pg_locks only while some session waits on a lock
 * (otherwise it is one look at pg_stat_activity and this probe sends nothing else); the blockers'
 * details are one more statement for the roots only. Wait start: {@code pg_locks.waitstart} on
 * 14+, {@code query_start} on 13. Ages are measured to {@code clock_timestamp()} (see
 * {@link ActivityProbe}: never negative).
 */
public final class LocksProbe implements Probe {

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
        List<String> l = new ArrayList<>(LockGraph.allSql());
        l.addAll(BLOCKERS.all().values());
        return l;
    }

    @Override
    public ProbeOutput collect(ProbeContext ctx) throws SQLException {
        Connection c = ctx.connection();
        LockGraph g = LockGraph.of(ctx);
        if (g.isEmpty()) {
            return ProbeOutput.of(List.of());
        }
        Map<Integer, Object[]> info = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(BLOCKERS.forVersion(ctx.serverVersionNum()))) {
            ps.setArray(1, c.createArrayOf("int4", g.waitersOfRoot.keySet().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    info.put(rs.getInt(1), new Object[] {rs.getString(2), rs.getString(3), rs.getString(4),
                        ResultRows.number(rs.getObject(5))});
                }
            }
        }
        ViewDef def = ResultRows.def("pg_locks");
        List<SnapshotRow> rows = new ArrayList<>();
        for (Map.Entry<Integer, Set<Integer>> e : g.waitersOfRoot.entrySet()) {
            int pid = e.getKey();
            Object[] i = info.get(pid);
            SnapshotRow r = ResultRows.empty(def);
            r.label("blocker_pid", Integer.toString(pid));
            r.label("datname", i == null || i[0] == null ? "" : (String) i[0]);
            r.label("blocker_state", i == null ? (pid == 0 ? "prepared" : "gone") : i[1] == null ? "" : (String) i[1]);
            r.label("blocker_query_id", i == null || i[2] == null ? "" : (String) i[2]);
            r.value("waiters", (double) e.getValue().size());
            r.value("longest_wait_seconds", g.longestWait(pid));
            r.value("blocker_xact_age_seconds", i == null ? null : (Double) i[3]);
            rows.add(r);
        }
        return ProbeOutput.of(rows);
    }
}
