package dev.datainsight.rules;

import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;

import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.defs.RuleCatalog;
import dev.datainsight.rules.engine.Rule;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Drives one rule through the standard incident: the snapshots it reads at a given level of
 * trouble. Counter-based scenarios keep their cumulative counters, so one instance serves one test.
 */
abstract class Scenario {
    /** How bad the input is at a step. */
    enum Level { HEALTHY, JUST_BELOW, WARNING, CRITICAL }

    static final long FOR_MS = 120_000;
    static final long RESOLVE_FOR_MS = 120_000;

    final String rule;
    long stepMs = 10_000;
    long warmupMs = 10 * 60_000;
    /** Longest time from the input's onset to the condition holding (window effects). */
    long onsetLagMs = 0;
    /** Longest time from the input turning healthy to the condition turning false. */
    long clearLagMs = 0;
    Severity first = Severity.WARNING;
    boolean hasCritical = true;
    String extraYaml = "";
    /** When set, the firing summary must match it (the scenario exercises this path of the rule). */
    String summaryPattern;

    Scenario(String rule) {
        this.rule = rule;
    }

    abstract List<Snapshot> at(long t, Level level);

    String yaml() {
        StringBuilder sb = new StringBuilder("rules:\n");
        for (Rule r : RuleCatalog.all()) {
            if (!r.name().equals(rule)) {
                sb.append("  ").append(r.name()).append(": {enabled: false}\n");
            }
        }
        sb.append("  ").append(rule).append(":\n    for: 2m\n    resolve_for: 2m\n");
        for (String line : extraYaml.split("\n")) {
            if (!line.isBlank()) {
                sb.append("    ").append(line).append('\n');
            }
        }
        return sb.toString();
    }

    RulesConfig config() {
        return RulesConfig.parse(yaml(), "scenario " + rule);
    }

    @Override
    public String toString() {
        return rule;
    }

    /** Accumulates a fractional per-step increment into a whole counter. */
    static final class Counter {
        double acc;

        double add(double perStep) {
            acc += perStep;
            return Math.floor(acc);
        }
    }

    // ------------------------------------------------------------------ the scenarios

    static List<Supplier<Scenario>> all() {
        return List.of(Scenario::pipelineRestarting,
                Scenario::connectionSaturation, Scenario::idleInTransaction, Scenario::longTransaction,
                Scenario::xidWraparound, Scenario::lockContention, Scenario::lockWaits, Scenario::deadlocks, Scenario::cacheHitRatio,
                Scenario::tempSpill, Scenario::checkpointSpike, Scenario::autovacuumLag, Scenario::dbGrowth,
                Scenario::slowQuery, Scenario::queryRegression, Scenario::replicationLag, Scenario::instanceDown,
                Scenario::anomaly, Scenario::xminHorizon, Scenario::replicationSlot, Scenario::archiverFailing,
                Scenario::checksumFailures, Scenario::serverRestarted, Scenario::tableFreezeAge,
                Scenario::walReadyBacklog, Scenario::walDirGrowth, Scenario::sessionsFatalKilled, Scenario::recoveryConflicts,
                Scenario::roleChanged, Scenario::standbyMissing, Scenario::walRateSpike, Scenario::walRateSpikeDaily, Scenario::lockTableFill,
                Scenario::pgssDealloc);
    }

    /**
     * The job's self-health row: restarts counted over a 5 min window (here), more than 3 fire. Just
     * below = one restart every 110 s (at most 3 in any 5 min + one step), warning = one per 30 s.
     */
    static Scenario pipelineRestarting() {
        Scenario s = new Scenario("pipeline_restarting") {
            final Counter restarts = new Counter();

            @Override
            List<Snapshot> at(long t, Level l) {
                double per = switch (l) {
                    case HEALTHY -> 0;
                    case JUST_BELOW -> 1.0 / 11;
                    case WARNING, CRITICAL -> 1.0 / 3;
                };
                return List.of(dev.datainsight.rules.engine.PipelineHealthFunction.row(t, (int) restarts.add(per)));
            }
        };
        s.extraYaml = "window: 5m";
        s.first = Severity.CRITICAL;
        s.hasCritical = false;
        s.onsetLagMs = 130_000;
        s.clearLagMs = 5 * 60_000 + 20_000;
        return s;
    }

    static Scenario connectionSaturation() {
        return new Scenario("connection_saturation") {
            @Override
            List<Snapshot> at(long t, Level l) {
                double share = switch (l) {
                    case HEALTHY -> 0.30;
                    case JUST_BELOW -> 0.79;
                    case WARNING -> 0.85;
                    case CRITICAL -> 0.97;
                };
                return List.of(of("pg_stat_activity", t, row(Map.of(), "connections_total", share * 97,
                        "max_connections", 100, "reserved_connections", 3)));
            }
        };
    }

    static Scenario idleInTransaction() {
        return new Scenario("idle_in_transaction") {
            @Override
            List<Snapshot> at(long t, Level l) {
                double secs = switch (l) {
                    case HEALTHY -> 2;
                    case JUST_BELOW -> 295;
                    case WARNING -> 400;
                    case CRITICAL -> 1000;
                };
                return List.of(of("pg_stat_activity", t, row(Map.of(), "oldest_idle_in_transaction_seconds", secs,
                        "connections_idle_in_transaction", 1)));
            }
        };
    }

    static Scenario longTransaction() {
        return new Scenario("long_transaction") {
            @Override
            List<Snapshot> at(long t, Level l) {
                double secs = switch (l) {
                    case HEALTHY -> 1;
                    case JUST_BELOW -> 295;
                    case WARNING -> 400;
                    case CRITICAL -> 2000;
                };
                return List.of(of("pg_stat_activity", t, row(Map.of(), "oldest_xact_age_seconds", secs)));
            }
        };
    }

    static Scenario xidWraparound() {
        return new Scenario("xid_wraparound") {
            @Override
            List<Snapshot> at(long t, Level l) {
                double share = switch (l) {
                    case HEALTHY -> 0.05;
                    case JUST_BELOW -> 0.49;
                    case WARNING -> 0.6;
                    case CRITICAL -> 0.8;
                };
                return List.of(of("pg_database", t, row(Map.of("datname", "app"), "size_bytes", 1e9,
                        "xid_age", share * 2147483648.0, "mxid_age", 1000)));
            }
        };
    }

    static Scenario lockContention() {
        return new Scenario("lock_contention") {
            @Override
            List<Snapshot> at(long t, Level l) {
                if (l == Level.HEALTHY) {
                    return List.of(of("pg_locks", t));
                }
                double waiters = switch (l) {
                    case JUST_BELOW -> 2;
                    case WARNING -> 4;
                    default -> 12;
                };
                return List.of(of("pg_locks", t, row(Map.of("blocker_pid", "4242", "datname", "app",
                        "blocker_state", "idle in transaction", "blocker_query_id", "-8812"), "waiters", waiters,
                        "longest_wait_seconds", 20, "blocker_xact_age_seconds", 90)));
            }
        };
    }

    /** Sessions waiting on locks instance-wide, counted while the longest wait is above 10 s. */
    static Scenario lockWaits() {
        return new Scenario("lock_waits") {
            @Override
            List<Snapshot> at(long t, Level l) {
                double waiting = switch (l) {
                    case HEALTHY -> 0;
                    case JUST_BELOW -> 2;
                    case WARNING -> 4;
                    case CRITICAL -> 12;
                };
                return List.of(of("pg_stat_activity", t, row(Map.of(), "connections_waiting_lock", waiting,
                        "longest_lock_wait_seconds", waiting == 0 ? 0 : 25)));
            }
        };
    }

    static Scenario deadlocks() {
        Scenario s = new Scenario("deadlocks") {
            final Counter c = new Counter();

            @Override
            List<Snapshot> at(long t, Level l) {
                // per 10 s step: just below = 0.8/min, warning = 2/min (over the 5 min window), critical = 12/min
                double per = switch (l) {
                    case HEALTHY -> 0;
                    case JUST_BELOW -> 0.8 / 6;
                    case WARNING -> 1.0 / 3;
                    case CRITICAL -> 2;
                };
                return List.of(of("pg_stat_database", t, row(Map.of("datname", "app"), "deadlocks", c.add(per))));
            }
        };
        s.onsetLagMs = 3 * 60_000;
        s.clearLagMs = 5 * 60_000;
        return s;
    }

    static Scenario cacheHitRatio() {
        Scenario s = new Scenario("cache_hit_ratio") {
            double hits;
            double reads;

            @Override
            List<Snapshot> at(long t, Level l) {
                double ratio = switch (l) {
                    case HEALTHY -> 0.99;
                    case JUST_BELOW -> 0.91;
                    case WARNING -> 0.85;
                    case CRITICAL -> 0.70;
                };
                reads += 4000; // 120,000 per 5 min: above the 100,000-block floor
                hits += 4000 * ratio / (1 - ratio);
                return List.of(of("pg_stat_database", t, row(Map.of("datname", "app"), "blks_hit", Math.floor(hits),
                        "blks_read", reads)));
            }
        };
        s.extraYaml = "critical: 0.80"; // off by default; the battery checks the escalation
        s.onsetLagMs = 5 * 60_000;
        s.clearLagMs = 5 * 60_000;
        return s;
    }

    static Scenario tempSpill() {
        Scenario s = new Scenario("temp_spill") {
            double bytes;

            @Override
            List<Snapshot> at(long t, Level l) {
                double mbPerMin = switch (l) {
                    case HEALTHY -> 0;
                    case JUST_BELOW -> 90;
                    case WARNING -> 150;
                    case CRITICAL -> 700;
                };
                bytes += mbPerMin * 1024 * 1024 / 6;
                return List.of(of("pg_stat_database", t, row(Map.of("datname", "app"), "temp_bytes", bytes)));
            }
        };
        s.extraYaml = "critical: 500MB";
        s.onsetLagMs = 60_000;
        s.clearLagMs = 60_000;
        return s;
    }

    static Scenario checkpointSpike() {
        Scenario s = new Scenario("checkpoint_spike") {
            final Counter timed = new Counter();
            final Counter requested = new Counter();

            @Override
            List<Snapshot> at(long t, Level l) {
                double per = switch (l) {
                    case HEALTHY -> 0;
                    case JUST_BELOW -> 1.0 / 30; // as many requested as timed: share 0.5, not above
                    case WARNING -> 1.0 / 6;
                    case CRITICAL -> 1;
                };
                Snapshot snap = of("pg_stat_checkpointer", t, row(Map.of(), "num_timed", timed.add(1.0 / 30),
                        "num_requested", requested.add(per), "num_done", timed.acc + requested.acc));
                snap.setStatsReset(1_000L);
                return List.of(snap);
            }
        };
        s.extraYaml = "critical: 0.9";
        s.warmupMs = 20 * 60_000;
        s.onsetLagMs = 5 * 60_000;
        s.clearLagMs = 15 * 60_000;
        return s;
    }

    static Scenario autovacuumLag() {
        return new Scenario("autovacuum_lag") {
            @Override
            List<Snapshot> at(long t, Level l) {
                double dead = switch (l) {
                    case HEALTHY -> 1000;
                    case JUST_BELOW -> 11000; // 9.9 % dead: past the trigger, below the warning ratio
                    case WARNING -> 20000;
                    case CRITICAL -> 120000;
                };
                return List.of(of("pg_stat_user_tables", t, row(
                        Map.of("datname", "app", "schemaname", "public", "relname", "orders"), "n_dead_tup", dead,
                        "n_live_tup", 100000, "last_autovacuum", null, "autovacuum_count", 0, "autovacuum_enabled", 0,
                        "autovacuum_vacuum_threshold", 50, "autovacuum_vacuum_scale_factor", 0.05)));
            }
        };
    }

    static Scenario dbGrowth() {
        Scenario s = new Scenario("db_growth") {
            double size = 10e9;

            @Override
            List<Snapshot> at(long t, Level l) {
                double perHour = switch (l) {
                    case HEALTHY -> 0.001e9;
                    case JUST_BELOW -> 0.6e9;
                    case WARNING -> 1.5e9;
                    case CRITICAL -> 6e9;
                };
                size += perHour * stepMs / 3_600_000.0;
                return List.of(of("pg_database", t, row(Map.of("datname", "app"), "size_bytes", size,
                        "xid_age", 1e6, "mxid_age", 10)));
            }
        };
        s.stepMs = 60_000;
        s.extraYaml = "window: 2h\nsample_every: 10m\nmin_history: 1h\ncritical: 0.5";
        s.warmupMs = 3 * 3_600_000L;
        s.onsetLagMs = 2 * 3_600_000L;
        s.clearLagMs = 2 * 3_600_000L + 10 * 60_000;
        return s;
    }

    static Scenario slowQuery() {
        Scenario s = new Scenario("slow_query") {
            double calls;
            double time;

            @Override
            List<Snapshot> at(long t, Level l) {
                double mean = switch (l) {
                    case HEALTHY -> 50;
                    case JUST_BELOW -> 2900;
                    case WARNING -> 4000;
                    case CRITICAL -> 15000;
                };
                calls += 5;
                time += 5 * mean;
                return List.of(of("pg_stat_statements", t,
                        row(Map.of("queryid", "42", "datname", "app", "rolname", "web", "toplevel", "true"),
                                "calls", calls, "total_exec_time", time),
                        row(Map.of("queryid", "other", "datname", "", "rolname", "", "toplevel", ""),
                                "calls", calls * 10, "total_exec_time", time * 100)));
            }
        };
        s.extraYaml = "critical: 10000";
        s.onsetLagMs = 5 * 60_000;
        s.clearLagMs = 5 * 60_000;
        return s;
    }

    static Scenario queryRegression() {
        Scenario s = new Scenario("query_regression") {
            double calls;
            double time;

            @Override
            List<Snapshot> at(long t, Level l) {
                double mean = switch (l) {
                    case HEALTHY -> 200;
                    case JUST_BELOW -> 390;
                    case WARNING -> 700;
                    case CRITICAL -> 1500;
                };
                calls += 5;
                time += 5 * mean;
                return List.of(of("pg_stat_statements", t,
                        row(Map.of("queryid", "77", "datname", "app", "rolname", "web", "toplevel", "true"),
                                "calls", calls, "total_exec_time", time)));
            }
        };
        s.extraYaml = "critical: 5\nmin_baseline: 20m"; // the baseline's minimum age is not under test
        s.warmupMs = 30 * 60_000;
        s.onsetLagMs = 15 * 60_000;
        s.clearLagMs = 15 * 60_000;
        return s;
    }

    static Scenario replicationLag() {
        return new Scenario("replication_lag") {
            @Override
            List<Snapshot> at(long t, Level l) {
                double secs = switch (l) {
                    case HEALTHY -> 0.5;
                    case JUST_BELOW -> 29;
                    case WARNING -> 60;
                    case CRITICAL -> 400;
                };
                return List.of(of("pg_stat_replication", t, row(Map.of("application_name", "standby1",
                        "client_addr", "10.0.0.2", "state", "streaming"), "replay_lag_seconds", secs,
                        "replay_lag_bytes", 1e6)));
            }
        };
    }

    static Scenario instanceDown() {
        Scenario s = new Scenario("instance_down") {
            @Override
            List<Snapshot> at(long t, Level l) {
                return List.of(Snapshots.up(t, l == Level.WARNING || l == Level.CRITICAL ? 0 : 1));
            }
        };
        s.first = Severity.CRITICAL;
        s.hasCritical = false;
        return s;
    }

    static Scenario anomaly() {
        Scenario s = new Scenario("anomaly") {
            int i;

            @Override
            List<Snapshot> at(long t, Level l) {
                double base = 20 + (i++ % 3) - 1; // 19, 20, 21, ...
                double c = switch (l) {
                    case HEALTHY -> base;
                    case JUST_BELOW -> 29;
                    default -> 45;
                };
                return List.of(of("pg_stat_activity", t, row(Map.of(), "connections_total", c)));
            }
        };
        s.first = Severity.INFO;
        s.hasCritical = false;
        s.warmupMs = 2 * 3_600_000L;
        s.onsetLagMs = 30_000;
        s.clearLagMs = 30_000;
        return s;
    }

    static Scenario xminHorizon() {
        return new Scenario("xmin_horizon") {
            @Override
            List<Snapshot> at(long t, Level l) {
                double age = switch (l) {
                    case HEALTHY -> 2e6;
                    case JUST_BELOW -> 99e6;
                    case WARNING -> 150e6;
                    case CRITICAL -> 300e6;
                };
                return List.of(of("xmin_horizon", t, row(Map.of(), "horizon_age", age, "holder", 3,
                        "holder_pid", null)));
            }
        };
    }

    /** An inactive slot retaining WAL: just below 1 GB, 2 GB (warning), 20 GB (critical). */
    static Scenario replicationSlot() {
        return new Scenario("replication_slot") {
            @Override
            List<Snapshot> at(long t, Level l) {
                double gb = 1024.0 * 1024 * 1024;
                double retained = switch (l) {
                    case HEALTHY -> 0.1 * gb;
                    case JUST_BELOW -> 0.99 * gb;
                    case WARNING -> 2 * gb;
                    case CRITICAL -> 20 * gb;
                };
                return List.of(of("pg_replication_slots", t, row(Map.of("slot_name", "cdc", "slot_type", "logical"),
                        "active", l == Level.HEALTHY ? 1 : 0, "retained_wal_bytes", retained, "wal_status", 0,
                        "lost", 0, "safe_wal_size_bytes", null, "inactive_seconds", 600)));
            }
        };
    }

    /** failed_count rising every step (critical); just below = segments ready, last archive 50 min old. */
    static Scenario archiverFailing() {
        Scenario s = new Scenario("archiver_failing") {
            final Counter failed = new Counter();

            @Override
            List<Snapshot> at(long t, Level l) {
                boolean failing = l == Level.WARNING || l == Level.CRITICAL;
                return List.of(of("pg_stat_archiver", t, row(Map.of(), "archived_count", 100, "failed_count",
                        failed.add(failing ? 1 : 0), "last_archived_age_seconds", l == Level.HEALTHY ? 30 : 3000,
                        "ready_count", l == Level.HEALTHY ? 0 : 12)));
            }
        };
        s.extraYaml = "window: 5m";
        s.first = Severity.CRITICAL;
        s.hasCritical = false;
        s.clearLagMs = 5 * 60_000;
        return s;
    }

    static Scenario checksumFailures() {
        Scenario s = new Scenario("checksum_failures") {
            final Counter c = new Counter();

            @Override
            List<Snapshot> at(long t, Level l) {
                boolean bad = l == Level.WARNING || l == Level.CRITICAL;
                return List.of(of("pg_stat_database", t, row(Map.of("datname", "app"), "deadlocks", 0,
                        "checksum_failures", c.add(bad ? 1 : 0))));
            }
        };
        s.extraYaml = "hold: 5m";
        s.first = Severity.CRITICAL;
        s.hasCritical = false;
        s.clearLagMs = 5 * 60_000;
        return s;
    }

    /** Warning level: the start time moves every step (a restart loop). */
    static Scenario serverRestarted() {
        Scenario s = new Scenario("server_restarted") {
            double start = 1_600_000_000;

            @Override
            List<Snapshot> at(long t, Level l) {
                if (l == Level.WARNING || l == Level.CRITICAL) {
                    start = t / 1000 - 5;
                }
                return List.of(of("pg_settings", t, row(Map.of(), "max_connections", 100,
                        "server_start_epoch", start)));
            }
        };
        s.extraYaml = "hold: 5m";
        s.hasCritical = false;
        s.clearLagMs = 5 * 60_000;
        return s;
    }

    /** The TOAST table ages past the default autovacuum_freeze_max_age (200M, settings not sent). */
    static Scenario tableFreezeAge() {
        return new Scenario("table_freeze_age") {
            @Override
            List<Snapshot> at(long t, Level l) {
                double toast = switch (l) {
                    case HEALTHY -> 150e6;
                    case JUST_BELOW -> 299e6;
                    case WARNING -> 400e6;
                    case CRITICAL -> 900e6;
                };
                return List.of(of("pg_stat_user_tables", t, row(
                        Map.of("datname", "app", "schemaname", "public", "relname", "orders"), "relfrozenxid_age",
                        100e6, "toast_relfrozenxid_age", toast, "vacuum_running", 0)));
            }
        };
    }

    static Scenario walReadyBacklog() {
        return new Scenario("wal_ready_backlog") {
            @Override
            List<Snapshot> at(long t, Level l) {
                double ready = switch (l) {
                    case HEALTHY -> 1;
                    case JUST_BELOW -> 128;
                    case WARNING -> 300;
                    case CRITICAL -> 2000;
                };
                return List.of(of("pg_stat_archiver", t, row(Map.of(), "failed_count", 0, "ready_count", ready,
                        "wal_dir_bytes", (ready + 60) * 16 * 1024 * 1024)));
            }
        };
    }

    /**
     * pg_wal (2 GB, above the default 1 GB max_wal_size) growing at the archiver probe's 60 s
     * cycle, no .ready backlog: just below = 0.9 GB per 15 min, warning = 2 GB per 15 min,
     * critical = 3 GB a minute into a 100 GB wal_dir_limit (less than the 1 h growth_critical_within
     * left). The level series (ready_count 0) stays quiet throughout.
     */
    static Scenario walDirGrowth() {
        Scenario s = new Scenario("wal_ready_backlog") {
            double dir = 2.0 * 1024 * 1024 * 1024;

            @Override
            List<Snapshot> at(long t, Level l) {
                double gbPerMin = switch (l) {
                    case HEALTHY -> 0;
                    case JUST_BELOW -> 0.9 / 15;
                    case WARNING -> 2.0 / 15;
                    case CRITICAL -> 3;
                };
                dir += gbPerMin * 1024 * 1024 * 1024 * stepMs / 60_000.0;
                return List.of(of("pg_stat_archiver", t, row(Map.of(), "failed_count", 0, "ready_count", 0,
                        "wal_dir_bytes", dir)));
            }
        };
        s.stepMs = 60_000;
        s.extraYaml = "wal_dir_limit: 100GB";
        s.summaryPattern = "pg_wal grows by .* past max_wal_size 1GB; at this rate it reaches 100GB \\(wal_dir_limit\\) in .*";
        s.onsetLagMs = 15 * 60_000;
        s.clearLagMs = 6 * 60_000;
        return s;
    }

    /** Per 10 s step: just below = 7.5 per 5 min bucket, warning = 30, critical = 90. */
    static Scenario sessionsFatalKilled() {
        Scenario s = new Scenario("sessions_fatal_killed") {
            final Counter fatal = new Counter();
            final Counter killed = new Counter();

            @Override
            List<Snapshot> at(long t, Level l) {
                double per = switch (l) {
                    case HEALTHY -> 0;
                    case JUST_BELOW -> 0.25;
                    case WARNING -> 1;
                    case CRITICAL -> 3;
                };
                return List.of(of("pg_stat_database", t, row(Map.of("datname", "app"), "deadlocks", 0,
                        "sessions_fatal", fatal.add(per / 2), "sessions_killed", killed.add(per / 2))));
            }
        };
        s.onsetLagMs = 5 * 60_000;
        s.clearLagMs = 10 * 60_000;
        return s;
    }

    /** Per 10 s step: just below = 4 per 10 min bucket, warning = 30. */
    static Scenario recoveryConflicts() {
        Scenario s = new Scenario("recovery_conflicts") {
            final Counter snapshot = new Counter();

            @Override
            List<Snapshot> at(long t, Level l) {
                double per = switch (l) {
                    case HEALTHY -> 0;
                    case JUST_BELOW -> 4.0 / 60; // a bucket spans the window plus one step
                    case WARNING, CRITICAL -> 0.5;
                };
                return List.of(of("pg_stat_database_conflicts", t, row(Map.of("datname", "app"), "confl_snapshot",
                        snapshot.add(per), "confl_lock", 0, "confl_bufferpin", 0, "confl_deadlock", 0,
                        "confl_tablespace", 0)));
            }
        };
        s.hasCritical = false;
        s.onsetLagMs = 5 * 60_000;
        s.clearLagMs = 20 * 60_000;
        return s;
    }

    /**
     * The health row's identity. Warning level: the role flips every step (a failover loop); just
     * below: the same identity with the timeline unknown (null), which is not a change.
     */
    static Scenario roleChanged() {
        Scenario s = new Scenario("role_changed") {
            int flips;

            @Override
            List<Snapshot> at(long t, Level l) {
                boolean bad = l == Level.WARNING || l == Level.CRITICAL;
                double inRecovery = bad ? (flips++ % 2 == 0 ? 0 : 1) : 1;
                return List.of(of(collectorView(), t, row(Map.of("probe", ""), "up", 1,
                        "system_identifier_high", 1_702_000_000, "system_identifier_low", 123_456,
                        "in_recovery", inRecovery, "timeline_id", l == Level.JUST_BELOW ? null : 3)));
            }
        };
        s.extraYaml = "hold: 5m";
        s.first = Severity.CRITICAL;
        s.hasCritical = false;
        s.clearLagMs = 5 * 60_000;
        return s;
    }

    /**
     * Two standbys left at the default name (walreceiver) on one host, as the collector sends them
     * (its {@code " [pid N]"} suffix tells them apart), learnt during the warm-up; warning level:
     * one of them gone (the other then has no suffix). Just below: both there, one of them
     * reconnected with a new pid every step and catching up, beside a base backup's sender and a
     * logical walsender (neither counts).
     */
    static Scenario standbyMissing() {
        Scenario s = new Scenario("standby_missing") {
            int reconnects;

            @Override
            List<Snapshot> at(long t, Level l) {
                List<dev.datainsight.model.SnapshotRow> rows = new java.util.ArrayList<>();
                boolean both = l == Level.HEALTHY || l == Level.JUST_BELOW;
                rows.add(row(Map.of("application_name", both ? "walreceiver [pid 101]" : "walreceiver", "client_addr",
                        "10.0.0.2", "state", "streaming"), "pid", 101, "replay_lag_seconds", 0.1, "replay_lag_bytes", 0,
                        "logical", 0));
                if (both) {
                    int pid = l == Level.JUST_BELOW ? 200 + reconnects++ : 102;
                    rows.add(row(Map.of("application_name", "walreceiver [pid " + pid + "]", "client_addr", "10.0.0.2",
                            "state", l == Level.JUST_BELOW ? "catchup" : "streaming"), "pid", pid,
                            "replay_lag_seconds", 0.1, "replay_lag_bytes", 0, "logical", 0));
                }
                if (l != Level.HEALTHY) {
                    rows.add(row(Map.of("application_name", "walreceiver", "client_addr", "10.0.0.9", "state",
                            "backup"), "pid", 103, "logical", 0));
                    rows.add(row(Map.of("application_name", "cdc", "client_addr", "10.0.0.7", "state", "streaming"),
                            "pid", 104, "logical", 1));
                }
                return List.of(of("pg_stat_replication", t, rows.toArray(new dev.datainsight.model.SnapshotRow[0])));
            }
        };
        s.extraYaml = "learn_after: 5m";
        s.first = Severity.CRITICAL;
        s.hasCritical = false;
        return s;
    }

    /**
     * WAL at 2 MB/s for the warm-up (the baseline), 30 s steps: just below = 7 MB/s (3.5x, above
     * the 5 MB/s floor), warning = 16 MB/s (8x), critical = 40 MB/s (20x).
     */
    static Scenario walRateSpike() {
        Scenario s = new Scenario("wal_rate_spike") {
            double wal = 1e9;

            @Override
            List<Snapshot> at(long t, Level l) {
                double mbPerSec = switch (l) {
                    case HEALTHY -> 2;
                    case JUST_BELOW -> 7;
                    case WARNING -> 16;
                    case CRITICAL -> 40;
                };
                wal += mbPerSec * 1024 * 1024 * stepMs / 1000.0;
                return List.of(of("pg_stat_wal", t, row(Map.of(), "wal_records", wal / 100, "wal_bytes", wal)));
            }
        };
        s.stepMs = 30_000;
        s.extraYaml = "baseline_warmup: 30m"; // the warm-up's length is not under test: 2 h of steps cost 4x this
        s.summaryPattern = ".*x its baseline of .*";
        s.warmupMs = 40 * 60_000L;
        s.onsetLagMs = 10 * 60_000;
        s.clearLagMs = 10 * 60_000;
        return s;
    }

    /**
     * The same against the hour-of-day baseline: the first step brings three days of history
     * (one sample every 20 min at 2 MB/s, as if the job had run since), so the hours the test runs
     * in have their slot (daily_min_days: 1, as 20 min samples cover half of each hour) and the
     * warm-up is short. A slot holds still while its hour is on: the lifecycle sees a fixed
     * baseline, as with the global one.
     */
    static Scenario walRateSpikeDaily() {
        Scenario s = new Scenario("wal_rate_spike") {
            double wal = 1e9;
            boolean first = true;

            @Override
            List<Snapshot> at(long t, Level l) {
                List<Snapshot> out = new java.util.ArrayList<>();
                if (first) {
                    first = false;
                    long step = 20 * 60_000L;
                    for (long h = t - 3 * 24 * 3_600_000L; h < t; h += step) {
                        wal += 2 * 1024 * 1024 * step / 1000.0;
                        out.add(of("pg_stat_wal", h, row(Map.of(), "wal_records", wal / 100, "wal_bytes", wal)));
                    }
                }
                double mbPerSec = switch (l) {
                    case HEALTHY -> 2;
                    case JUST_BELOW -> 7;
                    case WARNING -> 16;
                    case CRITICAL -> 40;
                };
                wal += mbPerSec * 1024 * 1024 * stepMs / 1000.0;
                out.add(of("pg_stat_wal", t, row(Map.of(), "wal_records", wal / 100, "wal_bytes", wal)));
                return out;
            }
        };
        s.stepMs = 30_000;
        s.extraYaml = "daily_min_days: 1";
        s.summaryPattern = ".*x the 2[23]:00-(23|00):00 UTC baseline of 2MB/s";
        s.warmupMs = 10 * 60_000L;
        s.onsetLagMs = 10 * 60_000;
        s.clearLagMs = 10 * 60_000;
        return s;
    }

    static Scenario lockTableFill() {
        return new Scenario("lock_table_fill") {
            @Override
            List<Snapshot> at(long t, Level l) {
                double share = switch (l) {
                    case HEALTHY -> 0.02;
                    case JUST_BELOW -> 0.49;
                    case WARNING -> 0.6;
                    case CRITICAL -> 0.9;
                };
                return List.of(of("pg_stat_activity", t, row(Map.of(), "connections_total", 10, "max_connections", 100,
                        "locks_held", Math.round(share * 6400), "lock_table_slots", 6400)));
            }
        };
    }

    /** dealloc rising every step at warning level; just below = the table near its max, nothing evicted. */
    static Scenario pgssDealloc() {
        Scenario s = new Scenario("pgss_dealloc") {
            final Counter dealloc = new Counter();

            @Override
            List<Snapshot> at(long t, Level l) {
                boolean evicting = l == Level.WARNING || l == Level.CRITICAL;
                return List.of(of("pg_stat_statements_info", t, row(Map.of(), "dealloc",
                        dealloc.add(evicting ? 1 : 0), "max_entries", 5000)));
            }
        };
        s.extraYaml = "window: 5m";
        s.hasCritical = false;
        s.clearLagMs = 5 * 60_000;
        return s;
    }

    static String collectorView() {
        return MetricCatalog.COLLECTOR_VIEW;
    }
}
