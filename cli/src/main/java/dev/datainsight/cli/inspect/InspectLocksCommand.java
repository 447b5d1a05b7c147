package dev.datainsight.cli.inspect;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inspect locks}: the blocking tree. Sessions waiting for a heavyweight lock
 * ({@code wait_event_type = 'Lock'}) and whom they wait for ({@code pg_blocking_pids}, called only
 * for those sessions); the root blockers (blocking, not waiting) with pid, role, application,
 * client, state, transaction age and statement; under each its waiters with how long they have
 * waited ({@code pg_locks.waitstart} on 14+, the statement's start on 13), the lock mode and the
 * relation. A waiter queued on a row (a {@code transactionid} or {@code tuple} lock) shows the
 * tables it holds row locks on. pg_stat_activity and pg_locks are server-wide; relation names are
 * resolved in the connected database (other databases' relations show as OIDs).
 */
@Command(name = "locks", mixinStandardHelpOptions = true,
        description = "The blocking tree: root blockers (pid, user, app, client, state, age, statement) and their"
                + " waiters with wait time, lock mode and relation.")
public final class InspectLocksCommand extends LiveInspectCommand<InspectLocksCommand.Report> {

    @Option(names = "--text-chars", paramLabel = "N",
            description = "Characters of each statement read from the server (default: the collector's, ${DEFAULT-VALUE}).")
    int textChars = dev.datainsight.collector.probe.SessionLimits.defaults().queryTextMaxChars();

    /** One session of the tree. */
    public record Session(int pid, String user, String application, String client, String database, String state,
            Double transactionAgeSeconds, Double stateAgeSeconds, String statement, Double waitSeconds,
            String lockMode, String lockType, String relation, List<Integer> blockedBy, int blocksSessions,
            List<Session> waiters) {
    }

    /** The report: how many sessions wait, and the trees from each root blocker. */
    public record Report(String database, int waitingSessions, List<Session> rootBlockers) {
    }

    private static final String SQL = """
            WITH waiting AS MATERIALIZED (
                SELECT a.pid, pg_catalog.pg_blocking_pids(a.pid) AS blocked_by
                FROM pg_catalog.pg_stat_activity a
                WHERE a.wait_event_type = 'Lock' AND a.pid <> pg_catalog.pg_backend_pid()
            ), edges AS (
                SELECT w.pid, b.blocker FROM waiting w CROSS JOIN LATERAL pg_catalog.unnest(w.blocked_by) AS b(blocker)
            ), involved AS (
                SELECT pid FROM edges UNION SELECT blocker FROM edges
            ), here AS (
                SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
            ), locks AS MATERIALIZED (
                SELECT l.pid, l.granted, l.locktype, l.mode, l.database, l.relation, %s AS waitstart
                FROM pg_catalog.pg_locks l WHERE l.pid IN (SELECT pid FROM involved)
            )
            SELECT a.pid, a.usename::text, a.application_name, pg_catalog.host(a.client_addr), a.datname::text, a.state,
                   EXTRACT(EPOCH FROM pg_catalog.now() - a.xact_start)::float8,
                   EXTRACT(EPOCH FROM pg_catalog.now() - a.state_change)::float8,
                   pg_catalog.left(a.query, ?),
                   EXTRACT(EPOCH FROM pg_catalog.now() - COALESCE(wl.waitstart, a.state_change))::float8,
                   wl.mode, wl.locktype,
                   CASE WHEN wl.relation IS NULL THEN NULL
                        WHEN wl.database = (SELECT oid FROM here) THEN wl.relation::pg_catalog.regclass::text
                        ELSE 'oid ' || wl.relation::text END,
                   (SELECT pg_catalog.string_agg(DISTINCT l.relation::pg_catalog.regclass::text, ', ')
                    FROM locks l JOIN pg_catalog.pg_class c ON c.oid = l.relation AND c.relkind IN ('r', 'p', 'm')
                    WHERE l.pid = a.pid AND l.granted AND l.locktype = 'relation'
                      AND l.mode IN ('RowExclusiveLock', 'RowShareLock') AND l.database = (SELECT oid FROM here)),
                   (SELECT pg_catalog.array_agg(e.blocker ORDER BY e.blocker) FROM edges e WHERE e.pid = a.pid)
            FROM involved i
            JOIN pg_catalog.pg_stat_activity a ON a.pid = i.pid
            LEFT JOIN LATERAL (
                SELECT l.mode, l.locktype, l.database, l.relation, l.waitstart FROM locks l
                WHERE l.pid = a.pid AND NOT l.granted LIMIT 1
            ) wl ON true
            ORDER BY a.pid
            """;

    @Override
    void validate() {
        range("--text-chars", textChars, 1, 100_000);
    }

    /** A session before its place in the tree is known. */
    private record Row(int pid, String user, String app, String client, String db, String state, Double xactAge,
            Double stateAge, String query, Double waited, String mode, String lockType, String relation,
            String heldRows, List<Integer> blockedBy) {
    }

    @Override
    Report read(InspectSession s) {
        String sql = SQL.formatted(s.serverVersionNum() >= 140000 ? "l.waitstart" : "NULL::timestamptz");
        List<Row> rows = s.query("locks", sql, ps -> ps.setInt(1, textChars), InspectLocksCommand::row);
        return tree(s.database(), rows);
    }

    private static Row row(ResultSet rs) throws SQLException {
        Array arr = rs.getArray(15);
        List<Integer> blockers = new ArrayList<>();
        if (arr != null) {
            for (Object o : (Object[]) arr.getArray()) {
                blockers.add(((Number) o).intValue());
            }
        }
        return new Row(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), num(rs, 7), num(rs, 8), rs.getString(9), blockers.isEmpty() ? null : num(rs, 10),
                rs.getString(11), rs.getString(12), rs.getString(13), rs.getString(14), blockers);
    }

    static Double num(ResultSet rs, int i) throws SQLException {
        double v = rs.getDouble(i);
        return rs.wasNull() ? null : v;
    }

    /** Builds the trees: roots are sessions that block and do not wait (or, in a cycle, its lowest pid). */
    static Report tree(String db, List<Row> rows) {
        Map<Integer, Row> byPid = new LinkedHashMap<>();
        rows.forEach(r -> byPid.put(r.pid, r));
        Map<Integer, Set<Integer>> waitersOf = new LinkedHashMap<>();
        int waiting = 0;
        for (Row r : rows) {
            if (!r.blockedBy.isEmpty()) {
                waiting++;
            }
            for (int b : r.blockedBy) {
                waitersOf.computeIfAbsent(b, k -> new TreeSet<>()).add(r.pid);
            }
        }
        List<Integer> roots = new ArrayList<>();
        for (Row r : rows) {
            if (r.blockedBy.isEmpty() && waitersOf.containsKey(r.pid)) {
                roots.add(r.pid);
            }
        }
        // Blockers that ended between the two reads, or a cycle (deadlock not yet detected): start from the lowest pid.
        Set<Integer> reached = new HashSet<>();
        roots.forEach(p -> reach(p, waitersOf, reached));
        for (Row r : rows) {
            if (!reached.contains(r.pid) && waitersOf.containsKey(r.pid)) {
                roots.add(r.pid);
                reach(r.pid, waitersOf, reached);
            }
        }
        List<Session> out = new ArrayList<>();
        for (int root : roots) {
            out.add(node(root, byPid, waitersOf, new HashSet<>()));
        }
        return new Report(db, waiting, out);
    }

    private static void reach(int pid, Map<Integer, Set<Integer>> waitersOf, Set<Integer> seen) {
        if (seen.add(pid)) {
            waitersOf.getOrDefault(pid, Set.of()).forEach(w -> reach(w, waitersOf, seen));
        }
    }

    private static Session node(int pid, Map<Integer, Row> byPid, Map<Integer, Set<Integer>> waitersOf, Set<Integer> path) {
        Row r = byPid.get(pid);
        path.add(pid);
        List<Session> waiters = new ArrayList<>();
        for (int w : waitersOf.getOrDefault(pid, Set.of())) {
            if (!path.contains(w) && byPid.containsKey(w)) {
                waiters.add(node(w, byPid, waitersOf, path));
            }
        }
        path.remove(pid);
        Set<Integer> all = new HashSet<>();
        reach(pid, waitersOf, all);
        all.remove(pid);
        if (r == null) {
            return new Session(pid, null, null, null, null, "gone", null, null, null, null, null, null, null,
                    List.of(), all.size(), waiters);
        }
        String relation = r.relation;
        if (relation == null && r.heldRows != null && ("transactionid".equals(r.lockType) || "tuple".equals(r.lockType))) {
            relation = "row in " + r.heldRows;
        }
        return new Session(pid, r.user, r.app, r.client, r.db, r.state, r.xactAge, r.stateAge, r.query, r.waited,
                r.mode, r.lockType, relation, r.blockedBy, all.size(), waiters);
    }

    @Override
    void print(Report report, Terminal t) {
        if (report.rootBlockers().isEmpty()) {
            t.println(t.bold("No session is waiting for a lock."));
            return;
        }
        t.println(t.bold(report.waitingSessions() + (report.waitingSessions() == 1 ? " session waits" : " sessions wait")
                + " for a lock; " + report.rootBlockers().size() + " root blocker"
                + (report.rootBlockers().size() == 1 ? "" : "s") + "."));
        for (Session r : report.rootBlockers()) {
            t.println(t.red("PID " + r.pid() + " (" + Terminal.safe(r.user(), 40) + ", " + app(r) + ")")
                    + " blocks " + r.blocksSessions() + " session" + (r.blocksSessions() == 1 ? "" : "s")
                    + ": " + Terminal.safe(r.state()) + " for " + Terminal.age(r.stateAgeSeconds())
                    + ", transaction open " + Terminal.age(r.transactionAgeSeconds())
                    + (r.statement() == null || r.statement().isBlank() ? "" : ", last statement: "
                    + Terminal.safe(r.statement(), 80)));
        }
        t.println();
        Table table = new Table("PID", "USER", "APP", "CLIENT", "STATE", "XACT AGE>", "WAITED>", "LOCK", "RELATION",
                "STATEMENT");
        for (Session r : report.rootBlockers()) {
            add(table, r, "", "", t);
        }
        table.print(t);
    }

    private static String app(Session s) {
        String a = Terminal.safe(s.application(), 40);
        return a.isEmpty() ? "no application_name" : a;
    }

    private static void add(Table table, Session s, String prefix, String childPrefix, Terminal t) {
        UnaryOperator<String>[] style = Table.all(table.columns(), null);
        if (s.blockedBy().isEmpty()) {
            style[0] = t::red;
        }
        String lock = s.lockMode() == null ? null : s.lockMode() + " (" + s.lockType() + ")";
        table.row(style, prefix + s.pid(), Terminal.safe(s.user(), 24), Terminal.safe(s.application(), 24),
                Terminal.safe(s.client(), 40), Terminal.safe(s.state(), 30), Terminal.age(s.transactionAgeSeconds()),
                s.waitSeconds() == null ? null : Terminal.age(s.waitSeconds()), lock, Terminal.safe(s.relation(), 40),
                Terminal.safe(s.statement(), 70));
        List<Session> w = s.waiters();
        for (int i = 0; i < w.size(); i++) {
            boolean last = i == w.size() - 1;
            add(table, w.get(i), childPrefix + (last ? "└─ " : "├─ "), childPrefix + (last ? "   " : "│  "), t);
        }
    }
}
