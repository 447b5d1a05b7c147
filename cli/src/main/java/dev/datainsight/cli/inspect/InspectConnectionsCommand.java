package dev.datainsight.cli.inspect;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inspect connections}: slot usage against the usable maximum and what is left, client
 * sessions by state and by (role, application, client), the top holder (see {@link Connections}).
 * Reads pg_stat_activity once (one row per group, not per session) and three settings.
 */
@Command(name = "connections", mixinStandardHelpOptions = true,
        description = "Connection slots: used of usable (max_connections - superuser_reserved_connections -"
                + " reserved_connections) and what is left, sessions by state and by (user, app, client).")
public final class InspectConnectionsCommand extends LiveInspectCommand<Connections.Summary> {
    @Option(names = "--limit", paramLabel = "N", defaultValue = "20",
            description = "(user, app, client) groups listed, largest first (default ${DEFAULT-VALUE}).")
    int limit;

    @Override
    void validate() {
        range("--limit", limit, 1, 10_000);
    }

    @Override
    Connections.Summary read(InspectSession s) {
        return Connections.read(s, "connections", limit);
    }

    @Override
    void print(Connections.Summary report, Terminal t) {
        Connections.print(report, t);
    }
}
