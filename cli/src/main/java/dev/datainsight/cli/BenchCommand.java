package dev.datainsight.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code datainsight bench ...}: benchmarks that print numbers, each against a baseline measured
 * in the same run. Register new benchmarks in {@link #SUBCOMMANDS}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run a benchmark and print its numbers (each with a same-run baseline).",
        commandListHeading = "%nBenchmarks:%n")
public final class BenchCommand implements Runnable {

    static final Class<?>[] SUBCOMMANDS = {
        StoreBenchCommand.class,
        JobBenchCommand.class,
        CollectorBenchCommand.class,
        ConsoleBenchCommand.class,
    };

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
