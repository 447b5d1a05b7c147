package dev.datainsight.collector.probe;

/**
 * {@code pg_stat_archiver}: archived and failed WAL segments and the age of the last success and
 * failure (null when there was none), measured to {@code clock_timestamp()} so that a segment
 * archived after the statement started is not given a negative age. Also the archiving backlog
 * ({@code .ready} files in {@code pg_wal/archive_status}, {@code pg_ls_archive_statusdir}) and
 * the WAL directory's files and bytes ({@code pg_ls_waldir}); both functions are granted to
 * pg_monitor, and the columns are null without EXECUTE. Listing pg_wal costs one directory read
 * (slow group). Same SQL on 13..18.
 */
public final class ArchiverProbe extends QueryProbe {

    public ArchiverProbe() {
        super("pg_stat_archiver", ProbeGroup.SLOW, SqlVariants.single("pg_stat_archiver", """
                SELECT a.archived_count, a.failed_count,
                  EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - a.last_archived_time) AS last_archived_age_seconds,
                  EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - a.last_failed_time) AS last_failed_age_seconds,
                  a.stats_reset,
                  CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_ls_archive_statusdir()', 'EXECUTE')
                    THEN (SELECT pg_catalog.count(*) FROM pg_catalog.pg_ls_archive_statusdir() r
                          WHERE r.name ~ '[.]ready$') END AS ready_count,
                  w.wal_dir_files, w.wal_dir_bytes
                FROM pg_catalog.pg_stat_archiver a
                CROSS JOIN (SELECT CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_ls_waldir()', 'EXECUTE')
                      THEN (SELECT pg_catalog.count(*) FROM pg_catalog.pg_ls_waldir()) END AS wal_dir_files,
                    CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_ls_waldir()', 'EXECUTE')
                      THEN (SELECT COALESCE(pg_catalog.sum(f.size), 0) FROM pg_catalog.pg_ls_waldir() f) END AS wal_dir_bytes) w"""));
    }
}
