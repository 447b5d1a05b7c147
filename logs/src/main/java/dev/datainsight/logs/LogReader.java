package dev.datainsight.logs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns the bytes of one log file into {@link LogEntry} records, as they arrive.
 *
 * <p>Feed the file's bytes in order, each chunk with the file offset of its first byte; each
 * call returns the entries completed so far and the <em>resume offset</em>: the offset where
 * the first entry not yet returned starts. An entry whose end is not yet known (a partial line,
 * a CSV record still inside quotes, or for stderr the last entry, which a DETAIL or a tab-led
 * continuation line may still extend) is held back until more bytes arrive or {@link #finish()}.
 * A caller that stores the resume offset beside what it published can start a new reader there
 * after a restart: no entry is returned twice and none is skipped.
 *
 * <p>Not thread-safe: one reader per file.
 */
public abstract class LogReader {
    /** What one {@link #feed} or {@link #finish} call returns. */
    public record Batch(List<LogEntry> entries, long resumeOffset) {}

    protected final LogOptions options;
    private final Redactor redactor;
    private final boolean countQuotes;
    private long expected = -1;
    private byte[] partial = new byte[256];
    private int partialLen;
    private long partialStart = -1;
    private boolean partialTruncated;
    private int partialQuotes;

    LogReader(LogOptions options, boolean countQuotes) {
        this.options = options;
        this.redactor = new Redactor(options);
        this.countQuotes = countQuotes;
    }

    /** A reader for a file of the given format; {@code logLinePrefix} matters for stderr only. */
    public static LogReader create(LogFormat format, String logLinePrefix, int serverMajor, LogOptions options) {
        return switch (format) {
            case STDERR -> new StderrLogReader(LogLinePrefix.parse(logLinePrefix), options);
            case CSVLOG -> new CsvLogReader(serverMajor, options);
            case JSONLOG -> new JsonLogReader(options);
        };
    }

    /** Reads a stderr log whose lines start with {@code log_line_prefix}. */
    public static LogReader stderr(String logLinePrefix, LogOptions options) {
        return new StderrLogReader(LogLinePrefix.parse(logLinePrefix), options);
    }

    /** Reads a csvlog file; {@code serverMajor} 0 recognises the column set by its count. */
    public static LogReader csvlog(int serverMajor, LogOptions options) {
        return new CsvLogReader(serverMajor, options);
    }

    /** Reads a jsonlog file (PostgreSQL 15+). */
    public static LogReader jsonlog(LogOptions options) {
        return new JsonLogReader(options);
    }

    /** Feeds a whole array. */
    public final Batch feed(byte[] bytes, long fileOffset) {
        return feed(bytes, 0, bytes.length, fileOffset);
    }

    /**
     * Feeds {@code len} bytes of {@code bytes} from {@code off}, which sit at {@code fileOffset}
     * in the file. The first call may start anywhere (at a stored resume offset); each later call
     * must continue exactly where the previous one's bytes ended.
     */
    public final Batch feed(byte[] bytes, int off, int len, long fileOffset) {
        if (expected >= 0 && fileOffset != expected) {
            throw new IllegalArgumentException("bytes at offset " + fileOffset + " fed, expected offset " + expected
                    + " (feed a file's bytes in order, without gaps)");
        }
        if (expected < 0) {
            expected = fileOffset;
        }
        List<LogEntry> out = new ArrayList<>();
        int end = off + len;
        int lineStart = off;
        int max = options.maxEntryChars();
        int quotes = 0;
        for (int i = off; i < end; i++) {
            byte c = bytes[i];
            if (c == '\n') {
                long lineFileStart;
                String text;
                boolean truncated;
                int q;
                if (partialStart >= 0) {
                    appendPartial(bytes, lineStart, i - lineStart, max);
                    lineFileStart = partialStart;
                    text = decode(partial, 0, partialLen);
                    truncated = partialTruncated;
                    q = partialQuotes + quotes;
                    partialStart = -1;
                    partialLen = 0;
                    partialTruncated = false;
                    partialQuotes = 0;
                } else {
                    lineFileStart = fileOffset + (lineStart - off);
                    int n = i - lineStart;
                    truncated = n > max;
                    text = decode(bytes, lineStart, truncated ? max : n);
                    q = quotes;
                }
                onLine(lineFileStart, fileOffset + (i + 1 - off), text, truncated, q, out);
                lineStart = i + 1;
                quotes = 0;
            } else if (c == '"' && countQuotes) {
                quotes++;
            }
        }
        if (lineStart < end) {
            if (partialStart < 0) {
                partialStart = fileOffset + (lineStart - off);
            }
            appendPartial(bytes, lineStart, end - lineStart, max);
            partialQuotes += quotes;
        }
        expected = fileOffset + len;
        return new Batch(out, resumeOffset());
    }

    /**
     * The file is complete (rotated away, or the caller gives up waiting): returns every entry
     * held back, including a last line without its newline.
     */
    public final Batch finish() {
        List<LogEntry> out = new ArrayList<>();
        if (partialStart >= 0) {
            String text = decode(partial, 0, partialLen);
            onLine(partialStart, expected, text, partialTruncated, partialQuotes, out);
            partialStart = -1;
            partialLen = 0;
            partialTruncated = false;
            partialQuotes = 0;
        }
        flushHeld(out);
        return new Batch(out, resumeOffset());
    }

    /** Where the first entry not yet returned starts (the end of the fed bytes when none is held). */
    public final long resumeOffset() {
        long held = heldStart();
        if (held >= 0) {
            return held;
        }
        return partialStart >= 0 ? partialStart : Math.max(expected, 0);
    }

    private void appendPartial(byte[] b, int from, int n, int max) {
        int room = max - partialLen;
        if (n > room) {
            partialTruncated = true;
            n = Math.max(room, 0);
        }
        if (partialLen + n > partial.length) {
            partial = Arrays.copyOf(partial, Math.max(partial.length * 2, partialLen + n));
        }
        System.arraycopy(b, from, partial, partialLen, n);
        partialLen += n;
    }

    private static String decode(byte[] b, int from, int n) {
        if (n > 0 && b[from + n - 1] == '\r') {
            n--;
        }
        return new String(b, from, n, StandardCharsets.UTF_8);
    }

    /**
     * One complete line (without its newline).
     *
     * @param start file offset of the line's first byte
     * @param end file offset just after its newline
     * @param truncated the line was longer than the limit and {@code text} is its beginning
     * @param quotes number of {@code "} bytes in the whole line (csvlog only, else 0)
     */
    abstract void onLine(long start, long end, String text, boolean truncated, int quotes, List<LogEntry> out);

    /** File offset where the entry held back starts, or -1. */
    abstract long heldStart();

    /** Emits the entry held back, if any. */
    abstract void flushHeld(List<LogEntry> out);

    /** Applies the privacy options and adds the entry. */
    final void emit(LogEntry.Builder b, List<LogEntry> out) {
        out.add(redactor.apply(b).build());
    }

    /**
     * The client host without its port: {@code %r} writes {@code host(port)}, csvlog
     * {@code host:port} (IPv6 too: the port is always the last {@code :digits}).
     */
    static String clientHost(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        int n = s.length();
        if (s.charAt(n - 1) == ')') {
            int p = s.lastIndexOf('(');
            return p > 0 ? s.substring(0, p) : s;
        }
        int c = s.lastIndexOf(':');
        if (c > 0 && c < n - 1) {
            for (int i = c + 1; i < n; i++) {
                if (!Character.isDigit(s.charAt(i))) {
                    return s;
                }
            }
            return s.substring(0, c);
        }
        return s;
    }

    static String cut(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        return s.substring(0, max) + LogOptions.TRUNCATION_MARKER;
    }
}
