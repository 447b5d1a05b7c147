package dev.datainsight.rules;

import static dev.datainsight.rules.RuleEvaluatorTest.only;
import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Severity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * wal_rate_spike's daily pattern (issue 18): a batch at the same hour every night pages while its
 * hour-of-day baseline is still learning, and no longer once it has learnt it; the same rate at
 * another hour still pages; with {@code daily_pattern: false} it pages every night.
 */
class WalRateSpikeDailyTest {
    /** 2025-01-01T00:00:00Z: day boundaries are UTC midnights. */
    private static final long DAY0 = 1_735_689_600_000L;
    private static final long MIN = 60_000L;
    private static final long HOUR = 60 * MIN;
    private static final long DAY = 24 * HOUR;
    private static final double MB = 1024.0 * 1024;
    private static final long STEP = 2 * MIN;

    /** 2 MB/s all day; {@code batchAt} (hour of day) 40 min at 30 MB/s (15x) on the given days. */
    private static final class Feed {
        final RulesHarness h;
        double wal = 1e9;
        long t = DAY0;

        Feed(String yaml) throws Exception {
            h = new RulesHarness(only(Map.of("wal_rate_spike", yaml)));
        }

        /** Runs one day; returns the FIRING events of that day. */
        List<AlertEvent> day(int batchHour) throws Exception {
            List<AlertEvent> firing = new ArrayList<>();
            for (long end = t + DAY; t < end; t += STEP) {
                long inDay = Math.floorMod(t - DAY0, DAY);
                boolean batch = batchHour >= 0 && inDay >= batchHour * HOUR && inDay < batchHour * HOUR + 40 * MIN;
                wal += (batch ? 30 : 2) * MB * STEP / 1000.0;
                for (AlertEvent e : h.push(of("pg_stat_wal", t, row(Map.of(), "wal_bytes", wal)))) {
                    if (e.getStatus() == AlertStatus.FIRING) {
                        firing.add(e);
                    }
                }
            }
            return firing;
        }
    }

    @Test
    void aNightlyBatch_pagesWhileItsHourLearns_thenNoLonger_whileTheSameRateAtAnotherHourStillPages()
            throws Exception {
        Feed f = new Feed("for: 5m, resolve_for: 0s");
        List<Integer> paged = new ArrayList<>();
        for (int day = 0; day < 7; day++) {
            List<AlertEvent> ev = f.day(2);
            paged.add(ev.size());
            if (day < 3) {
                // The 02:00 slot has fewer than 3 days of samples: the global baseline (the day's
                // 2 MB/s) is used, and 15x of it is critical.
                assertTrue(!ev.isEmpty(), "night " + (day + 1) + " pages: " + ev);
                assertEquals(Severity.CRITICAL, ev.get(ev.size() - 1).getSeverity());
                assertTrue(ev.get(0).getSummary().contains("x its baseline of"), ev.get(0).getSummary());
            }
        }
        // Measured: [1, 2, 2, 1, 0, 0, 0]: warning then critical on nights 2 and 3 as the window
        // fills, a warning on night 4 (the slot, just in use, is at 2.8x the day), then quiet.
        assertEquals(List.of(0, 0, 0), paged.subList(4, 7), "the learnt batch no longer pages: " + paged);
        // The same batch at 14:00: that hour's baseline is the quiet day's, so it pages.
        List<AlertEvent> ev = f.day(14);
        assertTrue(!ev.isEmpty(), "the same rate at 14:00 pages");
        assertEquals(Severity.CRITICAL, ev.get(ev.size() - 1).getSeverity(), ev.toString());
        assertTrue(ev.get(0).getSummary().contains("x the 14:00-15:00 UTC baseline of 2"), ev.get(0).getSummary());
        f.h.close();
    }

    @Test
    void withoutTheDailyPattern_theNightlyBatchPagesEveryNight() throws Exception {
        Feed f = new Feed("for: 5m, resolve_for: 0s, daily_pattern: false");
        for (int day = 0; day < 6; day++) {
            List<AlertEvent> ev = f.day(2);
            assertTrue(!ev.isEmpty(), "night " + (day + 1) + " pages without the daily pattern");
        }
        f.h.close();
    }
}
