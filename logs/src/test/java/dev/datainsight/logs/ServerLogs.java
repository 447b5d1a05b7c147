package dev.datainsight.logs;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Real server logs for the tests: starts an embedded PostgreSQL of a major version with the
 * logging collector writing stderr, csvlog and (15+) jsonlog files, induces every kind of event
 * the readers recognise, kills a backend to force crash recovery, stops the server, and keeps
 * the files (once per version and test JVM) with the facts the tests check them against.
 */
final class ServerLogs {
    static final String PREFIX = "%m [%p] %quser=%u,db=%d,app=%a,client=%h,e=%e ";
    static final String SECRET_INITIAL = "Initial-Secret-1";
    static final String SECRET_NEW = "N3w-Secret-pw";
    static final String SECRET_E = "E-Quoted'Secret";
    static final String SECRET_DOLLAR = "Dollar-Secret-9";
    static final String SECRET_BROKEN = "Broken-Secret-7";
    static final String TEMP_SQL = "SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC";
    static final String DEADLOCK_SQL_1 = "UPDATE dl SET v = v + 1 WHERE id = 2";
    static final String DEADLOCK_SQL_2 = "UPDATE dl SET v = v + 1 WHERE id = 1";
    static final String LOCKWAIT_SQL = "UPDATE lw SET v = v + 1 WHERE id = 1";
    static final String SLOW_SQL = "SELECT pg_sleep(0.25)";
    static final String SLOW_SIMPLE_SQL = "SELECT pg_sleep(0.15)";

    /** What was done to the server, to check the log against. */
    record Induced(int major, Path stderr, Path csv, Path json, int deadlockPid1, int deadlockPid2,
            int lockHolderPid, int lockWaiterPid, int killedPid) {
        Path file(LogFormat f) {
            return switch (f) {
                case STDERR -> stderr;
                case CSVLOG -> csv;
                case JSONLOG -> json;
            };
        }
    }

    private static final Map<Integer, CompletableFuture<Induced>> DONE = new ConcurrentHashMap<>();
    /** Two servers at a time: the versions of the matrix are produced while the first is tested. */
    private static final ExecutorService PRODUCERS = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "server-logs");
        t.setDaemon(true);
        return t;
    });

    private ServerLogs() {}

    static Induced of(int major) {
        for (int m : RealServerLogsITCase.majors()) {
            submit(m);
        }
        try {
            return submit(major).join();
        } catch (CompletionException e) {
            throw new IllegalStateException("PostgreSQL " + major + ": " + e.getCause(), e.getCause());
        }
    }

    private static CompletableFuture<Induced> submit(int major) {
        return DONE.computeIfAbsent(major, m -> CompletableFuture.supplyAsync(() -> produce(m), PRODUCERS));
    }

    private static Induced produce(int major) {
        Path base = Paths.get(System.getProperty("java.io.tmpdir"), "logs-it");
        Path logDir = base.resolve("pg" + major + "-" + System.nanoTime());
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> cfg = new LinkedHashMap<>();
        cfg.put("logging_collector", "on");
        cfg.put("log_directory", logDir.toAbsolutePath().toString());
        cfg.put("log_filename", "postgresql.log");
        cfg.put("log_rotation_age", "0");
        cfg.put("log_rotation_size", "0");
        cfg.put("log_destination", major >= 15 ? "stderr,csvlog,jsonlog" : "stderr,csvlog");
        cfg.put("lc_messages", "C");
        cfg.put("log_checkpoints", "on");
        cfg.put("log_lock_waits", "on");
        cfg.put("deadlock_timeout", "200ms");
        cfg.put("log_temp_files", "0");
        cfg.put("log_autovacuum_min_duration", "0");
        cfg.put("autovacuum_naptime", "1");
        cfg.put("log_connections", "on");
        cfg.put("max_wal_size", "32MB");
        cfg.put("checkpoint_warning", "1h"); // a slow, loaded machine still gets its warning
        cfg.put("log_disconnections", "on");
        // a crash must not restart a second time: restart_after_crash stays on (the default)
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(major, base, 0, cfg)) {
            Induced in = induce(pg, logDir, major);
            pg.stop();
            // the logs stay for the tests; the data directory (about 40 MB) goes
            deleteTree(base.resolve("pg" + major + "-" + pg.port() + "-data"));
            return in;
        } catch (SQLException | InterruptedException | java.util.concurrent.ExecutionException | IOException e) {
            throw new IllegalStateException("inducing log events on PostgreSQL " + major + ": " + e, e);
        }
    }

    private static Induced induce(EmbeddedPostgresServer pg, Path logDir, int major)
            throws SQLException, InterruptedException, java.util.concurrent.ExecutionException, IOException {
        try (Connection c = pg.connect("postgres"); Statement st = c.createStatement()) {
            st.execute("ALTER SYSTEM SET log_line_prefix = '" + PREFIX + "'");
            st.execute("SELECT pg_catalog.pg_reload_conf()");
            st.execute("CREATE DATABASE logtest");
        }
        Thread.sleep(300); // the reload reaches the postmaster and the logger
        String url = pg.jdbcUrl("logtest") + "&ApplicationName=logs-it";
        ExecutorService pool = Executors.newFixedThreadPool(2);
        int dl1;
        int dl2;
        int holder;
        int waiter;
        int killed;
        try (Connection setup = DriverManager.getConnection(url); Statement st = setup.createStatement()) {
            st.execute("CREATE TABLE dl (id int PRIMARY KEY, v int)");
            st.execute("INSERT INTO dl VALUES (1, 0), (2, 0)");
            st.execute("CREATE TABLE lw (id int PRIMARY KEY, v int)");
            st.execute("INSERT INTO lw VALUES (1, 0)");
            st.execute("CREATE TABLE av (id int, pad text) WITH (autovacuum_vacuum_threshold = 10, "
                    + "autovacuum_vacuum_scale_factor = 0, autovacuum_analyze_threshold = 10, autovacuum_analyze_scale_factor = 0)");

            // 1. deadlock: each holds one row and wants the other's
            try (Connection a = DriverManager.getConnection(url); Connection b = DriverManager.getConnection(url);
                    Statement sa = a.createStatement(); Statement sb = b.createStatement()) {
                a.setAutoCommit(false);
                b.setAutoCommit(false);
                dl1 = pid(sa);
                dl2 = pid(sb);
                sa.execute("UPDATE dl SET v = v + 1 WHERE id = 1");
                sb.execute("UPDATE dl SET v = v + 1 WHERE id = 2");
                Future<?> fa = pool.submit(() -> {
                    try {
                        sa.execute(DEADLOCK_SQL_1);
                    } catch (SQLException e) {
                        // one of the two is chosen as the victim
                    }
                    return null;
                });
                Thread.sleep(50);
                try {
                    sb.execute(DEADLOCK_SQL_2);
                } catch (SQLException e) {
                    // the victim
                }
                fa.get(10, TimeUnit.SECONDS);
                a.rollback();
                b.rollback();
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException(e);
            }

            // 2. lock wait past deadlock_timeout
            try (Connection h = DriverManager.getConnection(url); Connection w = DriverManager.getConnection(url);
                    Statement sh = h.createStatement(); Statement sw = w.createStatement()) {
                h.setAutoCommit(false);
                holder = pid(sh);
                waiter = pid(sw);
                sh.execute("UPDATE lw SET v = v + 1 WHERE id = 1");
                Future<?> fw = pool.submit(() -> sw.execute(LOCKWAIT_SQL));
                Thread.sleep(600);
                h.commit();
                fw.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException(e);
            }

            // 3. a sort that spills to a temporary file
            // (simple query protocol: the extended one closes the file after the statement is done,
            // when the server no longer logs it beside the temp file)
            try (Connection simple = DriverManager.getConnection(url + "&preferQueryMode=simple");
                    Statement ss = simple.createStatement()) {
                ss.execute("SET work_mem = '64kB'");
                try (ResultSet rs = ss.executeQuery(TEMP_SQL)) {
                    while (rs.next()) {
                        // drain
                    }
                }
                ss.execute("SET log_min_duration_statement = 100");
                ss.execute(SLOW_SIMPLE_SQL);
            }

            // 4. slow statement, 5. auto_explain plans (text, then JSON)
            st.execute("SET log_min_duration_statement = 100");
            st.execute(SLOW_SQL);
            st.execute("RESET log_min_duration_statement");
            st.execute("LOAD 'auto_explain'");
            st.execute("SET auto_explain.log_min_duration = 0");
            st.execute("SELECT count(*) FROM dl WHERE v >= 0");
            st.execute("SET auto_explain.log_format = 'json'");
            st.execute("SELECT count(*) FROM lw WHERE v >= 0");
            st.execute("SET auto_explain.log_min_duration = -1");

            // 6. checkpoint
            st.execute("CHECKPOINT");
            // WAL past max_wal_size soon after: "checkpoints are occurring too frequently"
            st.execute("CREATE TABLE walfill (id int, pad text)");
            st.execute("INSERT INTO walfill SELECT g, repeat('w', 100) FROM generate_series(1, 300000) g");

            // 7. password changes, logged with log_statement = ddl; one that fails to parse
            st.execute("SET password_encryption = 'scram-sha-256'");
            st.execute("SET log_statement = 'ddl'");
            st.execute("CREATE ROLE pwuser LOGIN PASSWORD '" + SECRET_INITIAL + "'");
            st.execute("ALTER ROLE pwuser PASSWORD '" + SECRET_NEW + "'");
            st.execute("CREATE USER equser PASSWORD E'" + SECRET_E.replace("'", "\\'") + "'");
            st.execute("ALTER USER equser WITH ENCRYPTED PASSWORD $pw$" + SECRET_DOLLAR + "$pw$");
            try {
                st.execute("ALTER ROLE pwuser PASSWORD '" + SECRET_BROKEN + "' VALID UNTIL 'not a date'");
                throw new IllegalStateException("VALID UNTIL 'not a date' was accepted");
            } catch (SQLException expected) {
                // invalid input syntax for type timestamp: an ERROR logged with its statement
            }
            st.execute("RESET log_statement");

            // 8. a failed login: password authentication for pwuser
            String hba;
            try (ResultSet rs = st.executeQuery("SHOW hba_file")) {
                rs.next();
                hba = rs.getString(1);
            }
            Path hbaPath = Paths.get(hba);
            Files.writeString(hbaPath, "host all pwuser 127.0.0.1/32 scram-sha-256\n" + Files.readString(hbaPath));
            st.execute("SELECT pg_catalog.pg_reload_conf()");
            Thread.sleep(300);
            Properties p = new Properties();
            p.setProperty("user", "pwuser");
            p.setProperty("password", "wrong-password");
            try (Connection bad = DriverManager.getConnection(pg.jdbcUrlNoUser("logtest"), p)) {
                throw new IllegalStateException("login with a wrong password succeeded");
            } catch (SQLException expected) {
                // FATAL: password authentication failed for user "pwuser"
            }

            // 9. autovacuum and autoanalyze of av
            st.execute("INSERT INTO av SELECT g, repeat('x', 20) FROM generate_series(1, 2000) g");
            st.execute("DELETE FROM av WHERE id % 2 = 0");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                // until a vacuum has removed the dead rows (one may run while a snapshot still
                // holds them: "1000 are dead but not yet removable"; the next round removes them)
                try (ResultSet rs = st.executeQuery("SELECT autovacuum_count, autoanalyze_count, n_dead_tup "
                        + "FROM pg_catalog.pg_stat_user_tables WHERE relname = 'av'")) {
                    rs.next();
                    if (rs.getLong(1) > 0 && rs.getLong(2) > 0 && rs.getLong(3) == 0) {
                        break;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("autovacuum did not run on av within 30 s");
                }
                Thread.sleep(200);
            }

            // 10. crash recovery: kill -9 a backend
            try (Connection victim = DriverManager.getConnection(url); Statement sv = victim.createStatement()) {
                killed = pid(sv);
                ProcessHandle.of(killed).orElseThrow().destroyForcibly();
                Thread.sleep(200);
            }
        } finally {
            pool.shutdownNow();
        }
        waitUntilUp(pg);
        return new Induced(major, logDir.resolve("postgresql.log"), logDir.resolve("postgresql.csv"),
                major >= 15 ? logDir.resolve("postgresql.json") : null, dl1, dl2, holder, waiter, killed);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void waitUntilUp(EmbeddedPostgresServer pg) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (Connection c = pg.connect("postgres"); Statement st = c.createStatement()) {
                st.execute("SELECT 1");
                return;
            } catch (SQLException e) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("PostgreSQL did not come back after the crash");
    }

    private static int pid(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
