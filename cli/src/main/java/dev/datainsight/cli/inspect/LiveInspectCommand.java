package dev.datainsight.cli.inspect;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * A subcommand of {@code inspect} that reads a live server: options are checked (its own first,
 * then the target's) before anything connects; then one {@link InspectSession}, one report, printed
 * as a table or as JSON.
 *
 * @param <R> the report, a record: what {@code --json} prints and what the table is made from
 */
abstract class LiveInspectCommand<R> implements Callable<Integer> {
    @ParentCommand
    InspectCommand parent;

    @Mixin
    TargetOptions target;

    @Mixin
    OutputOptions output;

    @Spec
    CommandLine.Model.CommandSpec spec;

    /** The environment the password and NO_COLOR are read from (tests replace it). */
    Map<String, String> env = System.getenv();

    /** Checks this subcommand's own options; throw {@link CommandLine.ParameterException} to refuse. */
    void validate() {
    }

    /** Reads the report over the session's one connection. */
    abstract R read(InspectSession session) throws InterruptedException;

    /** Prints the report for people. */
    abstract void print(R report, Terminal t);

    /** A positive bounded integer option, checked before connecting. */
    final void range(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    name + " must be between " + min + " and " + max + ", got " + value);
        }
    }

    @Override
    public final Integer call() throws Exception {
        validate();
        TargetOptions.Resolved t = TargetOptions.resolve(spec.commandLine(), target, parent == null ? null : parent.target, env);
        OutputOptions outer = parent == null ? null : parent.output;
        PrintWriter out = spec.commandLine().getOut();
        R report;
        try (InspectSession s = InspectSession.open(t)) {
            report = read(s);
        }
        if (OutputOptions.json(output, outer)) {
            out.println(SafeJson.mapper().writeValueAsString(report));
        } else {
            boolean colour = Terminal.colourWanted(OutputOptions.color(output, outer), Terminal.stdoutIsTerminal(), env);
            print(report, new Terminal(out, colour));
        }
        out.flush();
        return 0;
    }
}
