package dev.datainsight.collector.probe;

/**
 * {@code pg_stat_wal_receiver}: the standby side, one row on a server in recovery, none on a
 * primary. A standby whose WAL receiver is not running (primary gone, replication refused)
 * still has its row, with {@code receiver_running = 0} and a null status: a disconnected
 * standby is a state, not a missing row. Values: the receiver's status (0 stopped, 1 starting,
 * 2 streaming, 3 waiting, 4 restarting, 5 stopping), bytes received but not yet replayed
 * ({@code pg_last_wal_receive_lsn} − {@code pg_last_wal_replay_lsn}), seconds since the commit
 * time of the last replayed transaction ({@code pg_last_xact_replay_timestamp}; grows on an idle
 * primary too, so read it with the bytes), and since the last message from the primary. Same
 * SQL on 13..18.
 */
public final class WalReceiverProbe extends QueryProbe {

    public WalReceiverProbe() {
        super("pg_stat_wal_receiver", ProbeGroup.FAST, SqlVariants.single("pg_stat_wal_receiver", """
                SELECT q.status, q.receiver_running,
                  CASE WHEN q.rr IS NOT NULL THEN GREATEST(q.rr, 0) END AS receive_replay_lag_bytes,
                  CASE WHEN q.ts IS NOT NULL THEN GREATEST(q.ts, 0) END AS replay_timestamp_age_seconds,
                  CASE WHEN q.msg IS NOT NULL THEN GREATEST(q.msg, 0) END AS last_msg_receipt_age_seconds
                FROM (
                  SELECT CASE w.status WHEN 'stopped' THEN 0 WHEN 'starting' THEN 1 WHEN 'streaming' THEN 2
                      WHEN 'waiting' THEN 3 WHEN 'restarting' THEN 4 WHEN 'stopping' THEN 5 END AS status,
                    w.pid IS NOT NULL AS receiver_running,
                    pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_last_wal_receive_lsn(), pg_catalog.pg_last_wal_replay_lsn()) AS rr,
                    EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - pg_catalog.pg_last_xact_replay_timestamp()) AS ts,
                    EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - w.last_msg_receipt_time) AS msg
                  FROM (SELECT 1) one
                  LEFT JOIN pg_catalog.pg_stat_wal_receiver w ON true
                  WHERE pg_catalog.pg_is_in_recovery()) q"""));
    }
}
