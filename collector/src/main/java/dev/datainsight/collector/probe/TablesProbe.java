package dev.datainsight.collector.probe;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * {@code pg_stat_user_tables} + {@code pg_statio_user_tables} for the top-N tables of each
 * database, with size, freeze age and the effective autovacuum trigger (server settings
 * overridden by the table's reloptions).
 *
 * <p>Bounded: tables are ranked from {@code pg_class} by pages (as of the last VACUUM/ANALYZE),
 * by dead tuples, by rows written and by freeze age (the larger of the heap's and its TOAST
 * table's age(relfrozenxid)) (the N best of the four rankings, interleaved); the statistics functions behind the two views are then evaluated
 * for those N tables only, so 50,000 tables cost one cheap pass over pg_class. The values are the
 * same functions the views call, so they match the views column for column.
 *
 * <p>Sizes come from {@code pg_class.relpages} × block_size (heap; heap + TOAST + all indexes for
 * the total), as of the table's last VACUUM, ANALYZE or CREATE INDEX, which autovacuum keeps
 * current on tables that change. Unlike {@code pg_relation_size}, this takes no lock on the user
 * table (so a migration's ACCESS EXCLUSIVE lock never makes the probe wait) and opens no file:
 * measured, it halves the probe's cost on 2,000 tables. FSM and visibility-map forks are not
 * counted. Also rows inserted since the last vacuum (13+), {@code mxid_age(relminmxid)}, the TOAST
 * table's own freeze age, and whether a VACUUM works on the table now ({@code pg_stat_progress_vacuum}
 * read once per database visit; only its {@code relid}, so 17's renamed columns do not matter).
 * Same SQL on 13..18.
 */
public final class TablesProbe extends PerDatabaseProbe {

    public TablesProbe() {
        super("pg_stat_user_tables", ProbeGroup.SLOW, SqlVariants.single("pg_stat_user_tables", """
                WITH candidates AS (
                  SELECT c.oid, n.nspname, c.relname, c.relpages, c.reltoastrelid, c.reloptions, c.relfrozenxid,
                    c.relminmxid, tc.relfrozenxid AS toast_relfrozenxid,
                    pg_catalog.row_number() OVER (ORDER BY c.relpages DESC, c.oid) AS by_size,
                    pg_catalog.row_number() OVER (ORDER BY GREATEST(pg_catalog.age(c.relfrozenxid),
                      COALESCE(pg_catalog.age(tc.relfrozenxid), 0)) DESC, c.oid) AS by_freeze,
                    pg_catalog.row_number() OVER (ORDER BY pg_catalog.pg_stat_get_dead_tuples(c.oid) DESC, c.oid) AS by_dead,
                    pg_catalog.row_number() OVER (ORDER BY pg_catalog.pg_stat_get_tuples_inserted(c.oid)
                      + pg_catalog.pg_stat_get_tuples_updated(c.oid) + pg_catalog.pg_stat_get_tuples_deleted(c.oid) DESC, c.oid) AS by_writes
                  FROM pg_catalog.pg_class c
                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid
                  WHERE c.relkind IN ('r', 'm')
                    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
                ), top AS (
                  SELECT * FROM candidates ORDER BY LEAST(by_size, by_dead, by_writes, by_freeze), oid LIMIT ?
                ), opts AS (
                  SELECT t.oid,
                    (SELECT o.option_value FROM pg_catalog.pg_options_to_table(t.reloptions) o WHERE o.option_name = 'autovacuum_enabled') AS av_enabled,
                    (SELECT o.option_value FROM pg_catalog.pg_options_to_table(t.reloptions) o WHERE o.option_name = 'autovacuum_vacuum_threshold') AS av_threshold,
                    (SELECT o.option_value FROM pg_catalog.pg_options_to_table(t.reloptions) o WHERE o.option_name = 'autovacuum_vacuum_scale_factor') AS av_scale
                  FROM top t
                ), vac AS MATERIALIZED (
                  SELECT p.relid FROM pg_catalog.pg_stat_progress_vacuum p WHERE p.datname = pg_catalog.current_database()
                )
                SELECT t.nspname AS schemaname, t.relname,
                  pg_catalog.pg_stat_get_numscans(t.oid) AS seq_scan,
                  pg_catalog.pg_stat_get_tuples_returned(t.oid) AS seq_tup_read,
                  (SELECT pg_catalog.sum(pg_catalog.pg_stat_get_numscans(i.indexrelid))::bigint
                     FROM pg_catalog.pg_index i WHERE i.indrelid = t.oid) AS idx_scan,
                  (SELECT pg_catalog.sum(pg_catalog.pg_stat_get_tuples_fetched(i.indexrelid))::bigint
                     FROM pg_catalog.pg_index i WHERE i.indrelid = t.oid) + pg_catalog.pg_stat_get_tuples_fetched(t.oid) AS idx_tup_fetch,
                  pg_catalog.pg_stat_get_tuples_inserted(t.oid) AS n_tup_ins,
                  pg_catalog.pg_stat_get_tuples_updated(t.oid) AS n_tup_upd,
                  pg_catalog.pg_stat_get_tuples_deleted(t.oid) AS n_tup_del,
                  pg_catalog.pg_stat_get_tuples_hot_updated(t.oid) AS n_tup_hot_upd,
                  pg_catalog.pg_stat_get_live_tuples(t.oid) AS n_live_tup,
                  pg_catalog.pg_stat_get_dead_tuples(t.oid) AS n_dead_tup,
                  pg_catalog.pg_stat_get_mod_since_analyze(t.oid) AS n_mod_since_analyze,
                  pg_catalog.pg_stat_get_vacuum_count(t.oid) AS vacuum_count,
                  pg_catalog.pg_stat_get_autovacuum_count(t.oid) AS autovacuum_count,
                  pg_catalog.pg_stat_get_analyze_count(t.oid) AS analyze_count,
                  pg_catalog.pg_stat_get_autoanalyze_count(t.oid) AS autoanalyze_count,
                  EXTRACT(EPOCH FROM pg_catalog.pg_stat_get_last_vacuum_time(t.oid)) AS last_vacuum,
                  EXTRACT(EPOCH FROM pg_catalog.pg_stat_get_last_autovacuum_time(t.oid)) AS last_autovacuum,
                  EXTRACT(EPOCH FROM pg_catalog.pg_stat_get_last_analyze_time(t.oid)) AS last_analyze,
                  EXTRACT(EPOCH FROM pg_catalog.pg_stat_get_last_autoanalyze_time(t.oid)) AS last_autoanalyze,
                  pg_catalog.pg_stat_get_blocks_fetched(t.oid) - pg_catalog.pg_stat_get_blocks_hit(t.oid) AS heap_blks_read,
                  pg_catalog.pg_stat_get_blocks_hit(t.oid) AS heap_blks_hit,
                  (SELECT pg_catalog.sum(pg_catalog.pg_stat_get_blocks_fetched(i.indexrelid) - pg_catalog.pg_stat_get_blocks_hit(i.indexrelid))::bigint
                     FROM pg_catalog.pg_index i WHERE i.indrelid = t.oid) AS idx_blks_read,
                  (SELECT pg_catalog.sum(pg_catalog.pg_stat_get_blocks_hit(i.indexrelid))::bigint
                     FROM pg_catalog.pg_index i WHERE i.indrelid = t.oid) AS idx_blks_hit,
                  t.relpages::float8 * pg_catalog.current_setting('block_size')::float8 AS table_size_bytes,
                  (t.relpages::float8
                    + COALESCE((SELECT tc.relpages FROM pg_catalog.pg_class tc WHERE tc.oid = t.reltoastrelid), 0)
                    + COALESCE((SELECT pg_catalog.sum(ic.relpages) FROM pg_catalog.pg_index i
                                JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                                WHERE i.indrelid = t.oid OR i.indrelid = t.reltoastrelid), 0))
                    * pg_catalog.current_setting('block_size')::float8 AS total_size_bytes,
                  pg_catalog.age(t.relfrozenxid) AS relfrozenxid_age,
                  CASE WHEN o.av_enabled IS NOT NULL THEN o.av_enabled::boolean
                       ELSE pg_catalog.current_setting('autovacuum')::boolean END AS autovacuum_enabled,
                  COALESCE(o.av_threshold::float8, pg_catalog.current_setting('autovacuum_vacuum_threshold')::float8) AS autovacuum_vacuum_threshold,
                  COALESCE(o.av_scale::float8, pg_catalog.current_setting('autovacuum_vacuum_scale_factor')::float8) AS autovacuum_vacuum_scale_factor,
                  pg_catalog.pg_stat_get_ins_since_vacuum(t.oid) AS n_ins_since_vacuum,
                  pg_catalog.mxid_age(t.relminmxid) AS relminmxid_age,
                  pg_catalog.age(t.toast_relfrozenxid) AS toast_relfrozenxid_age,
                  EXISTS (SELECT 1 FROM vac v WHERE v.relid = t.oid) AS vacuum_running
                FROM top t JOIN opts o ON o.oid = t.oid
                ORDER BY LEAST(t.by_size, t.by_dead, t.by_writes, t.by_freeze), t.oid"""));
    }

    @Override
    protected void bind(PreparedStatement ps, ProbeContext ctx) throws SQLException {
        ps.setInt(1, ctx.limits().topTables());
    }
}
