package dev.datainsight.rules;

import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A quiet run: three healthy servers with light, noisy, realistic load — every view the rules
 * read, at a 10 s interval for 8 simulated hours, with all rules at their defaults — must not page
 * (no warning or critical alert; INFO anomalies are counted and printed, not paged).
 */
class QuietFleetTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long STEP = 10_000;

    /** One healthy server: cumulative counters that grow with noise, gauges that wander a little. */
    static final class HealthyServer {
        final String instance;
        final Random rnd;
        double commits;
        double rollbacks;
        double hits;
        double reads;
        double temp;
        double walBytes;
        double timed = 40;
        double calls1;
        double time1;
        double calls2;
        double time2;
        double size = 3e9;
        double xid = 80e6;
        double dead = 2000;
        double avCount = 10;
        long lastAv;
        double idxScan;
        int i;

        HealthyServer(String instance, long seed) {
            this.instance = instance;
            this.rnd = new Random(seed);
        }

        double noise(double base, double rel) {
            return Math.max(0, base * (1 + rel * rnd.nextGaussian()));
        }

        List<Snapshot> at(long t) {
            List<Snapshot> out = new ArrayList<>();
            i++;
            double tps = noise(120, 0.15);
            commits += tps * 10;
            rollbacks += noise(1.5, 0.5) * 10;
            double r = noise(80, 0.3) * 10;
            reads += r;
            hits += r * noise(60, 0.1);
            if (rnd.nextInt(200) == 0) {
                temp += noise(20e6, 0.5); // an occasional report sorting on disk
            }
            walBytes += noise(400e3, 0.3) * 10;
            if (i % 30 == 0) {
                timed++;
            }
            calls1 += 10 + rnd.nextInt(6);
            time1 += 12 * noise(2.5, 0.2);
            int c2 = rnd.nextInt(3);
            calls2 += c2;
            time2 += c2 * noise(350, 0.25) * (1 + 0.1 * Math.sin(i / 50.0)); // a slow daily-ish swing
            size += noise(2e3, 0.5) * 10;
            xid += tps * 10;
            dead += noise(25, 0.5) * 10;
            if (dead > 20_000) { // autovacuum triggers near the default 50 + 0.2 * 100k
                dead = noise(300, 0.3);
                avCount++;
                lastAv = t;
            }
            idxScan += rnd.nextInt(4);
            Map<String, String> db = Map.of("datname", "app");
            int conns = 20 + rnd.nextInt(8);
            out.add(snap("pg_stat_activity", t, row(Map.of(), "connections_total", conns, "connections_active",
                    1 + rnd.nextInt(4), "max_connections", 100, "reserved_connections", 3,
                    "oldest_xact_age_seconds", rnd.nextDouble() * 3, "oldest_idle_in_transaction_seconds",
                    rnd.nextInt(10) == 0 ? rnd.nextDouble() * 2 : null, "longest_lock_wait_seconds", null)));
            out.add(snap("pg_stat_database", t, row(db, "xact_commit", Math.floor(commits), "xact_rollback",
                    Math.floor(rollbacks), "blks_hit", Math.floor(hits), "blks_read", Math.floor(reads), "temp_bytes",
                    Math.floor(temp), "temp_files", 0, "deadlocks", 0)));
            out.add(snap("pg_database", t, row(db, "size_bytes", Math.floor(size), "xid_age", Math.floor(xid),
                    "mxid_age", 1200)));
            Snapshot cp = snap("pg_stat_checkpointer", t, row(Map.of(), "num_timed", timed, "num_requested", 2,
                    "num_done", timed + 2));
            cp.setStatsReset(T0 - 86_400_000L);
            out.add(cp);
            out.add(snap("pg_stat_wal", t, row(Map.of(), "wal_bytes", Math.floor(walBytes))));
            out.add(snap("pg_stat_user_tables", t, row(Map.of("datname", "app", "schemaname", "public", "relname",
                    "orders"), "n_dead_tup", Math.floor(dead), "n_live_tup", 100_000, "last_autovacuum",
                    lastAv == 0 ? null : lastAv / 1000.0, "autovacuum_count", avCount, "autovacuum_enabled", 1,
                    "autovacuum_vacuum_threshold", 50, "autovacuum_vacuum_scale_factor", 0.2)));
            out.add(snap("pg_stat_user_indexes", t, row(Map.of("datname", "app", "schemaname", "public", "relname",
                    "orders", "indexrelname", "orders_pkey"), "idx_scan", idxScan, "index_size_bytes", 30e6,
                    "is_unique", 1, "is_primary", 1)));
            out.add(snap("pg_sequences", t, row(Map.of("datname", "app", "schemaname", "public", "sequencename",
                    "orders_id_seq"), "last_value", 1e6, "max_value", 9.2e18, "used_ratio", 1e-13)));
            out.add(snap("pg_stat_replication", t, row(Map.of("application_name", "standby1", "client_addr",
                    "10.0.0.2", "state", "streaming"), "replay_lag_seconds", rnd.nextDouble() * 0.5,
                    "replay_lag_bytes", noise(50e3, 0.5))));
            out.add(snap("pg_replication_slots", t, row(Map.of("slot_name", "standby1", "slot_type", "physical"),
                    "active", 1, "retained_wal_bytes", noise(1e6, 0.5))));
            if (rnd.nextInt(50) == 0) { // a short row-lock wait now and then
                out.add(snap("pg_locks", t, row(Map.of("blocker_pid", String.valueOf(1000 + rnd.nextInt(500)),
                        "datname", "app", "blocker_state", "active", "blocker_query_id", "77"), "waiters", 1,
                        "longest_wait_seconds", rnd.nextDouble(), "blocker_xact_age_seconds", 0.5)));
            } else {
                out.add(snap("pg_locks", t));
            }
            out.add(snap("pg_stat_statements", t,
                    row(Map.of("queryid", "101", "datname", "app", "rolname", "web", "toplevel", "true"), "calls",
                            calls1, "total_exec_time", time1),
                    row(Map.of("queryid", "202", "datname", "app", "rolname", "report", "toplevel", "true"), "calls",
                            calls2, "total_exec_time", time2),
                    row(Map.of("queryid", "other", "datname", "", "rolname", "", "toplevel", ""), "calls", calls1 * 3,
                            "total_exec_time", time1 * 2)));
            out.add(snap(MetricCatalog.COLLECTOR_VIEW, t, row(Map.of("probe", ""), "up", 1, "duration_ms",
                    noise(40, 0.2), "error", 0)));
            return out;
        }

        Snapshot snap(String view, long t, dev.datainsight.model.SnapshotRow... rows) {
            return of(instance, view, t + rnd.nextInt(200), rows);
        }
    }

    @Test
    void eightHealthyHours_onThreeServers_pageNobody() throws Exception {
        List<HealthyServer> fleet = List.of(new HealthyServer("pg-a", 1), new HealthyServer("pg-b", 2),
                new HealthyServer("pg-c", 3));
        int snapshots = 0;
        try (RulesHarness h = new RulesHarness(RulesConfig.defaults())) {
            for (long t = T0; t < T0 + 8 * 3_600_000L; t += STEP) {
                for (HealthyServer s : fleet) {
                    for (Snapshot snap : s.at(t)) {
                        h.push(snap);
                        snapshots++;
                    }
                }
            }
            List<AlertEvent> pages = h.pages();
            long info = h.events.stream().filter(a -> a.getSeverity() == Severity.INFO).count();
            System.out.printf("quiet run: %d snapshots, %d evaluations, %d pages, %d info events, %d insights%n",
                    snapshots, h.evaluations.size(), pages.size(), info, h.insights.size());
            assertEquals(List.of(), pages, "a healthy fleet must not page");
            assertTrue(info <= 6, "anomaly should stay rare on noise: " + info);
            assertEquals(List.of(), h.insights);
        }
    }
}
