package dev.datainsight.logs;

/**
 * What a reader keeps of each entry.
 *
 * @param maxEntryChars longest entry kept (characters of raw text); longer entries are cut and
 *     end with {@link #TRUNCATION_MARKER}. Lines longer than this are not buffered whole either.
 * @param statementText false drops every SQL text: the STATEMENT and internal query fields, the
 *     text after {@code statement:}/{@code execute ...:} of duration lines, the statements of a
 *     deadlock's DETAIL, auto_explain's {@code Query Text}, and the raw text of parsed entries
 * @param maskPasswords true (the default) masks the password literal of
 *     {@code CREATE|ALTER ROLE|USER|GROUP ... PASSWORD '...'} in every field
 */
public record LogOptions(int maxEntryChars, boolean statementText, boolean maskPasswords) {
    /** Appended to a cut entry. */
    public static final String TRUNCATION_MARKER = "...[truncated]";
    /** 64 KiB: enough for a long statement and its plan, small enough for a Kafka record. */
    public static final int DEFAULT_MAX_ENTRY_CHARS = 64 * 1024;

    public LogOptions {
        if (maxEntryChars < 256) {
            throw new IllegalArgumentException("maxEntryChars must be at least 256, got " + maxEntryChars);
        }
    }

    public static LogOptions defaults() {
        return new LogOptions(DEFAULT_MAX_ENTRY_CHARS, true, true);
    }

    public LogOptions withMaxEntryChars(int n) {
        return new LogOptions(n, statementText, maskPasswords);
    }

    public LogOptions withStatementText(boolean on) {
        return new LogOptions(maxEntryChars, on, maskPasswords);
    }
}
