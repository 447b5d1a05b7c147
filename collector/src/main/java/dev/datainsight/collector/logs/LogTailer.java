package dev.datainsight.collector.logs;

import dev.datainsight.logs.LogEntry;
import dev.datainsight.logs.LogFormat;
import dev.datainsight.logs.LogOptions;
import dev.datainsight.logs.LogReader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Follows one server's log across files: which file, which byte, what is held back. Called once
 * per cycle by {@link LogsProbe}, never concurrently (the fast lane runs one cycle at a time).
 *
 * <ul>
 *   <li><b>Order of files</b>: the files of the format being read (by extension: {@code .csv},
 *       {@code .json}, anything else stderr), by modification time, then name.</li>
 *   <li><b>Rotation</b>: the current file is left only when a newer file exists <em>and</em> a
 *       read at the end of the current file found nothing new in a cycle after the one that first
 *       saw the newer file (the logger may still flush the old file just after creating the new
 *       one). Then the entry held back is flushed and the next file is read from byte 0, in the
 *       same cycle with what is left of the budget.</li>
 *   <li><b>Truncation</b>: a file smaller than the position read restarts at 0.</li>
 *   <li><b>Renamed</b> (co-located, where files have an identity): the current file is followed
 *       under its new name; a new file under the old name is read from 0.</li>
 *   <li><b>Gone</b>: when the current file disappears, reading goes on with the oldest file
 *       modified at or after it, else the newest.</li>
 *   <li><b>Held back</b>: a partial last line waits for its newline; for stderr the last entry
 *       waits for the next entry, or is flushed after a cycle that found no new byte when the
 *       file ends with a newline (the logger writes a message with all its lines at once).</li>
 *   <li><b>At most one cycle in flight</b>: until every batch of a cycle is delivered, the next
 *       cycle reads nothing; a lost batch rewinds to the last delivered position.</li>
 * </ul>
 */
final class LogTailer {
    /** What one cycle read: entries by file, and the position to store once they are delivered. */
    record Cycle(List<FileEntries> files, LogOffsets.Position commit, long bytesRead, boolean waiting) {
        int entries() {
            return files.stream().mapToInt(f -> f.entries().size()).sum();
        }
    }

    /** Entries of one file, in order. */
    record FileEntries(String file, List<LogEntry> entries) {}

    /** Not log text: compressed rotated files, temporary files, hidden files. */
    static final java.util.regex.Pattern SKIPPED =
            java.util.regex.Pattern.compile("(?i)(\\.(gz|bz2|xz|zst|lz4|zip|tmp)$)|^\\.");

    private String file;
    private long readPos;
    private LogReader reader;
    private LogFormat format;
    private String prefix;
    private long lastModified;
    /** File-system identity of the current file (co-located only; null when unknown). */
    private Object fileKey;
    private boolean sawNewerAtEof;
    private boolean endsWithNewline = true;
    /** Delivered position: where a lost batch rewinds to. */
    private volatile LogOffsets.Position committed;
    private Inflight inflight;

    /** Batches of one cycle not yet delivered. */
    static final class Inflight {
        final AtomicInteger remaining;
        volatile boolean lost;

        Inflight(int n) {
            remaining = new AtomicInteger(n);
        }
    }

    LogTailer(LogOffsets.Position start) {
        committed = start;
        if (start != null) {
            file = start.file();
            readPos = start.offset();
            format = parse(start.format());
        }
    }

    private static LogFormat parse(String f) {
        try {
            return f == null ? null : LogFormat.valueOf(f.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static String name(LogFormat f) {
        return f.name().toLowerCase(Locale.ROOT);
    }

    /** The position delivered last (null before the first). */
    LogOffsets.Position committed() {
        return committed;
    }

    /** Runs one cycle: reads at most {@code budget} bytes. */
    Cycle cycle(LogSource src, LogFormat fmt, String logLinePrefix, int major, LogOptions options, int budget)
            throws Exception {
        if (inflight != null) {
            if (inflight.remaining.get() > 0) {
                return new Cycle(List.of(), committed, 0, true);
            }
            if (inflight.lost) {
                rewind();
            }
            inflight = null;
        }
        List<FileEntries> out = new ArrayList<>();
        if (fmt != format) {
            // log_destination changed: follow the other family of files from its newest file
            flush(out);
            file = null;
            format = fmt;
        }
        if (!logLinePrefix.equals(prefix)) {
            if (fmt == LogFormat.STDERR) {
                flush(out); // a reload changed the prefix: the next bytes are parsed with the new one
            }
            prefix = logLinePrefix;
        }
        List<LogFile> files = new ArrayList<>();
        for (LogFile f : src.list()) {
            if (LogFormat.ofFileName(f.name()) == fmt && !SKIPPED.matcher(f.name()).find()) {
                files.add(f);
            }
        }
        files.sort(Comparator.comparingLong(LogFile::modifiedMillis).thenComparing(LogFile::name));
        if (files.isEmpty()) {
            return new Cycle(out, position(), 0, false);
        }
        if (file != null && fileKey != null) {
            LogFile same = null;
            for (LogFile f : files) {
                if (fileKey.equals(f.key())) {
                    same = f;
                }
            }
            if (same != null && !same.name().equals(file)) {
                file = same.name(); // renamed (logrotate): the same bytes under a new name
            } else if (same == null) {
                int i = indexOf(files, file);
                if (i >= 0 && files.get(i).key() != null) {
                    flush(out); // a new file under the old name: the old one is gone
                    start(files.get(i));
                }
            }
        }
        int idx = file == null ? -1 : indexOf(files, file);
        if (file == null) {
            idx = files.size() - 1;
            start(files.get(idx));
        } else if (idx < 0) {
            flush(out);
            idx = files.size() - 1;
            for (int i = 0; i < files.size(); i++) {
                if (files.get(i).modifiedMillis() >= lastModified) {
                    idx = i;
                    break;
                }
            }
            start(files.get(idx));
        }
        LogFile cur = files.get(idx);
        lastModified = cur.modifiedMillis();
        fileKey = cur.key();
        if (cur.size() < readPos) {
            flush(out); // truncated (or replaced by a smaller file): its new content starts at 0
            start(cur);
        }
        long read = 0;
        int left = budget;
        while (left > 0) {
            int want = left;
            byte[] b = src.read(cur.name(), readPos, want);
            if (b.length > 0) {
                if (reader == null) {
                    reader = LogReader.create(fmt, prefix, major, options);
                }
                add(out, cur.name(), reader.feed(b, readPos).entries());
                readPos += b.length;
                left -= b.length;
                read += b.length;
                endsWithNewline = b[b.length - 1] == '\n';
            }
            if (b.length == want) {
                break; // the budget is used up: the rest next cycle
            }
            // at the end of the file
            if (idx == files.size() - 1) {
                sawNewerAtEof = false;
                if (fmt == LogFormat.STDERR && b.length == 0 && endsWithNewline && reader != null
                        && reader.resumeOffset() < readPos) {
                    add(out, cur.name(), reader.finish().entries()); // idle for a cycle: the last entry is complete
                    reader = null;
                }
                break;
            }
            if (b.length == 0 && sawNewerAtEof) {
                flush(out);
                idx++;
                cur = files.get(idx);
                start(cur);
                lastModified = cur.modifiedMillis();
                fileKey = cur.key();
                continue;
            }
            sawNewerAtEof = true;
            break;
        }
        return new Cycle(out, position(), read, false);
    }

    private void start(LogFile f) {
        file = f.name();
        readPos = 0;
        reader = null;
        sawNewerAtEof = false;
        endsWithNewline = true;
    }

    private static int indexOf(List<LogFile> files, String name) {
        for (int i = 0; i < files.size(); i++) {
            if (files.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** Emits what the reader holds (the file ended, was truncated, or the format changed). */
    private void flush(List<FileEntries> out) {
        if (reader != null) {
            add(out, file, reader.finish().entries());
            reader = null;
        }
    }

    private static void add(List<FileEntries> out, String file, List<LogEntry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        FileEntries last = out.isEmpty() ? null : out.get(out.size() - 1);
        if (last != null && last.file().equals(file)) {
            List<LogEntry> l = new ArrayList<>(last.entries());
            l.addAll(entries);
            out.set(out.size() - 1, new FileEntries(file, l));
        } else {
            out.add(new FileEntries(file, entries));
        }
    }

    private LogOffsets.Position position() {
        if (file == null) {
            return committed;
        }
        return new LogOffsets.Position(file, reader == null ? readPos : reader.resumeOffset(), format == null ? null : name(format));
    }

    /** The cycle's batches were handed to the sink: the next cycle waits for them. */
    Inflight sent(int batches) {
        inflight = batches == 0 ? null : new Inflight(batches);
        return inflight;
    }

    /** Marks a delivered position (from the sink's thread). */
    void delivered(LogOffsets.Position p) {
        committed = p;
    }

    private void rewind() {
        reader = null;
        fileKey = null;
        LogOffsets.Position c = committed;
        if (c == null) {
            file = null;
            readPos = 0;
        } else {
            file = c.file();
            readPos = c.offset();
            format = parse(c.format());
        }
        sawNewerAtEof = false;
        endsWithNewline = true;
    }
}
