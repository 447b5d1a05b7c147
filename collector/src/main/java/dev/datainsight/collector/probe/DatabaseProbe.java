package dev.datainsight.collector.probe;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;

/**
 * {@code pg_stat_database}: one row per database (the shared-objects row with NULL datname is
 * left out), with its own {@code stats_reset}. Session counters exist from 14; on 13 they are
 * null. {@code checksum_failures} is null when data checksums are off (18's initdb turns them on by
 * default, older ones off). Bounded by {@link ProbeLimits#maxDatabaseRows()}.
 */
public final class DatabaseProbe extends QueryProbe {

    private static final String COMMON = """
            d.datname, d.numbackends, d.xact_commit, d.xact_rollback, d.blks_read, d.blks_hit,
            d.tup_returned, d.tup_fetched, d.tup_inserted, d.tup_updated, d.tup_deleted, d.conflicts,
            d.temp_files, d.temp_bytes, d.deadlocks, d.blk_read_time, d.blk_write_time, d.checksum_failures""";

    public DatabaseProbe() {
        super("pg_stat_database", ProbeGroup.FAST, SqlVariants.of("pg_stat_database", Map.of(
                130000, "SELECT " + COMMON + ", d.stats_reset FROM pg_catalog.pg_stat_database d "
                        + "WHERE d.datname IS NOT NULL ORDER BY d.datname LIMIT ?",
                140000, "SELECT " + COMMON + ", d.session_time, d.active_time, d.idle_in_transaction_time, d.sessions,"
                        + " d.sessions_abandoned, d.sessions_fatal, d.sessions_killed, d.stats_reset"
                        + " FROM pg_catalog.pg_stat_database d WHERE d.datname IS NOT NULL ORDER BY d.datname LIMIT ?")));
    }

    @Override
    protected void bind(PreparedStatement ps, ProbeContext ctx) throws SQLException {
        ps.setInt(1, ctx.limits().maxDatabaseRows());
    }
}
