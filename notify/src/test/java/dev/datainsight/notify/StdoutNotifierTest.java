package dev.datainsight.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.Severity;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StdoutNotifierTest {

    @Test
    void printsOneReadableLinePerEvent_withValueThresholdAndSummary() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StdoutNotifier n = new StdoutNotifier(new PrintStream(buf, true, StandardCharsets.UTF_8));
        AlertEvent f = Alerts.firing("ab12", "lock_contention", Severity.CRITICAL, 1_795_000_000_000L);
        n.deliver(f);
        n.deliver(Alerts.resolved(f, 1_795_000_000_000L + 150_000));
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(2, lines.length);
        assertEquals("2026-11-18 11:07:40Z FIRING   critical lock_contention        pg-orders-1 {datname=orders} value=4 threshold=3"
                + " — 4 sessions wait on locks held by pid 4242", lines[0]);
        assertEquals("2026-11-18 11:09:10Z RESOLVED critical lock_contention        pg-orders-1 {datname=orders} value=0 threshold=3"
                + " after 2m30s — 4 sessions wait on locks held by pid 4242", lines[1]);
    }

    @Test
    void numbersReadAsPeopleWriteThem() {
        assertEquals("4", StdoutNotifier.number(4.0));
        assertEquals("0.8", StdoutNotifier.number(0.8));
        assertEquals("9.67", StdoutNotifier.number(9.6712));
        assertEquals("1319", StdoutNotifier.number(1318.7));
        assertEquals("0.000123", StdoutNotifier.number(0.0001234));
    }
}
