package dev.datainsight.cli.inspect;

import java.util.List;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inspect activity}: what {@code connections} shows, then the sessions doing something
 * (every state but idle), longest-open transaction first, with wait event and statement.
 */
@Command(name = "activity", mixinStandardHelpOptions = true,
        description = "Connection usage as in 'connections', then the sessions that are not idle: longest transaction"
                + " first, with state, wait event and statement.")
public final class InspectActivityCommand extends LiveInspectCommand<InspectActivityCommand.Report> {
    @Option(names = "--limit", paramLabel = "N", defaultValue = "20",
            description = "Groups and sessions listed (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--text-chars", paramLabel = "N",
            description = "Characters of each statement read from the server (default: the collector's, ${DEFAULT-VALUE}).")
    int textChars = dev.datainsight.collector.probe.SessionLimits.defaults().queryTextMaxChars();

    /** A session that is not idle. */
    public record Session(int pid, String user, String application, String client, String database, String state,
            String waitEvent, Double transactionAgeSeconds, Double stateAgeSeconds, String statement) {
    }

    /** Connections plus the busy sessions. */
    public record Report(Connections.Summary connections, List<Session> sessions) {
    }

    private static final String SESSIONS = """
            SELECT a.pid, a.usename::text, a.application_name, pg_catalog.host(a.client_addr), a.datname::text, a.state,
                   CASE WHEN a.wait_event IS NULL THEN NULL ELSE a.wait_event_type || ':' || a.wait_event END,
                   EXTRACT(EPOCH FROM pg_catalog.now() - a.xact_start)::float8,
                   EXTRACT(EPOCH FROM pg_catalog.now() - a.state_change)::float8,
                   pg_catalog.left(a.query, ?)
            FROM pg_catalog.pg_stat_activity a
            WHERE a.backend_type = 'client backend' AND a.state IS DISTINCT FROM 'idle'
              AND a.pid <> pg_catalog.pg_backend_pid()
            ORDER BY a.xact_start NULLS LAST, a.state_change NULLS LAST
            LIMIT ?
            """;

    @Override
    void validate() {
        range("--limit", limit, 1, 10_000);
        range("--text-chars", textChars, 1, 100_000);
    }

    @Override
    Report read(InspectSession s) {
        Connections.Summary c = Connections.read(s, "activity", limit);
        List<Session> sessions = s.query("activity", SESSIONS, ps -> {
            ps.setInt(1, textChars);
            ps.setInt(2, limit);
        }, rs -> new Session(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), InspectLocksCommand.num(rs, 8), InspectLocksCommand.num(rs, 9),
                rs.getString(10)));
        return new Report(c, sessions);
    }

    @Override
    void print(Report r, Terminal t) {
        Connections.print(r.connections(), t);
        t.println();
        if (r.sessions().isEmpty()) {
            t.println(t.bold("No session is busy (all idle)."));
            return;
        }
        t.println(t.bold(r.sessions().size() + " session" + (r.sessions().size() == 1 ? "" : "s")
                + " not idle, longest transaction first:"));
        Table table = new Table("PID>", "USER", "APP", "CLIENT", "DB", "STATE", "WAIT", "XACT AGE>", "IN STATE>", "STATEMENT");
        for (Session x : r.sessions()) {
            UnaryOperator<String>[] st = Table.all(table.columns(), null);
            if (x.state() != null && x.state().startsWith("idle in transaction")) {
                st[5] = t::yellow;
            }
            table.row(st, String.valueOf(x.pid()), Terminal.safe(x.user(), 24), Terminal.safe(x.application(), 24),
                    x.client() == null ? "local" : Terminal.safe(x.client()), Terminal.safe(x.database(), 24),
                    Terminal.safe(x.state()), Terminal.safe(x.waitEvent()), Terminal.age(x.transactionAgeSeconds()),
                    Terminal.age(x.stateAgeSeconds()), Terminal.safe(x.statement(), 70));
        }
        table.print(t);
    }
}
