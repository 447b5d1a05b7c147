package dev.datainsight.collector;

import static dev.datainsight.collector.TestSupport.query;
import static dev.datainsight.collector.TestSupport.row;
import static dev.datainsight.collector.TestSupport.view;
import static dev.datainsight.collector.TestSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.FreePorts;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replication signals against real streaming standbys, 13..18. The embedded bundle has no
 * pg_basebackup, so each standby is a low-level base backup of the primary: pg_backup_start
 * (pg_start_backup on 13-14), a file copy, pg_backup_stop, backup_label, standby.signal and
 * primary_conninfo, started with the primary's own postgres binary. Two standbys with the default
 * application_name from one address, which before collapsed into one series.
 */
class StandbyTest {
    @RegisterExtension static final PostgresExtension PG13 = new PostgresExtension(13);
    @RegisterExtension static final PostgresExtension PG14 = new PostgresExtension(14);
    @RegisterExtension static final PostgresExtension PG15 = new PostgresExtension(15);
    @RegisterExtension static final PostgresExtension PG16 = new PostgresExtension(16);
    @RegisterExtension static final PostgresExtension PG17 = new PostgresExtension(17);
    @RegisterExtension static final PostgresExtension PG18 = new PostgresExtension(18);

    static EmbeddedPostgresServer server(int major) {
        return switch (major) {
            case 13 -> PG13.server();
            case 14 -> PG14.server();
            case 15 -> PG15.server();
            case 16 -> PG16.server();
            case 17 -> PG17.server();
            default -> PG18.server();
        };
    }

    /** A standby process on its own data directory under target/. */
    static final class Standby implements AutoCloseable {
        final Path dir;
        final int port;
        Process process;

        Standby(Path dir, int port) {
            this.dir = dir;
            this.port = port;
        }

        String jdbcUrl(String db) {
            return "jdbc:postgresql://127.0.0.1:" + port + "/" + db;
        }

        @Override
        public void close() throws IOException {
            if (process != null) {
                process.destroy(); // SIGTERM: smart shutdown
                try {
                    if (!process.waitFor(30, TimeUnit.SECONDS)) {
                        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            deleteTree(dir);
        }
    }

    static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Two standbys from one low-level base backup of {@code primary}. */
    static List<Standby> standbys(EmbeddedPostgresServer primary, int count) throws Exception {
        return standbys(primary, count, null);
    }

    /** As above; the first standby streams through the physical slot {@code slot} (created here) when not null. */
    static List<Standby> standbys(EmbeddedPostgresServer primary, int count, String slot) throws Exception {
        List<Standby> out = new ArrayList<>();
        Path base = Files.createDirectories(Path.of("target", "standby-test").toAbsolutePath());
        try (Connection c = primary.connect("postgres")) {
            Path data = Path.of(one(c, "SHOW data_directory"));
            String pid = Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim();
            Path postgres = Files.readSymbolicLink(Path.of("/proc", pid, "exe"));
            List<String> settings = new ArrayList<>();
            for (String name : List.of("max_connections", "max_locks_per_transaction", "max_prepared_transactions",
                    "max_worker_processes", "max_wal_senders", "shared_preload_libraries")) {
                settings.add("-c");
                settings.add(name + "=" + one(c, "SHOW " + name));
            }
            int v = primary.serverVersionNum();
            if (slot != null) {
                one(c, "SELECT slot_name FROM pg_create_physical_replication_slot('" + slot + "', true)");
            }
            one(c, v >= 150000 ? "SELECT pg_backup_start('di-standby', true)" : "SELECT pg_start_backup('di-standby', true, false)");
            for (int i = 0; i < count; i++) {
                Standby s = new Standby(Files.createTempDirectory(base, "pg" + v / 10000 + "-standby"), FreePorts.next());
                copyData(data, s.dir);
                out.add(s);
            }
            String label = one(c, v >= 150000 ? "SELECT labelfile FROM pg_backup_stop(false)"
                    : "SELECT labelfile FROM pg_stop_backup(false, false)");
            for (Standby s : out) {
                Files.writeString(s.dir.resolve("backup_label"), label);
                Files.writeString(s.dir.resolve("standby.signal"), "");
                Files.writeString(s.dir.resolve("postgresql.auto.conf"),
                        "primary_conninfo = 'host=127.0.0.1 port=" + primary.port() + " user=postgres'\n"
                        + (slot != null && s == out.get(0) ? "primary_slot_name = '" + slot + "'\n" : ""),
                        java.nio.file.StandardOpenOption.APPEND);
                // As zonky does for root: PostgreSQL refuses uid 0, so the server runs in its own user namespace.
                List<String> cmd = new ArrayList<>();
                if ("root".equals(System.getProperty("user.name"))) {
                    cmd.addAll(List.of("unshare", "-Uu"));
                }
                cmd.addAll(List.of(postgres.toString(), "-D", s.dir.toString(), "-p",
                        Integer.toString(s.port), "-c", "listen_addresses=127.0.0.1", "-c", "hot_standby=on",
                        "-c", "unix_socket_directories=" + s.dir, "-c", "fsync=off"));
                cmd.addAll(settings);
                s.process = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(s.dir.getParent().resolve(s.dir.getFileName() + ".log").toFile()).start();
            }
        }
        try {
            awaitStreaming(out);
        } catch (RuntimeException | Error e) {
            for (Standby s : out) {
                s.close();
            }
            throw e;
        }
        return out;
    }

    static void awaitStreaming(List<Standby> out) {
        for (Standby s : out) {
            ResilienceTest.await("standby on " + s.port + " streaming (log: " + s.dir + ".log)", java.time.Duration.ofSeconds(60), () -> {
                try (Connection c = DriverManager.getConnection(s.jdbcUrl("postgres"), "postgres", "")) {
                    return "t".equals(one(c, "SELECT pg_is_in_recovery()"))
                            && "streaming".equals(one(c, "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), '')"));
                } catch (SQLException e) {
                    return false;
                }
            });
        }
    }

    static void copyData(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path rel = from.relativize(p);
                String r = rel.toString();
                if (r.equals("postmaster.pid") || r.equals("postmaster.opts") || r.startsWith("pg_replslot/")
                        || (r.startsWith("pg_wal/") && !r.equals("pg_wal/archive_status"))) {
                    continue;
                }
                Path target = to.resolve(rel);
                try {
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (NoSuchFileException e) {
                    // a temporary file went away during the copy: the WAL replay covers it
                }
            }
        }
        Files.createDirectories(to.resolve("pg_wal/archive_status"));
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static Collector collector(String url, String user) {
        return new Collector(FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("repl").url(url).user(user).password("secret").build())
                .build(), s -> { });
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(ints = {13, 14, 15, 16, 17, 18})
    void twoStandbys_primaryAndStandbySide(int major) throws Exception {
        EmbeddedPostgresServer primary = server(major);
        String role = TestSupport.createRole(primary, "di_repl", true);
        String slot = "di_standby_slot";
        List<Standby> standbys = standbys(primary, 2, slot);
        try {
            // primary side: one row per sender, never collapsed
            List<Snapshot> p;
            try (Collector c = collector(primary.jdbcUrlNoUser("postgres"), role)) {
                p = c.collectOnce("repl");
            }
            Snapshot repl = view(p, "pg_stat_replication");
            assertEquals(2, repl.getRows().size(), () -> "two senders: " + repl.getRows());
            List<Map<String, Object>> direct = query(primary, "postgres",
                    "SELECT pid, application_name, sync_state FROM pg_stat_replication ORDER BY pid");
            assertEquals(2, direct.size());
            assertNotEquals(repl.getRows().get(0).getLabels(), repl.getRows().get(1).getLabels(), "distinct series");
            for (Map<String, Object> d : direct) {
                int pid = ((Number) d.get("pid")).intValue();
                SnapshotRow r = row(repl, Map.of("application_name", d.get("application_name") + " [pid " + pid + "]"));
                assertNotNull(r, () -> "walreceiver [pid " + pid + "] in " + repl.getRows());
                assertEquals((double) pid, r.getValues().get("pid"));
                assertEquals("127.0.0.1", r.getLabels().get("client_addr"));
                assertEquals("streaming", r.getLabels().get("state"));
                assertEquals(0.0, r.getValues().get("sync_state"), "async");
                assertEquals(0.0, r.getValues().get("logical"));
                assertNull(r.getValues().get("backend_xmin_age"), "hot_standby_feedback off");
                for (String k : List.of("sent_lag_bytes", "write_lag_bytes", "flush_lag_bytes", "replay_lag_bytes")) {
                    assertNotNull(r.getValues().get(k), k);
                    assertTrue(r.getValues().get(k) >= 0, k + " " + r.getValues());
                }
                assertTrue(r.getValues().get("sent_lag_bytes") <= r.getValues().get("replay_lag_bytes"), r.getValues().toString());
            }
            // the first standby's slot names its sender: active_pid joins pg_stat_replication.pid
            SnapshotRow slotRow = row(view(p, "pg_replication_slots"), Map.of("slot_name", slot));
            assertNotNull(slotRow, () -> "the standby's slot in " + view(p, "pg_replication_slots").getRows());
            assertEquals(1.0, slotRow.getValues().get("active"));
            Double slotPid = slotRow.getValues().get("active_pid");
            assertTrue(repl.getRows().stream().anyMatch(r -> slotPid != null && slotPid.equals(r.getValues().get("pid"))),
                    () -> "active_pid " + slotPid + " is one of the senders " + repl.getRows());
            assertEquals(0, view(p, "pg_stat_wal_receiver").getRows().size(), "a primary has no receiver row");
            // standby side: the role was created before the backup, so it exists there
            Standby s = standbys.get(0);
            List<Snapshot> st;
            String errors;
            try (Collector c = collector(s.jdbcUrl("postgres"), role)) {
                st = c.collectOnce("repl");
                errors = c.status("repl").probeErrors().toString();
            }
            SnapshotRow health = row(view(st, MetricCatalog.COLLECTOR_VIEW), Map.of("probe", ""));
            assertEquals(1.0, health.getValues().get("up"));
            assertEquals(1.0, health.getValues().get("in_recovery"));
            assertEquals(0.0, health.getValues().get("error"), () -> "every probe runs on a standby: " + errors);
            SnapshotRow w = view(st, "pg_stat_wal_receiver").getRows().get(0);
            assertEquals(1.0, w.getValues().get("receiver_running"));
            assertEquals(2.0, w.getValues().get("status"), "streaming");
            assertTrue(w.getValues().get("receive_replay_lag_bytes") >= 0, w.getValues().toString());
            assertTrue(w.getValues().get("last_msg_receipt_age_seconds") >= 0, w.getValues().toString());
            // 13-16: pg_stat_bgwriter's checkpoint counters count restartpoints on a standby
            SnapshotRow cp = view(st, "pg_stat_checkpointer").getRows().get(0);
            if (major < 17) {
                assertNull(cp.getValues().get("num_timed"), () -> "they are restartpoints: " + cp.getValues());
                assertNull(cp.getValues().get("num_requested"));
            }
            assertNotNull(cp.getValues().get("restartpoints_timed"), () -> "restartpoints: " + cp.getValues());
            assertNotNull(cp.getValues().get("restartpoints_req"));
            System.out.println("StandbyTest " + major + ": primary " + repl.getRows() + "; standby " + w.getValues());
        } finally {
            for (Standby s : standbys) {
                s.close();
            }
            ResilienceTest.await("senders gone", java.time.Duration.ofSeconds(30),
                    () -> query(primary, "postgres", "SELECT 1 FROM pg_stat_replication").isEmpty());
            exec(primary, "postgres", "SELECT pg_drop_replication_slot('" + slot + "')");
        }
    }
}
