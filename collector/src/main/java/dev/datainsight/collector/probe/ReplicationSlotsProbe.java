package dev.datainsight.collector.probe;

import java.util.Map;

/**
 * {@code pg_replication_slots}: per slot, whether it is active, how much WAL it retains (bytes
 * from its restart_lsn to the current WAL position, or on a standby to the last received one),
 * its {@code wal_status} (coded: 0 reserved, 1 extended, 2 unreserved, 3 lost; null when the slot
 * reserves no WAL), whether it is lost, {@code safe_wal_size} (never below 0), the ages of its
 * {@code xmin} and {@code catalog_xmin}, and since 17 how long it has been inactive. A lost slot
 * (restart_lsn NULL, wal_status lost, 17+ invalidation_reason set, 16 {@code conflicting}) stays
 * a row with {@code lost = 1}: it is a state to page on, not a row to drop.
 */
public final class ReplicationSlotsProbe extends QueryProbe {

    private static final String TEMPLATE = """
            SELECT s.slot_name, s.slot_type, s.active,
              CASE WHEN pg_catalog.pg_is_in_recovery()
                   THEN pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_last_wal_receive_lsn(), s.restart_lsn)
                   ELSE pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.restart_lsn) END AS retained_wal_bytes,
              CASE s.wal_status WHEN 'reserved' THEN 0 WHEN 'extended' THEN 1 WHEN 'unreserved' THEN 2
                WHEN 'lost' THEN 3 END AS wal_status,
              (s.wal_status IS NOT DISTINCT FROM 'lost'%s) AS lost,
              CASE WHEN s.safe_wal_size IS NOT NULL THEN GREATEST(s.safe_wal_size, 0) END AS safe_wal_size_bytes,
              pg_catalog.age(s.xmin) AS xmin_age,
              pg_catalog.age(s.catalog_xmin) AS catalog_xmin_age,
              %s AS inactive_seconds,
              s.active_pid
            FROM pg_catalog.pg_replication_slots s
            ORDER BY s.slot_name""";

    public ReplicationSlotsProbe() {
        super("pg_replication_slots", ProbeGroup.FAST, SqlVariants.of("pg_replication_slots", Map.of(
                130000, TEMPLATE.formatted("", "NULL::float8"),
                160000, TEMPLATE.formatted(" OR COALESCE(s.conflicting, false)", "NULL::float8"),
                170000, TEMPLATE.formatted(" OR s.invalidation_reason IS NOT NULL",
                        "CASE WHEN s.inactive_since IS NOT NULL"
                        + " THEN GREATEST(EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - s.inactive_since), 0) END"))));
    }
}
