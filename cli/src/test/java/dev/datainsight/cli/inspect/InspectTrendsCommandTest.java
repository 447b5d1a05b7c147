package dev.datainsight.cli.inspect;

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
 * {@code datainsight inspect trends} against a real, migrated store on embedded PostgreSQL, read
 * through a login that is only a member of datainsight_reader. Hourly rollups (and the daily ones
 * cascaded from them) up to a fixed "now" (Tue 2026-12-01 12:00 UTC; this week from Wed 11-25 00:00): db-a's cache hit ratio goes from 95% to 75% at Sat 14:00
 * (70 hours before), its query 99 from 5 ms to 20 ms a call at Sun 12:00 (48 hours before); db-b is
 * steady.
 */
class InspectTrendsCommandTest {
    @RegisterExtension static final PostgresExtension PG = new PostgresExtension();

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    /** A query text with a terminal escape sequence and markup: must reach the terminal inert. */
    private static final String HOSTILE = "SELECT 1 /* \u001b[2J\u001b[31m <img src=x onerror=alert(1)> */ FROM t WHERE id = $1";
    private static String superUrl;
    private static String readerUrl;

    @BeforeAll
    static void store() throws Exception {
        superUrl = PG.freshDatabaseUrl("inspect_trends");
        Migrations.migrate(superUrl, null, null);
        readerUrl = superUrl.replace("user=postgres", "user=trends_reader");
        String h = "'" + NOW + "'::timestamptz";
        try (Connection c = DriverManager.getConnection(superUrl); Statement st = c.createStatement()) {
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'trends_reader') THEN"
                    + " CREATE ROLE trends_reader LOGIN IN ROLE datainsight_reader; END IF;"
                    + " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'trends_outsider') THEN CREATE ROLE trends_outsider LOGIN; END IF; END $$");
            st.execute("INSERT INTO instance VALUES ('db-a', '{}', 170002, " + h + " - interval '30 days', " + h + "),"
                    + " ('db-b', '{}', 160004, " + h + " - interval '30 days', " + h + ")");
            st.execute("INSERT INTO series (instance, metric, labels) VALUES"
                    + " ('db-a', 'pg_stat_database.blks_hit', '{\"datname\": \"app\"}'), ('db-a', 'pg_stat_database.blks_read', '{\"datname\": \"app\"}'),"
                    + " ('db-a', 'pg_stat_database.xact_commit', '{\"datname\": \"app\"}'), ('db-b', 'pg_stat_database.xact_commit', '{\"datname\": \"app\"}')");
            st.execute("INSERT INTO metric_rollup_1h (series_id, bucket, count, min, max, sum, last)"
                    + " SELECT s.id, " + h + " - m * interval '1 hour', 360, v, v, 360 * v, v"
                    + " FROM series s CROSS JOIN generate_series(1, 400) m CROSS JOIN LATERAL (SELECT CASE"
                    + "   WHEN s.metric = 'pg_stat_database.blks_hit' THEN CASE WHEN m <= 70 THEN 75 ELSE 95 END"
                    + "   WHEN s.metric = 'pg_stat_database.blks_read' THEN CASE WHEN m <= 70 THEN 25 ELSE 5 END"
                    + "   ELSE 40 END::double precision AS v) x");
            st.execute("INSERT INTO statement_text VALUES ('db-a', '99', '" + HOSTILE.replace("'", "''") + "', false, " + h + " - interval '20 days', " + h + ")");
            st.execute("INSERT INTO statement_rollup_1h (instance, queryid, datname, rolname, bucket, calls, total_exec_time_ms, mean_exec_time_ms,"
                    + " rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written, temp_blks_read, temp_blks_written, wal_bytes)"
                    + " SELECT 'db-a', '99', 'app', 'web', " + h + " - m * interval '1 hour', 100, 100 * mean, mean, 100, 0, 0, 0, 0, 0, 0, 0"
                    + " FROM generate_series(1, 400) m CROSS JOIN LATERAL (SELECT CASE WHEN m <= 48 THEN 20.0 ELSE 5.0 END::float8 AS mean) x");
            // Daily rollups cascaded from the hourly ones, as the job does.
            st.execute("INSERT INTO metric_rollup_1d (series_id, bucket, count, min, max, sum, last)"
                    + " SELECT series_id, date_trunc('day', bucket), sum(count), min(min), max(max), sum(sum), (array_agg(last ORDER BY bucket DESC))[1]"
                    + " FROM metric_rollup_1h GROUP BY 1, 2");
        }
    }

    private static String[] run(String... args) {
        InspectTrendsCommand cmd = new InspectTrendsCommand();
        cmd.now = NOW;
        CommandLine cl = new CommandLine(cmd);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new String[] {String.valueOf(rc), out.toString(), err.toString()};
    }

    @Test
    void printsTheWeekOverWeekOfAnInstanceAsAnAlignedTable_mostChangedFirst() {
        String[] r = run("--store", readerUrl, "--instance", "db-a");
        assertEquals("0", r[0], r[2]);
        List<String> lines = r[1].lines().toList();
        assertEquals("db-a: week over week (this week 2026-11-25 00:00 UTC to 2026-12-01 12:00 UTC against the 7 days before), most changed first",
                lines.get(0));
        String header = lines.get(1);
        assertTrue(header.startsWith("WHAT") && !header.contains("INSTANCE"), header);
        assertTrue(lines.get(2).startsWith("mean time of query 99"), "the query changed most (+92%): " + r[1]);
        assertTrue(lines.get(2).contains("5 ms") && lines.get(2).contains("9.6 ms") && lines.get(2).contains("+92%")
                && lines.get(2).contains("Sun 12:00 (5 ms → 20 ms)"), lines.get(2));
        assertTrue(lines.get(3).startsWith("cache hit ratio"), r[1]);
        assertTrue(lines.get(3).contains("95.0%") && lines.get(3).contains("86.0%") && lines.get(3).contains("-9%")
                && lines.get(3).contains("Sat 14:00 (95.0% → 75.0%)"), lines.get(3));
        assertTrue(lines.get(4).startsWith("transactions") && lines.get(4).contains("+0%") && lines.get(4).contains("40/s"), lines.get(4));
        assertEquals(5, lines.size(), r[1]);
        // Aligned: every column starts where its header starts.
        for (String col : List.of("PREVIOUS WEEK", "THIS WEEK", "CHANGE", "SINCE")) {
            int at = header.indexOf(col);
            for (String line : lines.subList(2, lines.size())) {
                assertTrue(line.charAt(at - 1) == ' ' && line.charAt(at) != ' ', col + " aligned in: " + line);
            }
        }
        assertFalse(r[1].contains("\u001b"), "no escape sequence from the store reaches the terminal");
        assertTrue(r[1].contains("SELECT 1 /* \\u001b[2J\\u001b[31m <img src=x onerror=alert(1)…"), "shown, escaped and cut at 60: " + r[1]);
    }

    @Test
    void jsonForScripts_withTheSentenceOfThePage() throws Exception {
        String[] r = run("--store", readerUrl, "--instance", "db-a", "--json");
        assertEquals("0", r[0], r[2]);
        JsonNode root = new ObjectMapper().readTree(r[1]);
        assertEquals("db-a", root.get("instance").asText());
        assertEquals("2026-11-25T00:00:00Z", root.get("weekStart").asText());
        JsonNode rows = root.get("rows");
        assertEquals(3, rows.size());
        assertEquals("query_mean_ms", rows.get(0).get("metric").asText());
        assertEquals("99", rows.get(0).get("subject").asText());
        assertEquals(HOSTILE, rows.get(0).get("query").asText(), "JSON carries the text unchanged (escaped by JSON)");
        assertFalse(r[1].contains("\u001b"), "JSON escapes control characters");
        assertEquals("mean time of query 99 5 ms → 20 ms (×4.0) since Sun 12:00", rows.get(0).get("sentence").asText());
        JsonNode cache = rows.get(1);
        assertEquals("cache_hit_ratio", cache.get("metric").asText());
        assertEquals(0.95, cache.get("previousWeek").asDouble(), 1e-9);
        assertEquals((70 * 75 + 86 * 95) / 15600.0, cache.get("thisWeek").asDouble(), 1e-9, "156 hours this week, 70 of them at 75%");
        assertEquals("2026-11-28T14:00:00Z", cache.get("changeAt").asText());
        assertEquals("cache hit ratio 95.0% → 75.0% (-21%) since Sat 14:00", cache.get("sentence").asText());
        assertTrue(rows.get(2).get("changeAt").isNull(), "steady: no change point");
    }

    @Test
    void withoutAnInstance_theFleetAndEveryInstance() {
        String[] r = run("--store", readerUrl);
        assertEquals("0", r[0], r[2]);
        List<String> lines = r[1].lines().toList();
        assertTrue(lines.get(0).startsWith("fleet: week over week"), lines.get(0));
        assertTrue(lines.get(1).startsWith("INSTANCE  WHAT"), lines.get(1));
        assertTrue(r[1].lines().anyMatch(l -> l.startsWith("(fleet)") && l.contains("transactions") && l.contains("80/s")),
                "fleet-wide: 40/s on each of two instances: " + r[1]);
        assertTrue(r[1].lines().anyMatch(l -> l.startsWith("db-b") && l.contains("transactions")), r[1]);
        assertTrue(r[1].lines().anyMatch(l -> l.startsWith("db-a") && l.contains("cache hit ratio")), r[1]);
    }

    @Test
    void anUnknownInstanceOrALoginOutsideTheReaderRoleIsAnError() {
        String[] unknown = run("--store", readerUrl, "--instance", "db-nope");
        assertEquals("1", unknown[0]);
        assertEquals("error: no instance db-nope in the store", unknown[2].strip());
        String[] outsider = run("--store", superUrl.replace("user=postgres", "user=trends_outsider"), "--instance", "db-a");
        assertEquals("1", outsider[0]);
        assertTrue(outsider[2].contains("cannot read the store as datainsight_reader"), outsider[2]);
        String[] noStore = run("--instance", "db-a", "--store", "");
        assertEquals("2", noStore[0]);
        assertTrue(noStore[2].contains("no store given"), noStore[2]);
    }
}
