package dev.datainsight.logs;

import java.util.Locale;

/** The three file formats a PostgreSQL server writes its log in ({@code log_destination}). */
public enum LogFormat {
    /** Plain text lines, each starting with {@code log_line_prefix}. */
    STDERR,
    /** Comma-separated values, RFC 4180, one record per entry (fields may hold newlines). */
    CSVLOG,
    /** One JSON object per line (PostgreSQL 15 and later). */
    JSONLOG;

    /** The format of a log file by its name: {@code .csv}, {@code .json}, anything else stderr. */
    public static LogFormat ofFileName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".csv")) {
            return CSVLOG;
        }
        if (n.endsWith(".json")) {
            return JSONLOG;
        }
        return STDERR;
    }
}
