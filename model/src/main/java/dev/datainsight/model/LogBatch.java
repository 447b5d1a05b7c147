package dev.datainsight.model;

import java.util.List;
import java.util.Objects;

/**
 * Entries of one server log file read by the collector in one cycle: the record of the
 * {@code datainsight.logs} topic (see docs/wire-format.md, "Log batch"). Entries are in file
 * order and tile {@code [firstOffset, endOffset)}; {@code (instance, file, offset)} identifies an
 * entry, so a consumer can drop the rare re-sent batch (after a collector crash between Kafka's
 * ack and the offset write).
 *
 * @param schema {@link #SCHEMA_VERSION}
 * @param instance instance id of the fleet file (the Kafka key)
 * @param serverVersionNum the server's version, 0 when unknown
 * @param collectedAt when the bytes were read, epoch ms
 * @param source {@code pg_read_file} (agentless) or {@code local} (a directory on the collector's host)
 * @param file the file's name in the log directory
 * @param format {@code stderr}, {@code csvlog} or {@code jsonlog}
 * @param firstOffset file offset of the first entry
 * @param endOffset file offset just after the last entry
 * @param statementText false when the collector withholds statement text ({@code logs.statement_text: false})
 * @param entries the entries, at least one
 */
public record LogBatch(int schema, String instance, int serverVersionNum, long collectedAt, String source, String file,
        String format, long firstOffset, long endOffset, boolean statementText, List<Entry> entries) {

    /** Schema version of log batches this build writes and reads. */
    public static final int SCHEMA_VERSION = 1;
    public static final String SOURCE_AGENTLESS = "pg_read_file";
    public static final String SOURCE_LOCAL = "local";

    public LogBatch {
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(file, "file");
        entries = List.copyOf(entries);
    }

    /**
     * One log entry: a message with its DETAIL / HINT / CONTEXT / STATEMENT lines (stderr), one csv
     * record or one JSON line. A line the collector could not parse is sent with
     * {@code unparsed = true} and only {@code raw}. Passwords are masked in every field.
     *
     * @param offset file offset of the entry's first byte
     * @param endOffset file offset just after it
     * @param unparsed not in the server's format (only {@code raw} is set)
     * @param truncated cut at the collector's bound; the cut field ends with {@code ...[truncated]}
     * @param timestamp epoch ms, null when the time zone abbreviation is unknown
     * @param timestampText the timestamp as the server wrote it
     * @param raw the text as read: unparsed entries only
     */
    public record Entry(long offset, long endOffset, boolean unparsed, boolean truncated, Long timestamp,
            String timestampText, String severity, String sqlstate, Integer pid, String user, String database,
            String application, String client, String sessionId, Long lineNumber, String vxid, String xid,
            String backendType, String queryId, Integer leaderPid, String message, String detail, String hint,
            String context, String statement, String internalQuery, String raw) {}
}
