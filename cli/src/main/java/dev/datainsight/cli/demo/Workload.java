package dev.datainsight.cli.demo;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's workload against the monitored database: a light normal load (point reads and
 * updates), then incidents one after another, each one held for a while and then cleaned up so
 * its alert resolves:
 * <ol>
 *   <li>lock contention: a busy transaction holds a row lock, four other sessions wait for it;</li>
 *   <li>idle in transaction: a session opens a transaction and goes quiet;</li>
 *   <li>slow query: four sessions call a 1.3 s statement in a loop;</li>
 *   <li>autovacuum lag: most rows of a table with autovacuum disabled are deleted, then VACUUM;</li>
 *   <li>checkpoint burst: CHECKPOINT every two seconds between writes;</li>
 *   <li>connection saturation: idle connections up to 90% of the usable slots.</li>
 * </ol>
 * Every session carries {@code application_name = datainsight-demo-workload}, so {@link #close()}
 * can end them all, even one blocked on a lock.
 */
public final class Workload implements AutoCloseable {
    /** application_name of every workload session. */
    public static final String APP_NAME = "datainsight-demo-workload";

    /** One induced incident. */
    public record Incident(String name, String expectedRule, String what, IncidentBody body) {}

    /** What an incident does for {@code d}; must leave the database clean when it returns. */
    @FunctionalInterface
    public interface IncidentBody {
        void run(Duration d) throws Exception;
    }

    private final String jdbcUrl;
    private final Console console;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "demo-workload");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong transactions = new AtomicLong();
    private volatile String phase = "setting up";

    /**
     * @param jdbcUrl superuser JDBC URL of the monitored database (without application_name)
     */
    public Workload(String jdbcUrl, Console console) {
        this.jdbcUrl = jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "ApplicationName=" + APP_NAME;
        this.console = console;
    }

    /** The current phase, for progress lines. */
    public String phase() {
        return phase;
    }

    /** Transactions of the normal load so far. */
    public long transactions() {
        return transactions.get();
    }

    /** The incidents, in the order the demo plays them. */
    public List<Incident> incidents() {
        return List.of(
                new Incident("lock contention", "lock_contention", "a busy transaction holds a row lock, 4 sessions wait for it", this::lockContention),
                new Incident("idle in transaction", "idle_in_transaction", "a session opens a transaction and stays idle", this::idleInTransaction),
                new Incident("slow query", "slow_query", "4 sessions run a 1.3 s report query in a loop", this::slowQuery),
                new Incident("autovacuum lag", "autovacuum_lag", "80% of events_log deleted; autovacuum is disabled on it", this::autovacuumLag),
                new Incident("checkpoint burst", "checkpoint_spike", "CHECKPOINT every 2 s between writes", this::checkpointBurst),
                new Incident("connection saturation", "connection_saturation", "idle connections up to 90% of the usable slots", this::connectionSaturation));
    }

    /** Creates the demo tables and pg_stat_statements in the monitored database. */
    public void setup() throws SQLException {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            st.execute("CREATE TABLE IF NOT EXISTS accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text)");
            st.execute("INSERT INTO accounts SELECT g, 1000, 'account ' || g FROM generate_series(1, 20000) g ON CONFLICT DO NOTHING");
            st.execute("CREATE TABLE IF NOT EXISTS events_log (id bigserial PRIMARY KEY, payload text NOT NULL)"
                    + " WITH (autovacuum_enabled = false)");
            st.execute("TRUNCATE events_log");
            st.execute("INSERT INTO events_log (payload) SELECT md5(g::text) FROM generate_series(1, 60000) g");
            st.execute("ANALYZE accounts");
            st.execute("ANALYZE events_log");
        }
    }

    /**
     * Plays the whole scenario: {@code normal} of normal load, each incident for {@code each}
     * with {@code gap} of calm after it. Returns when done or when stopping.
     */
    public void play(Duration normal, Duration each, Duration gap) {
        startNormalLoad();
        phase = "normal load";
        console.line("workload: normal load (point reads and updates on accounts, 2 sessions) for %ds", normal.toSeconds());
        if (!pause(normal)) {
            return;
        }
        int i = 0;
        List<Incident> all = incidents();
        for (Incident inc : all) {
            i++;
            phase = inc.name();
            console.line("workload: incident %d/%d %s — %s for %ds (expect %s)", i, all.size(), inc.name(), inc.what(),
                    each.toSeconds(), inc.expectedRule());
            try {
                inc.body().run(each);
            } catch (Exception e) {
                if (stopping.get()) {
                    return;
                }
                console.line("workload: incident %s failed: %s", inc.name(), e.getMessage());
            }
            if (stopping.get()) {
                return;
            }
            console.line("workload: %s over, cleaned up", inc.name());
            phase = "normal load";
            if (!pause(gap)) {
                return;
            }
        }
        phase = "normal load (incidents done)";
    }

    private void startNormalLoad() {
        for (int w = 0; w < 2; w++) {
            pool.execute(() -> {
                while (!stopping.get()) {
                    try (Connection c = connect();
                            PreparedStatement read = c.prepareStatement("SELECT balance FROM accounts WHERE id = ?");
                            PreparedStatement write = c.prepareStatement("UPDATE accounts SET balance = balance + 1 WHERE id = ?")) {
                        int n = 0;
                        while (!stopping.get()) {
                            int id = ThreadLocalRandom.current().nextInt(2, 20001); // id 1 is the lock incident's row
                            read.setInt(1, id);
                            try (ResultSet rs = read.executeQuery()) {
                                rs.next();
                            }
                            if (++n % 4 == 0) {
                                write.setInt(1, id);
                                write.executeUpdate();
                            }
                            transactions.incrementAndGet();
                            sleep(40);
                        }
                    } catch (SQLException e) {
                        if (!stopping.get()) {
                            sleep(1000); // e.g. terminated by a saturation incident's neighbour; reconnect
                        }
                    }
                }
            });
        }
    }

    // ------------------------------------------------------------------ incidents

    void lockContention(Duration d) throws Exception {
        try (Connection holder = connect()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.executeUpdate("UPDATE accounts SET balance = balance + 1 WHERE id = 1");
            }
            List<java.util.concurrent.Future<?>> waiters = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                waiters.add(pool.submit(() -> {
                    try (Connection c = connect(); Statement st = c.createStatement()) {
                        st.executeUpdate("UPDATE accounts SET balance = balance - 1 WHERE id = 1");
                    }
                    return null;
                }));
            }
            // The holder stays busy (state 'active') inside its transaction, so this incident is
            // about the lock, not about an idle transaction (that is the next incident).
            try (Statement st = holder.createStatement()) {
                st.execute("SELECT pg_catalog.pg_sleep(" + d.toMillis() / 1000.0 + ")");
            }
            holder.rollback();
            for (var f : waiters) {
                f.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }

    void idleInTransaction(Duration d) throws Exception {
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM accounts")) {
                rs.next();
            }
            pause(d);
            c.rollback();
        }
    }

    void autovacuumLag(Duration d) throws Exception {
        // A backend flushes its table statistics when it exits (an idle one waits up to 10 s), so
        // the DELETE runs on a connection of its own, closed at once: n_dead_tup shows right away.
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.executeUpdate("DELETE FROM events_log WHERE id % 5 <> 0");
        }
        pause(d);
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("VACUUM events_log");
            st.executeUpdate("INSERT INTO events_log (payload) SELECT md5(g::text) FROM generate_series(1, 48000) g");
        }
    }

    void checkpointBurst(Duration d) throws Exception {
        long end = System.nanoTime() + d.toNanos();
        try (Connection c = connect(); Statement st = c.createStatement()) {
            while (System.nanoTime() < end && !stopping.get()) {
                st.executeUpdate("UPDATE accounts SET note = md5(random()::text) WHERE id BETWEEN 10000 AND 12000");
                st.execute("CHECKPOINT");
                sleep(2000);
            }
        }
    }

    void connectionSaturation(Duration d) throws Exception {
        List<Connection> held = new ArrayList<>();
        try {
            int target;
            int current;
            try (Connection c = connect(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT current_setting('max_connections')::int"
                            + " - current_setting('superuser_reserved_connections')::int"
                            + " - coalesce(current_setting('reserved_connections', true)::int, 0),"
                            + " (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE backend_type = 'client backend')")) {
                rs.next();
                target = (int) Math.ceil(rs.getInt(1) * 0.90);
                current = rs.getInt(2);
            }
            for (int i = current; i < target && !stopping.get(); i++) {
                try {
                    held.add(connect());
                } catch (SQLException e) {
                    break; // the server says it is full: saturated enough
                }
            }
            pause(d);
        } finally {
            for (Connection c : held) {
                try {
                    c.close();
                } catch (SQLException e) {
                    // already gone
                }
            }
        }
    }

    void slowQuery(Duration d) throws Exception {
        long end = System.nanoTime() + d.toNanos();
        AtomicInteger calls = new AtomicInteger();
        List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            fs.add(pool.submit(() -> {
                try (Connection c = connect(); Statement st = c.createStatement()) {
                    while (System.nanoTime() < end && !stopping.get()) {
                        try (ResultSet rs = st.executeQuery("SELECT pg_sleep(1.3), count(*) AS monthly_report FROM accounts")) {
                            rs.next();
                        }
                        calls.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (var f : fs) {
            f.get(d.toSeconds() + 30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------ plumbing

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl);
    }

    /** Sleeps unless stopping; false when stopping. */
    private boolean pause(Duration d) {
        long end = System.nanoTime() + d.toNanos();
        while (!stopping.get()) {
            long left = (end - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return true;
            }
            sleep(Math.min(left, 200));
        }
        return false;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the load and ends every workload session (also ones blocked on a lock). */
    @Override
    public void close() {
        stopping.set(true);
        try (Connection c = DriverManager.getConnection(jdbcUrl.replace(APP_NAME, "datainsight-demo-admin"));
                Statement st = c.createStatement()) {
            st.execute("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE application_name = '"
                    + APP_NAME + "'");
        } catch (SQLException e) {
            // the server is already down
        }
        pool.shutdownNow();
    }
}
