package dev.datainsight.collector.probe;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * {@code pg_stat_user_indexes} for the N largest indexes of each database (ranked by
 * {@code pg_class.relpages}, so the cost does not grow with the number of indexes beyond one pass
 * over pg_class): scans, tuples read/fetched, size, unique/primary flags. The size is
 * {@code relpages} × block_size as of the last VACUUM/ANALYZE/CREATE INDEX, read without locks or
 * file access, as in {@link TablesProbe}. Invalid indexes (a failed CREATE INDEX CONCURRENTLY:
 * maintained on every write, never used) rank first, whatever their size, with
 * {@code is_valid = 0}. Same SQL on 13..18.
 */
public final class IndexesProbe extends PerDatabaseProbe {

    public IndexesProbe() {
        super("pg_stat_user_indexes", ProbeGroup.SLOW, SqlVariants.single("pg_stat_user_indexes", """
                WITH top AS (
                  SELECT ic.oid AS indexrelid, x.indrelid, n.nspname, tc.relname, ic.relname AS indexrelname,
                    x.indisunique, x.indisprimary, x.indisvalid, ic.relpages
                  FROM pg_catalog.pg_index x
                  JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
                  JOIN pg_catalog.pg_class tc ON tc.oid = x.indrelid
                  JOIN pg_catalog.pg_namespace n ON n.oid = tc.relnamespace
                  WHERE tc.relkind IN ('r', 'm')
                    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
                  ORDER BY x.indisvalid, ic.relpages DESC, ic.oid
                  LIMIT ?
                )
                SELECT t.nspname AS schemaname, t.relname, t.indexrelname,
                  pg_catalog.pg_stat_get_numscans(t.indexrelid) AS idx_scan,
                  pg_catalog.pg_stat_get_tuples_returned(t.indexrelid) AS idx_tup_read,
                  pg_catalog.pg_stat_get_tuples_fetched(t.indexrelid) AS idx_tup_fetch,
                  t.relpages::float8 * pg_catalog.current_setting('block_size')::float8 AS index_size_bytes,
                  t.indisunique AS is_unique,
                  t.indisprimary AS is_primary,
                  t.indisvalid AS is_valid
                FROM top t"""));
    }

    @Override
    protected void bind(PreparedStatement ps, ProbeContext ctx) throws SQLException {
        ps.setInt(1, ctx.limits().topIndexes());
    }
}
