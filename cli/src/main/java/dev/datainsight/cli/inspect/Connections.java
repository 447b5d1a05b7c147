package dev.datainsight.cli.inspect;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Connection slots, shared by {@code inspect connections} and {@code inspect activity}: client
 * backends by state and by (role, application, client address) against the usable maximum,
 * {@code max_connections - superuser_reserved_connections - reserved_connections} (the last from
 * PostgreSQL 16, 0 before). Sessions of roles that may use the reserved slots can push the usage
 * past 100%. The inspecting session itself is counted: it holds a slot too.
 */
public final class Connections {
    private Connections() {}

    /** Sessions of one (role, application, client) by state. */
    public record Group(String user, String application, String client, int sessions, Map<String, Integer> byState,
            Double oldestIdleInTransactionSeconds) {
    }

    /** What one application holds (all roles and clients). */
    public record Holder(String application, int sessions) {
    }

    /** The slot arithmetic and the breakdowns. */
    public record Summary(int maxConnections, int superuserReserved, int reserved, int usable, int used, int left,
            double usedFraction, Map<String, Integer> byState, Holder topHolder, List<Group> groups, int groupsTotal,
            String headline) {
    }

    private static final String SETTINGS = """
            SELECT pg_catalog.current_setting('max_connections')::int,
                   pg_catalog.current_setting('superuser_reserved_connections')::int,
                   COALESCE(pg_catalog.current_setting('reserved_connections', true), '0')::int
            """;

    private static final String GROUPS = """
            SELECT a.usename::text, a.application_name, pg_catalog.host(a.client_addr), a.state, pg_catalog.count(*)::int,
                   pg_catalog.max(EXTRACT(EPOCH FROM pg_catalog.now() - a.state_change))
                       FILTER (WHERE a.state LIKE 'idle in transaction%')::float8
            FROM pg_catalog.pg_stat_activity a
            WHERE a.backend_type = 'client backend'
            GROUP BY 1, 2, 3, 4
            """;

    private record Raw(String user, String app, String client, String state, int n, Double idleTx) {
    }

    static Summary read(InspectSession s, String what, int limit) {
        int[] set = s.one(what, SETTINGS, null, rs -> new int[] {rs.getInt(1), rs.getInt(2), rs.getInt(3)});
        List<Raw> raws = s.query(what, GROUPS, null, rs -> new Raw(rs.getString(1), rs.getString(2), rs.getString(3),
                rs.getString(4), rs.getInt(5), InspectLocksCommand.num(rs, 6)));
        return summarize(set[0], set[1], set[2], raws.stream()
                .map(r -> new Object[] {r.user, r.app, r.client, r.state, r.n, r.idleTx}).toList(), limit);
    }

    /** The arithmetic, from rows {user, app, client, state, count, oldest idle-in-transaction seconds}. */
    static Summary summarize(int max, int su, int reserved, List<Object[]> rows, int limit) {
        int usable = Math.max(0, max - su - reserved);
        Map<String, Integer> byState = new TreeMap<>();
        Map<List<String>, Group> groups = new LinkedHashMap<>();
        Map<String, Integer> byApp = new TreeMap<>();
        int used = 0;
        for (Object[] r : rows) {
            String user = (String) r[0];
            String app = r[1] == null ? "" : (String) r[1];
            String client = (String) r[2];
            // NULL state: another role's session, seen without pg_read_all_stats.
            String state = r[3] == null ? "(not visible: needs pg_read_all_stats)" : (String) r[3];
            int n = (Integer) r[4];
            Double idle = (Double) r[5];
            used += n;
            byState.merge(state, n, Integer::sum);
            byApp.merge(app, n, Integer::sum);
            List<String> key = java.util.Arrays.asList(user, app, client);
            Group g = groups.get(key);
            Map<String, Integer> st = g == null ? new TreeMap<>() : new TreeMap<>(g.byState());
            st.merge(state, n, Integer::sum);
            Double oldest = g == null ? idle : max(g.oldestIdleInTransactionSeconds(), idle);
            groups.put(key, new Group(user, app, client, (g == null ? 0 : g.sessions()) + n, st, oldest));
        }
        List<Group> sorted = new ArrayList<>(groups.values());
        sorted.sort(Comparator.comparingInt(Group::sessions).reversed()
                .thenComparing(g -> Objects.toString(g.application(), "")));
        Holder top = byApp.entrySet().stream().max(Map.Entry.<String, Integer>comparingByValue()
                        .thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder())))
                .map(e -> new Holder(e.getKey(), e.getValue())).orElse(null);
        int left = Math.max(0, usable - used);
        double frac = usable == 0 ? 1 : (double) used / usable;
        String headline = used + " of " + usable + " usable (" + Terminal.percent(frac) + "), " + left + " left";
        if (top != null) {
            headline += "; " + (top.application().isEmpty() ? "sessions without application_name" : Terminal.safe(top.application(), 60))
                    + (top.application().isEmpty() ? " hold " : " holds ") + top.sessions();
        }
        return new Summary(max, su, reserved, usable, used, left, frac, byState, top,
                sorted.subList(0, Math.min(limit, sorted.size())), sorted.size(), headline);
    }

    private static Double max(Double a, Double b) {
        if (a == null) {
            return b;
        }
        return b == null ? a : Math.max(a, b);
    }

    static void print(Summary s, Terminal t) {
        String head = s.headline();
        t.println(s.usedFraction() >= 0.9 ? t.red(t.bold(head)) : s.usedFraction() >= 0.75 ? t.yellow(t.bold(head)) : t.bold(head));
        t.println(t.dim("usable = max_connections " + s.maxConnections() + " - superuser_reserved_connections "
                + s.superuserReserved() + " - reserved_connections " + s.reserved()));
        t.println();
        Table states = new Table("STATE", "SESSIONS>");
        s.byState().entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(e -> states.row(Terminal.safe(e.getKey()), String.valueOf(e.getValue())));
        states.print(t);
        t.println();
        Table g = new Table("USER", "APP", "CLIENT", "SESSIONS>", "ACTIVE>", "IDLE>", "IDLE IN XACT>", "OLDEST IDLE IN XACT>");
        for (Group x : s.groups()) {
            int idleTx = x.byState().entrySet().stream().filter(e -> e.getKey().startsWith("idle in transaction"))
                    .mapToInt(Map.Entry::getValue).sum();
            g.row(Terminal.safe(x.user(), 30), Terminal.safe(x.application(), 40), x.client() == null ? "local" : Terminal.safe(x.client()),
                    String.valueOf(x.sessions()), String.valueOf(x.byState().getOrDefault("active", 0)),
                    String.valueOf(x.byState().getOrDefault("idle", 0)), String.valueOf(idleTx),
                    Terminal.age(x.oldestIdleInTransactionSeconds()));
        }
        g.print(t);
        if (s.groupsTotal() > s.groups().size()) {
            t.println(t.dim("... " + (s.groupsTotal() - s.groups().size()) + " more groups (--limit)"));
        }
    }
}
