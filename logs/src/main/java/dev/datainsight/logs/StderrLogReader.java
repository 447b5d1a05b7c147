package dev.datainsight.logs;

import java.util.List;

/**
 * Reads a stderr-format log: each entry is a line starting with {@code log_line_prefix} and a
 * severity, followed by its DETAIL / HINT / CONTEXT / STATEMENT / QUERY / LOCATION lines (each
 * with the prefix again) and by continuation lines that start with a tab (the further lines of
 * a multi-line message or query). The logging collector writes one message with all its lines
 * in one piece, so they are contiguous in the file.
 *
 * <p>The last entry read is held back until the next entry's first line arrives (or
 * {@link #finish()}), since more of its lines may follow.
 */
final class StderrLogReader extends LogReader {
    private enum Field { MESSAGE, DETAIL, HINT, CONTEXT, STATEMENT, QUERY, LOCATION }

    private final LogLinePrefix prefix;
    private LogEntry.Builder cur;
    private long curStart = -1;
    private StringBuilder raw;
    private StringBuilder text;
    private Field field;
    private final StringBuilder[] fields = new StringBuilder[Field.values().length];

    StderrLogReader(LogLinePrefix prefix, LogOptions options) {
        super(options, false);
        this.prefix = prefix;
    }

    @Override
    void onLine(long start, long end, String line, boolean truncated, int quotes, List<LogEntry> out) {
        if (cur != null && !line.isEmpty() && line.charAt(0) == '\t') {
            if (appendRaw(line) && field != null && fields[field.ordinal()] != null) {
                fields[field.ordinal()].append('\n').append(line, 1, line.length());
            }
            cur.endOffset = end;
            cur.truncated |= truncated;
            return;
        }
        LogLinePrefix.Match m = prefix.match(line);
        if (m == null) {
            flushHeld(out);
            begin(start, end, line, truncated);
            cur.parsed = false;
            field = null;
            return;
        }
        Field f = secondary(m.severity());
        if (f != null && cur != null && cur.parsed
                && (cur.pid == null || m.pid() == null || cur.pid.equals(m.pid()))) {
            if (appendRaw(line)) {
                StringBuilder sb = fields[f.ordinal()];
                if (sb == null) {
                    fields[f.ordinal()] = new StringBuilder().append(line, m.messageStart(), line.length());
                } else {
                    sb.append('\n').append(line, m.messageStart(), line.length());
                }
            }
            field = f;
            cur.endOffset = end;
            cur.truncated |= truncated;
            return;
        }
        flushHeld(out);
        begin(start, end, line, truncated);
        cur.severity = m.severity();
        cur.timestampText = m.timestamp();
        cur.timestamp = Timestamps.parse(m.timestamp());
        cur.pid = m.pid();
        cur.leaderPid = m.leaderPid();
        cur.user = m.user();
        cur.database = m.database();
        cur.application = m.application();
        cur.client = clientHost(m.client());
        cur.sessionId = m.sessionId();
        cur.lineNumber = m.lineNumber();
        cur.sqlstate = m.sqlstate();
        cur.xid = m.xid();
        cur.vxid = m.vxid();
        cur.backendType = m.backendType();
        cur.queryId = m.queryId();
        field = f == null ? Field.MESSAGE : f;
        fields[field.ordinal()] = new StringBuilder().append(line, m.messageStart(), line.length());
    }

    private static Field secondary(String severity) {
        return switch (severity) {
            case "DETAIL" -> Field.DETAIL;
            case "HINT" -> Field.HINT;
            case "CONTEXT" -> Field.CONTEXT;
            case "STATEMENT" -> Field.STATEMENT;
            case "QUERY" -> Field.QUERY;
            case "LOCATION" -> Field.LOCATION;
            default -> null;
        };
    }

    private void begin(long start, long end, String line, boolean truncated) {
        cur = new LogEntry.Builder();
        cur.offset = start;
        cur.endOffset = end;
        cur.truncated = truncated;
        curStart = start;
        raw = new StringBuilder(line.length() + 16).append(line);
        for (int i = 0; i < fields.length; i++) {
            fields[i] = null;
        }
    }

    /** Appends a line to the raw text unless the entry is at its size limit (then marks it truncated). */
    private boolean appendRaw(String line) {
        if (cur.truncated || raw.length() + 1 + line.length() > options.maxEntryChars()) {
            cur.truncated = true;
            return false;
        }
        raw.append('\n').append(line);
        return true;
    }

    @Override
    long heldStart() {
        return cur == null ? -1 : curStart;
    }

    @Override
    void flushHeld(List<LogEntry> out) {
        if (cur == null) {
            return;
        }
        int max = options.maxEntryChars();
        String r = raw.toString();
        cur.raw = cur.truncated ? r + LogOptions.TRUNCATION_MARKER : r;
        if (cur.parsed) {
            cur.message = value(Field.MESSAGE, max);
            cur.detail = value(Field.DETAIL, max);
            cur.hint = value(Field.HINT, max);
            cur.context = value(Field.CONTEXT, max);
            cur.statement = value(Field.STATEMENT, max);
            cur.internalQuery = value(Field.QUERY, max);
            if (cur.message == null && cur.severity != null) {
                // a DETAIL/HINT/... line whose main line was not read (reading began mid-entry)
                Field f = secondary(cur.severity);
                if (f != null) {
                    cur.message = fields[f.ordinal()] == null ? null : fields[f.ordinal()].toString();
                }
            }
        }
        if (cur.truncated && cur.parsed) {
            // mark the field that was being filled when the limit was reached
            if (field == Field.STATEMENT && cur.statement != null) {
                cur.statement += LogOptions.TRUNCATION_MARKER;
            } else if (field == Field.DETAIL && cur.detail != null) {
                cur.detail += LogOptions.TRUNCATION_MARKER;
            } else if (cur.message != null && (field == Field.MESSAGE || field == null)) {
                cur.message += LogOptions.TRUNCATION_MARKER;
            }
        }
        emit(cur, out);
        cur = null;
        curStart = -1;
        raw = null;
        field = null;
    }

    private String value(Field f, int max) {
        StringBuilder sb = fields[f.ordinal()];
        return sb == null ? null : cut(sb.toString(), max);
    }
}
