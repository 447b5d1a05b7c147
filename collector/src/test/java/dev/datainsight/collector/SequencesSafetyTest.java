package dev.datainsight.collector;

import static dev.datainsight.collector.TestSupport.exec;
import static dev.datainsight.collector.TestSupport.row;
import static dev.datainsight.collector.TestSupport.view;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.probe.SequencesProbe;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sequences probe on a real server cannot hurt it: a sequence held in ACCESS EXCLUSIVE does
 * not make it wait or come back empty, and thousands of sequences do not fill the lock table. The
 * server runs with the smallest lock table PostgreSQL allows (max_locks_per_transaction = 10,
 * max_connections = 20: a few hundred entries), so one statement locking every sequence fails.
 */
class SequencesSafetyTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17,
            Map.of("max_connections", "20", "max_locks_per_transaction", "10"));

    static FleetConfig config(String role, String db, Duration lockTimeout) {
        return FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("seq").url(PG.server().jdbcUrlNoUser(db)).user(role)
                        .password("secret").build())
                .lockTimeout(lockTimeout)
                .build();
    }

    static SnapshotRow health(List<Snapshot> s, String probe) {
        return row(view(s, MetricCatalog.COLLECTOR_VIEW), Map.of("probe", probe));
    }

    @Test
    void sequenceInAccessExclusive_isSkipped_withoutWaiting_andTheOthersAreRead() throws Exception {
        String db = PG.freshDatabase("seqlock");
        String role = TestSupport.createRole(PG.server(), "di_seq", true);
        exec(PG.server(), db, "CREATE SEQUENCE s_free", "SELECT nextval('s_free') FROM generate_series(1, 7)",
                "CREATE SEQUENCE s_migrating", "SELECT nextval('s_migrating')",
                "CREATE SEQUENCE s_altered", "SELECT nextval('s_altered') FROM generate_series(1, 2)",
                "GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO " + role);
        try (Connection migration = PG.server().connect(db);
                Connection alter = PG.server().connect(db);
                Collector c = new Collector(config(role, db, Duration.ofSeconds(4)), s -> { }, List.of(new SequencesProbe()))) {
            migration.setAutoCommit(false);
            try (Statement st = migration.createStatement()) {
                st.execute("DROP SEQUENCE s_migrating");
            }
            // ALTER SEQUENCE in an open transaction: its lock conflicts with the one reading a last value takes.
            alter.setAutoCommit(false);
            try (Statement st = alter.createStatement()) {
                st.execute("ALTER SEQUENCE s_altered RESTART WITH 100");
            }
            List<Map<String, Object>> held = TestSupport.query(PG.server(), db, "SELECT c.relname, l.mode FROM pg_locks l"
                    + " JOIN pg_class c ON c.oid = l.relation WHERE c.relname IN ('s_migrating', 's_altered') AND l.granted"
                    + " AND l.mode IN ('AccessExclusiveLock', 'ShareRowExclusiveLock') ORDER BY 1");
            assertEquals(2, held.size(), "both sequences locked by the open transactions: " + held);
            long t0 = System.nanoTime();
            List<Snapshot> s = c.collectOnce("seq");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            SnapshotRow h = health(s, "pg_sequences");
            assertEquals(0.0, h.getValues().get("error"), () -> c.status("seq").probeErrors().toString());
            System.out.println("SequencesSafetyTest locked sequences " + held + ": probe took " + ms + " ms (lock_timeout 4 s)");
            assertTrue(ms < 4_000, "did not wait for the 4 s lock_timeout: " + ms + " ms");
            Snapshot seq = view(s, "pg_sequences");
            assertNotNull(seq);
            SnapshotRow free = row(seq, Map.of("datname", db, "sequencename", "s_free"));
            assertNotNull(free, () -> "rows: " + seq.getRows());
            assertEquals(7.0, free.getValues().get("last_value"));
            assertNull(row(seq, Map.of("datname", db, "sequencename", "s_migrating")), "the dropped one is skipped");
            assertNull(row(seq, Map.of("datname", db, "sequencename", "s_altered")), "the altered one is skipped");
            migration.rollback();
            alter.rollback();
            // once the migration is gone the sequence is read again
            SnapshotRow back = row(view(c.collectOnce("seq"), "pg_sequences"), Map.of("datname", db, "sequencename", "s_migrating"));
            assertNotNull(back);
            assertEquals(1.0, back.getValues().get("last_value"));
        }
    }

    @Test
    void fiveThousandSequences_probeHoldsFewLocksAtATime_andRanksByOwningColumnType() throws Exception {
        String db = PG.freshDatabase("seqmany");
        String role = TestSupport.createRole(PG.server(), "di_seqn", true);
        // Created 100 per transaction: each CREATE holds its lock until commit.
        for (int b = 0; b < 50; b++) {
            exec(PG.server(), db, "DO $$ BEGIN FOR i IN " + (b * 100) + ".." + (b * 100 + 99)
                    + " LOOP EXECUTE pg_catalog.format('CREATE SEQUENCE s_%s', i); END LOOP; END $$");
        }
        // An int4 identity column whose (bigint) sequence is at 2^30: half way to the column's limit.
        exec(PG.server(), db, "CREATE TABLE t_narrow (id int GENERATED ALWAYS AS IDENTITY, v int)",
                "SELECT setval(pg_get_serial_sequence('t_narrow', 'id'), 1073741824)",
                "SELECT nextval('s_42') FROM generate_series(1, 3)",
                "GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO " + role);
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger maxLocks = new AtomicInteger();
        AtomicInteger samples = new AtomicInteger();
        Thread watcher = new Thread(() -> {
            try (Connection w = PG.server().connect("postgres");
                    PreparedStatement ps = w.prepareStatement("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a"
                            + " ON a.pid = l.pid WHERE a.usename = ? AND l.locktype = 'relation'")) {
                ps.setString(1, role);
                while (!done.get()) {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        maxLocks.accumulateAndGet(rs.getInt(1), Math::max);
                        samples.incrementAndGet();
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        watcher.start();
        List<Snapshot> s;
        String errors;
        try (Collector c = new Collector(config(role, db, Duration.ofSeconds(1)), x -> { }, List.of(new SequencesProbe()))) {
            s = c.collectOnce("seq");
            errors = c.status("seq").probeErrors().toString();
        } finally {
            done.set(true);
            watcher.join();
        }
        assertEquals(0.0, health(s, "pg_sequences").getValues().get("error"), errors);
        assertTrue(samples.get() > 0);
        System.out.println("SequencesSafetyTest 5,000 sequences: at most " + maxLocks.get() + " relation locks held by the"
                + " probe's backend at once, " + samples.get() + " samples of pg_locks (chunk " + SequencesProbe.CHUNK + ")");
        assertTrue(maxLocks.get() <= SequencesProbe.CHUNK + 20, "locks held at once: " + maxLocks.get());
        Snapshot seq = view(s, "pg_sequences");
        List<SnapshotRow> here = seq.getRows().stream().filter(r -> db.equals(r.getLabels().get("datname"))).toList();
        assertEquals(50, here.size(), "top_sequences");
        SnapshotRow first = here.get(0);
        assertEquals("t_narrow_id_seq", first.getLabels().get("sequencename"), "ranked by the int4 column's bound");
        assertEquals(2147483647.0, first.getValues().get("max_value"));
        assertEquals(0.5, first.getValues().get("used_ratio"), 1e-6);
        SnapshotRow s42 = row(seq, Map.of("datname", db, "sequencename", "s_42"));
        assertNotNull(s42, "the used bigint sequence is among the top rows");
        assertEquals(3.0, s42.getValues().get("last_value"));
    }
}
