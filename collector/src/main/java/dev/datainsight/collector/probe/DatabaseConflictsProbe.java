package dev.datainsight.collector.probe;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;

/**
 * {@code pg_stat_database_conflicts}: per database, the queries a standby cancelled because
 * replay needed what they held (tablespace, lock, snapshot, buffer pin, deadlock; 16+ also
 * logical slots). A primary reports zeros. One row per database, bounded by
 * {@link ProbeLimits#maxDatabaseRows()}; the counters reset with the database's statistics.
 */
public final class DatabaseConflictsProbe extends QueryProbe {
    private static final String COMMON = """
            SELECT c.datname, c.confl_tablespace, c.confl_lock, c.confl_snapshot, c.confl_bufferpin, c.confl_deadlock""";
    private static final String FROM = """

            FROM pg_catalog.pg_stat_database_conflicts c
            WHERE c.datname IS NOT NULL ORDER BY c.datname LIMIT ?""";

    public DatabaseConflictsProbe() {
        super("pg_stat_database_conflicts", ProbeGroup.SLOW, SqlVariants.of("pg_stat_database_conflicts", Map.of(
                130000, COMMON + FROM,
                160000, COMMON + ", c.confl_active_logicalslot" + FROM)));
    }

    @Override
    protected void bind(PreparedStatement ps, ProbeContext ctx) throws SQLException {
        ps.setInt(1, ctx.limits().maxDatabaseRows());
    }
}
