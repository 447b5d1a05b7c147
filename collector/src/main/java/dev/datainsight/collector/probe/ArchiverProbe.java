package dev.datainsight.collector.probe;

/**
 * {@code pg_stat_archiver}: archived and failed WAL segments and the age of the last success and
 * failure (null when there was none), measured to {@code clock_timestamp()} so that a segment
 * archived after the statement started is not given a negative age. Same SQL on 13..18.
 */
public final class ArchiverProbe extends QueryProbe {

    public ArchiverProbe() {
        super("pg_stat_archiver", ProbeGroup.SLOW, SqlVariants.single("pg_stat_archiver", """
                SELECT a.archived_count, a.failed_count,
                  EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - a.last_archived_time) AS last_archived_age_seconds,
                  EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - a.last_failed_time) AS last_failed_age_seconds,
                  a.stats_reset
                FROM pg_catalog.pg_stat_archiver a"""));
    }
}
