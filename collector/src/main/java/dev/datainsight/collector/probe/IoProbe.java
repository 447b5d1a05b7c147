package dev.datainsight.collector.probe;

/**
 * {@code pg_stat_io} (PostgreSQL 16+): one row per (backend_type, object, context) that the
 * server tracks; combinations PostgreSQL never tracks (all NULL) are left out. Each row carries
 * its own stats_reset. 18 adds the {@code wal} object, which shows up as more rows.
 */
public final class IoProbe extends QueryProbe {

    public IoProbe() {
        super("pg_stat_io", ProbeGroup.SLOW, SqlVariants.of("pg_stat_io", java.util.Map.of(160000, """
                SELECT i.backend_type, i.object, i.context, i.reads, i.read_time, i.writes, i.write_time,
                  i.writebacks, i.extends, i.hits, i.evictions, i.reuses, i.fsyncs, i.fsync_time, i.stats_reset
                FROM pg_catalog.pg_stat_io i
                WHERE i.reads IS NOT NULL OR i.writes IS NOT NULL OR i.hits IS NOT NULL
                   OR i.extends IS NOT NULL OR i.fsyncs IS NOT NULL
                ORDER BY i.backend_type, i.object, i.context""")));
    }
}
