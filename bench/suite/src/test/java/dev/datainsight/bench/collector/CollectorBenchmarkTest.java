package dev.datainsight.bench.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The collector benchmark on a small real server: it measures every cycle and judges the budget. */
class CollectorBenchmarkTest {
    static final int STATEMENTS = 40;

    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(EmbeddedPostgresServer.defaultMajor(),
            CollectorBenchmark.serverSettings(STATEMENTS));

    @Test
    void aSmallRun_printsEveryCycleWithItsProbes_andTheVerdict() throws Exception {
        String db = PG.freshDatabase("bench");
        StringWriter text = new StringWriter();
        CollectorBenchmark.Result r;
        try (PrintWriter out = new PrintWriter(text)) {
            r = new CollectorBenchmark(new CollectorBenchmark.Params(10, STATEMENTS, 2, 100_000), out)
                    .run(PG.server().jdbcUrl(db), PG.server().jdbcUrlNoUser(db));
        }
        String s = text.toString();
        assertTrue(s.contains("setup: 10 tables, 40 statements run"), s);
        assertTrue(s.contains("baseline: SELECT 1 round trip"), s);
        assertTrue(s.contains("first cycle (new connections"), s);
        assertTrue(s.contains("steady cycle 1 ") && s.contains("steady cycle 2 ") && !s.contains("steady cycle 3 "), s);
        assertTrue(s.contains("pg_stat_activity"), "a probe row per probe:\n" + s);
        assertTrue(s.contains("within budget"), s);
        assertTrue(r.maxMs() > 0 && r.meanMs() > 0 && r.meanMs() <= r.maxMs(), r.toString());
        assertTrue(r.withinBudget());
        assertEquals(false, new CollectorBenchmark.Result(r.meanMs(), r.maxMs(), r.meanWithoutSizesMs(), r.maxMs() / 2)
                .withinBudget());
    }
}
