package dev.datainsight.logs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Test helper: reads a whole log file through a reader the way a tailer would. */
final class LogFiles {
    private LogFiles() {}

    static LogReader reader(LogFormat f, int major, LogOptions o) {
        return LogReader.create(f, ServerLogs.PREFIX, major, o);
    }

    /**
     * Reads the file in random chunks (1 byte to 8 KiB); at a random point the reader is thrown
     * away and a new one resumes from the last resume offset, as after a collector restart.
     */
    static List<LogEntry> read(Path file, LogFormat f, int major, LogOptions o, long seed) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Random rnd = new Random(seed);
        List<LogEntry> out = new ArrayList<>();
        LogReader r = reader(f, major, o);
        int restartAt = all.length / 2 + rnd.nextInt(Math.max(1, all.length / 4));
        boolean restarted = false;
        int pos = 0;
        long resume = 0;
        while (pos < all.length) {
            int n = Math.min(all.length - pos, 1 + rnd.nextInt(8192));
            LogReader.Batch b = r.feed(all, pos, n, pos);
            out.addAll(b.entries());
            resume = b.resumeOffset();
            pos += n;
            if (!restarted && pos >= restartAt) {
                restarted = true;
                r = reader(f, major, o);
                pos = (int) resume;
            }
        }
        out.addAll(r.finish().entries());
        return out;
    }

    static List<LogEntry> readWhole(Path file, LogFormat f, int major, LogOptions o) {
        try {
            LogReader r = reader(f, major, o);
            List<LogEntry> out = new ArrayList<>(r.feed(Files.readAllBytes(file), 0).entries());
            out.addAll(r.finish().entries());
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<LogEvent> events(List<LogEntry> entries) {
        List<LogEvent> out = new ArrayList<>();
        for (LogEntry e : entries) {
            out.addAll(LogEvents.classify(e));
        }
        return out;
    }

    static <T extends LogEvent> List<T> of(List<LogEvent> events, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (LogEvent e : events) {
            if (type.isInstance(e)) {
                out.add(type.cast(e));
            }
        }
        return out;
    }
}
