package dev.datainsight.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogLinePrefixTest {
    @Test
    void defaultPrefixOf13AndLater() {
        LogLinePrefix p = LogLinePrefix.parse("%m [%p] ");
        LogLinePrefix.Match m = p.match("2026-12-03 10:00:00.123 UTC [4242] LOG:  checkpoint starting: time");
        assertNotNull(m);
        assertEquals("2026-12-03 10:00:00.123 UTC", m.timestamp());
        assertEquals(4242, m.pid());
        assertEquals("LOG", m.severity());
        assertEquals("checkpoint starting: time",
                "2026-12-03 10:00:00.123 UTC [4242] LOG:  checkpoint starting: time".substring(m.messageStart()));
        assertEquals(List.of('m', 'p'), p.escapes());
    }

    @Test
    void everyEscapeIsExtracted() {
        LogLinePrefix p = LogLinePrefix.parse("%t|%n|%p|%P|%u|%d|%a|%r|%c|%l|%e|%x|%v|%i|%b|%Q|%s|%%|%L|%q");
        String line = "2026-12-03 10:00:00 CET|1764752400.123|812|800|alice|shop|psql|10.0.0.7(51234)|6b11b068.4067|17|23505|745|3/12|INSERT|client backend|-7785161560299279591|2026-12-03 09:59:00 CET|%|127.0.0.1|ERROR:  duplicate key";
        LogLinePrefix.Match m = p.match(line);
        assertNotNull(m, p.regex());
        assertEquals("1764752400.123", m.timestamp());
        assertEquals(812, m.pid());
        assertEquals(800, m.leaderPid());
        assertEquals("alice", m.user());
        assertEquals("shop", m.database());
        assertEquals("psql", m.application());
        assertEquals("10.0.0.7(51234)", m.client());
        assertEquals("6b11b068.4067", m.sessionId());
        assertEquals(17L, m.lineNumber());
        assertEquals("23505", m.sqlstate());
        assertEquals("745", m.xid());
        assertEquals("3/12", m.vxid());
        assertEquals("INSERT", m.commandTag());
        assertEquals("client backend", m.backendType());
        assertEquals("-7785161560299279591", m.queryId());
        assertEquals("2026-12-03 09:59:00 CET", m.sessionStart());
        assertEquals("127.0.0.1", m.localAddress());
        assertEquals("ERROR", m.severity());
    }

    @Test
    void qEndsThePrefixOfNonSessionProcesses() {
        LogLinePrefix p = LogLinePrefix.parse("%m [%p] %quser=%u,db=%d,app=%a,client=%h ");
        LogLinePrefix.Match bg = p.match("2026-12-03 10:00:00.123 UTC [77] LOG:  checkpoint complete: wrote 3 buffers");
        assertNotNull(bg);
        assertNull(bg.user());
        assertEquals(77, bg.pid());
        LogLinePrefix.Match s = p.match("2026-12-03 10:00:00.123 UTC [78] user=bob,db=app,app=[unknown],client=[local] FATAL:  x");
        assertEquals("bob", s.user());
        assertEquals("app", s.database());
        assertEquals("[local]", s.client());
        assertEquals("FATAL", s.severity());
    }

    @Test
    void paddedEscapesAreTrimmed() {
        LogLinePrefix p = LogLinePrefix.parse("%-10u|%6p|%-8d ");
        LogLinePrefix.Match m = p.match("bob       |   812|shop     LOG:  hello");
        assertNotNull(m, p.regex());
        assertEquals("bob", m.user());
        assertEquals(812, m.pid());
        assertEquals("shop", m.database());
    }

    @Test
    void emptyPrefixAndEmptySessionFields() {
        assertEquals("WARNING", LogLinePrefix.parse("").match("WARNING:  x").severity());
        // a background process prints empty %u and %d when the prefix has no %q
        LogLinePrefix.Match m = LogLinePrefix.parse("%t [%p]: user=%u,db=%d ").match("2026-12-03 10:00:00 UTC [5]: user=,db= LOG:  x");
        assertNull(m.user());
        assertNull(m.database());
    }

    @Test
    void linesWithoutThePrefixDoNotMatch() {
        LogLinePrefix p = LogLinePrefix.parse("%m [%p] ");
        assertNull(p.match("\tcontinuation"));
        assertNull(p.match("sh: 1: cannot create /archive/x: Permission denied"));
        assertNull(p.match("2026-12-03 10:00:00.123 UTC [x] LOG:  bad pid"));
        assertNull(p.match("2026-12-03 10:00:00.123 UTC [1] NOTALEVEL:  y"));
    }

    @Test
    void timestampsOfEveryShape() {
        assertEquals(Instant.parse("2026-12-03T10:00:00.123Z"), Timestamps.parse("2026-12-03 10:00:00.123 UTC"));
        assertEquals(Instant.parse("2026-12-03T09:00:00Z"), Timestamps.parse("2026-12-03 10:00:00 CET"));
        assertEquals(Instant.parse("2026-12-03T07:00:00Z"), Timestamps.parse("2026-12-03 10:00:00 +03"));
        assertEquals(Instant.parse("2026-12-03T15:30:00Z"), Timestamps.parse("2026-12-03 10:00:00 -0530"));
        assertEquals(Instant.ofEpochSecond(1764752400L, 123_000_000L), Timestamps.parse("1764752400.123"));
        assertNull(Timestamps.parse("2026-12-03 10:00:00 NOSUCHZONE"));
        assertNull(Timestamps.parse("yesterday"));
    }
}
