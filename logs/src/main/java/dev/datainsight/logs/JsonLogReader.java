package dev.datainsight.logs;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.List;

/**
 * Reads a jsonlog file (PostgreSQL 15+): one JSON object per line. Keys (documentation, "Using
 * JSON-Format Log Output"): timestamp, user, dbname, pid, remote_host, remote_port, session_id,
 * line_num, ps, session_start, vxid, txid, error_severity, state_code, message, detail, hint,
 * internal_query, internal_position, context, statement, cursor_position, func_name, file_name,
 * file_line_num, application_name, backend_type, leader_pid, query_id. Keys whose value is
 * empty are left out by the server. Unknown keys are ignored, so later versions still read.
 */
final class JsonLogReader extends LogReader {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    JsonLogReader(LogOptions options) {
        super(options, false);
    }

    @Override
    void onLine(long start, long end, String line, boolean truncated, int quotes, List<LogEntry> out) {
        if (line.isEmpty()) {
            return;
        }
        LogEntry.Builder b = new LogEntry.Builder();
        b.offset = start;
        b.endOffset = end;
        b.truncated = truncated;
        b.raw = truncated ? line + LogOptions.TRUNCATION_MARKER : line;
        String host = null;
        try (JsonParser p = JSON.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                b.parsed = false;
            } else {
                JsonToken t;
                while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    String v = p.currentToken() == JsonToken.VALUE_NULL ? null : p.getValueAsString();
                    if (p.currentToken() == JsonToken.START_OBJECT || p.currentToken() == JsonToken.START_ARRAY) {
                        p.skipChildren();
                        continue;
                    }
                    switch (key) {
                        case "timestamp" -> b.timestampText = v;
                        case "user" -> b.user = v;
                        case "dbname" -> b.database = v;
                        case "pid" -> b.pid = p.getValueAsInt();
                        case "remote_host" -> host = v;
                        case "session_id" -> b.sessionId = v;
                        case "line_num" -> b.lineNumber = p.getValueAsLong();
                        case "vxid" -> b.vxid = v;
                        case "txid" -> b.xid = v;
                        case "error_severity" -> b.severity = v;
                        case "state_code" -> b.sqlstate = v;
                        case "message" -> b.message = v;
                        case "detail" -> b.detail = v;
                        case "hint" -> b.hint = v;
                        case "internal_query" -> b.internalQuery = v;
                        case "context" -> b.context = v;
                        case "statement" -> b.statement = v;
                        case "application_name" -> b.application = v;
                        case "backend_type" -> b.backendType = v;
                        case "leader_pid" -> b.leaderPid = p.getValueAsInt();
                        case "query_id" -> b.queryId = v;
                        default -> { }
                    }
                }
                if (t != JsonToken.END_OBJECT || b.severity == null) {
                    b.parsed = false;
                }
            }
        } catch (IOException | RuntimeException e) {
            // a line that is not JSON: passed on as unparsed, never dropped; a line cut at the
            // size limit keeps the keys read before the cut
            b.parsed = truncated && b.severity != null;
        }
        if (b.parsed) {
            b.timestamp = Timestamps.parse(b.timestampText);
            if (host != null) {
                b.client = host;
            }
        } else {
            clearParsed(b);
        }
        emit(b, out);
    }

    private static void clearParsed(LogEntry.Builder b) {
        String raw = b.raw;
        long off = b.offset;
        long end = b.endOffset;
        boolean tr = b.truncated;
        LogEntry.Builder fresh = new LogEntry.Builder();
        b.timestampText = fresh.timestampText;
        b.user = null;
        b.database = null;
        b.pid = null;
        b.sessionId = null;
        b.lineNumber = null;
        b.vxid = null;
        b.xid = null;
        b.severity = null;
        b.sqlstate = null;
        b.message = null;
        b.detail = null;
        b.hint = null;
        b.internalQuery = null;
        b.context = null;
        b.statement = null;
        b.application = null;
        b.backendType = null;
        b.leaderPid = null;
        b.queryId = null;
        b.raw = raw;
        b.offset = off;
        b.endOffset = end;
        b.truncated = tr;
    }

    @Override
    long heldStart() {
        return -1;
    }

    @Override
    void flushHeld(List<LogEntry> out) {
        // every complete line is a complete entry: nothing is held
    }
}
