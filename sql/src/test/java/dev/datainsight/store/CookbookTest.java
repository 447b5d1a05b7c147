package dev.datainsight.store;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.PostgresExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PGInterval;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every query of docs/sql-cookbook.md, as the read-only role, against a store filled with
 * {@link CookbookFixture}, and checks each answer.
 */
class CookbookTest {
    @RegisterExtension static final PostgresExtension PG15 = StoreServers.PG15;
    @RegisterExtension static final PostgresExtension PG17 = StoreServers.PG17;
    @RegisterExtension static final PostgresExtension PG18 = StoreServers.PG18;

    private static final Pattern QUESTION = Pattern.compile("^### (Q\\d\\d)\\. (.+?)$(.*?)^```sql\\n(.*?)^```",
            Pattern.MULTILINE | Pattern.DOTALL);

    record Query(String id, String question, String sql) {}

    static List<Query> cookbook() throws Exception {
        Path md = Paths.get(System.getProperty("maven.multiModuleProjectDirectory", ".."), "docs", "sql-cookbook.md");
        if (!Files.exists(md)) {
            md = Paths.get("..", "docs", "sql-cookbook.md");
        }
        String text = Files.readString(md, StandardCharsets.UTF_8);
        List<Query> out = new ArrayList<>();
        Matcher m = QUESTION.matcher(text);
        while (m.find()) {
            out.add(new Query(m.group(1), m.group(2), m.group(4)));
        }
        return out;
    }

    /** Expected answers, by question id; rows are maps of column name to JDBC value. */
    static Map<String, BiConsumer<CookbookFixture, List<Map<String, Object>>>> expectations() {
        Map<String, BiConsumer<CookbookFixture, List<Map<String, Object>>>> e = new LinkedHashMap<>();
        e.put("Q01", (f, rows) -> {
            assertEquals(List.of("db-3", "db-4", "db-2"), col(rows, "instance"));
            assertEquals(List.of("down", "silent", "critical"), col(rows, "state"));
            assertEquals(1L, rows.get(2).get("critical_alerts"));
        });
        e.put("Q02", (f, rows) -> {
            assertEquals(List.of("cache_hit_ratio", "instance_down", "deadlocks"), col(rows, "rule"));
            assertEquals(List.of("critical", "critical", "warning"), col(rows, "severity"));
        });
        e.put("Q03", (f, rows) -> {
            assertEquals(List.of("firing", "resolved", "firing", "resolved"), col(rows, "status"));
            assertEquals(null, rows.get(0).get("duration"));
            assertEquals(30 * 60, seconds(rows.get(1).get("duration")));
            assertEquals(90 * 60, seconds(rows.get(3).get("duration")));
        });
        e.put("Q04", (f, rows) -> assertEquals(List.of("db-4"), col(rows, "instance")));
        e.put("Q05", (f, rows) -> {
            assertEquals(List.of(15, 16, 17, 18), col(rows, "major"));
            assertEquals(List.of("db-3", "db-2", "db-1", "db-4"), col(rows, "which"));
        });
        e.put("Q06", (f, rows) -> {
            assertEquals(List.of("db-2", "db-1"), col(rows, "instance"));
            assertNum(0.95, rows.get(0).get("peak_ratio"));
            assertNum(0.40, rows.get(1).get("peak_ratio"));
        });
        e.put("Q07", (f, rows) -> {
            assertEquals(List.of("db-2", "db-1", "db-1"), col(rows, "instance"));
            assertEquals(List.of("app", "app", "reporting"), col(rows, "datname"));
            assertNum(35e9, rows.get(0).get("grown_bytes"));
            assertNum(7e9, rows.get(1).get("grown_bytes"));
        });
        e.put("Q08", (f, rows) -> {
            assertEquals(1, rows.size(), rows.toString());
            assertEquals("db-2", rows.get(0).get("instance"));
            assertNum(17, rows.get(0).get("days_to_200gb"));
        });
        e.put("Q09", (f, rows) -> {
            assertEquals("db-1", rows.get(0).get("instance"));
            assertEquals("pg_stat_database.xact_commit", rows.get(0).get("metric"));
            assertNum(4.0, rows.get(0).get("ratio"));
            assertNum(100, rows.get(0).get("usual"));
        });
        e.put("Q10", (f, rows) -> {
            assertEquals(List.of("1001", "1002", "1003"), col(rows, "queryid"));
            assertNum(20.0, rows.get(0).get("mean_ms"));
            assertTrue(rows.get(0).get("query").toString().startsWith("SELECT * FROM orders"));
        });
        e.put("Q11", (f, rows) -> {
            assertEquals(List.of("1003"), col(rows, "queryid"));
            assertNum(10.0, rows.get(0).get("before_ms"));
            assertNum(50.0, rows.get(0).get("now_ms"));
            assertNum(5.0, rows.get(0).get("slower_by"));
        });
        e.put("Q12", (f, rows) -> {
            assertEquals(List.of("public.orders", "public.events", "public.customers"), col(rows, "table_name"));
            assertNum(500_000, rows.get(0).get("n_dead_tup"));
            assertNum(0.333, rows.get(0).get("dead_ratio"));
        });
        e.put("Q13", (f, rows) -> assertEquals(List.of("public.orders"), col(rows, "table_name")));
        e.put("Q14", (f, rows) -> {
            assertEquals(3, rows.size(), rows.toString());
            assertTrue(rows.stream().allMatch(r -> "db-2".equals(r.get("instance"))));
            assertNum(0.75, rows.get(0).get("cache_hit_ratio"));
        });
        e.put("Q15", (f, rows) -> {
            assertEquals(List.of("db-1"), col(rows, "instance"));
            assertEquals(f.hour.minus(Duration.ofHours(5)), ((Timestamp) rows.get(0).get("first_hour_with_requested_checkpoints")).toInstant());
        });
        e.put("Q16", (f, rows) -> {
            assertEquals(List.of("db-2"), col(rows, "instance"));
            assertNum(60, rows.get(0).get("deadlocks"));
        });
        e.put("Q17", (f, rows) -> {
            assertEquals("db-1", rows.get(0).get("instance"));
            assertEquals("app", rows.get(0).get("datname"));
            assertNum(55.9, rows.get(0).get("pct_of_wraparound"));
        });
        e.put("Q18", (f, rows) -> {
            assertEquals("replication_lag", rows.get(0).get("rule"));
            assertNum(2, rows.get(0).get("times_fired"));
            assertEquals(List.of(2L, 1L, 1L, 1L), col(rows, "times_fired"));
        });
        e.put("Q19", (f, rows) -> {
            assertEquals(List.of("replication_lag"), col(rows, "rule"));
            assertNum(60.0, rows.get(0).get("mean_minutes_to_resolve"));
            assertNum(90.0, rows.get(0).get("longest_minutes"));
        });
        e.put("Q20", (f, rows) -> {
            assertEquals(List.of("sequence_exhaustion", "unused_index", "autovacuum_settings"), col(rows, "kind"));
            assertEquals(List.of("critical", "warning", "info"), col(rows, "severity"));
        });
        e.put("Q21", (f, rows) -> {
            assertEquals(List.of("db-2"), col(rows, "instance"));
            assertEquals(java.sql.Date.valueOf(f.today), rows.get(0).get("day"));
            assertNum(0.75, rows.get(0).get("cache_hit_ratio"));
        });
        e.put("Q22", (f, rows) -> {
            assertEquals("db-1", rows.get(0).get("instance"));
            assertEquals("pg_stat_database.xact_commit", rows.get(0).get("metric"));
            assertEquals(java.sql.Date.valueOf(f.lastTuesday), rows.get(0).get("day"));
            assertNum(4.0, rows.get(0).get("ratio"));
            assertNum(100, rows.get(0).get("week_before"));
        });
        return e;
    }

    /**
     * How far back each query may read partitions (its range, plus a day of slack for partitions
     * cut at UTC midnight); absent: a current-state question that reads no partitioned table.
     */
    static Map<String, Duration> ranges() {
        Map<String, Duration> r = new LinkedHashMap<>();
        r.put("Q03", Duration.ofDays(7));
        r.put("Q06", Duration.ofHours(24));
        r.put("Q07", Duration.ofDays(8));
        r.put("Q08", Duration.ofDays(15));
        r.put("Q09", Duration.ofDays(15));
        r.put("Q10", Duration.ofHours(24));
        r.put("Q11", Duration.ofDays(14));
        r.put("Q14", Duration.ofHours(24));
        r.put("Q15", Duration.ofDays(7));
        r.put("Q16", Duration.ofHours(1));
        r.put("Q18", Duration.ofDays(30));
        r.put("Q19", Duration.ofDays(30));
        r.put("Q21", Duration.ofDays(7));
        r.put("Q22", Duration.ofDays(15));
        return r;
    }

    private static final Pattern RELATION = Pattern.compile("\"Relation Name\": \"([a-z0-9_]+)\"");
    private static final Pattern PARTITION = Pattern.compile("^(metric_rollup_1[mhd]|statement_rollup_1h|alert_event)_(default|p(\\d{6}|\\d{8}))$");

    /**
     * Partitions that the plan of {@code sql} reads, after plan-time and executor-startup pruning
     * (EXPLAIN without ANALYZE still starts the executor, which removes the subplans it prunes).
     */
    static List<String> partitionsRead(Connection c, String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("EXPLAIN (FORMAT JSON) " + sql)) {
            rs.next();
            Matcher m = RELATION.matcher(rs.getString(1));
            while (m.find()) {
                if (PARTITION.matcher(m.group(1)).matches() || m.group(1).matches(
                        "metric_rollup_1[mhd]|statement_rollup_1h|alert_event")) {
                    out.add(m.group(1));
                }
            }
        }
        return out;
    }

    /** The time range a dated partition holds, from its name. */
    static Instant[] period(String partition) {
        Matcher m = PARTITION.matcher(partition);
        if (!m.matches() || m.group(3) == null) {
            return null;
        }
        String d = m.group(3);
        LocalDate start = d.length() == 8 ? LocalDate.parse(d, DateTimeFormatter.BASIC_ISO_DATE)
                : LocalDate.parse(d + "01", DateTimeFormatter.BASIC_ISO_DATE);
        LocalDate end = d.length() == 8 ? start.plusDays(1) : start.plusMonths(1);
        return new Instant[] {start.atStartOfDay(ZoneOffset.UTC).toInstant(), end.atStartOfDay(ZoneOffset.UTC).toInstant()};
    }

    @Test
    void cookbookHasEnoughQuestions_andEveryOneHasAnExpectation() throws Exception {
        List<Query> qs = cookbook();
        assertTrue(qs.size() >= 15, "cookbook has " + qs.size() + " queries");
        assertEquals(expectations().keySet().stream().toList(), qs.stream().map(Query::id).toList());
    }

    @ParameterizedTest(name = "[{index}]")
    @MethodSource("dev.datainsight.store.StoreServers#all")
    void everyCookbookQuery_answersAsExpected_asTheReader(PostgresExtension pg) throws Exception {
        String url = StoreServers.migratedStore(pg, "cookbook");
        // Dated partitions for every range the queries and views read, so that a pruned plan needs
        // no DEFAULT partition: maintenance as of 35 days ago for the daily partitions (creating
        // far enough ahead) and 100 days ago for the monthly ones.
        Instant now = Instant.now();
        List<PartitionPolicy> daily = PartitionPolicy.defaults().stream()
                .filter(p -> p.width() == PartitionPolicy.Width.DAY).map(p -> p.withAhead(40)).toList();
        List<PartitionPolicy> monthly = PartitionPolicy.defaults().stream()
                .filter(p -> p.width() == PartitionPolicy.Width.MONTH).map(p -> p.withAhead(5)).toList();
        new PartitionMaintenance(url, null, null, daily, Clock.fixed(now.minus(Duration.ofDays(35)), ZoneOffset.UTC)).run();
        new PartitionMaintenance(url, null, null, monthly, Clock.fixed(now.minus(Duration.ofDays(100)), ZoneOffset.UTC)).run();
        new PartitionMaintenance(url, null, null).run();
        StoreServers.ensureLoginUsers(url);
        CookbookFixture f = new CookbookFixture();
        try (JdbcStoreWriter w = new JdbcStoreWriter(StoreServers.as(url, "test_writer"), null, null)) {
            f.write(w);
        }
        Map<String, BiConsumer<CookbookFixture, List<Map<String, Object>>>> expected = expectations();
        Map<String, Duration> ranges = ranges();
        List<Executable> checks = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(StoreServers.as(url, "test_reader"))) {
            for (Query q : cookbook()) {
                List<String> read = partitionsRead(c, q.sql());
                Duration range = ranges.get(q.id());
                checks.add(() -> assertPrunes(q, range, read, f.now));
                List<Map<String, Object>> rows;
                try {
                    rows = run(c, q.sql());
                } catch (Exception ex) {
                    checks.add(() -> {
                        throw new AssertionError(q.id() + " (" + q.question() + ") failed: " + ex.getMessage(), ex);
                    });
                    continue;
                }
                checks.add(() -> {
                    try {
                        expected.get(q.id()).accept(f, rows);
                    } catch (AssertionError ae) {
                        throw new AssertionError(q.id() + " (" + q.question() + "): " + ae.getMessage() + "\n  rows: " + rows, ae);
                    }
                });
            }
            for (Map.Entry<String, Duration> v : viewRanges().entrySet()) {
                Query q = new Query("view", v.getKey(), v.getKey());
                List<String> read = partitionsRead(c, q.sql());
                checks.add(() -> assertPrunes(q, v.getValue(), read, f.now));
            }
        }
        assertAll(checks);
    }

    /** The views' own bounds (null: reads no partitioned table); checked like the cookbook's. */
    static Map<String, Duration> viewRanges() {
        Map<String, Duration> r = new LinkedHashMap<>();
        for (String v : List.of("open_alert", "instance_health", "table_dead_tuples", "metric_latest")) {
            r.put("SELECT * FROM " + v, null);
        }
        r.put("SELECT * FROM metric_1h_so_far", Duration.ofHours(1));
        r.put("SELECT * FROM metric_1d_so_far", Duration.ofDays(1));
        r.put("SELECT * FROM database_growth_daily", Duration.ofDays(91));
        r.put("SELECT * FROM metric_week_over_week_daily", Duration.ofDays(15));
        r.put("SELECT * FROM cache_hit_ratio_daily WHERE bucket >= now() - interval '3 days' AND bucket <= now()",
                Duration.ofDays(3));
        r.put("SELECT * FROM alert_history WHERE event_at >= now() - interval '1 day' AND event_at <= now()",
                Duration.ofDays(1));
        return r;
    }

    /**
     * A query over a range reads at least one partition and only partitions overlapping [now -
     * range - 1 day, now]; never a DEFAULT partition or the unpruned parent. A query without a
     * range reads no partitioned table.
     */
    static void assertPrunes(Query q, Duration range, List<String> read, Instant now) {
        String what = q.id() + " (" + q.question() + ") reads " + read;
        if (range == null) {
            assertEquals(List.of(), read, what + ": a current-state question must not read partitioned tables");
            return;
        }
        assertTrue(!read.isEmpty(), what + ": expected to read the partitions of its range");
        Instant from = now.minus(range).minus(Duration.ofDays(1));
        for (String p : read) {
            Instant[] period = period(p);
            assertTrue(period != null, what + ": " + p + " is not a dated partition (an open range reads the DEFAULT one)");
            assertTrue(period[0].isBefore(now) && period[1].isAfter(from),
                    what + ": " + p + " lies outside [" + from + ", " + now + "]");
        }
    }

    @Test
    void pruningCheck_failsOnAnOpenEndedRange_andOnBoundsFromACte() throws Exception {
        Query open = new Query("X1", "open-ended", "");
        Instant now = Instant.parse("2026-06-15T10:00:00Z");
        assertThrows(AssertionError.class, () -> assertPrunes(open, Duration.ofHours(1),
                List.of("metric_rollup_1m_p20260615", "metric_rollup_1m_p20260616", "metric_rollup_1m_default"), now));
        assertThrows(AssertionError.class, () -> assertPrunes(open, Duration.ofHours(1), List.of("metric_rollup_1m"), now));
        assertThrows(AssertionError.class, () -> assertPrunes(open, null, List.of("alert_event_p202606"), now));
        assertThrows(AssertionError.class, () -> assertPrunes(open, Duration.ofHours(1), List.of(), now));
        assertPrunes(open, Duration.ofHours(1), List.of("metric_rollup_1m_p20260615"), now);
        assertPrunes(open, Duration.ofDays(30), List.of("alert_event_p202605", "alert_event_p202606"), now);
    }

    private static List<Map<String, Object>> run(Connection c, String sql) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.put(md.getColumnLabel(i), rs.getObject(i));
                }
                out.add(row);
            }
        }
        return out;
    }

    private static List<Object> col(List<Map<String, Object>> rows, String name) {
        List<Object> out = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            if (!r.containsKey(name)) {
                throw new AssertionError("no column " + name + " in " + r.keySet());
            }
            out.add(r.get(name));
        }
        return out;
    }

    private static long seconds(Object interval) {
        PGInterval i = (PGInterval) interval;
        return Math.round(((i.getDays() * 24L + i.getHours()) * 60 + i.getMinutes()) * 60 + i.getSeconds());
    }

    private static void assertNum(double expected, Object actual) {
        assertTrue(actual instanceof Number, "not a number: " + actual);
        assertEquals(expected, ((Number) actual).doubleValue(), Math.abs(expected) * 1e-9 + 1e-9, String.valueOf(actual));
    }
}
