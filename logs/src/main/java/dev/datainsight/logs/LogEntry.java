package dev.datainsight.logs;

import java.time.Instant;

/**
 * One entry of a server log: a message with its DETAIL, HINT, CONTEXT and STATEMENT, whatever
 * the file format. Fields the format or the prefix does not carry are null.
 *
 * @param offset byte offset in the file where the entry starts
 * @param endOffset byte offset just after the entry (where the next one starts)
 * @param parsed false for an {@code unparsed} entry: a line that matched neither the prefix nor
 *     the format; only {@code raw} is set then
 * @param truncated true when the entry was longer than the reader's limit and was cut (the cut
 *     text ends with {@link LogOptions#TRUNCATION_MARKER})
 * @param timestampText the timestamp as written ({@code %m}, {@code %t} or {@code %n}; log_time)
 * @param timestamp the same as an instant, null when the time zone abbreviation is unknown
 * @param severity LOG, ERROR, FATAL, PANIC, WARNING, NOTICE, INFO, DEBUG1..5 (or DETAIL etc. for
 *     a stray continuation whose main line was not seen)
 * @param sqlstate five-character SQLSTATE ({@code %e}, csv/json); null when not logged
 * @param client the client's host ({@code %h}, or {@code %r} / connection_from / remote_host without
 *     the port), {@code [local]} for a Unix socket
 * @param raw the entry's text as read (all its lines); null when the options withhold it
 */
public record LogEntry(
        long offset,
        long endOffset,
        boolean parsed,
        boolean truncated,
        String timestampText,
        Instant timestamp,
        String severity,
        String sqlstate,
        Integer pid,
        String user,
        String database,
        String application,
        String client,
        String sessionId,
        Long lineNumber,
        String vxid,
        String xid,
        String backendType,
        String queryId,
        Integer leaderPid,
        String message,
        String detail,
        String hint,
        String context,
        String statement,
        String internalQuery,
        String raw) {

    /** True for ERROR, FATAL and PANIC. */
    public boolean isError() {
        return "ERROR".equals(severity) || "FATAL".equals(severity) || "PANIC".equals(severity);
    }

    /** The SQLSTATE class (its first two characters), or null. */
    public String sqlstateClass() {
        return sqlstate == null || sqlstate.length() < 2 ? null : sqlstate.substring(0, 2);
    }

    Builder toBuilder() {
        Builder b = new Builder();
        b.offset = offset;
        b.endOffset = endOffset;
        b.parsed = parsed;
        b.truncated = truncated;
        b.timestampText = timestampText;
        b.timestamp = timestamp;
        b.severity = severity;
        b.sqlstate = sqlstate;
        b.pid = pid;
        b.user = user;
        b.database = database;
        b.application = application;
        b.client = client;
        b.sessionId = sessionId;
        b.lineNumber = lineNumber;
        b.vxid = vxid;
        b.xid = xid;
        b.backendType = backendType;
        b.queryId = queryId;
        b.leaderPid = leaderPid;
        b.message = message;
        b.detail = detail;
        b.hint = hint;
        b.context = context;
        b.statement = statement;
        b.internalQuery = internalQuery;
        b.raw = raw;
        return b;
    }

    /** Mutable builder the readers fill field by field. */
    static final class Builder {
        long offset;
        long endOffset;
        boolean parsed = true;
        boolean truncated;
        String timestampText;
        Instant timestamp;
        String severity;
        String sqlstate;
        Integer pid;
        String user;
        String database;
        String application;
        String client;
        String sessionId;
        Long lineNumber;
        String vxid;
        String xid;
        String backendType;
        String queryId;
        Integer leaderPid;
        String message;
        String detail;
        String hint;
        String context;
        String statement;
        String internalQuery;
        String raw;

        LogEntry build() {
            return new LogEntry(offset, endOffset, parsed, truncated, timestampText, timestamp, severity, sqlstate,
                    pid, user, database, application, client, sessionId, lineNumber, vxid, xid, backendType,
                    queryId, leaderPid, message, detail, hint, context, statement, internalQuery, raw);
        }
    }
}
