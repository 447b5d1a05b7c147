package dev.datainsight.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.QueryText;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reduction every low-volume upsert does before its one statement: one value per key. */
class TableUpsertTest {

    @Test
    void lastWins_keepsTheLastRowOfAKey_atThatRowsPlace() {
        List<QueryText> texts = List.of(new QueryText("1", "a", false), new QueryText("2", "b", false),
                new QueryText("1", "c", true));
        List<QueryText> out = TableUpserts.statementTexts("db-1", 0).reduce(texts);
        assertEquals(List.of(new QueryText("2", "b", false), new QueryText("1", "c", true)), out);
    }

    @Test
    void instances_newestWins_whateverTheArrivalOrder_withTheOldestSighting_andTheNewestKnownVersion() {
        List<InstanceRow> rows = List.of(
                new InstanceRow("db-1", Map.of("az", "a"), 170004, 2_000),
                new InstanceRow("db-2", Map.of(), 150010, 1_500),
                new InstanceRow("db-1", Map.of("az", "b"), 0, 3_000), // unreachable: version unknown
                new InstanceRow("db-1", Map.of("az", "c"), 160001, 1_000)); // older, arrives late
        List<TableUpserts.InstanceSeen> out = TableUpserts.INSTANCES.reduce(rows);
        assertEquals(2, out.size());
        assertEquals("db-2", out.get(0).newest().instance(), "db-1 is sent where its newest row arrived");
        TableUpserts.InstanceSeen db1 = out.get(1);
        assertEquals(Map.of("az", "b"), db1.newest().labels());
        assertEquals(1_000, db1.firstSeen());
        assertEquals(170004, db1.serverVersionNum(), "the newest row's 0 does not hide the newest known version");

        TableUpserts.InstanceSeen never = TableUpserts.INSTANCES.reduce(List.of(new InstanceRow("db-9", Map.of(), 0, 5)))
                .get(0);
        assertNull(never.newestKnown());
        assertEquals(0, never.serverVersionNum());
    }

    @Test
    void insights_newestWins_andFirstSeenIsTheOldest() {
        List<InsightRow> rows = List.of(
                new InsightRow("db-1", "unused_index", "i", "warning", "new", "{}", 2_000),
                new InsightRow("db-1", "unused_index", "i", "info", "old", "{}", 1_000));
        List<TableUpserts.InsightSeen> out = TableUpserts.INSIGHTS.reduce(rows);
        assertEquals(1, out.size());
        assertEquals("new", out.get(0).newest().summary());
        assertEquals(1_000, out.get(0).firstSeen());
    }

    @Test
    void alertEventWithoutFingerprint_failsBeforeAnyStatement() {
        AlertEvent e = new AlertEvent();
        assertThrows(IllegalArgumentException.class, () -> TableUpserts.ALERT_EVENTS.reduce(List.of(e)));
    }
}
