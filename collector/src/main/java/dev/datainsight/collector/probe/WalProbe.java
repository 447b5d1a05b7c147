package dev.datainsight.collector.probe;

import java.util.Map;

/**
 * {@code pg_stat_wal} (PostgreSQL 14+; 13 has no such view and skips the probe). On 18 the
 * write/sync counters and their times moved to {@code pg_stat_io} (object {@code wal}); they are
 * read there (context {@code normal}, summed over backend types; the {@code init} context is
 * segment initialisation, which pg_stat_wal never counted) and keep their old names.
 *
 * <p>Two reset domains on 18: {@code pg_stat_reset_shared('wal')} resets pg_stat_wal's own
 * columns, {@code pg_stat_reset_shared('io')} the four read from pg_stat_io, each with its own
 * {@code stats_reset}. The snapshot's {@code stats_reset} is the later of the two, so a reset of
 * either one makes the job start the row's series afresh instead of reading the other domain's
 * drop as a counter going down (or missing an io reset behind an unchanged pg_stat_wal time).
 */
public final class WalProbe extends QueryProbe {

    public WalProbe() {
        super("pg_stat_wal", ProbeGroup.SLOW, SqlVariants.of("pg_stat_wal", Map.of(
                140000, """
                        SELECT w.wal_records, w.wal_fpi, w.wal_bytes, w.wal_buffers_full, w.wal_write, w.wal_sync,
                          w.wal_write_time, w.wal_sync_time, w.stats_reset
                        FROM pg_catalog.pg_stat_wal w""",
                180000, """
                        SELECT w.wal_records, w.wal_fpi, w.wal_bytes, w.wal_buffers_full,
                          io.writes AS wal_write, io.fsyncs AS wal_sync, io.write_time AS wal_write_time,
                          io.fsync_time AS wal_sync_time, GREATEST(w.stats_reset, io.stats_reset) AS stats_reset
                        FROM pg_catalog.pg_stat_wal w
                        CROSS JOIN (SELECT pg_catalog.sum(i.writes) AS writes, pg_catalog.sum(i.fsyncs) AS fsyncs,
                                      pg_catalog.sum(i.write_time) AS write_time, pg_catalog.sum(i.fsync_time) AS fsync_time,
                                      pg_catalog.max(i.stats_reset) AS stats_reset
                                    FROM pg_catalog.pg_stat_io i WHERE i.object = 'wal' AND i.context = 'normal') io""")));
    }
}
