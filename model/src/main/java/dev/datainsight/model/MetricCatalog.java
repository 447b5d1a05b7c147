package dev.datainsight.model;

import static dev.datainsight.model.Column.counter;
import static dev.datainsight.model.Column.gauge;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The vocabulary shared by the collector and the job: every view DataInsight ships, its row labels
 * and its columns with kind (counter or gauge) and unit. Column names are PostgreSQL 17+ names;
 * the collector maps older versions onto them. Derived values the collector computes (ages, sizes,
 * effective settings) are gauges named for what they measure.
 *
 * <p>The list of metric names is pinned by a test, so a rename is always deliberate.
 */
public final class MetricCatalog {

    /** Pseudo-view carrying the collector's own health for one server and cycle. */
    public static final String COLLECTOR_VIEW = "datainsight_collector";

    private static final Map<String, ViewDef> VIEWS;

    static {
        List<ViewDef> v = new ArrayList<>();

        v.add(metrics("pg_stat_activity", List.of(),
                gauge("connections_total", "count"),
                gauge("connections_active", "count"),
                gauge("connections_idle", "count"),
                gauge("connections_idle_in_transaction", "count"),
                gauge("connections_idle_in_transaction_aborted", "count"),
                gauge("connections_waiting_lock", "count"),
                gauge("connections_waiting_other", "count"),
                gauge("autovacuum_workers", "count"),
                gauge("max_connections", "count"),
                gauge("reserved_connections", "count"),
                gauge("oldest_xact_age_seconds", "seconds"),
                gauge("oldest_autovacuum_xact_age_seconds", "seconds"),
                gauge("oldest_idle_in_transaction_seconds", "seconds"),
                gauge("longest_lock_wait_seconds", "seconds"),
                gauge("longest_running_query_seconds", "seconds"),
                gauge("collector_connections", "count"),
                // Added later: pg_locks rows in the shared lock table (not fast-path, not
                // SIReadLock) and its size, max_locks_per_transaction × (max_connections +
                // max_prepared_transactions).
                gauge("locks_held", "count"),
                gauge("lock_table_slots", "count")));

        // Detail views (no rollup series, see ViewDef#isDetail): emitted before pg_stat_activity
        // and pg_locks in the same cycle, so the rules can name who is behind an aggregate.
        // At most 20 sessions per cycle: every root blocker, then its waiters, then sessions idle
        // in transaction past a floor, then the oldest transactions. "reasons" is a comma-joined
        // subset of blocker, waiter, idle_in_transaction, oldest_xact. query is the start of
        // pg_stat_activity.query (not normalized: truncated, control characters stripped; empty
        // when the fleet turns session query text off). The collector's own sessions are never
        // listed (pg_stat_activity.collector_connections counts them).
        v.add(detail("pg_stat_activity_sessions", List.of("pid", "reasons", "datname", "usename", "application_name",
                        "client_addr", "backend_type", "state", "wait_event_type", "wait_event", "query_id", "query",
                        "blocked_by", "lock_mode", "relation"),
                gauge("xact_age_seconds", "seconds"),
                gauge("state_age_seconds", "seconds"),
                gauge("backend_xmin_age", "xids"),
                gauge("lock_wait_seconds", "seconds"),
                gauge("waiters", "count"),
                gauge("longest_wait_seconds", "seconds")));

        // Client connections grouped by (usename, application_name, client_addr, state), the
        // largest groups first, at most 10 rows per cycle plus one row with application_name
        // "(other)" summing the rest. Detail: no rollup series.
        v.add(detail("pg_stat_activity_connections", List.of("usename", "application_name", "client_addr", "state"),
                gauge("connections", "count"),
                gauge("oldest_state_age_seconds", "seconds")));

        // Root blockers from pg_blocking_pids(): one row per session that blocks others and is not
        // itself waiting on a lock. No rows when nothing is blocked.
        v.add(metrics("pg_locks", List.of("blocker_pid", "datname", "blocker_state", "blocker_query_id"),
                gauge("waiters", "count"),
                gauge("longest_wait_seconds", "seconds"),
                gauge("blocker_xact_age_seconds", "seconds")));

        // What holds the xmin horizon and how old it is (one row, derived from pg_stat_activity,
        // pg_prepared_xacts and pg_replication_slots). holder: 1 session, 2 walsender (standby
        // feedback), 3 prepared transaction, 4 slot xmin, 5 slot catalog_xmin; null when none.
        v.add(metrics("xmin_horizon", List.of(),
                gauge("horizon_age", "xids"),
                gauge("holder", "code"),
                gauge("holder_pid", "id"),
                gauge("holder_xact_age_seconds", "seconds"),
                gauge("backend_xmin_age", "xids"),
                gauge("prepared_xact_age", "xids"),
                gauge("slot_xmin_age", "xids"),
                gauge("slot_catalog_xmin_age", "xids")));

        v.add(metrics("pg_stat_database", List.of("datname"),
                gauge("numbackends", "count"),
                counter("xact_commit", "count"),
                counter("xact_rollback", "count"),
                counter("blks_read", "blocks"),
                counter("blks_hit", "blocks"),
                counter("tup_returned", "count"),
                counter("tup_fetched", "count"),
                counter("tup_inserted", "count"),
                counter("tup_updated", "count"),
                counter("tup_deleted", "count"),
                counter("conflicts", "count"),
                counter("temp_files", "count"),
                counter("temp_bytes", "bytes"),
                counter("deadlocks", "count"),
                counter("blk_read_time", "ms"),
                counter("blk_write_time", "ms"),
                counter("session_time", "ms"),
                counter("active_time", "ms"),
                counter("idle_in_transaction_time", "ms"),
                counter("sessions", "count"),
                counter("sessions_abandoned", "count"),
                counter("sessions_fatal", "count"),
                counter("sessions_killed", "count"),
                // Added later: null when data checksums are off (PostgreSQL returns NULL then).
                counter("checksum_failures", "count")));

        // Queries cancelled on a standby because of recovery (all zero on a primary); one row per
        // database. confl_active_logicalslot 16+.
        v.add(metrics("pg_stat_database_conflicts", List.of("datname"),
                counter("confl_tablespace", "count"),
                counter("confl_lock", "count"),
                counter("confl_snapshot", "count"),
                counter("confl_bufferpin", "count"),
                counter("confl_deadlock", "count"),
                counter("confl_active_logicalslot", "count")));

        // Sizes and freeze ages per database: slower to read, so a probe of their own.
        v.add(metrics("pg_database", List.of("datname"),
                gauge("size_bytes", "bytes"),
                gauge("xid_age", "xids"),
                gauge("mxid_age", "xids"),
                gauge("datconnlimit", "count")));

        // PostgreSQL <= 16 reads pg_stat_bgwriter and renames onto these 17+ names. num_done is
        // checkpoints actually performed only on 18 (pg_stat_checkpointer.num_done). On 13..17 it
        // is timed + requested, an upper bound: num_timed also counts timed checkpoints skipped
        // on an idle server there (the docs were corrected for 17 and older).
        v.add(metrics("pg_stat_checkpointer", List.of(),
                counter("num_timed", "count"),
                counter("num_requested", "count"),
                counter("num_done", "count"),
                counter("restartpoints_timed", "count"),
                counter("restartpoints_req", "count"),
                counter("restartpoints_done", "count"),
                counter("write_time", "ms"),
                counter("sync_time", "ms"),
                counter("buffers_written", "blocks")));

        v.add(metrics("pg_stat_bgwriter", List.of(),
                counter("buffers_clean", "blocks"),
                counter("maxwritten_clean", "count"),
                counter("buffers_alloc", "blocks"),
                counter("buffers_backend", "blocks"),
                counter("buffers_backend_fsync", "count")));

        // Top-N tables per database (pg_stat_user_tables joined with pg_statio_user_tables), with
        // the effective autovacuum trigger (server settings overridden by reloptions).
        v.add(metrics("pg_stat_user_tables", List.of("datname", "schemaname", "relname"),
                counter("seq_scan", "count"),
                counter("seq_tup_read", "count"),
                counter("idx_scan", "count"),
                counter("idx_tup_fetch", "count"),
                counter("n_tup_ins", "count"),
                counter("n_tup_upd", "count"),
                counter("n_tup_del", "count"),
                counter("n_tup_hot_upd", "count"),
                gauge("n_live_tup", "count"),
                gauge("n_dead_tup", "count"),
                gauge("n_mod_since_analyze", "count"),
                counter("vacuum_count", "count"),
                counter("autovacuum_count", "count"),
                counter("analyze_count", "count"),
                counter("autoanalyze_count", "count"),
                gauge("last_vacuum", "epoch_seconds"),
                gauge("last_autovacuum", "epoch_seconds"),
                gauge("last_analyze", "epoch_seconds"),
                gauge("last_autoanalyze", "epoch_seconds"),
                counter("heap_blks_read", "blocks"),
                counter("heap_blks_hit", "blocks"),
                counter("idx_blks_read", "blocks"),
                counter("idx_blks_hit", "blocks"),
                gauge("table_size_bytes", "bytes"),
                gauge("total_size_bytes", "bytes"),
                gauge("relfrozenxid_age", "xids"),
                gauge("autovacuum_enabled", "bool"),
                gauge("autovacuum_vacuum_threshold", "count"),
                gauge("autovacuum_vacuum_scale_factor", "factor"),
                // Added later: rows inserted since the last vacuum (13+), mxid_age(relminmxid), the
                // TOAST table's own age(relfrozenxid) (null without TOAST), and whether a VACUUM
                // (auto or manual) is working on the table now (pg_stat_progress_vacuum).
                gauge("n_ins_since_vacuum", "count"),
                gauge("relminmxid_age", "xids"),
                gauge("toast_relfrozenxid_age", "xids"),
                gauge("vacuum_running", "bool")));

        v.add(metrics("pg_stat_user_indexes", List.of("datname", "schemaname", "relname", "indexrelname"),
                counter("idx_scan", "count"),
                counter("idx_tup_read", "count"),
                counter("idx_tup_fetch", "count"),
                gauge("index_size_bytes", "bytes"),
                gauge("is_unique", "bool"),
                gauge("is_primary", "bool"),
                // Added later: 0 for an invalid index (a failed CREATE INDEX CONCURRENTLY); those rank first.
                gauge("is_valid", "bool")));

        v.add(metrics("pg_sequences", List.of("datname", "schemaname", "sequencename"),
                gauge("last_value", "count"),
                gauge("max_value", "count"),
                gauge("used_ratio", "ratio")));

        v.add(metrics("pg_settings", List.of(),
                gauge("max_connections", "count"),
                gauge("superuser_reserved_connections", "count"),
                gauge("reserved_connections", "count"),
                gauge("max_locks_per_transaction", "count"),
                gauge("autovacuum", "bool"),
                gauge("autovacuum_vacuum_threshold", "count"),
                gauge("autovacuum_vacuum_scale_factor", "factor"),
                gauge("autovacuum_freeze_max_age", "xids"),
                gauge("autovacuum_multixact_freeze_max_age", "xids"),
                gauge("checkpoint_timeout_seconds", "seconds"),
                gauge("max_wal_size_bytes", "bytes"),
                gauge("server_start_epoch", "epoch_seconds"),
                // Added later (an older job ignores them): null max_slot_wal_keep_size_bytes = -1, unlimited.
                gauge("autovacuum_max_workers", "count"),
                gauge("max_wal_senders", "count"),
                gauge("max_replication_slots", "count"),
                gauge("max_slot_wal_keep_size_bytes", "bytes"),
                gauge("hot_standby_feedback", "bool"),
                gauge("track_io_timing", "bool"),
                gauge("block_size_bytes", "bytes"),
                gauge("pending_restart_settings", "count"),
                // 18+: the cap on the dead-tuple trigger (null before 18 and at -1, no cap).
                gauge("autovacuum_vacuum_max_threshold", "count"),
                gauge("max_prepared_transactions", "count")));

        // The settings changed in the configuration and reloaded that take effect only after a
        // restart (pg_settings.pending_restart): one row per such setting, none when there is none.
        v.add(metrics("pg_settings_pending_restart", List.of("name"),
                gauge("pending_restart", "bool")));

        v.add(metrics("pg_stat_replication", List.of("application_name", "client_addr", "state"),
                gauge("write_lag_seconds", "seconds"),
                gauge("flush_lag_seconds", "seconds"),
                gauge("replay_lag_seconds", "seconds"),
                gauge("replay_lag_bytes", "bytes"),
                // Added later: the sender's pid, bytes behind per position, sync_state coded (0 async,
                // 1 potential, 2 sync, 3 quorum), age of its backend_xmin, logical (1: a logical slot).
                gauge("pid", "id"),
                gauge("sent_lag_bytes", "bytes"),
                gauge("write_lag_bytes", "bytes"),
                gauge("flush_lag_bytes", "bytes"),
                gauge("sync_state", "code"),
                gauge("backend_xmin_age", "xids"),
                gauge("logical", "bool")));

        // The standby side, one row on a server in recovery (none on a primary): the WAL
        // receiver's status coded (null: no receiver running, i.e. disconnected; 0 stopped,
        // 1 starting, 2 streaming, 3 waiting, 4 restarting, 5 stopping), received vs replayed WAL,
        // time since the last replayed transaction's commit and since the last message from the
        // primary.
        v.add(metrics("pg_stat_wal_receiver", List.of(),
                gauge("status", "code"),
                gauge("receiver_running", "bool"),
                gauge("receive_replay_lag_bytes", "bytes"),
                gauge("replay_timestamp_age_seconds", "seconds"),
                gauge("last_msg_receipt_age_seconds", "seconds")));

        v.add(metrics("pg_replication_slots", List.of("slot_name", "slot_type"),
                gauge("active", "bool"),
                gauge("retained_wal_bytes", "bytes"),
                // Added later. wal_status coded: 0 reserved, 1 extended, 2 unreserved, 3 lost (null:
                // no WAL reserved, restart_lsn NULL); lost = 1 when the slot can no longer be used
                // (wal_status lost, or 17+ invalidation_reason set, or 16 conflicting); safe_wal_size
                // (null when max_slot_wal_keep_size = -1 or lost; never below 0); ages of xmin and
                // catalog_xmin; seconds since inactive_since (17+). Later still: active_pid, the pid
                // of the WAL sender (or logical consumer) using the slot, to join pg_stat_replication.pid.
                gauge("wal_status", "code"),
                gauge("lost", "bool"),
                gauge("safe_wal_size_bytes", "bytes"),
                gauge("xmin_age", "xids"),
                gauge("catalog_xmin_age", "xids"),
                gauge("inactive_seconds", "seconds"),
                gauge("active_pid", "id")));

        // PostgreSQL 14+. On 18 wal_write/wal_sync and their times moved to pg_stat_io
        // (object 'wal'); the collector reads them there and keeps these names.
        v.add(metrics("pg_stat_wal", List.of(),
                counter("wal_records", "count"),
                counter("wal_fpi", "count"),
                counter("wal_bytes", "bytes"),
                counter("wal_buffers_full", "count"),
                counter("wal_write", "count"),
                counter("wal_sync", "count"),
                counter("wal_write_time", "ms"),
                counter("wal_sync_time", "ms")));

        // PostgreSQL 16+.
        v.add(metrics("pg_stat_io", List.of("backend_type", "object", "context"),
                counter("reads", "count"),
                counter("read_time", "ms"),
                counter("writes", "count"),
                counter("write_time", "ms"),
                counter("writebacks", "count"),
                counter("extends", "count"),
                counter("hits", "count"),
                counter("evictions", "count"),
                counter("reuses", "count"),
                counter("fsyncs", "count"),
                counter("fsync_time", "ms")));

        v.add(metrics("pg_stat_archiver", List.of(),
                counter("archived_count", "count"),
                counter("failed_count", "count"),
                gauge("last_archived_age_seconds", "seconds"),
                gauge("last_failed_age_seconds", "seconds"),
                // Added later: WAL segments waiting to be archived (.ready files in
                // pg_wal/archive_status) and the WAL directory's files and bytes (pg_ls_waldir);
                // null without EXECUTE on those functions (pg_monitor has it).
                gauge("ready_count", "count"),
                gauge("wal_dir_files", "count"),
                gauge("wal_dir_bytes", "bytes")));

        // pg_stat_statements_info (extension 1.9+, PostgreSQL 14+): how many times entries were
        // evicted because the table was full (dealloc; resets with pg_stat_statements_reset()) and
        // the table's size,
        // pg_stat_statements.max. No snapshot when the extension is older or not installed.
        v.add(metrics("pg_stat_statements_info", List.of(),
                counter("dealloc", "count"),
                gauge("max_entries", "count")));

        // The collector's own health: one row with probe = "" for the server (up), one per probe.
        // stale: a group skipped because its previous run was still going (row probe = "" plus a
        // row probe = "fast"/"slow"/"sizes"); sqlstate: the failure's SQLSTATE, base-36 coded
        // (sqlStateCode / sqlStateText), null when up.
        v.add(metrics(COLLECTOR_VIEW, List.of("probe"),
                gauge("up", "bool"),
                gauge("duration_ms", "ms"),
                gauge("rows", "count"),
                gauge("error", "bool"),
                gauge("stale", "bool"),
                gauge("sqlstate", "code"),
                // Server identity on the probe = "" row of fast cycles: pg_control_system()'s
                // system_identifier split in two unsigned 32-bit halves (a double cannot hold 64
                // bits), pg_is_in_recovery(), and the timeline of the last checkpoint/restartpoint.
                gauge("system_identifier_high", "id"),
                gauge("system_identifier_low", "id"),
                gauge("in_recovery", "bool"),
                gauge("timeline_id", "count")));

        // pg_stat_statements: the query ids that moved most since the previous cycle (plus a
        // sticky set) and one remainder row with queryid = "other", a collector-kept accumulator
        // of everyone else's deltas (docs/collector.md). Carried by statements snapshots on their
        // own topic. Columns a version lacks are null (temp_blk_*_time and jit_* from 1.10,
        // wal_buffers_full from 1.12). exec_time_sq is derived by the collector:
        // calls * (stddev_exec_time^2 + mean_exec_time^2), the sum of squared execution times, so
        // window deltas give the window's own standard deviation. max_exec_time is the entry's
        // lifetime maximum (a gauge; null on "other").
        v.add(new ViewDef("pg_stat_statements", SnapshotKind.STATEMENTS,
                List.of("queryid", "datname", "rolname", "toplevel"),
                List.of(
                        counter("calls", "count"),
                        counter("total_exec_time", "ms"),
                        counter("total_plan_time", "ms"),
                        counter("rows", "count"),
                        counter("shared_blks_hit", "blocks"),
                        counter("shared_blks_read", "blocks"),
                        counter("shared_blks_dirtied", "blocks"),
                        counter("shared_blks_written", "blocks"),
                        counter("temp_blks_read", "blocks"),
                        counter("temp_blks_written", "blocks"),
                        counter("shared_blk_read_time", "ms"),
                        counter("shared_blk_write_time", "ms"),
                        counter("wal_records", "count"),
                        counter("wal_bytes", "bytes"),
                        counter("temp_blk_read_time", "ms"),
                        counter("temp_blk_write_time", "ms"),
                        counter("jit_functions", "count"),
                        counter("jit_time", "ms"),
                        counter("wal_buffers_full", "count"),
                        counter("exec_time_sq", "ms2"),
                        gauge("max_exec_time", "ms"))));

        Map<String, ViewDef> byName = new LinkedHashMap<>();
        for (ViewDef d : v) {
            if (byName.put(d.name(), d) != null) {
                throw new IllegalStateException("duplicate view " + d.name());
            }
        }
        VIEWS = Collections.unmodifiableMap(byName);
    }

    private MetricCatalog() {}

    private static ViewDef metrics(String name, List<String> labels, Column... columns) {
        return new ViewDef(name, SnapshotKind.METRICS, labels, List.of(columns));
    }

    private static ViewDef detail(String name, List<String> labels, Column... columns) {
        return new ViewDef(name, SnapshotKind.METRICS, labels, List.of(columns), true);
    }

    /** The view of that wire name, or null when it is not in the catalog. */
    public static ViewDef view(String name) {
        return VIEWS.get(name);
    }

    /** All views in catalog order. */
    public static Map<String, ViewDef> views() {
        return VIEWS;
    }

    /** Every metric name ({@code view.column}) in catalog order. */
    public static List<String> metricNames() {
        List<String> names = new ArrayList<>();
        for (ViewDef d : VIEWS.values()) {
            names.addAll(d.metricNames());
        }
        return names;
    }

    /**
     * A SQLSTATE (five characters, digits and upper-case letters) as a number for the
     * {@code sqlstate} column of the collector's health view: its base-36 value, exact in a double
     * ({@code "53300"} → 8,541,936). Null for null or anything that is not a SQLSTATE.
     */
    public static Double sqlStateCode(String sqlState) {
        if (sqlState == null || !sqlState.matches("[0-9A-Z]{5}")) {
            return null;
        }
        return (double) Integer.parseInt(sqlState, 36);
    }

    /** The SQLSTATE text of a {@link #sqlStateCode} value, or null. */
    public static String sqlStateText(Double code) {
        if (code == null || code < 0 || code > 60_466_175 || code != Math.rint(code)) {
            return null;
        }
        String s = Integer.toString(code.intValue(), 36).toUpperCase(java.util.Locale.ROOT);
        return "0".repeat(5 - s.length()) + s;
    }
}
