package dev.datainsight.cli.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.embedded.PostgresExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every live subcommand on the oldest and the newest supported server: 13 (no pg_locks.waitstart,
 * no reserved_connections, pg_stat_statements 1.8 without toplevel) and 18
 * (autovacuum_vacuum_max_threshold).
 */
class InspectVersionsTest {
    @RegisterExtension
    static final PostgresExtension PG13 = new PostgresExtension(13);

    @RegisterExtension
    static final PostgresExtension PG18 = new PostgresExtension(18);

    @Test
    void postgres13() throws Exception {
        everySubcommand(PG13);
    }

    @Test
    void postgres18() throws Exception {
        everySubcommand(PG18);
    }

    private static void everySubcommand(PostgresExtension pg) throws Exception {
        String db = pg.freshDatabase("v" + pg.major());
        String url = pg.server().jdbcUrl(db);
        try (Connection c = pg.server().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            st.execute("CREATE TABLE t (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = false)");
            st.execute("INSERT INTO t SELECT i, i FROM generate_series(1, 5000) i");
            st.execute("ANALYZE t");
            st.execute("CREATE INDEX t_v ON t (v)");
            st.execute("DELETE FROM t WHERE id > 1000");
        }
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection holder = InspectRun.connect(url, "holder"); Connection waiter = InspectRun.connect(url, "waiter");
                Connection probe = pg.server().connect(db)) {
            int holderPid = (int) InspectRun.scalar(holder, "SELECT pg_backend_pid()");
            int waiterPid = (int) InspectRun.scalar(waiter, "SELECT pg_backend_pid()");
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("UPDATE t SET v = 0 WHERE id = 1");
            }
            Future<?> w = pool.submit(() -> {
                try (Statement st = waiter.createStatement()) {
                    st.execute("UPDATE t SET v = 1 WHERE id = 1");
                }
                return null;
            });
            InspectRun.await("the waiter", () -> {
                try {
                    return InspectRun.scalar(probe, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") == 1;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            InspectRun locks = InspectRun.run("inspect", "--target", url, "locks");
            assertEquals(0, locks.rc(), locks.toString());
            assertTrue(locks.out().contains("PID " + holderPid + " (postgres, holder) blocks 1 session"), locks.out());
            String row = InspectLocksTest.line(locks.out(), "└─ " + waiterPid + " ");
            assertTrue(row.contains("ShareLock (transactionid)") && row.matches(".*\\s\\d+s\\s+ShareLock.*"), row);
            holder.rollback();
            w.get(10, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }

        InspectRun conns = InspectRun.run("inspect", "--target", url, "--json", "connections");
        assertEquals(0, conns.rc(), conns.toString());
        JsonNode c = new ObjectMapper().readTree(conns.out());
        assertEquals(pg.major() >= 16 ? 200 - 3 - 0 : 197, c.get("usable").asInt(), conns.out());

        InspectRun idx = InspectRun.run("inspect", "--target", url, "indexes");
        assertEquals(0, idx.rc(), idx.toString());
        assertTrue(idx.out().startsWith("1 unused index wastes "), idx.out());
        assertTrue(InspectLocksTest.line(idx.out(), "public.t_v ").contains("unused"), idx.out());

        InspectRun tables = InspectRun.run("inspect", "--target", url, "tables");
        assertEquals(0, tables.rc(), tables.toString());
        // 4,000 deleted + 2 updated rows, trigger 50 + 0.2 * 5,000 (18: capped at autovacuum_vacuum_max_threshold, far above).
        String[] last = {""};
        try {
            InspectRun.await("dead tuples counted", () -> (last[0] = InspectRun.run("inspect", "--target", url, "tables").out())
                    .startsWith("1 table has more dead tuples than its autovacuum trigger; furthest: public.t (4,002 dead, trigger 1,050)"));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + last[0], e);
        }

        InspectRun q = InspectRun.run("inspect", "--target", url, "queries", "--interval", "1", "--json");
        assertEquals(0, q.rc(), q.toString());
        JsonNode doc = new ObjectMapper().readTree(q.out());
        assertEquals(pg.major() == 13 ? "1.8" : doc.get("extensionVersion").asText(), doc.get("extensionVersion").asText());
        for (JsonNode s : doc.get("statements")) {
            assertEquals(pg.major() == 13, s.get("toplevel").isNull(), s.toString());
        }
    }
}
