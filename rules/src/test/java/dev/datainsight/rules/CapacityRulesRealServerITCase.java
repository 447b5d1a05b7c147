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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * lock_table_fill, pgss_dealloc and wal_rate_spike on a real server, through the real collector:
 * a server with a small lock table (max_locks_per_transaction 10 × max_connections 20 = 200 slots)
 * and the smallest pg_stat_statements table (100 entries), so each condition is made in a second:
 * one transaction holding 130 tables, 300 distinct statements, a bulk insert. Each fires at the
 * rule's default thresholds (wal_rate_spike with a short window and warm-up) and resolves.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CapacityRulesRealServerITCase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(EmbeddedPostgresServer.defaultMajor(),
            Map.of("max_connections", "20", "max_locks_per_transaction", "10", "pg_stat_statements.max", "100"));

    private static final String RULES_ON = "lock_table_fill pgss_dealloc wal_rate_spike";

    private final ConcurrentLinkedQueue<Snapshot> inbox = new ConcurrentLinkedQueue<>();
    private RulesHarness h;

    @Test
    void lockTableFill_pgssDealloc_walRateSpike_fireOnARealServer_andResolve() throws Exception {
        String db = PG.freshDatabase("capacity");
        String url = PG.server().jdbcUrl(db);
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            st.execute("DO $$ BEGIN FOR i IN 1..130 LOOP EXECUTE format('CREATE TABLE lt_%s (id int)', i); END LOOP; END $$");
            st.execute("CREATE UNLOGGED TABLE quiet (id int)");
            st.execute("CREATE TABLE bulk (id int, pad text)");
            // The 130 CREATE TABLEs above are 130 entries (track = all): start from an empty table,
            // where the collector's own statements fit.
            st.execute("SELECT pg_stat_statements_reset()");
        }
        StringBuilder yaml = new StringBuilder("rules:\n");
        for (dev.datainsight.rules.engine.Rule r : dev.datainsight.rules.defs.RuleCatalog.all()) {
            if (!RULES_ON.contains(r.name())) {
                yaml.append("  ").append(r.name()).append(": {enabled: false}\n");
            }
        }
        yaml.append("  lock_table_fill: {for: 0s, resolve_for: 0s}\n");
        yaml.append("  pgss_dealloc: {window: 3s}\n");
        yaml.append("  wal_rate_spike: {window: 4s, baseline_warmup: 5s, min_rate: 1MB, for: 0s, resolve_for: 0s}\n");
        h = new RulesHarness(RulesConfig.parse(yaml.toString(), "capacity"));
        FleetConfig fleet = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("pg-capacity").url(PG.server().jdbcUrlNoUser(db)).user("postgres")
                        .intervals(Duration.ofSeconds(1), Duration.ofSeconds(1)).build())
                .build();
        try (Collector collector = new Collector(fleet, inbox::add)) {
            collector.start();
            pump(Duration.ofSeconds(7)); // the WAL baseline of an idle server, the dealloc baseline
            assertEquals(List.of(), h.pages(), "an idle server pages nobody");
            assertTrue(h.events.isEmpty(), h.events::toString);

            // 130 of 200 lock table slots held by one transaction (SHARE: never fast-path).
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                StringBuilder tables = new StringBuilder("lt_1");
                for (int i = 2; i <= 130; i++) {
                    tables.append(", lt_").append(i);
                }
                // One statement (one pg_stat_statements entry: the dealloc step below stays the only eviction).
                st.execute("LOCK TABLE " + tables + " IN SHARE MODE");
                assertEquals(List.of(), h.pages().stream().filter(a -> a.getRule().equals("pgss_dealloc")).toList());
                AlertEvent locks = await(a -> a.getRule().equals("lock_table_fill"));
                assertEquals(Severity.WARNING, locks.getSeverity(), locks.getSummary());
                assertTrue(locks.getSummary().matches("1[3-4]\\d of 200 lock table slots in use .*"), locks.getSummary());
                c.rollback();
                await(a -> a.getRule().equals("lock_table_fill") && a.getStatus() == AlertStatus.RESOLVED);
            }

            // 300 distinct statements through a 100-entry pg_stat_statements: it must evict.
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                StringBuilder cols = new StringBuilder("1");
                for (int i = 0; i < 300; i++) {
                    cols.append(", 1");
                    st.executeQuery("SELECT " + cols + " FROM quiet").close();
                }
            }
            AlertEvent dealloc = await(a -> a.getRule().equals("pgss_dealloc"));
            assertEquals(Severity.WARNING, dealloc.getSeverity());
            assertTrue(dealloc.getSummary().contains("pg_stat_statements.max = 100"), dealloc.getSummary());
            await(a -> a.getRule().equals("pgss_dealloc") && a.getStatus() == AlertStatus.RESOLVED);

            // A bulk write: tens of MB of WAL per second against an idle baseline.
            long until = System.currentTimeMillis() + 4_000;
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                while (System.currentTimeMillis() < until) {
                    st.execute("INSERT INTO bulk SELECT g, repeat('w', 200) FROM generate_series(1, 50000) g");
                }
            }
            AlertEvent wal = await(a -> a.getRule().equals("wal_rate_spike"));
            assertEquals(Severity.CRITICAL, wal.getSeverity(), wal.getSummary());
            await(a -> a.getRule().equals("wal_rate_spike") && a.getStatus() == AlertStatus.RESOLVED);

            List<String> fired = h.events.stream().filter(a -> a.getStatus() == AlertStatus.FIRING)
                    .map(AlertEvent::getRule).toList();
            assertEquals(List.of("lock_table_fill", "pgss_dealloc", "wal_rate_spike"), fired, h.events::toString);
        } finally {
            h.close();
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
}
