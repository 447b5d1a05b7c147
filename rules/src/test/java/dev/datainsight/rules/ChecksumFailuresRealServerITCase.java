package dev.datainsight.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.datainsight.collector.Collector;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.defs.RuleCatalog;
import dev.datainsight.rules.engine.Rule;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * checksum_failures fired by a real corrupted page: PostgreSQL 18's initdb turns data checksums
 * on by default, so on an 18 server the test writes a table, checkpoints, stops the server,
 * overwrites bytes in the middle of the table's first page on disk, starts the server again and
 * reads the table. The read fails with "invalid page in block 0" (SQLSTATE XX001), the server
 * counts the failure in pg_stat_database.checksum_failures, and the real collector's snapshot
 * makes the rule page critical, naming the database, at its default settings.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ChecksumFailuresRealServerITCase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(18);

    private final ConcurrentLinkedQueue<Snapshot> inbox = new ConcurrentLinkedQueue<>();
    private RulesHarness h;

    @Test
    void aCorruptedPageOnDisk_isReadAsAChecksumFailure_andPagesCritical() throws Exception {
        String db = PG.freshDatabase("checksums");
        String url = PG.server().jdbcUrl(db);
        Path file;
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            assertEquals("on", one(st, "SHOW data_checksums"), "18's initdb enables data checksums");
            st.execute("CREATE TABLE victim AS SELECT g AS id, repeat('x', 40) AS pad FROM generate_series(1, 100) g");
            st.execute("CHECKPOINT");
            file = Path.of(one(st, "SHOW data_directory")).resolve(one(st, "SELECT pg_relation_filepath('victim')"));
        }
        StringBuilder yaml = new StringBuilder("rules:\n");
        for (Rule r : RuleCatalog.all()) {
            if (!r.name().equals("checksum_failures")) {
                yaml.append("  ").append(r.name()).append(": {enabled: false}\n");
            }
        }
        h = new RulesHarness(RulesConfig.parse(yaml.toString(), "checksums"));
        FleetConfig fleet = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("pg-checksums").url(PG.server().jdbcUrlNoUser(db)).user("postgres")
                        .intervals(Duration.ofSeconds(1), Duration.ofSeconds(1)).build())
                .build();
        try (Collector collector = new Collector(fleet, inbox::add)) {
            collector.start();
            pump(Duration.ofSeconds(3)); // the counter's baseline: 0
            assertEquals(List.of(), h.events, "a healthy server pages nobody");

            PG.server().stop(); // nothing of the table stays in shared buffers
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap("corrupted by the test, not by the disk".getBytes()), 4000);
            }
            PG.server().restart();
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                SQLException e = assertThrows(SQLException.class, () -> one(st, "SELECT count(*) FROM victim"));
                assertEquals("XX001", e.getSQLState(), e.getMessage());
                assertTrue(e.getMessage().contains("invalid page in block 0"), e.getMessage());
                assertEquals("1", one(st, "SELECT checksum_failures FROM pg_stat_database WHERE datname = current_database()"));
            }

            AlertEvent a = await();
            System.out.println("checksum_failures: " + a.getSeverity() + ": " + a.getSummary());
            assertEquals(Severity.CRITICAL, a.getSeverity());
            assertEquals(db, a.getLabels().get("datname"));
            assertEquals("1 new data checksum failure(s) in database " + db + " (1 counted since the statistics reset)",
                    a.getSummary());
        } finally {
            h.close();
        }
    }

    private static String one(Statement st, String q) throws SQLException {
        try (ResultSet rs = st.executeQuery(q)) {
            rs.next();
            return rs.getString(1);
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

    private AlertEvent await() throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            feed();
            for (AlertEvent a : h.events) {
                if (a.getRule().equals("checksum_failures") && a.getStatus() == AlertStatus.FIRING) {
                    return a;
                }
            }
            Thread.sleep(50);
        }
        fail("checksum_failures did not fire; events: " + h.events);
        return null;
    }
}
