-- Views for the common questions. They read the partitioned tables through the series table,
-- so time filters on "bucket" still prune partitions. See docs/schema.md and docs/sql-cookbook.md.

-- Rollups with their series spelled out; avg = sum / count (for counters: the mean per-second rate).
CREATE VIEW metric_1m AS
SELECT s.instance, s.metric, s.labels, r.bucket, r.count, r.min, r.max, r.sum, r.last, r.sum / r.count AS avg, r.series_id
FROM metric_rollup_1m r JOIN series s ON s.id = r.series_id;

CREATE VIEW metric_1h AS
SELECT s.instance, s.metric, s.labels, r.bucket, r.count, r.min, r.max, r.sum, r.last, r.sum / r.count AS avg, r.series_id
FROM metric_rollup_1h r JOIN series s ON s.id = r.series_id;

CREATE VIEW metric_1d AS
SELECT s.instance, s.metric, s.labels, r.bucket, r.count, r.min, r.max, r.sum, r.last, r.sum / r.count AS avg, r.series_id
FROM metric_rollup_1d r JOIN series s ON s.id = r.series_id;

-- The latest event of every fingerprint that is not resolved.
CREATE VIEW open_alert AS
SELECT fingerprint, rule, severity, status, instance, labels, value, threshold, started_at,
       event_at AS last_event_at, now() - started_at AS open_for, summary, description, runbook
FROM (
    SELECT DISTINCT ON (fingerprint) *
    FROM alert_event
    ORDER BY fingerprint, event_at DESC, (status = 'resolved') DESC,
             CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END DESC
) latest
WHERE status <> 'resolved';

-- Every transition, with how long the alert lasted once it resolved.
CREATE VIEW alert_history AS
SELECT instance, event_at, rule, severity, status, fingerprint, labels, value, threshold, started_at, resolved_at,
       resolved_at - started_at AS duration, summary
FROM alert_event;

-- Latest state per instance: reporting or not, collector up, connections, size, open alerts.
CREATE VIEW instance_health AS
WITH latest AS (
    SELECT DISTINCT ON (s.id) s.instance, s.metric, s.labels, r.last
    FROM series s JOIN metric_rollup_1m r ON r.series_id = s.id
    WHERE r.bucket >= now() - interval '1 hour'
      AND s.metric IN ('datainsight_collector.up', 'pg_stat_activity.connections_total',
                       'pg_stat_activity.max_connections', 'pg_database.size_bytes')
      AND (s.metric <> 'datainsight_collector.up' OR coalesce(s.labels ->> 'probe', '') = '')
    ORDER BY s.id, r.bucket DESC
), per_instance AS (
    SELECT instance,
           max(last) FILTER (WHERE metric = 'datainsight_collector.up') AS up,
           max(last) FILTER (WHERE metric = 'pg_stat_activity.connections_total') AS connections,
           max(last) FILTER (WHERE metric = 'pg_stat_activity.max_connections') AS max_connections,
           sum(last) FILTER (WHERE metric = 'pg_database.size_bytes') AS total_size_bytes
    FROM latest GROUP BY instance
), alerts AS (
    SELECT instance,
           count(*) FILTER (WHERE severity = 'critical' AND status = 'firing') AS critical_alerts,
           count(*) FILTER (WHERE severity = 'warning' AND status = 'firing') AS warning_alerts
    FROM open_alert GROUP BY instance
)
SELECT i.instance,
       CASE WHEN p.up = 0 THEN 'down'
            WHEN i.last_seen < now() - interval '5 minutes' THEN 'silent'
            WHEN coalesce(a.critical_alerts, 0) > 0 THEN 'critical'
            WHEN coalesce(a.warning_alerts, 0) > 0 THEN 'warning'
            ELSE 'ok' END AS state,
       i.server_version_num, i.labels, i.last_seen, now() - i.last_seen AS silent_for, p.up,
       p.connections, p.max_connections, p.connections / nullif(p.max_connections, 0) AS connection_ratio,
       p.total_size_bytes, coalesce(a.critical_alerts, 0) AS critical_alerts, coalesce(a.warning_alerts, 0) AS warning_alerts
FROM instance i
LEFT JOIN per_instance p ON p.instance = i.instance
LEFT JOIN alerts a ON a.instance = i.instance;

-- Size of every database at the end of each day and its growth over the previous stored day.
CREATE VIEW database_growth_daily AS
SELECT instance, datname, day, size_bytes,
       size_bytes - prev_size_bytes AS growth_bytes,
       round((100 * (size_bytes - prev_size_bytes) / nullif(prev_size_bytes, 0))::numeric, 2) AS growth_pct
FROM (
    SELECT s.instance, s.labels ->> 'datname' AS datname, (r.bucket AT TIME ZONE 'UTC')::date AS day, r.last AS size_bytes,
           lag(r.last) OVER (PARTITION BY r.series_id ORDER BY r.bucket) AS prev_size_bytes
    FROM metric_rollup_1d r JOIN series s ON s.id = r.series_id
    WHERE s.metric = 'pg_database.size_bytes'
) d;

-- Queries ranked by total execution time within each instance and hour (the 'other' remainder
-- row that sums everything outside the collector's top-N is left out).
CREATE VIEW top_queries_hourly AS
SELECT r.instance, r.bucket,
       rank() OVER (PARTITION BY r.instance, r.bucket ORDER BY r.total_exec_time_ms DESC) AS rank,
       r.queryid, r.datname, r.rolname, r.calls, r.total_exec_time_ms, r.mean_exec_time_ms, r.rows,
       r.shared_blks_hit, r.shared_blks_read,
       r.shared_blks_hit / nullif(r.shared_blks_hit + r.shared_blks_read, 0) AS cache_hit_ratio,
       r.temp_blks_written, r.wal_bytes, t.query
FROM statement_rollup_1h r
LEFT JOIN statement_text t ON t.instance = r.instance AND t.queryid = r.queryid
WHERE r.queryid <> 'other';

-- Latest dead and live tuples per table (last 2 hours of 1-minute rollups) and when
-- autovacuum last ran.
CREATE VIEW table_dead_tuples AS
WITH latest AS (
    SELECT DISTINCT ON (s.id) s.instance, s.metric, s.labels, r.bucket, r.last
    FROM series s JOIN metric_rollup_1m r ON r.series_id = s.id
    WHERE s.metric IN ('pg_stat_user_tables.n_dead_tup', 'pg_stat_user_tables.n_live_tup',
                       'pg_stat_user_tables.last_autovacuum')
      AND r.bucket >= now() - interval '2 hours'
    ORDER BY s.id, r.bucket DESC
), per_table AS (
    SELECT instance, labels ->> 'datname' AS datname, labels ->> 'schemaname' AS schemaname,
           labels ->> 'relname' AS relname,
           max(last) FILTER (WHERE metric = 'pg_stat_user_tables.n_dead_tup') AS n_dead_tup,
           max(last) FILTER (WHERE metric = 'pg_stat_user_tables.n_live_tup') AS n_live_tup,
           max(last) FILTER (WHERE metric = 'pg_stat_user_tables.last_autovacuum') AS last_autovacuum_epoch,
           max(bucket) AS as_of
    FROM latest GROUP BY 1, 2, 3, 4
)
SELECT instance, datname, schemaname, relname, n_dead_tup, n_live_tup,
       n_dead_tup / nullif(n_dead_tup + n_live_tup, 0) AS dead_ratio,
       CASE WHEN last_autovacuum_epoch > 0 THEN to_timestamp(last_autovacuum_epoch) END AS last_autovacuum,
       as_of
FROM per_table;

-- Buffer cache hit ratio per database and hour, from the mean block rates of the hour.
CREATE VIEW cache_hit_ratio_hourly AS
SELECT instance, datname, bucket, blks_hit_per_s, blks_read_per_s,
       blks_hit_per_s / nullif(blks_hit_per_s + blks_read_per_s, 0) AS cache_hit_ratio
FROM (
    SELECT s.instance, s.labels ->> 'datname' AS datname, r.bucket,
           sum(r.sum / r.count) FILTER (WHERE s.metric = 'pg_stat_database.blks_hit') AS blks_hit_per_s,
           sum(r.sum / r.count) FILTER (WHERE s.metric = 'pg_stat_database.blks_read') AS blks_read_per_s
    FROM metric_rollup_1h r JOIN series s ON s.id = r.series_id
    WHERE s.metric IN ('pg_stat_database.blks_hit', 'pg_stat_database.blks_read')
    GROUP BY 1, 2, 3
) h;

GRANT SELECT ON metric_1m, metric_1h, metric_1d, open_alert, alert_history, instance_health, database_growth_daily,
    top_queries_hourly, table_dead_tuples, cache_hit_ratio_hourly TO datainsight_reader;
