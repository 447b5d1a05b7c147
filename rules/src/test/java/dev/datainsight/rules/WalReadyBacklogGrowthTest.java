package dev.datainsight.rules;

import static dev.datainsight.rules.RuleEvaluatorTest.only;
import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/**
 * wal_ready_backlog's growth series (issue 18): the .ready backlog or pg_wal growing steadily over
 * the window pages before the level does, with the rate and the time left; a burst that stops,
 * pg_wal growing below max_wal_size and a backlog that drains and refills do not.
 */
class WalReadyBacklogGrowthTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long MIN = 60_000L;
    private static final double GB = 1024.0 * 1024 * 1024;

    private static Snapshot archiver(long t, double ready, double dirBytes) {
        return of("pg_stat_archiver", t, row(Map.of(), "failed_count", 0, "ready_count", ready, "wal_dir_bytes", dirBytes));
    }

    /** Pushes one archiver snapshot a minute (the slow group) from {@code from} for {@code minutes}. */
    private static List<AlertEvent> run(RulesHarness h, long from, int minutes, LongFunction<Snapshot> at)
            throws Exception {
        List<AlertEvent> out = new ArrayList<>();
        for (int i = 0; i < minutes; i++) {
            out.addAll(h.push(at.apply(from + i * MIN)));
        }
        return out;
    }

    @Test
    void aBacklogGrowingTwoSegmentsAMinute_pagesLongBeforeTheLevel_withTheRateAndTheTimeToCritical()
            throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("wal_ready_backlog", "for: 10m, resolve_for: 0s")))) {
            List<AlertEvent> ev = run(h, T0, 40, t -> archiver(t, 5 + 2 * (t - T0) / MIN, 1.2 * GB));
            assertEquals(1, ev.size(), ev.toString());
            AlertEvent a = ev.get(0);
            assertEquals(Map.of("trend", "growing"), a.getLabels());
            assertEquals(Severity.WARNING, a.getSeverity());
            // Steady from minute 14 (the window covered to 90 %), then 10 min of `for`: the backlog
            // is at 53 when it pages, far below the 128 level.
            assertEquals(T0 + 14 * MIN, a.getStartedAt());
            assertEquals(T0 + 24 * MIN, a.getEventAt());
            assertEquals("The archive backlog grows by 30 segment(s) in 15m (2.0/min), 53 waiting; at this rate "
                    + "1024 (critical) in 8.1 h", a.getSummary());
            // The backlog stops growing (archiving caught up with the rate): resolved within a third of the window.
            ev = run(h, T0 + 40 * MIN, 8, t -> archiver(t, 85, 1.2 * GB));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(AlertStatus.RESOLVED, ev.get(0).getStatus());
            assertTrue(ev.get(0).getResolvedAt() <= T0 + 46 * MIN, ev.toString());
        }
    }

    @Test
    void aBurstThatStops_aDrainingAndRefillingBacklog_andPgWalBelowMaxWalSize_areNotGrowth() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("wal_ready_backlog", "for: 0s, resolve_for: 0s")))) {
            // A bulk load: 60 segments in 3 min, then archiving works them off.
            assertEquals(List.of(), run(h, T0, 30, t -> {
                long m = (t - T0) / MIN;
                return archiver(t, m < 3 ? 20 * m : Math.max(0, 60 - 4 * (m - 3)), 2 * GB);
            }));
            // An archiver that pushes in batches: the backlog saws between 0 and 30.
            assertEquals(List.of(), run(h, T0 + 30 * MIN, 30, t -> archiver(t, 3 * ((t - T0) / MIN % 10), 2 * GB)));
            // pg_wal growing 2 GB in 15 min, but up to a max_wal_size of 16 GB: checkpoints recycle it.
            h.push(of("pg_settings", T0 + 60 * MIN, row(Map.of(), "max_wal_size_bytes", 16 * GB)));
            assertEquals(List.of(), run(h, T0 + 60 * MIN, 40, t -> archiver(t, 0, 2 * GB + (t - T0 - 60 * MIN) / MIN * 0.14 * GB)));
        }
    }

    @Test
    void pgWalGrowingPastMaxWalSize_warns_andIsCriticalWhenItReachesTheWalDirLimitWithinTheHour() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("wal_ready_backlog",
                "for: 0s, resolve_for: 0s, wal_dir_limit: 40GB")))) {
            h.push(of("pg_settings", T0, row(Map.of(), "max_wal_size_bytes", 4 * GB)));
            // 5 GB, growing 0.1 GB a minute (a slot or the archive holding WAL): 350 min to 40 GB.
            List<AlertEvent> ev = run(h, T0, 20, t -> archiver(t, 0, 5 * GB + (t - T0) / MIN * 0.1 * GB));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.WARNING, ev.get(0).getSeverity());
            assertEquals("pg_wal grows by 1.4GB in 14m (1.7MB/s) and holds 6.4GB, past max_wal_size 4GB; at this rate it "
                    + "reaches 40GB (wal_dir_limit) in 5.6 h", ev.get(0).getSummary());
            // Then 1 GB a minute: 40 GB is less than an hour away.
            long t1 = T0 + 20 * MIN;
            ev = run(h, t1, 10, t -> archiver(t, 0, 7 * GB + (t - t1) / MIN * GB));
            assertEquals(1, ev.size(), ev.toString());
            assertEquals(Severity.CRITICAL, ev.get(0).getSeverity());
            assertTrue(ev.get(0).getSummary().contains("(wal_dir_limit) in "), ev.get(0).getSummary());
        }
    }
}
