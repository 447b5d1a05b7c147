package dev.datainsight.collector.probe;

/**
 * {@code pg_stat_replication}: one row per connected standby (write/flush/replay lag in seconds,
 * replay lag in bytes from the current WAL position; on a cascading standby from the last
 * received position). Same SQL on 13..18.
 */
public final class ReplicationProbe extends QueryProbe {

    public ReplicationProbe() {
        super("pg_stat_replication", ProbeGroup.FAST, SqlVariants.single("pg_stat_replication", """
                SELECT r.application_name, pg_catalog.host(r.client_addr) AS client_addr, r.state,
                  EXTRACT(EPOCH FROM r.write_lag) AS write_lag_seconds,
                  EXTRACT(EPOCH FROM r.flush_lag) AS flush_lag_seconds,
                  EXTRACT(EPOCH FROM r.replay_lag) AS replay_lag_seconds,
                  CASE WHEN pg_catalog.pg_is_in_recovery()
                       THEN pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_last_wal_receive_lsn(), r.replay_lsn)
                       ELSE pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.replay_lsn) END AS replay_lag_bytes
                FROM pg_catalog.pg_stat_replication r
                ORDER BY r.application_name, 2"""));
    }
}
