package dev.datainsight.cli.inspect;

import picocli.CommandLine.Option;

/**
 * How an {@code inspect} subcommand prints: aligned tables for people, or JSON for scripts.
 * Like {@link TargetOptions}, given before or after the subcommand.
 */
public final class OutputOptions {
    /** When tables are coloured. */
    public enum ColorMode { AUTO, ALWAYS, NEVER }

    @Option(names = "--json", description = "Print JSON (one document) instead of tables.")
    boolean json;

    @Option(names = "--color", paramLabel = "WHEN",
            description = "Colour the tables: auto (default: only when stdout is a terminal and NO_COLOR is unset), always, never.")
    ColorMode color;

    /** Whether JSON is asked for, here or on {@code inspect}. */
    public static boolean json(OutputOptions own, OutputOptions outer) {
        return own.json || (outer != null && outer.json);
    }

    /** The colour mode, here or on {@code inspect}; auto when neither says. */
    public static ColorMode color(OutputOptions own, OutputOptions outer) {
        if (own.color != null) {
            return own.color;
        }
        return outer != null && outer.color != null ? outer.color : ColorMode.AUTO;
    }
}
