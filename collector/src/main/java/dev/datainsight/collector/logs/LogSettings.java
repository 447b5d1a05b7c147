package dev.datainsight.collector.logs;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Fleet-wide settings of log collection (the fleet file's {@code logs} section).
 *
 * @param stateFile where the read offsets are kept across restarts (written atomically)
 * @param maxBytesPerCycle bytes read per instance and cycle at most (default 1 MiB): bounds the
 *     server's work and the collector's memory; a backlog is read over several cycles
 * @param statementText false withholds statement text (STATEMENT, the SQL of duration lines, ...)
 * @param maxEntryChars longer entries are cut and marked {@code ...[truncated]}
 */
public record LogSettings(Path stateFile, int maxBytesPerCycle, boolean statementText, int maxEntryChars) {
    public static final int DEFAULT_MAX_BYTES_PER_CYCLE = 1024 * 1024;
    /** Default state file name, beside the fleet file. */
    public static final String DEFAULT_STATE_FILE = "datainsight-log-offsets.json";

    public LogSettings {
        Objects.requireNonNull(stateFile, "stateFile");
        if (maxBytesPerCycle < 1024) {
            throw new IllegalArgumentException("maxBytesPerCycle must be at least 1024, got " + maxBytesPerCycle);
        }
        if (maxEntryChars < 256) {
            throw new IllegalArgumentException("maxEntryChars must be at least 256, got " + maxEntryChars);
        }
    }

    /** Defaults, with the state file in the working directory. */
    public static LogSettings defaults() {
        return new LogSettings(Path.of(DEFAULT_STATE_FILE), DEFAULT_MAX_BYTES_PER_CYCLE, true,
                dev.datainsight.logs.LogOptions.DEFAULT_MAX_ENTRY_CHARS);
    }

    public LogSettings withStateFile(Path p) {
        return new LogSettings(p, maxBytesPerCycle, statementText, maxEntryChars);
    }

    public LogSettings withMaxBytesPerCycle(int n) {
        return new LogSettings(stateFile, n, statementText, maxEntryChars);
    }

    public LogSettings withStatementText(boolean on) {
        return new LogSettings(stateFile, maxBytesPerCycle, on, maxEntryChars);
    }

    public LogSettings withMaxEntryChars(int n) {
        return new LogSettings(stateFile, maxBytesPerCycle, statementText, n);
    }
}
