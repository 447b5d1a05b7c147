package dev.datainsight.cli;

import dev.datainsight.config.DataSize;
import dev.datainsight.config.DurationSyntax;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ./datainsight} command. Each subcommand is a class of its own in this package;
 * register new ones in {@link #SUBCOMMANDS}.
 */
@Command(name = "datainsight", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Streaming analyzer for fleets of PostgreSQL servers.%n",
        commandListHeading = "%nCommands:%n",
        footer = {"", "Run 'datainsight <command> --help' for a command's options. Docs: docs/index.md"})
public final class Main implements Runnable {

    /** Subcommands, in the order --help lists them. */
    static final Class<?>[] SUBCOMMANDS = {
        DemoCommand.class,
        JobCommand.class,
        CheckCommand.class,
        CollectCommand.class,
        BenchCommand.class,
        NotifyCommand.class,
        MigrateCommand.class,
        MaintainCommand.class,
        RestoreArchiveCommand.class,
        ServeCommand.class,
        QueriesCommand.class,
        ExplainCommand.class,
        dev.datainsight.cli.inspect.InspectCommand.class,
    };

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int rc;
        try {
            rc = commandLine().execute(args);
        } catch (Throwable t) {
            // Errors (LinkageError, OutOfMemoryError) bypass picocli's handler; never leave the JVM
            // hanging on non-daemon threads after one.
            System.err.println("error: " + Errors.describe(t));
            if (Boolean.getBoolean("datainsight.debug")) {
                t.printStackTrace();
            }
            rc = 1;
        }
        System.exit(rc);
    }

    /** The configured command line, also used by tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (Class<?> c : SUBCOMMANDS) {
            CommandLine sub = new CommandLine(c);
            if (c == BenchCommand.class) {
                for (Class<?> b : BenchCommand.SUBCOMMANDS) {
                    sub.addSubcommand(b);
                }
            }
            cl.addSubcommand(sub);
        }
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        // Every Duration and size option, in every subcommand, reads the files' syntax.
        cl.registerConverter(Duration.class, DurationSyntax::parse);
        cl.registerConverter(DataSize.class, DataSize::parse);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            cmd.getErr().println(cmd.getColorScheme().errorText("error: " + Errors.describe(ex)));
            if (Boolean.getBoolean("datainsight.debug")) {
                ex.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"DataInsight " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
