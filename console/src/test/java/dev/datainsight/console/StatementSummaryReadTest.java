package dev.datainsight.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.store.Migrations;
import dev.datainsight.store.PartitionMaintenance;
import dev.datainsight.store.PartitionPolicy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fleet-wide Queries lists and Trends read from the statement summary (V11) give the same rows
 * as read from the rollups (what the console does while the summary is stale or not built).
 */
class StatementSummaryReadTest {
    @RegisterExtension static final PostgresExtension PG = new PostgresExtension(17);

    /** Late in a UTC day, so "today so far" has 21 hourly rows per statement. */
    private static final Instant NOW = Instant.parse("2026-03-12T21:40:00Z");

    @Test
    void everyRangeAndOrder_fromTheSummary_equalsTheRollups() throws Exception {
        String url = PG.server().jdbcUrl(PG.freshDatabase("ssread"));
        Migrations.migrate(url, null, null);
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            // 3 instances x 5 statements over 40 days; statement 1 of db-1 x3 slower since Mar 11 09:00,
            // statement 2 in two databases, statement 5 only every 3rd hour, statement 4 without sums of squares
            st.execute("""
                    INSERT INTO statement_rollup_1h (instance, queryid, datname, rolname, bucket, calls, total_exec_time_ms,
                        mean_exec_time_ms, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written,
                        temp_blks_read, temp_blks_written, wal_bytes, exec_time_sq_ms2, max_exec_time_ms)
                    SELECT 'db-' || i, q::text, CASE WHEN q = 2 AND h % 2 = 0 THEN 'other_db' ELSE 'app' END, 'app', b,
                           calls, calls * mean, mean, calls, 0, 0, 0, 0, 0, 0, 0,
                           CASE WHEN q <> 4 THEN calls * mean * mean * (1 + (q % 2) * 3) END, mean * (1 + h % 4)
                    FROM generate_series(timestamptz '2026-01-31 00:00+00', '2026-03-12 21:00+00', interval '1 hour') b
                    CROSS JOIN LATERAL (SELECT extract(epoch FROM b)::bigint / 3600 AS h) hh
                    CROSS JOIN generate_series(1, 3) i CROSS JOIN generate_series(1, 5) q
                    CROSS JOIN LATERAL (SELECT 1 + (h % 7) + q * i AS calls,
                        (q + 0.5 * i + 0.1 * (h % 5)) * CASE WHEN i = 1 AND q = 1 AND b >= '2026-03-11 09:00+00' THEN 3 ELSE 1 END
                            AS mean) v
                    WHERE q <> 5 OR h % 3 = 0""");
            st.execute("INSERT INTO statement_text (instance, queryid, query, first_seen, last_seen)"
                    + " SELECT 'db-' || i, q::text, 'SELECT ' || q, '2026-01-31', '2026-03-12' FROM generate_series(1, 3) i, generate_series(1, 5) q");
        }
        new PartitionMaintenance(url, null, null, PartitionPolicy.defaults(), Clock.fixed(NOW, ZoneOffset.UTC)).run();

        try (Connection c = Trends.connectAsReader(url, null, null); Connection su = DriverManager.getConnection(url);
                Statement st = su.createStatement()) {
            assertEquals(NOW.truncatedTo(java.time.temporal.ChronoUnit.DAYS), StoreReader.summaryAsOf(c, NOW).orElseThrow());
            int compared = 0;
            for (Range range : List.of(Range.H24, Range.D7, Range.D30)) {
                for (StoreReader.QueryOrder order : StoreReader.QueryOrder.values()) {
                    st.execute("UPDATE statement_summary_state SET stale = false");
                    List<StoreReader.QueryRow> summary = StoreReader.queries(c, null, null, range, NOW, order, 8);
                    st.execute("UPDATE statement_summary_state SET stale = true");
                    assertFalse(StoreReader.summaryAsOf(c, NOW).isPresent());
                    List<StoreReader.QueryRow> rollups = StoreReader.queries(c, null, null, range, NOW, order, 8);
                    assertEquals(8, rollups.size(), range + " " + order);
                    assertSame(range + " " + order, rollups, summary);
                    compared++;
                }
            }
            assertEquals(12, compared);
            // the regression order finds db-1's statement 1 first at 24 h (x3 since yesterday 09:00)
            st.execute("UPDATE statement_summary_state SET stale = false");
            StoreReader.QueryRow top = StoreReader.queries(c, null, null, Range.H24, NOW, StoreReader.QueryOrder.REGRESSION, 1).get(0);
            assertEquals("db-1 1", top.instance() + " " + top.queryid());
            assertTrue(top.regression() > 2.5, top.toString());

            List<Trends.Row> weekSummary = Trends.weekOverWeek(c, null, NOW);
            st.execute("UPDATE statement_summary_state SET stale = true");
            List<Trends.Row> weekRollups = Trends.weekOverWeek(c, null, NOW);
            assertEquals(weekRollups.size(), weekSummary.size());
            assertTrue(weekRollups.stream().anyMatch(r -> r.metric() == Trends.Metric.QUERY_MEAN_TIME), weekRollups.toString());
            for (int i = 0; i < weekRollups.size(); i++) {
                Trends.Row a = weekRollups.get(i);
                Trends.Row b = weekSummary.get(i);
                String what = i + ": " + a + " / " + b;
                assertEquals(a.instance() + " " + a.metric() + " " + a.subject(), b.instance() + " " + b.metric() + " " + b.subject(), what);
                assertClose(a.previousWeek(), b.previousWeek(), what);
                assertClose(a.thisWeek(), b.thisWeek(), what);
                assertEquals(a.changeAt(), b.changeAt(), what);
            }
        }
    }

    private static void assertSame(String what, List<StoreReader.QueryRow> expected, List<StoreReader.QueryRow> actual) {
        assertEquals(expected.size(), actual.size(), what);
        for (int i = 0; i < expected.size(); i++) {
            StoreReader.QueryRow e = expected.get(i);
            StoreReader.QueryRow a = actual.get(i);
            String w = what + " row " + i + ": " + e + " / " + a;
            assertEquals(e.instance() + " " + e.queryid() + " " + e.datnames() + " " + e.rolnames() + " " + e.spread() + " " + e.query(),
                    a.instance() + " " + a.queryid() + " " + a.datnames() + " " + a.rolnames() + " " + a.spread() + " " + a.query(), w);
            assertClose(e.calls(), a.calls(), w);
            assertClose(e.totalMs(), a.totalMs(), w);
            assertClose(e.meanMs(), a.meanMs(), w);
            assertClose(e.rows(), a.rows(), w);
            assertClose(e.stddevMs(), a.stddevMs(), w);
            assertClose(e.maxMs(), a.maxMs(), w);
            assertClose(e.baselineMeanMs(), a.baselineMeanMs(), w);
            assertClose(e.regression(), a.regression(), w);
        }
    }

    /** Equal up to the summation order of doubles. */
    private static void assertClose(Double e, Double a, String what) {
        if (e == null || a == null) {
            assertEquals(e, a, what);
            return;
        }
        assertEquals(e, a, 1e-9 * Math.max(1, Math.abs(e)), what);
    }
}
