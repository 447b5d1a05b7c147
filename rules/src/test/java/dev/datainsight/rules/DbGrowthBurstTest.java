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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * db_growth's minute-rate test (issue 18, "db_growth is blind for its first minutes"): exact sizes
 * every 5 min, the tables probe every minute, with the rule's default parameters.
 */
class DbGrowthBurstTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long MIN = 60_000L;
    private static final double MB = 1024 * 1024; // Fmt.bytes is binary

    /** A database of one big steady table and one log table; sizes as relpages would show them. */
    private static final class Db {
        double other = 20e9;
        double log = 100 * MB;
        double steadyPerMin;
        double logPerMin;
        /** Last ANALYZE of each table, epoch seconds: autovacuum analyses a growing table every minute here. */
        long otherStamp;
        long logStamp;

        void minute(long t) {
            other += steadyPerMin;
            log += logPerMin;
            if (steadyPerMin != 0) {
                otherStamp = t / 1000;
            }
            if (logPerMin != 0) {
                logStamp = t / 1000;
            }
        }

        Snapshot tables(long t) {
            return of("pg_stat_user_tables", t,
                    row(Map.of("datname", "app", "schemaname", "public", "relname", "orders"), "total_size_bytes",
                            other, "last_autoanalyze", (double) otherStamp),
                    row(Map.of("datname", "app", "schemaname", "public", "relname", "log"), "total_size_bytes",
                            log, "last_autoanalyze", (double) logStamp));
        }

        Snapshot exact(long t) {
            // the exact size: the tables plus 2 GB the tables probe does not list
            return of("pg_database", t, row(Map.of("datname", "app"), "size_bytes", other + log + 2e9,
                    "xid_age", 1e6, "mxid_age", 10));
        }
    }

    /** Drives one minute: the tables probe every minute, the exact size every fifth. */
    private static List<AlertEvent> step(RulesHarness h, Db db, long t) throws Exception {
        db.minute(t);
        List<AlertEvent> out = new java.util.ArrayList<>(h.push(db.tables(t)));
        if ((t - T0) % (5 * MIN) == 0) {
            out.addAll(h.push(db.exact(t)));
        }
        return out;
    }

    @Test
    void runawayBetweenTwoExactSamples_firesWithinTwoMinutesOfTheFastSignal_andTheExactSizeConfirms()
            throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("db_growth", "")))) {
            Db db = new Db();
            db.steadyPerMin = 1 * MB;
            long t = T0;
            for (; t <= T0 + 2 * 60 * MIN; t += MIN) {
                assertTrue(step(h, db, t).isEmpty(), "a 1 MB/min database must stay quiet");
            }
            // an exact sample was just taken (t - MIN is on the 5-min grid + 0): the runaway starts now
            assertEquals(0, (t - MIN - T0) % (5 * MIN));
            db.logPerMin = 300 * MB;
            long fastSeen = t; // the first tables cycle that carries the runaway's growth
            AlertEvent fired = null;
            for (; t < fastSeen + 4 * MIN && fired == null; t += MIN) {
                for (AlertEvent a : step(h, db, t)) {
                    if (a.getStatus() == AlertStatus.FIRING) {
                        fired = a;
                    }
                }
            }
            assertTrue(fired != null, "300 MB/min between two exact samples must fire before the next one: " + h.events);
            assertTrue(fired.getEventAt() - fastSeen <= 2 * MIN,
                    "fired " + (fired.getEventAt() - fastSeen) / 1000 + " s after the fast signal");
            assertTrue(fired.getEventAt() < fastSeen + 4 * MIN, "before the next exact size");
            assertEquals(Severity.WARNING, fired.getSeverity());
            assertTrue(fired.getSummary().startsWith("Database app grows 301MB/min by its tables"), fired.getSummary());
            assertTrue(fired.getSummary().contains("exact size not yet in"), fired.getSummary());
            // the exact size arrives: still firing, no resolution, and the summary now carries the exact rate
            List<AlertEvent> after = new java.util.ArrayList<>();
            for (long end = t + 10 * MIN; t < end; t += MIN) {
                after.addAll(step(h, db, t));
            }
            assertTrue(after.stream().noneMatch(a -> a.getStatus() == AlertStatus.RESOLVED), after.toString());
            dev.datainsight.rules.engine.Evaluation lastEval = h.evaluations.get(h.evaluations.size() - 1);
            assertEquals(Severity.WARNING, lastEval.level);
            assertTrue(lastEval.summary.contains("confirmed by the exact size"), lastEval.summary);
        }
    }

    @Test
    void steadyFastGrowingDatabase_atItsOwnNormalRate_doesNotPage() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("db_growth", "")))) {
            Db db = new Db();
            db.other = 20e12; // 20 TB growing 200 MB/min: 1.4% a day, well under the day test's 15%
            db.steadyPerMin = 200 * MB;
            for (long t = T0; t < T0 + 4 * 60 * MIN; t += MIN) {
                step(h, db, t);
            }
            assertEquals(List.of(), h.events);
        }
    }

    @Test
    void analyseAfterLongPause_isSpreadOverThePause_notABurst() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("db_growth", "")))) {
            Db db = new Db();
            db.steadyPerMin = 0.5 * MB;
            db.otherStamp = T0 / 1000;
            long t = T0;
            for (; t < T0 + 3 * 60 * MIN; t += MIN) {
                // the table grows but autovacuum has not analysed it: relpages (and the probe) stay put
                db.other += 0.5 * MB;
                h.push(of("pg_stat_user_tables", t, row(Map.of("datname", "app", "schemaname", "public",
                        "relname", "orders"), "total_size_bytes", 20e9, "last_autoanalyze", (double) T0 / 1000)));
                if ((t - T0) % (5 * MIN) == 0) {
                    h.push(db.exact(t));
                }
            }
            // ANALYZE now: three hours of growth (90 MB) show up in one cycle
            h.push(of("pg_stat_user_tables", t, row(Map.of("datname", "app", "schemaname", "public",
                    "relname", "orders"), "total_size_bytes", 20e9 + 90 * MB, "last_autoanalyze", (double) t / 1000)));
            for (long end = t + 5 * MIN; t < end; t += MIN) {
                h.push(of("pg_stat_user_tables", t + MIN, row(Map.of("datname", "app", "schemaname", "public",
                        "relname", "orders"), "total_size_bytes", 20e9 + 90 * MB, "last_autoanalyze",
                        (double) (end - 5 * MIN) / 1000)));
            }
            assertEquals(List.of(), h.events);
        }
    }

    @Test
    void exactSizeThatDoesNotGrow_withdrawsTheEstimate() throws Exception {
        try (RulesHarness h = new RulesHarness(only(Map.of("db_growth", "")))) {
            Db db = new Db();
            db.steadyPerMin = 1 * MB;
            long t = T0;
            for (; t <= T0 + 60 * MIN; t += MIN) {
                step(h, db, t);
            }
            // the log table's relpages say 300 MB/min, but the database does not grow (space freed elsewhere)
            db.logPerMin = 300 * MB;
            double exact = db.other + db.log + 2e9;
            dev.datainsight.rules.engine.Evaluation before = null;
            for (long end = t + 4 * MIN; t < end; t += MIN) {
                db.minute(t);
                h.push(db.tables(t));
                before = h.evaluations.get(h.evaluations.size() - 1);
            }
            assertEquals(Severity.WARNING, before.level, "the estimate alone holds the test: " + before.summary);
            h.push(of("pg_database", t, row(Map.of("datname", "app"), "size_bytes", exact, "xid_age", 1e6,
                    "mxid_age", 10)));
            db.minute(t);
            h.push(db.tables(t + 1000));
            dev.datainsight.rules.engine.Evaluation after = h.evaluations.get(h.evaluations.size() - 1);
            assertEquals(null, after.level, "the exact size withdrew the estimate: " + after.summary);
        }
    }
}
