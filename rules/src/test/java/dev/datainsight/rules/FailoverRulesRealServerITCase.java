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
 * role_changed and standby_missing on real servers: a streaming standby built from a low-level
 * base backup of the embedded primary, both polled by the real collector. The standby is learnt
 * by the primary's standby_missing; then it is promoted (pg_promote()): its own role_changed fires
 * with before and after, and the primary, whose walsender row is gone, pages standby_missing for
 * it instead of resolving silently.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FailoverRulesRealServerITCase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(EmbeddedPostgresServer.defaultMajor());

    private final ConcurrentLinkedQueue<Snapshot> inbox = new ConcurrentLinkedQueue<>();
    private RulesHarness h;

    @Test
    void promotingTheStandby_pagesRoleChangedOnIt_andStandbyMissingOnThePrimary() throws Exception {
        String db = PG.freshDatabase("failover");
        Path dir = null;
        Process standby = null;
        try {
            Path base = Files.createDirectories(Path.of("target", "failover-it").toAbsolutePath());
            dir = Files.createTempDirectory(base, "standby");
            int port = FreePorts.next();
            standby = startStandby(PG.server(), dir, port, "replica1");
            String standbyUrl = "jdbc:postgresql://127.0.0.1:" + port + "/" + db;
            awaitTrue("the standby streams", () -> "streaming".equals(sql(standbyUrl,
                    "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), '')")));

            StringBuilder yaml = new StringBuilder("rules:\n");
            for (dev.datainsight.rules.engine.Rule r : dev.datainsight.rules.defs.RuleCatalog.all()) {
                if (!List.of("role_changed", "standby_missing").contains(r.name())) {
                    yaml.append("  ").append(r.name()).append(": {enabled: false}\n");
                }
            }
            yaml.append("  standby_missing: {learn_after: 4s, for: 2s, resolve_for: 0s}\n");
            h = new RulesHarness(RulesConfig.parse(yaml.toString(), "failover"));
            FleetConfig fleet = FleetConfig.builder()
                    .instance(FleetConfig.Instance.builder("primary").url(PG.server().jdbcUrlNoUser(db)).user("postgres")
                            .intervals(Duration.ofSeconds(1), Duration.ofSeconds(2)).build())
                    .instance(FleetConfig.Instance.builder("replica").url(standbyUrl).user("postgres")
                            .intervals(Duration.ofSeconds(1), Duration.ofSeconds(2)).build())
                    .build();
            try (Collector collector = new Collector(fleet, inbox::add)) {
                collector.start();
                pump(Duration.ofSeconds(8)); // identities seen, replica1 learnt
                assertEquals(List.of(), h.events, "a healthy pair pages nobody");

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
                long firing = h.events.stream().filter(a -> a.getStatus() == AlertStatus.FIRING).count();
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
        }
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
