package dev.datainsight.collector.probe;

/**
 * {@code pg_replication_slots}: whether each slot is active and how much WAL it retains (bytes
 * from its restart_lsn to the current WAL position); an inactive slot retaining WAL is what the
 * rules look for. Same SQL on 13..18.
 */
public final class ReplicationSlotsProbe extends QueryProbe {

    public ReplicationSlotsProbe() {
        super("pg_replication_slots", ProbeGroup.FAST, SqlVariants.single("pg_replication_slots", """
                SELECT s.slot_name, s.slot_type, s.active,
                  CASE WHEN pg_catalog.pg_is_in_recovery()
                       THEN pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_last_wal_receive_lsn(), s.restart_lsn)
                       ELSE pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.restart_lsn) END AS retained_wal_bytes
                FROM pg_catalog.pg_replication_slots s
                ORDER BY s.slot_name"""));
    }
}
