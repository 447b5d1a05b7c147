package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.datainsight.collector.probe.SessionsProbeAccess;
import org.junit.jupiter.api.Test;

/** Untrusted session text: control characters out, whitespace collapsed, length bounded. */
class SessionTextTest {

    @Test
    void controlCharactersBecomeSpaces_andWhitespaceCollapses() {
        assertEquals("UPDATE accounts SET x = 1", SessionsProbeAccess.clean("UPDATE\n\taccounts\u0007 SET\r\n x = 1", 200));
        assertEquals("a b", SessionsProbeAccess.clean("a\u001bb\u200b", 200));
        assertEquals("", SessionsProbeAccess.clean(null, 200));
        assertEquals("", SessionsProbeAccess.clean("select 1", 0));
    }

    @Test
    void longTextIsCut_withAnEllipsis() {
        assertEquals("SELECT 12…", SessionsProbeAccess.clean("SELECT 1234567890", 9));
        assertEquals("SELECT 1", SessionsProbeAccess.clean("SELECT 1   \n", 9));
    }
}
