package dev.datainsight.logs;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads a csvlog file: RFC 4180 records, one per entry, whose quoted fields may hold newlines.
 * A record ends at a newline outside quotes (an even number of {@code "} so far).
 *
 * <p>Columns (PostgreSQL documentation, "Using CSV-Format Log Output"): log_time, user_name,
 * database_name, process_id, connection_from, session_id, session_line_num, command_tag,
 * session_start_time, virtual_transaction_id, transaction_id, error_severity, sql_state_code,
 * message, detail, hint, internal_query, internal_query_pos, context, query, query_pos,
 * location, application_name — then backend_type (13+), then leader_pid and query_id (14+).
 * 23 columns before 13, 24 on 13, 26 on 14 to 18.
 */
final class CsvLogReader extends LogReader {
    private final int major;
    private StringBuilder record;
    private long recordStart = -1;
    private int quotes;
    private boolean truncated;
    private long recordEnd;

    CsvLogReader(int major, LogOptions options) {
        super(options, true);
        this.major = major;
    }

    /** Number of columns a server of this major version writes (0: unknown). */
    static int columns(int major) {
        if (major <= 0) {
            return 0;
        }
        return major >= 14 ? 26 : major == 13 ? 24 : 23;
    }

    @Override
    void onLine(long start, long end, String line, boolean lineTruncated, int q, List<LogEntry> out) {
        if (record == null) {
            record = new StringBuilder(line.length() + 16);
            recordStart = start;
            quotes = 0;
            truncated = false;
            record.append(line);
        } else if (!truncated && record.length() + 1 + line.length() <= options.maxEntryChars()) {
            record.append('\n').append(line);
        } else {
            truncated = true;
        }
        truncated |= lineTruncated;
        recordEnd = end;
        quotes += q;
        if ((quotes & 1) == 0) {
            emitRecord(end, out);
        }
    }

    private void emitRecord(long end, List<LogEntry> out) {
        String text = record.toString();
        LogEntry.Builder b = new LogEntry.Builder();
        b.offset = recordStart;
        b.endOffset = end;
        b.truncated = truncated;
        b.raw = truncated ? text + LogOptions.TRUNCATION_MARKER : text;
        List<String> f = split(text);
        int expected = columns(major);
        boolean known = expected > 0 ? f.size() == expected : (f.size() == 23 || f.size() == 24 || f.size() == 26);
        if (!known && !(truncated && f.size() >= 14)) {
            b.parsed = false;
        } else {
            b.timestampText = get(f, 0);
            b.timestamp = Timestamps.parse(b.timestampText);
            b.user = get(f, 1);
            b.database = get(f, 2);
            b.pid = intOrNull(get(f, 3));
            b.client = clientHost(get(f, 4));
            b.sessionId = get(f, 5);
            String line = get(f, 6);
            b.lineNumber = line == null ? null : longOrNull(line);
            b.vxid = get(f, 9);
            b.xid = get(f, 10);
            b.severity = get(f, 11);
            b.sqlstate = get(f, 12);
            b.message = mark(get(f, 13), truncated && f.size() == 14);
            b.detail = get(f, 14);
            b.hint = get(f, 15);
            b.internalQuery = get(f, 16);
            b.context = get(f, 18);
            b.statement = mark(get(f, 19), truncated && f.size() == 20);
            b.application = get(f, 22);
            b.backendType = get(f, 23);
            b.leaderPid = intOrNull(get(f, 24));
            String qid = get(f, 25);
            b.queryId = qid;
            if (b.severity == null || b.severity.isEmpty()) {
                b.parsed = false;
            }
        }
        record = null;
        recordStart = -1;
        quotes = 0;
        truncated = false;
        emit(b, out);
    }

    private static String mark(String s, boolean cut) {
        return cut && s != null ? s + LogOptions.TRUNCATION_MARKER : s;
    }

    private static String get(List<String> f, int i) {
        return i < f.size() ? f.get(i) : null;
    }

    private static Integer intOrNull(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Integer.valueOf(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Long longOrNull(String s) {
        try {
            return Long.valueOf(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Splits one record; an empty unquoted field is null, an empty quoted one {@code ""}. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>(26);
        int n = s.length();
        int i = 0;
        while (true) {
            if (i < n && s.charAt(i) == '"') {
                StringBuilder sb = null;
                int from = ++i;
                while (true) {
                    int q = s.indexOf('"', i);
                    if (q < 0) {
                        // unterminated (a cut record): keep the rest
                        i = n;
                        break;
                    }
                    if (q + 1 < n && s.charAt(q + 1) == '"') {
                        if (sb == null) {
                            sb = new StringBuilder(q - from + 32);
                        }
                        sb.append(s, from, q + 1);
                        i = q + 2;
                        from = i;
                        continue;
                    }
                    i = q;
                    break;
                }
                String v;
                if (sb == null) {
                    v = s.substring(from, i);
                } else {
                    sb.append(s, from, i);
                    v = sb.toString();
                }
                if (i < n) {
                    i++; // the closing quote
                }
                out.add(v);
                // skip to the separator (nothing should be there in a well-formed record)
                while (i < n && s.charAt(i) != ',') {
                    i++;
                }
            } else {
                int j = s.indexOf(',', i);
                if (j < 0) {
                    j = n;
                }
                out.add(j == i ? null : s.substring(i, j));
                i = j;
            }
            if (i >= n) {
                break;
            }
            i++; // the comma
            if (i == n) {
                out.add(null);
                break;
            }
        }
        return out;
    }

    @Override
    long heldStart() {
        return record == null ? -1 : recordStart;
    }

    @Override
    void flushHeld(List<LogEntry> out) {
        if (record != null) {
            // the file ended inside quotes: keep what there is
            emitRecord(recordEnd, out);
        }
    }
}
