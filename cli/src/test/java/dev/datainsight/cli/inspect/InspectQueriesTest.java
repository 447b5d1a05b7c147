package dev.datainsight.cli.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.embedded.PostgresExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code inspect queries}: a workload running during the interval shows up with its text; no extension, a clear error. */
class InspectQueriesTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    @Test
    void workloadDuringTheInterval_isTheTopStatement() throws Exception {
        String db = PG.freshDatabase("queries");
        String url = PG.server().jdbcUrl(db);
        try (Connection c = PG.server().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            st.execute("CREATE TABLE items (id int PRIMARY KEY, v int)");
            st.execute("INSERT INTO items SELECT i, i % 100 FROM generate_series(1, 50000) i");
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong done = new AtomicLong();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<?> load = pool.submit(() -> {
            try (Connection c = InspectRun.connect(url, "report-job");
                    PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM items WHERE v = ?")) {
                while (!stop.get()) {
                    ps.setInt(1, (int) (done.get() % 100));
                    ps.executeQuery().close();
                    done.incrementAndGet();
                }
            }
            return null;
        });
        try {
            InspectRun.await("the workload to start", () -> done.get() > 5);
            long before = done.get();
            InspectRun r = InspectRun.run("inspect", "--target", url, "queries", "--interval", "2");
            long during = done.get() - before;
            System.out.print(r.out());
            assertEquals(0, r.rc(), r.toString());
            assertTrue(r.out().lines().findFirst().orElseThrow().matches("\\d+ statements? ran [\\d,]+ calls in 2\\.\\d s, .* of execution time\\."),
                    r.out());
            String row = r.out().lines().skip(4).findFirst().orElseThrow();
            assertTrue(row.contains("SELECT count(*) FROM items WHERE v = $1") && row.contains("postgres"), row);
            assertFalse(r.out().contains("datainsight-inspect"), "its own statements are left out");

            InspectRun j = InspectRun.run("inspect", "--target", url, "--json", "queries", "--interval", "1");
            assertEquals(0, j.rc(), j.toString());
            JsonNode doc = new ObjectMapper().readTree(j.out());
            JsonNode top = doc.get("statements").get(0);
            assertEquals("SELECT count(*) FROM items WHERE v = $1", top.get("text").asText());
            assertTrue(top.get("calls").asLong() > 0 && top.get("calls").asLong() <= during * 2 + 1000, top.toString());
            assertTrue(top.get("shareOfTime").asDouble() > 0.5, top.toString());
            assertEquals(1, doc.get("intervalSeconds").asInt());
            assertTrue(doc.get("measuredSeconds").asDouble() >= 1.0, doc.toString());
        } finally {
            stop.set(true);
            load.get(10, TimeUnit.SECONDS);
            pool.shutdownNow();
        }
    }

    @Test
    void withoutTheExtension_aClearError() throws Exception {
        String db = PG.freshDatabase("noext");
        try (Connection c = PG.server().connect(db); Statement st = c.createStatement()) {
            st.execute("DROP EXTENSION IF EXISTS pg_stat_statements");
        }
        InspectRun r = InspectRun.run("inspect", "--target", PG.server().jdbcUrl(db), "queries", "--interval", "1");
        assertEquals(1, r.rc(), r.toString());
        assertTrue(r.err().contains("the pg_stat_statements extension is not installed in database " + db
                + ": run CREATE EXTENSION pg_stat_statements there"), r.err());
        assertEquals("", r.out());
    }
}
