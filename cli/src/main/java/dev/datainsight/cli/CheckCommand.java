package dev.datainsight.cli;

import dev.datainsight.config.Problem;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code datainsight check [--kind fleet|job|rules] FILE...}: validates configuration files
 * without running anything (like {@code promtool check config}). Every problem is printed as
 * {@code file:line:column: key: message (hint)}; exit 1 if any file has an error, else 0.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Validate fleet, job and rules files without running anything: every problem of every file"
                + " is printed with file, line, column and key; exit status 1 if there is any, 0 otherwise.",
            "Without --kind, each file's kind is guessed from its top-level keys: " + ConfigCheck.GUESS_RULE + ".",
            "Unset environment variables and unreadable password files are warnings here (the machine that runs"
                + " the collector may have them). Syntax: docs/configuration.md."})
public final class CheckCommand implements Callable<Integer> {

    @Option(names = "--kind", paramLabel = "fleet|job|rules",
            description = "Check every FILE as this kind instead of guessing it from the content.")
    ConfigCheck.Kind kind;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Files to check.")
    List<Path> files;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int errors = 0;
        int bad = 0;
        StringBuilder kinds = new StringBuilder();
        for (Path f : files) {
            ConfigCheck.Result r = ConfigCheck.check(f, kind, System.getenv());
            for (Problem p : r.errors()) {
                err.println("error: " + p);
            }
            for (Problem p : r.warnings()) {
                err.println("warning: " + p);
            }
            errors += r.errors().size();
            bad += r.ok() ? 0 : 1;
            kinds.append(kinds.length() == 0 ? "" : ", ").append(f).append(" (")
                    .append(r.kind() == null ? "unknown" : r.kind().label()).append(')');
        }
        err.flush();
        if (errors > 0) {
            out.printf("%d problem%s in %d of %d file%s%n", errors, errors == 1 ? "" : "s", bad, files.size(),
                    files.size() == 1 ? "" : "s");
            out.flush();
            return 1;
        }
        out.printf("%d file%s OK: %s%n", files.size(), files.size() == 1 ? "" : "s", kinds);
        out.flush();
        return 0;
    }
}
