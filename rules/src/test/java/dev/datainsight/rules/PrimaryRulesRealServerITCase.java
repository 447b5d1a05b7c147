package dev.datainsight.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.datainsight.collector.Collector;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.defs.RuleCatalog;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.store.InsightRow;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The primary-side rules of issue 18 fired by real conditions on one real server, through the
 * real collector (1 s fast and slow intervals) into the two rule operators: a prepared
 * transaction holding the xmin horizon while 170,000 xids are consumed (xmin_horizon, and
 * table_freeze_age against the smallest autovacuum_freeze_max_age, 100,000), a failing
 * archive_command (archiver_failing, wal_ready_backlog), sessions killed with
 * pg_terminate_backend (sessions_fatal_killed), a failed CREATE UNIQUE INDEX CONCURRENTLY
 * (invalid_index), a postmaster setting changed with ALTER SYSTEM (pending_restart), and a
 * restart (server_restarted). Thresholds a test cannot reach in seconds (100M xids, 128 ready
 * segments, 10 killed sessions per 5 min) and the `for` / hold times are lowered in the YAML;
 * each alert must name what it is about and, where it can within seconds, resolve.
 *
 * <p>The scenarios run in order on one collector; the restart comes last. autovacuum_naptime is
 * an hour so that no autovacuum worker starts during the run (with every database past the lowered
 * freeze age, workers would keep vacuuming them in vain while the prepared transaction holds).
 * checksum_failures is induced apart, on 18 (whose initdb enables data checksums), in
 * {@link ChecksumFailuresRealServerITCase}.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PrimaryRulesRealServerITCase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(EmbeddedPostgresServer.defaultMajor(), Map.of(
            "archive_mode", "on",
            "max_prepared_transactions", "2",
            "autovacuum_freeze_max_age", "100000",
            "autovacuum_naptime", "1h"));

    private static final List<String> RULES_ON = List.of("xmin_horizon", "table_freeze_age", "archiver_failing",
            "wal_ready_backlog", "sessions_fatal_killed", "invalid_index", "pending_restart", "server_restarted");
    private static final String GID = "di_holds_xmin";

    private final ConcurrentLinkedQueue<Snapshot> inbox = new ConcurrentLinkedQueue<>();
    private RulesHarness h;
    private Collector collector;
    private String db;
    private String url;

    @BeforeAll
    void startCollector() throws Exception {
        db = PG.freshDatabase("primary");
        url = PG.server().jdbcUrl(db);
        StringBuilder yaml = new StringBuilder("rules:\n");
        for (Rule r : RuleCatalog.all()) {
            if (!RULES_ON.contains(r.name())) {
                yaml.append("  ").append(r.name()).append(": {enabled: false}\n");
            }
        }
        // for 0s: the alert fires while the xids are still consumed, when the consuming statement's
        // snapshot ties with the prepared transaction (XminHorizonHolderTest).
        yaml.append("  xmin_horizon: {warning: 100000, critical: 10000000, for: 0s, resolve_for: 0s}\n");
        yaml.append("  table_freeze_age: {for: 0s, resolve_for: 0s}\n");
        yaml.append("  archiver_failing: {window: 3s}\n");
        yaml.append("  wal_ready_backlog: {warning: 3, critical: 1000, for: 0s, resolve_for: 0s}\n");
        yaml.append("  sessions_fatal_killed: {window: 2s, warning: 3, critical: 50}\n");
        yaml.append("  invalid_index: {invalid_for: 2s}\n");
        yaml.append("  server_restarted: {hold: 3s}\n");
        h = new RulesHarness(RulesConfig.parse(yaml.toString(), "primary"));
        FleetConfig fleet = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("pg-primary").url(PG.server().jdbcUrlNoUser(db)).user("postgres")
                        .intervals(Duration.ofSeconds(1), Duration.ofSeconds(1)).build())
                .build();
        collector = new Collector(fleet, inbox::add);
        collector.start();
        pump(Duration.ofSeconds(3)); // baselines: counters, the start time
        assertEquals(List.of(), h.events, "an idle server alerts nobody");
        assertEquals(List.of(), h.insights);
    }

    @AfterAll
    void stop() throws Exception {
        if (h != null) {
            h.events.forEach(a -> System.out.println("event: " + a.getRule() + " " + a.getStatus() + " " + a.getSeverity()
                    + ": " + a.getSummary()));
            h.insights.forEach(r -> System.out.println("insight: " + r.kind() + " " + r.severity() + ": " + r.summary()));
        }
        try {
            if (collector != null) {
                collector.close();
            }
        } finally {
            if (h != null) {
                h.close();
            }
        }
    }

    @Test
    @Order(1)
    void preparedTransaction_holdsTheHorizon_andTheTableAgesPastFreezeMaxAge() throws Exception {
        exec("CREATE TABLE frozen_t (id int) WITH (autovacuum_enabled = false)",
                "INSERT INTO frozen_t VALUES (1)");
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("INSERT INTO frozen_t VALUES (2)");
            st.execute("PREPARE TRANSACTION '" + GID + "'");
            c.setAutoCommit(true);
        }
        long t0 = System.nanoTime();
        // One xid per loop pass, each committed: no table, so frozen_t is the only old table.
        exec("DO $$ BEGIN FOR i IN 1..170000 LOOP PERFORM pg_catalog.pg_current_xact_id(); COMMIT; END LOOP; END $$");
        System.out.printf("170000 xids consumed in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));

        AlertEvent horizon = await(a -> a.getRule().equals("xmin_horizon"));
        assertEquals(Severity.WARNING, horizon.getSeverity(), horizon.getSummary());
        assertTrue(horizon.getSummary().matches("The xmin horizon is 1\\d{5} transactions old, held by a prepared"
                + " transaction"), horizon.getSummary());
        AlertEvent freeze = await(a -> a.getRule().equals("table_freeze_age"));
        assertEquals(Severity.WARNING, freeze.getSeverity(), freeze.getSummary());
        assertEquals(Map.of("datname", db, "schemaname", "public", "relname", "frozen_t"), freeze.getLabels());
        assertTrue(freeze.getSummary().matches("Table " + db + "\\.public\\.frozen_t is 1[5-9]\\d{4} transactions old, "
                + "1\\.[5-9]x autovacuum_freeze_max_age \\(100000\\); no VACUUM is running on it"), freeze.getSummary());

        exec("COMMIT PREPARED '" + GID + "'");
        await(a -> a.getRule().equals("xmin_horizon") && a.getStatus() == AlertStatus.RESOLVED);
        exec("VACUUM (FREEZE) frozen_t");
        await(a -> a.getRule().equals("table_freeze_age") && a.getStatus() == AlertStatus.RESOLVED);
        assertEquals(1, h.firing().stream().filter(a -> a.getRule().equals("table_freeze_age")).count(),
                "only frozen_t ages: " + h.events);
    }

    @Test
    @Order(2)
    void failingArchiveCommand_pagesArchiverFailing_andTheReadyBacklog() throws Exception {
        exec("CREATE TABLE wal_t (id int)",
                "ALTER SYSTEM SET archive_command = 'false'",
                "SELECT pg_catalog.pg_reload_conf()");
        for (int i = 0; i < 5; i++) {
            exec("INSERT INTO wal_t VALUES (" + i + ")", "SELECT pg_catalog.pg_switch_wal()");
        }
        AlertEvent failing = await(a -> a.getRule().equals("archiver_failing"));
        assertEquals(Severity.CRITICAL, failing.getSeverity());
        assertTrue(failing.getSummary().matches("WAL archiving is failing: failed_count rose by \\d+ (just now|\\S+ ago); "
                + "\\d+ segment\\(s\\) waiting(, last archived .+ ago)?"), failing.getSummary());
        AlertEvent backlog = await(a -> a.getRule().equals("wal_ready_backlog"));
        assertEquals(Severity.WARNING, backlog.getSeverity());
        assertTrue(backlog.getSummary().matches("\\d+ WAL segment\\(s\\) waiting to be archived; pg_wal holds .+"),
                backlog.getSummary());

        exec("ALTER SYSTEM SET archive_command = 'true'", "SELECT pg_catalog.pg_reload_conf()");
        await(a -> a.getRule().equals("wal_ready_backlog") && a.getStatus() == AlertStatus.RESOLVED);
        await(a -> a.getRule().equals("archiver_failing") && a.getStatus() == AlertStatus.RESOLVED);
    }

    @Test
    @Order(3)
    void terminatedSessions_pageSessionsFatalKilled() throws Exception {
        List<Connection> victims = new ArrayList<>();
        try {
            List<Integer> pids = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Connection c = DriverManager.getConnection(url);
                victims.add(c);
                pids.add(Integer.parseInt(query(c, "SELECT pg_catalog.pg_backend_pid()")));
            }
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                for (int pid : pids) {
                    st.execute("SELECT pg_catalog.pg_terminate_backend(" + pid + ", 5000)");
                }
            }
        } finally {
            for (Connection c : victims) {
                c.close();
            }
        }
        AlertEvent killed = await(a -> a.getRule().equals("sessions_fatal_killed"));
        assertEquals(Severity.WARNING, killed.getSeverity());
        assertEquals(Map.of("datname", db), killed.getLabels());
        // More than 3 warns: the sample that sees the fourth may come before the fifth is counted.
        assertTrue(killed.getSummary().matches("[45] session\\(s\\) of database " + db + " ended by a fatal error or "
                + "killed within 2s \\(\\d+ fatal, \\d+ killed since the statistics reset\\)"), killed.getSummary());
        await(a -> a.getRule().equals("sessions_fatal_killed") && a.getStatus() == AlertStatus.RESOLVED);
    }

    @Test
    @Order(4)
    void failedConcurrentUniqueIndex_isReportedInvalid() throws Exception {
        exec("CREATE TABLE dups (id int)", "INSERT INTO dups VALUES (1), (1), (2)");
        try {
            exec("CREATE UNIQUE INDEX CONCURRENTLY dups_id_key ON dups (id)");
            fail("the duplicate key must fail the build");
        } catch (SQLException expected) {
            assertEquals("23505", expected.getSQLState(), expected.getMessage());
        }
        InsightRow invalid = awaitInsight(r -> r.kind().equals("invalid_index"));
        assertEquals(db + ".public.dups_id_key", invalid.subject());
        assertEquals("warning", invalid.severity());
        assertTrue(invalid.summary().matches("Index " + db + "\\.public\\.dups_id_key on dups \\(.+\\) is invalid: the "
                + "planner does not use it, writes still maintain it"), invalid.summary());
    }

    @Test
    @Order(5)
    void postmasterSettingChanged_isReportedPendingARestart() throws Exception {
        exec("ALTER SYSTEM SET max_wal_senders = 9", "SELECT pg_catalog.pg_reload_conf()");
        // max_connections may be listed too: the embedded server passes it on the command line, and
        // a reload (the archiver test's) flags the file's other value as pending.
        InsightRow pending = awaitInsight(r -> r.kind().equals("pending_restart") && r.summary().contains("max_wal_senders"));
        assertEquals("info", pending.severity());
        assertTrue(pending.summary().matches("[12] setting\\(s\\) changed but pending a restart: (max_connections, )?"
                + "max_wal_senders"), pending.summary());
    }

    @Test
    @Order(6)
    void restart_pagesServerRestarted_untilItsHoldEnds() throws Exception {
        PG.server().stop();
        PG.server().restart();
        AlertEvent restarted = await(a -> a.getRule().equals("server_restarted"));
        assertEquals(Severity.WARNING, restarted.getSeverity());
        String since = query(url, "SELECT to_char(pg_catalog.pg_postmaster_start_time() AT TIME ZONE 'UTC',"
                + " 'YYYY-MM-DD\"T\"HH24:MI:SS')");
        assertTrue(restarted.getSummary().startsWith("The server restarted: it has been up since " + since),
                restarted.getSummary() + " / " + since);
        await(a -> a.getRule().equals("server_restarted") && a.getStatus() == AlertStatus.RESOLVED);
        assertEquals("9", query(url, "SHOW max_wal_senders"), "the pending setting took effect");

        List<String> fired = h.firing().stream().map(AlertEvent::getRule).distinct().sorted().toList();
        assertEquals(List.of("archiver_failing", "server_restarted", "sessions_fatal_killed", "table_freeze_age",
                "wal_ready_backlog", "xmin_horizon"), fired, h.events::toString);
    }

    private void exec(String... statements) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }

    private static String query(Connection c, String q) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(q)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String query(String url, String q) throws SQLException {
        try (Connection c = DriverManager.getConnection(url)) {
            return query(c, q);
        }
    }

    private void pump(Duration d) throws Exception {
        long end = System.currentTimeMillis() + d.toMillis();
        while (System.currentTimeMillis() < end) {
            feed();
            Thread.sleep(50);
        }
    }

    /** What the collector published so far, in collection order, into the rule operators. */
    private void feed() throws Exception {
        List<Snapshot> batch = new ArrayList<>();
        for (Snapshot s; (s = inbox.poll()) != null; ) {
            batch.add(s);
        }
        batch.sort(Comparator.comparingLong(Snapshot::getCollectedAt));
        for (Snapshot s : batch) {
            h.push(s);
        }
    }

    private AlertEvent await(Predicate<AlertEvent> match) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            feed();
            for (AlertEvent a : h.events) {
                if (match.test(a)) {
                    return a;
                }
            }
            Thread.sleep(50);
        }
        fail("no such event; events: " + h.events);
        return null;
    }

    private InsightRow awaitInsight(Predicate<InsightRow> match) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            feed();
            for (InsightRow r : h.insights) {
                if (match.test(r)) {
                    return r;
                }
            }
            Thread.sleep(50);
        }
        fail("no such insight; insights: " + h.insights);
        return null;
    }
}
