package dev.datainsight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.store.Migrations;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * {@code datainsight queries} against a real, migrated store on embedded PostgreSQL, read as a
 * login that is only a member of datainsight_reader. Up to a fixed "now" (2026-12-01 12:30 UTC):
 * db-a's query 99 runs 100 calls an hour at 5 ms until 24 hours ago and 20 ms since (steady), its
 * query 7 10 calls an hour of 50 ms with a standard deviation of 150 ms (spiky); db-b's query 99 is
 * another statement (query ids are per server). The text of db-a's 99 carries a terminal escape.
 */
class QueriesCommandTest {
    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    private static final Instant NOW = Instant.parse("2026-12-01T12:30:00Z");
    private static final String HOSTILE = "SELECT 1 /* \u001b[2J\u001b[31m */ FROM t WHERE id = $1";
    private static String superUrl;
    private static String readerUrl;

    @BeforeAll
    static void store() throws Exception {
        superUrl = PG.freshDatabaseUrl("queries_cmd");
        Migrations.migrate(superUrl, null, null);
        readerUrl = superUrl.replace("user=postgres", "user=queries_reader");
        String h = "date_trunc('hour', '" + NOW + "'::timestamptz)";
        String cols = "(instance, queryid, datname, rolname, bucket, calls, total_exec_time_ms, mean_exec_time_ms, rows, shared_blks_hit,"
                + " shared_blks_read, shared_blks_dirtied, shared_blks_written, temp_blks_read, temp_blks_written, wal_bytes, exec_time_sq_ms2,"
                + " max_exec_time_ms)";
        try (Connection c = DriverManager.getConnection(superUrl); Statement st = c.createStatement()) {
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'queries_reader') THEN"
                    + " CREATE ROLE queries_reader LOGIN IN ROLE datainsight_reader; END IF; END $$");
            st.execute("INSERT INTO instance VALUES ('db-a', '{}', 170002, " + h + " - interval '30 days', " + h + "),"
                    + " ('db-b', '{}', 160004, " + h + " - interval '30 days', " + h + ")");
            st.execute("INSERT INTO statement_text VALUES ('db-a', '99', '" + HOSTILE.replace("'", "''") + "', false, " + h + ", " + h + "),"
                    + " ('db-a', '7', 'SELECT pg_sleep($1)', false, " + h + ", " + h + "),"
                    + " ('db-b', '99', 'UPDATE b SET x = $1', false, " + h + ", " + h + ")");
            st.execute("INSERT INTO statement_rollup_1h " + cols
                    + " SELECT 'db-a', '99', 'app', 'web', " + h + " - m * interval '1 hour', 100, 100 * mean, mean, 100, 0, 0, 0, 0, 0, 0, 0,"
                    + " 100 * 1.25 * mean * mean, 2 * mean"
                    + " FROM generate_series(0, 240) m CROSS JOIN LATERAL (SELECT CASE WHEN m <= 24 THEN 20.0 ELSE 5.0 END::float8 AS mean) x");
            st.execute("INSERT INTO statement_rollup_1h " + cols
                    + " SELECT 'db-a', '7', 'app', 'batch', " + h + " - m * interval '1 hour', 10, 500, 50, 10, 0, 0, 0, 0, 0, 0, 0,"
                    + " 10 * (50 * 50 + 150 * 150), 900 FROM generate_series(0, 240) m");
            st.execute("INSERT INTO statement_rollup_1h " + cols
                    + " SELECT 'db-b', '99', 'app', 'web', " + h + " - m * interval '1 hour', 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1"
                    + " FROM generate_series(0, 240) m");
            // Query 99 on db-a changed plan once (two fingerprints); query 7 kept one plan.
            st.execute("INSERT INTO query_plan (instance, queryid, datname, fingerprint, summary, total_cost, first_seen, last_seen, period)"
                    + " SELECT *, date_trunc('month', f) FROM (VALUES"
                    + " ('db-a', '99', 'app', 'aaaaaaaaaaaaaaaa', 'Index Scan on t', 8.3, " + h + " - interval '3 days', " + h + " - interval '1 day'),"
                    + " ('db-a', '99', 'app', 'bbbbbbbbbbbbbbbb', 'Seq Scan on t', 1234.5, " + h + " - interval '1 day', " + h + "),"
                    + " ('db-a', '7', 'app', 'cccccccccccccccc', 'Result', 0.01, " + h + " - interval '3 days', " + h + "))"
                    + " v (i, q, d, fp, s, c, f, l)");
            // Query 99 on db-a has two open recommendations (one with a hostile target) and a closed one.
            st.execute("INSERT INTO recommendation (instance, dedup_key, kind, datname, queryid, target, first_seen, last_seen,"
                    + " status, closed_at, closed_reason, confidence, summary, action) VALUES"
                    + " ('db-a', 'index|app|99|public.t (id)', 'index', 'app', '99', 'public.t (id)', " + h + ", " + h + ", 'open', null, null,"
                    + " 0.62, 'Seq Scan on public.t (cost 1235) filtered by id: an index on (id) would read only the matching rows',"
                    + " 'CREATE INDEX CONCURRENTLY ON public.t (id)'),"
                    + " ('db-a', 'work_mem|app|99', 'work_mem', 'app', '99', 'work_mem', " + h + ", " + h + ", 'open', null, null,"
                    + " 0.3, 'writes 8.0 MB of temp files per call \u001b[31m', null),"
                    + " ('db-a', 'index|app|99|public.t (x)', 'index', 'app', '99', 'public.t (x)', " + h + ", " + h + ", 'closed', " + h + ","
                    + " 'the plan now uses Index Scan using t_x on t', 0.9, 'old', 'CREATE INDEX CONCURRENTLY ON public.t (x)')");
        }
    }

    private static String[] run(String... args) {
        QueriesCommand cmd = new QueriesCommand();
        cmd.now = NOW;
        CommandLine cl = new CommandLine(cmd);
        cl.registerConverter(java.time.Duration.class, dev.datainsight.config.DurationSyntax::parse);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new String[] {String.valueOf(rc), out.toString(), err.toString()};
    }

    @Test
    void topStatementsOfAnInstance_asAnAlignedTable_withClassAndRegression_textInert() {
        String[] r = run("--store", readerUrl, "--instance", "db-a", "--color", "never");
        assertEquals("0", r[0], r[2]);
        System.out.print(r[1]);
        List<String> lines = r[1].lines().toList();
        assertEquals("db-a: top statements by total from 2026-11-30T12:00:00Z to 2026-12-01T12:30:00Z"
                + " (hourly statement rollups; regression against the 7 days before)", lines.get(0));
        String header = lines.get(1);
        assertTrue(header.startsWith("QUERYID") && !header.contains("INSTANCE") && header.contains("PLAN CHANGES")
                && header.contains("RECOMMENDED"), header);
        // 25 hours (12:00 yesterday to 12:00 today) of 100 calls at 20 ms = 50,000 ms; the 7 days before: 5 ms
        String q99 = lines.get(2);
        assertTrue(q99.startsWith("99 ") && q99.contains("2,500") && q99.contains("50,000 ms") && q99.contains("20.0 ms")
                && q99.contains("steady") && q99.contains("×4.00"), q99);
        assertTrue(q99.contains("SELECT 1 /* \\x1b[2J\\x1b[31m */ FROM t WHERE id = $1") && !r[1].contains("\u001b"), "escape shown inert: " + q99);
        assertEquals("1", q99.substring(header.indexOf("PLAN CHANGES")).split("\\s+")[0], "one plan change of 99: " + q99);
        String q7 = lines.get(3);
        assertEquals("0", q7.substring(header.indexOf("PLAN CHANGES")).split("\\s+")[0], "one plan of 7: " + q7);
        assertTrue(q7.startsWith("7 ") && q7.contains("spiky") && q7.contains("×1.00") && q7.contains("SELECT pg_sleep($1)"), q7);
        // columns start under their headers
        assertEquals(header.indexOf("TOTAL"), q99.indexOf("50,000 ms"), r[1]);
        assertEquals(header.indexOf("TOTAL"), q7.indexOf("12,500 ms"), r[1]);
        assertEquals(header.indexOf("QUERY", header.indexOf("REGRESSION")), q7.indexOf("SELECT pg_sleep"), r[1]);
        // the open recommendations of 99, most confident first (the closed one is not shown)
        assertEquals("index 0.62 +1", q99.substring(header.indexOf("RECOMMENDED"), header.indexOf("QUERY", header.indexOf("RECOMMENDED"))).trim(), q99);
        assertEquals("-", q7.substring(header.indexOf("RECOMMENDED")).split("\\s+")[0], q7);
        assertEquals("open recommendations (confidence in [0, 1], computed from the evidence: see docs/plans.md):", lines.get(4));
        assertEquals("  99  index 0.62  Seq Scan on public.t (cost 1235) filtered by id: an index on (id) would read only the matching rows",
                lines.get(5));
        assertEquals("      CREATE INDEX CONCURRENTLY ON public.t (id)  [not validated (hypopg absent)]", lines.get(6));
        assertTrue(lines.get(7).startsWith("  99  work_mem 0.30  writes 8.0 MB") && !r[1].contains("\u001b"), lines.get(7));
        assertEquals(8, lines.size(), r[1]);
    }

    @Test
    void fleetWide_byRegression_asJson() throws Exception {
        String[] r = run("--store", readerUrl, "--order", "regression", "--json");
        assertEquals("0", r[0], r[2]);
        assertFalse(r[1].contains("\u001b"), "JSON escapes control characters too");
        JsonNode root = new ObjectMapper().readTree(r[1]);
        assertEquals("regression", root.get("order").asText());
        assertEquals("2026-11-30T12:00:00Z", root.get("from").asText());
        JsonNode rows = root.get("rows");
        assertEquals(3, rows.size(), r[1]);
        assertEquals("db-a", rows.get(0).get("instance").asText());
        assertEquals("99", rows.get(0).get("queryid").asText());
        assertEquals(4.0, rows.get(0).get("regression").asDouble(), 1e-9);
        assertEquals(5.0, rows.get(0).get("baselineMeanTimeMs").asDouble(), 1e-9);
        assertEquals(10.0, rows.get(0).get("stddevTimeMs").asDouble(), 1e-6, "half the mean");
        assertEquals("steady", rows.get(0).get("class").asText());
        assertEquals(HOSTILE, rows.get(0).get("query").asText(), "the text itself, escaped only as JSON");
        assertEquals(1, rows.get(0).get("planChanges").asInt(), "two plans of query 99, one change: " + rows.get(0));
        assertEquals(0, rows.get(2).get("planChanges").asInt(), "no plan of db-b's query 99: " + rows.get(2));
        JsonNode recs = rows.get(0).get("recommendations");
        assertEquals(2, recs.size(), rows.get(0).toString());
        assertEquals("index", recs.get(0).get("kind").asText());
        assertEquals("public.t (id)", recs.get(0).get("target").asText());
        assertEquals(0.62, recs.get(0).get("confidence").asDouble(), 1e-9);
        assertEquals("not validated (hypopg absent)", recs.get(0).get("validated").asText());
        assertEquals(0, rows.get(2).get("recommendations").size(), "none for db-b's query 99");
        assertEquals("db-b", rows.get(2).get("instance").asText(), "same query id on another server is another row");
        assertEquals("UPDATE b SET x = $1", rows.get(2).get("query").asText());
    }

    @Test
    void unknownInstanceAndBadOptionsAreRefused() {
        String[] r = run("--store", readerUrl, "--instance", "nope\u001b[2J");
        assertEquals("1", r[0]);
        assertEquals("error: no instance nope\\x1b[2J in the store", r[2].strip());
        assertEquals("2", run("--store", readerUrl, "--order", "fastest")[0]);
        assertEquals("2", run("--store", readerUrl, "--since", "200d")[0]);
        assertEquals("2", run("--store", readerUrl, "--limit", "0")[0]);
        String[] outsider = run("--store", superUrl.replace("user=postgres", "user=nobody_here"));
        assertEquals("1", outsider[0]);
    }
}
