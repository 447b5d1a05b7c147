package dev.datainsight.cli.inspect;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code datainsight inspect --target URL <what>}: on-call answers from a live server in a few
 * seconds, no store needed (docs/inspect.md). Each subcommand is a class of its own in this
 * package, listed in {@code subcommands} below; the live ones extend {@link LiveInspectCommand}
 * (one read-only connection with the collector's timeouts). The options here apply to every
 * live subcommand and may also be given after the subcommand's name.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"On-call answers from a live server: who blocks whom, how full the connection slots are,"
                + " wasted indexes, tables autovacuum is behind on, the statements busy right now; and from the store, week over week (trends).",
            "One read-only connection with the collector's statement_timeout and lock_timeout; every query carries"
                + " the comment /* datainsight-inspect */. Tables for people (colour only on a terminal), --json for"
                + " scripts. The password comes from PGPASSWORD or --password-env, never from the command line."},
        subcommands = {
            InspectLocksCommand.class,
            InspectActivityCommand.class,
            InspectConnectionsCommand.class,
            InspectIndexesCommand.class,
            InspectTablesCommand.class,
            InspectQueriesCommand.class,
            InspectTrendsCommand.class,
        },
        commandListHeading = "%nWhat to inspect:%n",
        footer = {"", "Examples:",
            "  PGPASSWORD=... datainsight inspect --target postgresql://oncall@db1:5432/app locks",
            "  datainsight inspect --target postgresql://oncall@db1/app connections --json",
            "  datainsight inspect --target postgresql://oncall@db1/app queries --interval 10",
            "  datainsight inspect trends --store jdbc:postgresql://store:5432/datainsight --instance db1",
            "Docs: docs/inspect.md"})
public final class InspectCommand implements Callable<Integer> {
    @Mixin
    TargetOptions target;

    @Mixin
    OutputOptions output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("error: say what to inspect, e.g. 'inspect --target URL locks'");
        spec.commandLine().usage(spec.commandLine().getErr());
        spec.commandLine().getErr().flush();
        return 2;
    }
}
