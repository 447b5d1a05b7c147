package dev.datainsight.bench.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The console page benchmark at a tiny size: the store fills, every page answers 200 with its server time. */
class ConsoleBenchmarkTest {

    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(EmbeddedPostgresServer.defaultMajor());

    @Test
    void aTinyFleet_timesEveryPage_andPrintsTheVerdicts() throws Exception {
        String db = PG.freshDatabase("cbench");
        StringWriter text = new StringWriter();
        ConsoleBenchmark.Result r;
        try (PrintWriter out = new PrintWriter(text)) {
            r = new ConsoleBenchmark(PG.server().jdbcUrl(db), 4, 8, 1, out).run();
        }
        String s = text.toString();
        System.out.print(s);
        // the fill wrote what it says, into dated partitions
        assertEquals(4L, r.rows().get("instance"), s);
        assertEquals(4L * 12, r.rows().get("series"), s);
        assertEquals(4L * 20 * (8 * 24 + 1), r.rows().get("statement_rollup_1h"), s);
        assertTrue(r.rows().get("statement_rollup_1d") >= 4L * 20 * 8, "the closed days rolled: " + s);
        assertEquals(26, r.pages().size(), s);
        for (ConsoleBenchmark.PageTiming p : r.pages()) {
            assertEquals(200, p.status(), p.path() + "\n" + s);
            assertEquals(1, p.requests(), p.path());
            assertTrue(p.p50Ms() > 0 && p.p50Ms() <= p.p95Ms(), p.toString());
            assertTrue(s.contains("page " + p.path() + " p50 "), s);
        }
        assertTrue(s.contains("/queries?range=30d&sort=regression"), s);
        // the statement summary (V11) was built, and the pages reading it were timed again on the rollups
        // (8 days: no b30 span, D-7 only from the current hour on; y00..y23 and the other day spans full)
        assertTrue(r.rows().get("statement_summary") >= 4L * 20 * (5 + 24), s);
        assertEquals(7, r.rollupPages().size(), s);
        for (ConsoleBenchmark.PageTiming p : r.rollupPages()) {
            assertEquals(200, p.status(), p.path() + "\n" + s);
            assertTrue(s.contains("page " + p.path() + " (rollups, summary stale) p50 "), s);
        }
        assertTrue(s.lines().anyMatch(l -> l.matches("\\d+ of 26 pages under 300 ms \\(p95\\) at 4 instances x 8 days")), s);
        assertEquals(2.0, ConsoleBenchmark.percentile(new double[] {1, 2, 3, 4}, 0.5), 1e-9);
        assertEquals(4.0, ConsoleBenchmark.percentile(new double[] {1, 2, 3, 4}, 0.95), 1e-9);
    }
}
