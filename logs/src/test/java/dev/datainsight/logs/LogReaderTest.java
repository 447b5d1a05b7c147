package dev.datainsight.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogReaderTest {
    static final String PREFIX = "%m [%p] ";
    static final String STDERR = """
            2026-12-03 10:00:01.001 UTC [200] ERROR:  deadlock detected
            2026-12-03 10:00:01.001 UTC [200] DETAIL:  Process 200 waits for ShareLock on transaction 1234; blocked by process 201.
            \tProcess 201 waits for ShareLock on transaction 1233; blocked by process 200.
            \tProcess 200: UPDATE a SET v=1
            \t  WHERE id=2
            \tProcess 201: UPDATE a SET v=1 WHERE id=1
            2026-12-03 10:00:01.001 UTC [200] HINT:  See server log for query details.
            2026-12-03 10:00:01.001 UTC [200] STATEMENT:  UPDATE a SET v=1
            \t  WHERE id=2
            archive command said: no space left
            2026-12-03 10:00:02.001 UTC [202] LOG:  temporary file: path "base/pgsql_tmp/pgsql_tmp202.0", size 1400000
            2026-12-03 10:00:02.001 UTC [202] STATEMENT:  select * from g order by 1
            2026-12-03 10:00:03.001 UTC [203] LOG:  duration: 1002.345 ms  statement: select pg_sleep(1)
            """;

    private static List<LogEntry> readAll(LogReader r, byte[] b, int chunk) {
        List<LogEntry> out = new ArrayList<>();
        for (int pos = 0; pos < b.length; pos += chunk) {
            out.addAll(r.feed(b, pos, Math.min(chunk, b.length - pos), pos).entries());
        }
        out.addAll(r.finish().entries());
        return out;
    }

    @Test
    void stderrKeepsMultiLineEntriesTogether() {
        byte[] b = STDERR.getBytes(StandardCharsets.UTF_8);
        List<LogEntry> e = readAll(LogReader.stderr(PREFIX, LogOptions.defaults()), b, b.length);
        assertEquals(4, e.size(), e::toString);
        LogEntry dl = e.get(0);
        assertEquals("ERROR", dl.severity());
        assertEquals("deadlock detected", dl.message());
        assertEquals("""
                Process 200 waits for ShareLock on transaction 1234; blocked by process 201.
                Process 201 waits for ShareLock on transaction 1233; blocked by process 200.
                Process 200: UPDATE a SET v=1
                  WHERE id=2
                Process 201: UPDATE a SET v=1 WHERE id=1""", dl.detail());
        assertEquals("See server log for query details.", dl.hint());
        assertEquals("UPDATE a SET v=1\n  WHERE id=2", dl.statement());
        assertEquals(200, dl.pid());
        assertFalse(e.get(1).parsed());
        assertEquals("archive command said: no space left", e.get(1).raw());
        assertEquals("select * from g order by 1", e.get(2).statement());
        assertEquals(0, dl.offset());
        assertEquals(b.length, e.get(3).endOffset());

        LogEvent.Deadlock d = (LogEvent.Deadlock) LogEvents.classify(dl).get(1);
        assertEquals("UPDATE a SET v=1\n  WHERE id=2", d.processes().get(0).statement());
        assertEquals(201, d.processes().get(0).blockedBy());
        assertEquals("UPDATE a SET v=1 WHERE id=1", d.processes().get(1).statement());
    }

    @Test
    void everyChunkSizeGivesTheSameEntries() {
        byte[] b = STDERR.getBytes(StandardCharsets.UTF_8);
        List<LogEntry> whole = readAll(LogReader.stderr(PREFIX, LogOptions.defaults()), b, b.length);
        for (int chunk = 1; chunk < 200; chunk += 7) {
            assertEquals(whole, readAll(LogReader.stderr(PREFIX, LogOptions.defaults()), b, chunk), "chunk " + chunk);
        }
    }

    @Test
    void theLastEntryIsHeldBackUntilTheNextOneStarts() {
        byte[] b = STDERR.getBytes(StandardCharsets.UTF_8);
        LogReader r = LogReader.stderr(PREFIX, LogOptions.defaults());
        int firstEnd = STDERR.indexOf("2026-12-03 10:00:01.001 UTC [200] HINT");
        LogReader.Batch one = r.feed(b, 0, firstEnd, 0);
        assertTrue(one.entries().isEmpty(), "the deadlock may still get its HINT");
        assertEquals(0, one.resumeOffset());
        int second = STDERR.indexOf("archive command");
        int third = STDERR.indexOf("2026-12-03 10:00:02.001");
        LogReader.Batch two = r.feed(b, firstEnd, second + 3 - firstEnd, firstEnd);
        assertTrue(two.entries().isEmpty(), "a partial line could still be the deadlock's STATEMENT");
        assertEquals(0, two.resumeOffset());
        LogReader.Batch three = r.feed(b, second + 3, third + 3 - (second + 3), second + 3);
        assertEquals(1, three.entries().size());
        assertEquals("See server log for query details.", three.entries().get(0).hint());
        assertEquals(second, three.resumeOffset(), "the unparsed line is held (tab-led lines may follow), then the partial one");
        // a restarted reader resumes at the resume offset and sees the rest exactly once
        LogReader again = LogReader.stderr(PREFIX, LogOptions.defaults());
        List<LogEntry> rest = readAll(again, java.util.Arrays.copyOfRange(b, second, b.length), b.length);
        assertEquals(3, rest.size());
        assertThrows(IllegalArgumentException.class, () -> r.feed(b, 0, 10, 5), "a gap is refused");
    }

    @Test
    void csvRecordsSpanLinesInsideQuotes() {
        String csv = "2026-12-03 10:00:01.001 UTC,\"bob\",\"shop\",200,\"10.0.0.7:5555\",6b11.c8,3,\"UPDATE\",2026-12-03 10:00:00 UTC,3/4,745,ERROR,40P01,\"deadlock detected\",\"Process 200 waits for ShareLock on transaction 1; blocked by process 201.\nProcess 200: UPDATE \"\"a\"\" SET v=1\",\"See server log for query details.\",,,\"while updating tuple (0,2) in relation \"\"a\"\"\",\"UPDATE \"\"a\"\" SET v=1\",,,\"psql\",\"client backend\",,-1\n"
                + "2026-12-03 10:00:02.001 UTC,,,77,,6b11.4d,1,,2026-12-03 10:00:00 UTC,,0,LOG,00000,\"checkpoint starting: time\",,,,,,,,,\"\",\"checkpointer\",,0\n"
                + "not,a,log,record\n";
        byte[] b = csv.getBytes(StandardCharsets.UTF_8);
        for (int chunk : new int[] {1, 5, 64, b.length}) {
            List<LogEntry> e = readAll(LogReader.csvlog(17, LogOptions.defaults()), b, chunk);
            assertEquals(3, e.size());
            LogEntry d = e.get(0);
            assertEquals("bob", d.user());
            assertEquals("shop", d.database());
            assertEquals("10.0.0.7", d.client());
            assertEquals("40P01", d.sqlstate());
            assertEquals("Process 200 waits for ShareLock on transaction 1; blocked by process 201.\nProcess 200: UPDATE \"a\" SET v=1", d.detail());
            assertEquals("UPDATE \"a\" SET v=1", d.statement());
            assertEquals("psql", d.application());
            assertEquals("client backend", d.backendType());
            assertEquals("-1", d.queryId());
            assertNull(d.leaderPid());
            assertEquals("checkpointer", e.get(1).backendType());
            assertFalse(e.get(2).parsed());
            assertEquals("not,a,log,record", e.get(2).raw());
        }
    }

    @Test
    void clientHostsAndFileNames() {
        assertEquals("10.0.0.7", LogReader.clientHost("10.0.0.7(51234)"));
        assertEquals("10.0.0.7", LogReader.clientHost("10.0.0.7:51234"));
        assertEquals("::1", LogReader.clientHost("::1:51234"));
        assertEquals("[local]", LogReader.clientHost("[local]"));
        assertEquals("db.example.com", LogReader.clientHost("db.example.com"));
        assertNull(LogReader.clientHost(""));
        assertEquals(LogFormat.CSVLOG, LogFormat.ofFileName("postgresql-2026-12-03_100000.csv"));
        assertEquals(LogFormat.JSONLOG, LogFormat.ofFileName("postgresql.json"));
        assertEquals(LogFormat.STDERR, LogFormat.ofFileName("postgresql-Thu.log"));
    }

    @Test
    void csvColumnCountsPerVersion() {
        assertEquals(24, CsvLogReader.columns(13));
        for (int v = 14; v <= 18; v++) {
            assertEquals(26, CsvLogReader.columns(v));
        }
        String v13 = "2026-12-03 10:00:02.001 UTC,,,77,,6b11.4d,1,,2026-12-03 10:00:00 UTC,,0,LOG,00000,\"checkpoint starting: time\",,,,,,,,,\"\",\"checkpointer\"\n";
        byte[] b = v13.getBytes(StandardCharsets.UTF_8);
        assertTrue(readAll(LogReader.csvlog(13, LogOptions.defaults()), b, b.length).get(0).parsed());
        assertTrue(readAll(LogReader.csvlog(0, LogOptions.defaults()), b, b.length).get(0).parsed());
        assertFalse(readAll(LogReader.csvlog(17, LogOptions.defaults()), b, b.length).get(0).parsed(), "13's columns are not 17's");
    }

    @Test
    void jsonlogLinesAndBrokenLines() {
        String json = "{\"timestamp\":\"2026-12-03 10:00:01.001 UTC\",\"user\":\"bob\",\"dbname\":\"shop\",\"pid\":200,\"remote_host\":\"10.0.0.7\",\"remote_port\":5555,\"error_severity\":\"FATAL\",\"state_code\":\"28P01\",\"message\":\"password authentication failed for user \\\"bob\\\"\",\"detail\":\"Connection matched file \\\"/x/pg_hba.conf\\\" line 3: \\\"host all all 0.0.0.0/0 scram-sha-256\\\"\",\"backend_type\":\"client backend\",\"query_id\":0,\"future_key\":{\"a\":[1]}}\n"
                + "{\"timestamp\":\"2026-12-03 10:00:0\n";
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        List<LogEntry> e = readAll(LogReader.jsonlog(LogOptions.defaults()), b, 3);
        assertEquals(2, e.size());
        assertEquals("10.0.0.7", e.get(0).client());
        LogEvent.AuthenticationFailure a = (LogEvent.AuthenticationFailure) LogEvents.classify(e.get(0)).get(1);
        assertEquals("bob", a.user());
        assertEquals("scram-sha-256", a.method());
        assertEquals("10.0.0.7", a.client());
        assertFalse(e.get(1).parsed());
    }

    @Test
    void oversizedEntriesAreCutWithAMarker() {
        LogOptions small = LogOptions.defaults().withMaxEntryChars(300);
        String longSql = "x".repeat(2000);
        String log = "2026-12-03 10:00:01.001 UTC [1] ERROR:  syntax error\n"
                + "2026-12-03 10:00:01.001 UTC [1] STATEMENT:  SELECT " + longSql + "\n"
                + "\tmore " + longSql + "\n"
                + "2026-12-03 10:00:02.001 UTC [1] LOG:  next\n";
        byte[] b = log.getBytes(StandardCharsets.UTF_8);
        for (int chunk : new int[] {7, 100, b.length}) {
            List<LogEntry> e = readAll(LogReader.stderr(PREFIX, small), b, chunk);
            assertEquals(2, e.size());
            assertTrue(e.get(0).truncated());
            assertTrue(e.get(0).raw().endsWith(LogOptions.TRUNCATION_MARKER));
            assertTrue(e.get(0).raw().length() <= 300 + LogOptions.TRUNCATION_MARKER.length(), "" + e.get(0).raw().length());
            assertEquals("syntax error", e.get(0).message());
            assertEquals("next", e.get(1).message());
            assertEquals(b.length, e.get(1).endOffset());
        }
        String csvLong = "2026-12-03 10:00:01.001 UTC,,,1,,s,1,,t,,0,ERROR,42601,\"syntax error\",,,,,,\"SELECT " + longSql + "\n" + longSql + "\",,,\"\",\"client backend\",,0\n"
                + "2026-12-03 10:00:02.001 UTC,,,1,,s,2,,t,,0,LOG,00000,\"next\",,,,,,,,,\"\",\"client backend\",,0\n";
        byte[] c = csvLong.getBytes(StandardCharsets.UTF_8);
        List<LogEntry> e = readAll(LogReader.csvlog(17, small), c, 50);
        assertEquals(2, e.size());
        assertTrue(e.get(0).truncated());
        assertEquals("syntax error", e.get(0).message());
        assertEquals("next", e.get(1).message());
    }
}
