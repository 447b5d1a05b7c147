package dev.datainsight.cli.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.embedded.PostgresExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code inspect locks} against a real lock pile-up: one session holds a row lock, two wait. */
class InspectLocksTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    @Test
    void lockPileUp_treeShowsTheRootBlockerAndBothWaiters() throws Exception {
        String db = PG.freshDatabase("locks");
        String url = PG.server().jdbcUrl(db);
        try (Connection c = PG.server().connect(db); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int)");
            st.execute("INSERT INTO accounts VALUES (1, 100), (2, 200)");
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Connection holder = InspectRun.connect(url, "billing-api");
                Connection w1 = InspectRun.connect(url, "waiter-one");
                Connection w2 = InspectRun.connect(url, "waiter-two");
                Connection probe = PG.server().connect(db)) {
            int holderPid = (int) InspectRun.scalar(holder, "SELECT pg_backend_pid()");
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("UPDATE accounts SET balance = balance - 1 WHERE id = 1");
            }
            int w1Pid = (int) InspectRun.scalar(w1, "SELECT pg_backend_pid()");
            int w2Pid = (int) InspectRun.scalar(w2, "SELECT pg_backend_pid()");
            List<Future<?>> waits = new ArrayList<>();
            waits.add(pool.submit(() -> update(w1)));
            InspectRun.await("waiter one to wait", () -> waiting(probe) == 1);
            waits.add(pool.submit(() -> update(w2)));
            InspectRun.await("both waiters to wait", () -> waiting(probe) == 2);

            InspectRun r = InspectRun.run("inspect", "--target", url, "locks");
            System.out.print(r.out());
            assertEquals(0, r.rc(), r.toString());
            assertTrue(r.out().startsWith("2 sessions wait for a lock; 1 root blocker."), r.toString());
            assertTrue(r.out().contains("PID " + holderPid + " (postgres, billing-api) blocks 2 sessions: idle in transaction"
                    + " for "), r.toString());
            assertTrue(r.out().contains("last statement: UPDATE accounts SET balance = balance - 1 WHERE id = 1"), r.toString());
            String rootRow = line(r.out(), holderPid + " ");
            assertTrue(rootRow.contains("idle in transaction") && rootRow.contains("UPDATE accounts SET balance"), rootRow);
            // Waiter one queues on the holder's transaction; waiter two on the row (tuple) behind waiter one.
            String w1Row = line(r.out(), "└─ " + w1Pid + " ");
            assertTrue(w1Row.contains("waiter-one") && w1Row.contains("ShareLock (transactionid)")
                    && w1Row.contains("row in accounts"), w1Row);
            String w2Row = line(r.out(), "└─ " + w2Pid + " ");
            assertTrue(w2Row.contains("waiter-two") && w2Row.contains("ExclusiveLock (tuple)") && w2Row.contains("accounts"),
                    w2Row);
            assertTrue(r.out().indexOf(w1Row) < r.out().indexOf(w2Row), "waiter two is drawn under waiter one");

            // The same options after the subcommand, and --json.
            InspectRun j = InspectRun.run("inspect", "locks", "--target", url, "--json");
            assertEquals(0, j.rc(), j.toString());
            JsonNode doc = new ObjectMapper().readTree(j.out());
            assertEquals(2, doc.get("waitingSessions").asInt());
            assertEquals(1, doc.get("rootBlockers").size());
            JsonNode root = doc.get("rootBlockers").get(0);
            assertEquals(holderPid, root.get("pid").asInt());
            assertEquals("billing-api", root.get("application").asText());
            assertEquals(2, root.get("blocksSessions").asInt());
            Set<Integer> pids = new HashSet<>();
            collect(root, pids);
            assertEquals(Set.of(holderPid, w1Pid, w2Pid), pids);
            JsonNode first = root.get("waiters").get(0);
            assertEquals(w1Pid, first.get("pid").asInt());
            assertTrue(first.get("waitSeconds").asDouble() >= 0);
            assertEquals("ShareLock", first.get("lockMode").asText());

            holder.rollback();
            for (Future<?> f : waits) {
                f.get(10, TimeUnit.SECONDS);
            }
            InspectRun none = InspectRun.run("inspect", "--target", url, "locks");
            assertEquals(0, none.rc(), none.toString());
            assertEquals("No session is waiting for a lock.", none.out().strip());
        } finally {
            pool.shutdownNow();
        }
    }

    private static Object update(Connection c) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute("UPDATE accounts SET balance = balance + 1 WHERE id = 1");
        }
        return null;
    }

    private static long waiting(Connection probe) {
        try {
            return InspectRun.scalar(probe, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String line(String out, String start) {
        return out.lines().filter(l -> l.startsWith(start)).findFirst()
                .or(() -> out.lines().filter(l -> l.contains(start)).findFirst())
                .orElseThrow(() -> new AssertionError("no line with '" + start + "' in\n" + out));
    }

    private static void collect(JsonNode s, Set<Integer> pids) {
        pids.add(s.get("pid").asInt());
        s.get("waiters").forEach(w -> collect(w, pids));
    }
}
