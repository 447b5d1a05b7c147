package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.probe.Probe;
import dev.datainsight.collector.probe.Probes;
import dev.datainsight.collector.probe.QueryProbe;
import dev.datainsight.collector.probe.SqlVariants;
import dev.datainsight.model.MetricCatalog;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Pins the metric names each probe emits. A rename or removal fails here first: change this list
 * only together with MetricCatalog, the job and the rules.
 */
class MetricNamesTest {

    static final Map<String, String> PINNED = new LinkedHashMap<>();

    static {
        PINNED.put("pg_stat_activity", "connections_total connections_active connections_idle connections_idle_in_transaction"
                + " connections_idle_in_transaction_aborted connections_waiting_lock connections_waiting_other autovacuum_workers"
                + " max_connections reserved_connections oldest_xact_age_seconds oldest_autovacuum_xact_age_seconds"
                + " oldest_idle_in_transaction_seconds longest_lock_wait_seconds longest_running_query_seconds"
                + " collector_connections locks_held lock_table_slots");
        PINNED.put("pg_stat_activity_sessions", "xact_age_seconds state_age_seconds backend_xmin_age lock_wait_seconds"
                + " waiters longest_wait_seconds");
        PINNED.put("pg_stat_activity_connections", "connections oldest_state_age_seconds");
        PINNED.put("pg_locks", "waiters longest_wait_seconds blocker_xact_age_seconds");
        PINNED.put("xmin_horizon", "horizon_age holder holder_pid holder_xact_age_seconds backend_xmin_age prepared_xact_age"
                + " slot_xmin_age slot_catalog_xmin_age");
        PINNED.put("pg_stat_database", "numbackends xact_commit xact_rollback blks_read blks_hit tup_returned tup_fetched"
                + " tup_inserted tup_updated tup_deleted conflicts temp_files temp_bytes deadlocks blk_read_time blk_write_time"
                + " session_time active_time idle_in_transaction_time sessions sessions_abandoned sessions_fatal sessions_killed"
                + " checksum_failures");
        PINNED.put("pg_stat_database_conflicts", "confl_tablespace confl_lock confl_snapshot confl_bufferpin confl_deadlock"
                + " confl_active_logicalslot");
        PINNED.put("pg_stat_replication", "write_lag_seconds flush_lag_seconds replay_lag_seconds replay_lag_bytes pid"
                + " sent_lag_bytes write_lag_bytes flush_lag_bytes sync_state backend_xmin_age logical");
        PINNED.put("pg_stat_wal_receiver", "status receiver_running receive_replay_lag_bytes replay_timestamp_age_seconds"
                + " last_msg_receipt_age_seconds");
        PINNED.put("pg_replication_slots", "active retained_wal_bytes wal_status lost safe_wal_size_bytes xmin_age"
                + " catalog_xmin_age inactive_seconds active_pid");
        PINNED.put("pg_database", "size_bytes xid_age mxid_age datconnlimit");
        PINNED.put("pg_stat_checkpointer", "num_timed num_requested num_done restartpoints_timed restartpoints_req"
                + " restartpoints_done write_time sync_time buffers_written");
        PINNED.put("pg_stat_bgwriter", "buffers_clean maxwritten_clean buffers_alloc buffers_backend buffers_backend_fsync");
        PINNED.put("pg_stat_wal", "wal_records wal_fpi wal_bytes wal_buffers_full wal_write wal_sync wal_write_time wal_sync_time");
        PINNED.put("pg_stat_io", "reads read_time writes write_time writebacks extends hits evictions reuses fsyncs fsync_time");
        PINNED.put("pg_stat_archiver", "archived_count failed_count last_archived_age_seconds last_failed_age_seconds"
                + " ready_count wal_dir_files wal_dir_bytes");
        PINNED.put("pg_settings", "max_connections superuser_reserved_connections reserved_connections max_locks_per_transaction"
                + " autovacuum autovacuum_vacuum_threshold autovacuum_vacuum_scale_factor autovacuum_freeze_max_age"
                + " autovacuum_multixact_freeze_max_age checkpoint_timeout_seconds max_wal_size_bytes server_start_epoch"
                + " autovacuum_max_workers max_wal_senders max_replication_slots max_slot_wal_keep_size_bytes"
                + " hot_standby_feedback track_io_timing block_size_bytes pending_restart_settings autovacuum_vacuum_max_threshold"
                + " max_prepared_transactions");
        PINNED.put("pg_settings_pending_restart", "pending_restart");
        PINNED.put("pg_stat_user_tables", "seq_scan seq_tup_read idx_scan idx_tup_fetch n_tup_ins n_tup_upd n_tup_del"
                + " n_tup_hot_upd n_live_tup n_dead_tup n_mod_since_analyze vacuum_count autovacuum_count analyze_count"
                + " autoanalyze_count last_vacuum last_autovacuum last_analyze last_autoanalyze heap_blks_read heap_blks_hit"
                + " idx_blks_read idx_blks_hit table_size_bytes total_size_bytes relfrozenxid_age autovacuum_enabled"
                + " autovacuum_vacuum_threshold autovacuum_vacuum_scale_factor n_ins_since_vacuum relminmxid_age"
                + " toast_relfrozenxid_age vacuum_running");
        PINNED.put("pg_stat_user_indexes", "idx_scan idx_tup_read idx_tup_fetch index_size_bytes is_unique is_primary is_valid");
        PINNED.put("pg_sequences", "last_value max_value used_ratio");
        PINNED.put("pg_stat_statements", "calls total_exec_time total_plan_time rows shared_blks_hit shared_blks_read"
                + " shared_blks_dirtied shared_blks_written temp_blks_read temp_blks_written shared_blk_read_time"
                + " shared_blk_write_time wal_records wal_bytes temp_blk_read_time temp_blk_write_time jit_functions"
                + " jit_time wal_buffers_full exec_time_sq max_exec_time");
        PINNED.put("pg_stat_statements_info", "dealloc max_entries");
        PINNED.put(MetricCatalog.COLLECTOR_VIEW, "up duration_ms rows error stale sqlstate system_identifier_high system_identifier_low in_recovery timeline_id");
    }

    @Test
    void metricNamesPerProbeArePinned() {
        Map<String, String> actual = new LinkedHashMap<>();
        for (Probe p : Probes.all()) {
            if (p instanceof dev.datainsight.collector.probe.PlansProbe) {
                continue; // plans snapshots carry plans, no metric rows: not a catalog view
            }
            actual.put(p.name(), String.join(" ", MetricCatalog.view(p.view()).columns().keySet()));
        }
        actual.put(MetricCatalog.COLLECTOR_VIEW, String.join(" ", MetricCatalog.view(MetricCatalog.COLLECTOR_VIEW).columns().keySet()));
        assertEquals(PINNED, actual);
    }

    @Test
    void everyCatalogViewHasExactlyOneProbe() {
        Set<String> probed = new LinkedHashSet<>();
        for (Probe p : Probes.all()) {
            if (p instanceof dev.datainsight.collector.probe.PlansProbe) {
                continue; // plans snapshots carry plans, no metric rows: not a catalog view
            }
            assertTrue(probed.add(p.view()), "two probes emit " + p.view());
        }
        probed.add(MetricCatalog.COLLECTOR_VIEW);
        assertEquals(MetricCatalog.views().keySet(), probed);
    }

    @Test
    void everySqlVariantCarriesTheMarkerAndQualifiesCatalogNames() {
        List<String> all = new java.util.ArrayList<>();
        for (Probe p : Probes.all()) {
            if (p instanceof QueryProbe q) {
                all.addAll(q.sql().all().values());
            }
        }
        all.addAll(dev.datainsight.collector.probe.LocksProbe.allSql());
        all.addAll(new dev.datainsight.collector.probe.SessionsProbe().sql().all().values());
        all.add(dev.datainsight.collector.probe.ConnectionsProbe.sql());
        for (String v : List.of("1.8", "1.9", "1.10", "1.11", "1.12")) {
            all.add(dev.datainsight.collector.probe.StatementsProbe.topSql(v, "public"));
        }
        all.add(dev.datainsight.collector.probe.StatementsInfoProbe.infoSql("public"));
        for (String sql : all) {
            assertTrue(sql.startsWith(SqlVariants.MARKER), sql);
            assertTrue(!ProbeMatrixBase.UNQUALIFIED.matcher(sql).find(), "unqualified catalog name in: " + sql);
        }
    }
}
