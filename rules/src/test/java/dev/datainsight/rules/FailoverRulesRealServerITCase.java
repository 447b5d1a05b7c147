package dev.datainsight.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.datainsight.collector.Collector;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.FreePorts;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The replication rules on real servers: a streaming standby built from a low-level base backup
 * of the embedded primary, both polled by the real collector. The standby is learnt by the
 * primary's standby_missing. While both run, each condition is made for real and undone, each
 * alert fires and resolves: replication_slot (an inactive slot retaining WAL; a slot capped by
 * max_slot_wal_keep_size, first low on safe_wal_size, then lost), recovery_conflicts (the standby
 * cancels a snapshot the primary's VACUUM removed rows from) and replication_lag (replay paused on
 * the standby: the primary's and the standby's own view). Then the standby is promoted
 * (pg_promote()): its own role_changed fires with before and after, and the primary, whose
 * walsender row is gone, pages standby_missing for it instead of resolving silently. One primary
 * (the module's shared server: settings and slots are put back) and one standby for it all.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FailoverRulesRealServerITCase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(EmbeddedPostgresServer.defaultMajor());

    private static final List<String> RULES_ON = List.of("role_changed", "standby_missing", "replication_slot",
            "recovery_conflicts", "replication_lag");

    private final ConcurrentLinkedQueue<Snapshot> inbox = new ConcurrentLinkedQueue<>();
    private RulesHarness h;

    @Test
    void slotsConflictsAndReplayLag_thenPromotingTheStandby_pagesRoleChangedOnIt_andStandbyMissingOnThePrimary()
            throws Exception {
        String db = PG.freshDatabase("failover");
        Path dir = null;
        Process standby = null;
        try (Connection primary = PG.server().connect(db)) {
            Path base = Files.createDirectories(Path.of("target", "failover-it").toAbsolutePath());
            dir = Files.createTempDirectory(base, "standby");
            int port = FreePorts.next();
            standby = startStandby(PG.server(), dir, port, "replica1");
            String standbyUrl = "jdbc:postgresql://127.0.0.1:" + port + "/" + db;
            awaitTrue("the standby streams", () -> "streaming".equals(sql(standbyUrl,
                    "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), '')")));

            StringBuilder yaml = new StringBuilder("rules:\n");
            for (dev.datainsight.rules.engine.Rule r : dev.datainsight.rules.defs.RuleCatalog.all()) {
                if (!RULES_ON.contains(r.name())) {
                    yaml.append("  ").append(r.name()).append(": {enabled: false}\n");
                }
            }
            yaml.append("  standby_missing: {learn_after: 4s, for: 2s, resolve_for: 0s}\n");
            // Thresholds a few segments of WAL cross; the other defaults (safe_wal_floor 1 GB) as shipped.
            yaml.append("  replication_slot: {warning: 4MB, critical: 1GB, for: 0s, resolve_for: 0s}\n");
            yaml.append("  recovery_conflicts: {warning: 0, window: 3s, for: 0s, resolve_for: 0s}\n");
            // for 3s: the lag of a bulk write that streams at once is not held; a paused replay is.
            yaml.append("  replication_lag: {warning_bytes: 4MB, critical_bytes: 1GB, for: 3s, resolve_for: 0s}\n");
            h = new RulesHarness(RulesConfig.parse(yaml.toString(), "failover"));
            FleetConfig fleet = FleetConfig.builder()
                    .instance(FleetConfig.Instance.builder("primary").url(PG.server().jdbcUrlNoUser(db)).user("postgres")
                            .intervals(Duration.ofSeconds(1), Duration.ofSeconds(2)).build())
                    .instance(FleetConfig.Instance.builder("replica").url(standbyUrl).user("postgres")
                            .intervals(Duration.ofSeconds(1), Duration.ofSeconds(2)).build())
                    .build();
            exec(primary, "CREATE TABLE churn (id int, pad text)");
            try (Collector collector = new Collector(fleet, inbox::add)) {
                collector.start();
                pump(Duration.ofSeconds(8)); // identities seen, replica1 learnt, conflict counters' baseline
                assertEquals(List.of(), h.events, "a healthy pair pages nobody");

                inactiveSlotRetainingWal(primary);
                slotLostToMaxSlotWalKeepSize(primary);
                recoveryConflictOnTheStandby(primary, standbyUrl, db);
                pausedReplayLags(primary, standbyUrl);

                int before = h.events.size();
                sql(standbyUrl, "SELECT pg_promote(true, 30)");
                AlertEvent role = await(a -> a.getRule().equals("role_changed"));
                assertEquals("replica", role.getInstance());
                assertEquals(Severity.CRITICAL, role.getSeverity());
                assertTrue(role.getSummary().matches("Role or identity changed: standby, timeline 1, system_identifier \\d+"
                        + " → primary, timeline \\d, system_identifier \\d+"), role.getSummary());

                AlertEvent missing = await(a -> a.getRule().equals("standby_missing"));
                assertEquals("primary", missing.getInstance());
                assertEquals(Map.of("application_name", "replica1"), missing.getLabels());
                assertEquals("Standby replica1 is not connected: 0 of 1 streaming (learnt)", missing.getSummary());
                assertEquals(AlertStatus.FIRING, missing.getStatus());
                long firing = h.events.subList(before, h.events.size()).stream()
                        .filter(a -> a.getStatus() == AlertStatus.FIRING).count();
                assertEquals(2, firing, h.events::toString);
            }
        } finally {
            if (standby != null) {
                standby.destroy();
                if (!standby.waitFor(30, TimeUnit.SECONDS)) {
                    standby.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            if (dir != null) {
                removeAll(dir);
            }
            if (h != null) {
                h.close();
            }
            // The server is shared with the module's other classes: leave it as it was.
            try (Connection c = PG.server().connect("postgres")) {
                exec(c, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                        + " WHERE slot_name IN ('idle_slot', 'doomed_slot')");
                exec(c, "ALTER SYSTEM RESET max_slot_wal_keep_size");
                exec(c, "ALTER SYSTEM RESET wal_keep_size");
                exec(c, "SELECT pg_reload_conf()");
            }
        }
    }

    /**
     * replication_slot: a physical slot that reserves WAL at once and that nobody reads, then
     * about 6 MB of writes and a segment switch: warning (over 4 MB) naming the slot and what it
     * retains; dropping the slot resolves it.
     */
    private void inactiveSlotRetainingWal(Connection primary) throws Exception {
        exec(primary, "SELECT pg_create_physical_replication_slot('idle_slot', true)");
        exec(primary, "INSERT INTO churn SELECT g, repeat('x', 500) FROM generate_series(1, 10000) g");
        exec(primary, "SELECT pg_switch_wal()");
        double retained = Double.parseDouble(sql(primary,
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) FROM pg_replication_slots"
                        + " WHERE slot_name = 'idle_slot'"));
        assertTrue(retained > 4 << 20, "retained " + retained);
        AlertEvent slot = await(a -> a.getRule().equals("replication_slot") && a.getStatus() == AlertStatus.FIRING
                && "idle_slot".equals(a.getLabels().get("slot_name")));
        report(slot);
        assertEquals("primary", slot.getInstance());
        assertEquals(Severity.WARNING, slot.getSeverity());
        assertEquals(Map.of("slot_name", "idle_slot", "slot_type", "physical"), slot.getLabels());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Replication slot \\(physical\\) idle_slot is inactive"
                + " and retaining (\\d+(?:\\.\\d)?)MB of WAL(?: \\(inactive for \\d+ s\\))?").matcher(slot.getSummary());
        assertTrue(m.matches(), slot.getSummary());
        // The collector may sample during the writes or after the switch: between the threshold and
        // what the server said after the switch, give or take the collector's own WAL since.
        double mb = Double.parseDouble(m.group(1));
        assertTrue(mb > 4 && mb <= retained / (1 << 20) + 1.0, slot.getSummary() + " vs " + retained);
        exec(primary, "SELECT pg_drop_replication_slot('idle_slot')");
        await(a -> a.getRule().equals("replication_slot") && a.getStatus() == AlertStatus.RESOLVED
                && "idle_slot".equals(a.getLabels().get("slot_name")));
    }

    /**
     * replication_slot: max_slot_wal_keep_size 1MB (less than a segment; wal_keep_size 32MB) and an
     * inactive slot: its safe_wal_size is under the 1 GB floor at once (warning); segment switches
     * and checkpoints until the server invalidates it (wal_status lost): critical. Dropped and the
     * settings reset.
     */
    private void slotLostToMaxSlotWalKeepSize(Connection primary) throws Exception {
        exec(primary, "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
        // Two segments kept whatever the slots: the standby (no slot) must not lose the segment it
        // is reading to a checkpoint right after a switch. The doomed slot is then lost a few
        // segments later.
        exec(primary, "ALTER SYSTEM SET wal_keep_size = '32MB'");
        exec(primary, "SELECT pg_reload_conf()");
        awaitTrue("max_slot_wal_keep_size applies", () -> "1MB".equals(sqlQuiet(primary, "SHOW max_slot_wal_keep_size")));
        // safe_wal_size is NULL until the server has removed a segment since it started: have it remove one.
        exec(primary, "INSERT INTO churn SELECT g, 'y' FROM generate_series(1, 1000) g");
        exec(primary, "SELECT pg_switch_wal()");
        exec(primary, "CHECKPOINT");
        exec(primary, "SELECT pg_create_physical_replication_slot('doomed_slot', true)");
        AlertEvent low = await(a -> a.getRule().equals("replication_slot") && a.getStatus() == AlertStatus.FIRING
                && "doomed_slot".equals(a.getLabels().get("slot_name")));
        report(low);
        assertEquals(Severity.WARNING, low.getSeverity());
        assertTrue(low.getSummary().matches("Replication slot \\(physical\\) doomed_slot is within \\d+(\\.\\d)?[KM]?B"
                + " of WAL of being invalidated by max_slot_wal_keep_size(?: \\(inactive for \\d+ s\\))?"), low.getSummary());
        for (int i = 0; i < 10 && !"lost".equals(sql(primary,
                "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'doomed_slot'")); i++) {
            exec(primary, "INSERT INTO churn SELECT g, 'y' FROM generate_series(1, 1000) g");
            exec(primary, "SELECT pg_switch_wal()");
            exec(primary, "CHECKPOINT");
        }
        assertEquals("lost", sql(primary, "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'doomed_slot'"));
        AlertEvent lost = await(a -> a.getRule().equals("replication_slot") && a.getSeverity() == Severity.CRITICAL
                && "doomed_slot".equals(a.getLabels().get("slot_name")));
        report(lost);
        assertEquals(AlertStatus.FIRING, lost.getStatus());
        assertTrue(lost.getSummary().startsWith("Replication slot (physical) doomed_slot is lost (invalidated): its consumer"
                + " cannot resume"), lost.getSummary());
        exec(primary, "SELECT pg_drop_replication_slot('doomed_slot')");
        exec(primary, "ALTER SYSTEM RESET max_slot_wal_keep_size");
        exec(primary, "ALTER SYSTEM RESET wal_keep_size");
        exec(primary, "SELECT pg_reload_conf()");
        await(a -> a.getRule().equals("replication_slot") && a.getStatus() == AlertStatus.RESOLVED
                && "doomed_slot".equals(a.getLabels().get("slot_name")));
    }

    /**
     * recovery_conflicts: on the standby, hot_standby_feedback off and max_standby_streaming_delay
     * 0 (ALTER SYSTEM works in recovery); a REPEATABLE READ transaction holds a snapshot that sees
     * rows the primary then deletes and vacuums away. Replay cancels it at once (confl_snapshot);
     * the rule fires for the database, then resolves once the count leaves its two buckets.
     */
    private void recoveryConflictOnTheStandby(Connection primary, String standbyUrl, String db) throws Exception {
        exec(primary, "CREATE TABLE kept (id int, pad text)");
        exec(primary, "INSERT INTO kept SELECT g, repeat('k', 100) FROM generate_series(1, 2000) g");
        try (Connection s = DriverManager.getConnection(standbyUrl, "postgres", "")) {
            exec(s, "ALTER SYSTEM SET hot_standby_feedback = off");
            exec(s, "ALTER SYSTEM SET max_standby_streaming_delay = 0");
            exec(s, "SELECT pg_reload_conf()");
            awaitTrue("the standby's delay applies", () -> "0".equals(sqlQuiet(s, "SHOW max_standby_streaming_delay")));
            awaitTrue("kept reaches the standby", () -> "2000".equals(sqlQuiet(s, "SELECT count(*) FROM kept")));
            try (Connection reader = DriverManager.getConnection(standbyUrl, "postgres", "")) {
                reader.setAutoCommit(false);
                reader.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                assertEquals("2000", sql(reader, "SELECT count(*) FROM kept"));
                // The first half only: VACUUM prunes those pages and does not truncate (no lock conflict).
                exec(primary, "DELETE FROM kept WHERE id <= 1000");
                exec(primary, "VACUUM kept");
                awaitTrue("the standby cancels the reader", () -> {
                    String n = sqlQuiet(s, "SELECT confl_snapshot FROM pg_stat_database_conflicts WHERE datname = current_database()");
                    return n != null && Long.parseLong(n) > 0;
                });
                try {
                    sql(reader, "SELECT count(*) FROM kept");
                    fail("the standby let a snapshot older than the vacuumed rows live on");
                } catch (SQLException conflict) {
                    assertTrue(conflict.getMessage().contains("conflict with recovery"), conflict.getMessage());
                }
            }
            AlertEvent confl = await(a -> a.getRule().equals("recovery_conflicts") && a.getStatus() == AlertStatus.FIRING
                    && db.equals(a.getLabels().get("datname")));
            report(confl);
            assertEquals("replica", confl.getInstance());
            assertEquals(Map.of("datname", db), confl.getLabels());
            assertEquals(Severity.WARNING, confl.getSeverity());
            assertEquals("1 quer(ies) in database " + db + " cancelled by recovery conflicts within "
                    + dev.datainsight.rules.engine.Fmt.duration(3000) + " (so far: snapshot 1)",
                    confl.getSummary());
            await(a -> a.getRule().equals("recovery_conflicts") && a.getStatus() == AlertStatus.RESOLVED
                    && db.equals(a.getLabels().get("datname")));
            exec(s, "ALTER SYSTEM RESET hot_standby_feedback");
            exec(s, "ALTER SYSTEM RESET max_standby_streaming_delay");
            exec(s, "SELECT pg_reload_conf()");
        }
    }

    /**
     * replication_lag: replay paused on the standby (pg_wal_replay_pause) while the primary
     * writes: it keeps receiving, so the primary's replay lag and the standby's received-not-
     * replayed WAL both pass 4 MB and hold: both sides fire, with bytes and seconds; resumed,
     * both resolve.
     */
    private void pausedReplayLags(Connection primary, String standbyUrl) throws Exception {
        try (Connection s = DriverManager.getConnection(standbyUrl, "postgres", "")) {
            exec(s, "SELECT pg_wal_replay_pause()");
            exec(primary, "INSERT INTO churn SELECT g, repeat('z', 500) FROM generate_series(1, 10000) g");
            exec(primary, "SELECT pg_switch_wal()");
            AlertEvent behind = await(a -> a.getRule().equals("replication_lag") && a.getStatus() == AlertStatus.FIRING
                    && a.getInstance().equals("primary"));
            report(behind);
            assertEquals(Map.of("application_name", "replica1", "client_addr", "127.0.0.1"), behind.getLabels());
            assertEquals(Severity.WARNING, behind.getSeverity());
            assertTrue(behind.getSummary().matches("Standby replica1 \\(127\\.0\\.0\\.1\\) replays \\d+ s / "
                    + "\\d+(\\.\\d)?MB behind"), behind.getSummary());
            AlertEvent own = await(a -> a.getRule().equals("replication_lag") && a.getStatus() == AlertStatus.FIRING
                    && a.getInstance().equals("replica"));
            report(own);
            assertEquals(Severity.WARNING, own.getSeverity());
            assertTrue(own.getSummary().matches("This standby has \\d+(\\.\\d)?MB of received WAL to replay, \\d+ s behind"),
                    own.getSummary());
            exec(s, "SELECT pg_wal_replay_resume()");
        }
        await(a -> a.getRule().equals("replication_lag") && a.getStatus() == AlertStatus.RESOLVED
                && a.getInstance().equals("primary"));
        await(a -> a.getRule().equals("replication_lag") && a.getStatus() == AlertStatus.RESOLVED
                && a.getInstance().equals("replica"));
    }

    private static void report(AlertEvent a) {
        System.out.println("induced " + a.getInstance() + " " + a.getRule() + " " + a.getSeverity() + ": " + a.getSummary());
    }

    /**
     * A standby of {@code primary} in {@code dir}: pg_backup_start (pg_start_backup before 15),
     * a copy of the data directory without WAL, slots and the pid file, pg_backup_stop's label,
     * standby.signal and primary_conninfo; the primary's binary, started on {@code port}.
     */
    private static Process startStandby(EmbeddedPostgresServer primary, Path dir, int port, String name)
            throws Exception {
        int v = primary.serverVersionNum();
        Path data;
        Path binary;
        List<String> args = new ArrayList<>();
        try (Connection c = primary.connect("postgres")) {
            data = Path.of(sql(c, "SHOW data_directory"));
            String pid = Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim();
            binary = Files.readSymbolicLink(Path.of("/proc", pid, "exe"));
            // Settings a hot standby must have at least as high as its primary.
            for (String s : List.of("max_connections", "max_locks_per_transaction", "max_prepared_transactions",
                    "max_worker_processes", "max_wal_senders", "shared_preload_libraries")) {
                args.add("-c");
                args.add(s + "=" + sql(c, "SHOW " + s));
            }
            sql(c, v >= 150000 ? "SELECT pg_backup_start('failover-it', true)"
                    : "SELECT pg_start_backup('failover-it', true, false)");
            copyWithoutWal(data, dir);
            String label = sql(c, v >= 150000 ? "SELECT labelfile FROM pg_backup_stop(false)"
                    : "SELECT labelfile FROM pg_stop_backup(false, false)");
            Files.writeString(dir.resolve("backup_label"), label);
        }
        Files.writeString(dir.resolve("standby.signal"), "");
        Files.writeString(dir.resolve("postgresql.auto.conf"), "primary_conninfo = 'host=127.0.0.1 port=" + primary.port()
                + " user=postgres application_name=" + name + "'\n", StandardOpenOption.APPEND);
        List<String> cmd = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.addAll(List.of("unshare", "-Uu")); // PostgreSQL refuses to run as root
        }
        cmd.addAll(List.of(binary.toString(), "-D", dir.toString(), "-p", Integer.toString(port), "-c",
                "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir, "-c", "hot_standby=on"));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolveSibling(dir.getFileName() + ".log").toFile()).start();
    }

    private static void copyWithoutWal(Path from, Path to) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(from)) {
            files = walk.toList();
        }
        for (Path f : files) {
            String rel = from.relativize(f).toString();
            boolean skip = rel.equals("postmaster.pid") || rel.equals("postmaster.opts")
                    || rel.startsWith("pg_replslot/") || rel.startsWith("pg_wal/");
            if (skip) {
                continue;
            }
            try {
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to.resolve(rel));
                } else {
                    Files.copy(f, to.resolve(rel), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (NoSuchFileException gone) {
                // removed while copying (a temporary file): WAL replay from the backup start covers it
            }
        }
        Files.createDirectories(to.resolve("pg_wal").resolve("archive_status"));
    }

    private static void removeAll(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String sql(Connection c, String q) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(q)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void exec(Connection c, String q) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(q);
        }
    }

    private static String sqlQuiet(Connection c, String q) {
        try {
            return sql(c, q);
        } catch (SQLException e) {
            return null;
        }
    }

    private static String sql(String url, String q) {
        try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
            return sql(c, q);
        } catch (SQLException e) {
            return null;
        }
    }

    private static void awaitTrue(String what, java.util.function.BooleanSupplier ok) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!ok.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("timed out: " + what);
            }
            Thread.sleep(200);
        }
    }

    private void pump(Duration d) throws Exception {
        long end = System.currentTimeMillis() + d.toMillis();
        while (System.currentTimeMillis() < end) {
            feed();
            Thread.sleep(50);
        }
    }

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
        long deadline = System.currentTimeMillis() + 45_000;
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
}
