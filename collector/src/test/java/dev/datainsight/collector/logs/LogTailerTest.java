package dev.datainsight.collector.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.logs.LogEntry;
import dev.datainsight.logs.LogFormat;
import dev.datainsight.logs.LogOptions;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The tailer's file handling on an in-memory directory (the real-server cases are in LogCollectionTest). */
class LogTailerTest {
    static final String PREFIX = "%m [%p] ";

    /** A directory whose files the test writes; modification times are what the test says. */
    static final class Dir implements LogSource {
        final Map<String, ByteArrayOutputStream> files = new LinkedHashMap<>();
        final Map<String, Long> mtime = new LinkedHashMap<>();
        /** File identities (inodes), when the test gives them. */
        final Map<String, Object> keys = new LinkedHashMap<>();
        long clock = 1_000;

        void rename(String from, String to) {
            files.put(to, files.remove(from));
            mtime.put(to, mtime.remove(from));
            keys.put(to, keys.remove(from));
        }

        void append(String name, String text) {
            files.computeIfAbsent(name, k -> new ByteArrayOutputStream()).writeBytes(text.getBytes(StandardCharsets.UTF_8));
            mtime.put(name, clock++);
        }

        @Override
        public List<LogFile> list() {
            List<LogFile> l = new ArrayList<>();
            files.forEach((k, v) -> l.add(new LogFile(k, v.size(), mtime.get(k), keys.get(k))));
            return l;
        }

        @Override
        public byte[] read(String name, long offset, int length) {
            ByteArrayOutputStream b = files.get(name);
            if (b == null) {
                return new byte[0];
            }
            byte[] all = b.toByteArray();
            int from = (int) Math.min(offset, all.length);
            return Arrays.copyOfRange(all, from, (int) Math.min(all.length, from + (long) length));
        }

        @Override
        public String kind() {
            return "test";
        }
    }

    static String line(int i) {
        return "2026-12-04 01:00:00.000 UTC [7] LOG:  line " + i + "\n";
    }

    private static List<String> run(LogTailer t, Dir d, int budget, List<String> got) throws Exception {
        LogTailer.Cycle c = t.cycle(d, LogFormat.STDERR, PREFIX, 17, LogOptions.defaults(), budget);
        for (LogTailer.FileEntries fe : c.files()) {
            for (LogEntry e : fe.entries()) {
                got.add(fe.file() + ":" + e.message());
            }
        }
        t.delivered(c.commit());
        return got;
    }

    @Test
    void aRotatedFile_isLeftOnlyAfterAQuietReadAtItsEnd_andTheNextIsReadFromZero() throws Exception {
        Dir d = new Dir();
        d.append("a.log", line(1) + line(2));
        LogTailer t = new LogTailer(null);
        List<String> got = new ArrayList<>();
        run(t, d, 1 << 20, got);
        assertEquals(List.of("a.log:line 1"), got, "the last entry is held back");
        d.append("b.log", line(3));
        d.append("a.log", line(4)); // the logger flushed the old file after creating the new one
        d.mtime.put("a.log", 999L);
        run(t, d, 1 << 20, got);
        assertEquals(List.of("a.log:line 1", "a.log:line 2"), got, "still on a.log: its late bytes are read");
        run(t, d, 1 << 20, got); // a quiet read at a.log's end: on to b.log
        assertEquals(List.of("a.log:line 1", "a.log:line 2", "a.log:line 4"), got);
        run(t, d, 1 << 20, got); // b.log idle for a cycle: its last entry is complete
        assertEquals(List.of("a.log:line 1", "a.log:line 2", "a.log:line 4", "b.log:line 3"), got);
        assertEquals(new LogOffsets.Position("b.log", line(3).length(), "stderr"), t.committed());
    }

    @Test
    void theBudgetBoundsEachCycle_andNothingIsSkippedOrRepeated() throws Exception {
        Dir d = new Dir();
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= 200; i++) {
            sb.append(line(i));
        }
        d.append("a.log", sb.toString());
        LogTailer t = new LogTailer(null);
        List<String> got = new ArrayList<>();
        long maxRead = 0;
        for (int i = 0; i < 100; i++) {
            LogTailer.Cycle c = t.cycle(d, LogFormat.STDERR, PREFIX, 17, LogOptions.defaults(), 1024);
            maxRead = Math.max(maxRead, c.bytesRead());
            c.files().forEach(fe -> fe.entries().forEach(e -> got.add(e.message())));
            t.delivered(c.commit());
        }
        assertEquals(1024, maxRead);
        assertEquals(200, got.size());
        for (int i = 0; i < 200; i++) {
            assertEquals("line " + (i + 1), got.get(i));
        }
    }

    @Test
    void aLostBatch_rewindsToTheLastDeliveredPosition() throws Exception {
        Dir d = new Dir();
        d.append("a.log", line(1) + line(2) + line(3));
        LogTailer t = new LogTailer(null);
        LogTailer.Cycle c1 = t.cycle(d, LogFormat.STDERR, PREFIX, 17, LogOptions.defaults(), 1 << 20);
        assertEquals(2, c1.entries());
        LogTailer.Inflight in = t.sent(1);
        LogTailer.Cycle waiting = t.cycle(d, LogFormat.STDERR, PREFIX, 17, LogOptions.defaults(), 1 << 20);
        assertTrue(waiting.waiting(), "nothing read while a batch is in flight");
        in.lost = true;
        in.remaining.decrementAndGet();
        d.append("a.log", line(4));
        LogTailer.Cycle again = t.cycle(d, LogFormat.STDERR, PREFIX, 17, LogOptions.defaults(), 1 << 20);
        List<String> msgs = new ArrayList<>();
        again.files().forEach(fe -> fe.entries().forEach(e -> msgs.add(e.message())));
        assertEquals(List.of("line 1", "line 2", "line 3"), msgs, "read again from the start");
    }

    @Test
    void aVanishedFile_goesOnWithTheNextNewer() throws Exception {
        Dir d = new Dir();
        d.append("a.log", line(1));
        LogTailer t = new LogTailer(null);
        List<String> got = new ArrayList<>();
        run(t, d, 1 << 20, got);
        d.append("b.log", line(2) + line(3));
        d.files.remove("a.log");
        run(t, d, 1 << 20, got);
        assertEquals(List.of("a.log:line 1", "b.log:line 2"), got);
    }

    @Test
    void aFileRenamedByLogrotate_isFollowed_andTheNewFileUnderItsNameIsReadFromZero() throws Exception {
        Dir d = new Dir();
        d.append("postgresql.log", line(1) + line(2));
        d.keys.put("postgresql.log", "inode-1");
        LogTailer t = new LogTailer(null);
        List<String> got = new ArrayList<>();
        run(t, d, 1 << 20, got);
        d.append("postgresql.log", line(3)); // written before the rename, not read yet
        d.rename("postgresql.log", "postgresql.log.1");
        d.append("postgresql.log", line(4) + line(5) + line(6) + line(7)); // the new file is already longer
        d.keys.put("postgresql.log", "inode-2");
        for (int i = 0; i < 4; i++) {
            run(t, d, 1 << 20, got);
        }
        assertEquals(List.of("postgresql.log:line 1", "postgresql.log.1:line 2", "postgresql.log.1:line 3",
                "postgresql.log:line 4", "postgresql.log:line 5", "postgresql.log:line 6", "postgresql.log:line 7"), got);
    }

    @Test
    void aNewFileUnderTheSameName_isReadFromZero_evenWhenLongerThanThePositionRead() throws Exception {
        Dir d = new Dir();
        d.append("postgresql.log", line(1) + line(2));
        d.keys.put("postgresql.log", "inode-1");
        LogTailer t = new LogTailer(null);
        List<String> got = new ArrayList<>();
        run(t, d, 1 << 20, got);
        d.files.remove("postgresql.log");
        d.append("postgresql.log", line(3) + line(4) + line(5) + line(6));
        d.keys.put("postgresql.log", "inode-2");
        for (int i = 0; i < 3; i++) {
            run(t, d, 1 << 20, got);
        }
        assertEquals(List.of("postgresql.log:line 1", "postgresql.log:line 2", "postgresql.log:line 3",
                "postgresql.log:line 4", "postgresql.log:line 5", "postgresql.log:line 6"), got);
    }

    @Test
    void compressedAndHiddenFiles_areNeverRead() {
        assertTrue(LogTailer.SKIPPED.matcher("postgresql.log.2.gz").find());
        assertTrue(LogTailer.SKIPPED.matcher("postgresql-Mon.log.ZST").find());
        assertTrue(LogTailer.SKIPPED.matcher(".postgresql.log.swp").find());
        assertTrue(LogTailer.SKIPPED.matcher("offsets.json.tmp").find());
        assertEquals(false, LogTailer.SKIPPED.matcher("postgresql.log.1").find());
        assertEquals(false, LogTailer.SKIPPED.matcher("postgresql-2026-12-04_010000.log").find());
    }
}
