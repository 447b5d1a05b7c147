package dev.datainsight.collector.probe;

import java.util.Map;

/**
 * {@code pg_stat_activity}, aggregated to one row: client sessions by state and wait, autovacuum
 * workers, connection limits, and the ages that rules watch (oldest transaction with autovacuum
 * separated, oldest idle-in-transaction session, longest lock wait, longest running query). The
 * collector's own sessions (its application_name under its own role, including its connections
 * to other databases) are excluded and counted in {@code collector_connections}.
 *
 * <p>The shared lock table: {@code locks_held} counts the {@code pg_locks} rows that occupy it
 * (not fast-path locks, which live in each backend's own slots, and not predicate locks, which
 * have their own table), against {@code lock_table_slots} = max_locks_per_transaction ×
 * (max_connections + max_prepared_transactions), the size the documentation gives. Reading
 * pg_locks takes each lock partition's lightweight lock briefly in shared mode and copies the
 * entries out (no heavyweight lock, cost proportional to the locks held); postgres_exporter's
 * default pg_locks query does the same every scrape.
 *
 * <p>Versions: 13 has no {@code pg_locks.waitstart}, so the lock wait is measured from
 * {@code query_start}; 14+ uses {@code waitstart} (read only when some session waits on a lock).
 * 16+ adds {@code reserved_connections} to the reserved slots.
 *
 * <p>Ages are measured to {@code clock_timestamp()}, not {@code now()}: {@code now()} is when the
 * collector's own statement started, before the activity snapshot is read, so a session whose
 * transaction began in between got a negative age and the job dead-lettered the whole snapshot.
 */
public final class ActivityProbe extends QueryProbe {

    private static final String TEMPLATE = """
            SELECT
              pg_catalog.count(*) FILTER (WHERE a.backend_type = 'client backend') AS connections_total,
              pg_catalog.count(*) FILTER (WHERE a.backend_type = 'client backend' AND a.state = 'active') AS connections_active,
              pg_catalog.count(*) FILTER (WHERE a.backend_type = 'client backend' AND a.state = 'idle') AS connections_idle,
              pg_catalog.count(*) FILTER (WHERE a.backend_type = 'client backend' AND a.state = 'idle in transaction') AS connections_idle_in_transaction,
              pg_catalog.count(*) FILTER (WHERE a.backend_type = 'client backend' AND a.state = 'idle in transaction (aborted)') AS connections_idle_in_transaction_aborted,
              pg_catalog.count(*) FILTER (WHERE a.backend_type = 'client backend' AND a.wait_event_type = 'Lock') AS connections_waiting_lock,
              pg_catalog.count(*) FILTER (WHERE a.backend_type = 'client backend' AND a.state = 'active'
                  AND a.wait_event_type IN ('LWLock', 'BufferPin', 'IO', 'IPC', 'Timeout')) AS connections_waiting_other,
              pg_catalog.count(*) FILTER (WHERE a.backend_type = 'autovacuum worker') AS autovacuum_workers,
              pg_catalog.current_setting('max_connections')::int AS max_connections,
              %s AS reserved_connections,
              EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - pg_catalog.min(a.xact_start) FILTER (WHERE a.backend_type = 'client backend')) AS oldest_xact_age_seconds,
              EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - pg_catalog.min(a.xact_start) FILTER (WHERE a.backend_type = 'autovacuum worker')) AS oldest_autovacuum_xact_age_seconds,
              EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - pg_catalog.min(a.state_change) FILTER (WHERE a.backend_type = 'client backend'
                  AND a.state IN ('idle in transaction', 'idle in transaction (aborted)'))) AS oldest_idle_in_transaction_seconds,
              %s AS longest_lock_wait_seconds,
              EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - pg_catalog.min(a.query_start) FILTER (WHERE a.backend_type = 'client backend'
                  AND a.state = 'active')) AS longest_running_query_seconds,
              (SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity o
               WHERE o.application_name = ? AND o.usename = CURRENT_USER) AS collector_connections,
              (SELECT pg_catalog.count(*) FROM pg_catalog.pg_locks l
               WHERE NOT l.fastpath AND l.mode <> 'SIReadLock') AS locks_held,
              pg_catalog.current_setting('max_locks_per_transaction')::int
                * (pg_catalog.current_setting('max_connections')::int
                   + pg_catalog.current_setting('max_prepared_transactions')::int) AS lock_table_slots
            FROM pg_catalog.pg_stat_activity a
            WHERE a.pid <> pg_catalog.pg_backend_pid() AND NOT (a.application_name = ? AND a.usename = CURRENT_USER)
            """;

    private static final String RESERVED_13 = "pg_catalog.current_setting('superuser_reserved_connections')::int";
    private static final String RESERVED_16 = RESERVED_13 + " + pg_catalog.current_setting('reserved_connections')::int";
    private static final String LOCKWAIT_13 = "EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - pg_catalog.min(a.query_start) "
            + "FILTER (WHERE a.backend_type = 'client backend' AND a.wait_event_type = 'Lock'))";
    // The scalar subquery is an init plan, evaluated only when the CASE reaches it: pg_locks is
    // read only while some session waits on a lock.
    private static final String LOCKWAIT_14 = "CASE WHEN pg_catalog.count(*) FILTER (WHERE a.wait_event_type = 'Lock') > 0 "
            + "THEN (SELECT EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - pg_catalog.min(l.waitstart)) FROM pg_catalog.pg_locks l "
            + "WHERE NOT l.granted AND l.pid <> pg_catalog.pg_backend_pid()) END";

    public ActivityProbe() {
        super("pg_stat_activity", ProbeGroup.FAST, SqlVariants.of("pg_stat_activity", Map.of(
                130000, TEMPLATE.formatted(RESERVED_13, LOCKWAIT_13),
                140000, TEMPLATE.formatted(RESERVED_13, LOCKWAIT_14),
                160000, TEMPLATE.formatted(RESERVED_16, LOCKWAIT_14))));
    }

    @Override
    protected void bind(java.sql.PreparedStatement ps, ProbeContext ctx) throws java.sql.SQLException {
        ps.setString(1, Probes.APPLICATION_NAME);
        ps.setString(2, Probes.APPLICATION_NAME);
    }
}
