-- Dashboards stay fast (issue 21): the current state of every series and alert in one small
-- table each, kept by the store in the transaction that writes the rows they summarize; views
-- that read them instead of sorting a year of alert_event or hours of 1-minute rows; ranges
-- with both bounds so every read prunes partitions; daily and "so far" derived views.
-- See docs/schema.md ("Current state") and docs/sql-cookbook.md.

-- The newest 1-minute rollup of every series. Updated in place on every minute of every series:
-- only the primary key is indexed and pages keep room (fillfactor), so the updates are HOT.
CREATE TABLE series_latest (
    series_id bigint           NOT NULL PRIMARY KEY,
    bucket    timestamptz      NOT NULL,
    count     bigint           NOT NULL CHECK (count > 0),
    min       double precision NOT NULL,
    max       double precision NOT NULL,
    sum       double precision NOT NULL,
    last      double precision NOT NULL,
    CHECK (min <= max)
) WITH (fillfactor = 70);

-- The newest event of every alert (fingerprint). A resolved alert keeps its row, marked by its
-- status: an older event replayed later (a job restart) then still loses against it. Open
-- alerts are the rows whose status is not 'resolved' (partial index below).
CREATE TABLE alert_state (
    fingerprint     text             NOT NULL PRIMARY KEY CHECK (fingerprint <> ''),
    rule            text             NOT NULL,
    severity        text             NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    status          text             NOT NULL CHECK (status IN ('pending', 'firing', 'resolved')),
    instance        text             NOT NULL,
    labels          jsonb            NOT NULL DEFAULT '{}',
    value           double precision,
    threshold       double precision,
    started_at      timestamptz      NOT NULL,
    resolved_at     timestamptz,
    event_at        timestamptz      NOT NULL,
    summary         text             NOT NULL,
    description     text,
    runbook         text,
    context         jsonb            DEFAULT '[]',
    instance_labels jsonb            DEFAULT '{}'
) WITH (fillfactor = 80);
CREATE INDEX alert_state_open_idx ON alert_state (instance) WHERE status <> 'resolved';

-- Which of two events of one alert is newer: event time, then resolved over firing over
-- pending, then the higher severity (an escalation written at the same instant).
CREATE FUNCTION alert_status_rank(status text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE status WHEN 'resolved' THEN 3 WHEN 'firing' THEN 2 ELSE 1 END $$;
CREATE FUNCTION alert_severity_rank(severity text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END $$;

-- Statement-level triggers with transition tables: one upsert per statement (a COPY of a whole
-- minute is one statement), whatever writes the rows (the job's writer, a backfill, a test
-- fixture). They run as the writing role, which therefore needs INSERT and UPDATE on the state
-- tables. Ties (a replay of the same row) update with the same values: replays are no-ops.
CREATE FUNCTION series_latest_upsert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO series_latest AS l (series_id, bucket, count, min, max, sum, last)
    SELECT DISTINCT ON (series_id) series_id, bucket, count, min, max, sum, last
    FROM changed_rows
    ORDER BY series_id, bucket DESC
    ON CONFLICT (series_id) DO UPDATE SET bucket = EXCLUDED.bucket, count = EXCLUDED.count, min = EXCLUDED.min,
        max = EXCLUDED.max, sum = EXCLUDED.sum, last = EXCLUDED.last
    WHERE EXCLUDED.bucket >= l.bucket;
    RETURN NULL;
END
$$;

CREATE TRIGGER series_latest_on_insert AFTER INSERT ON metric_rollup_1m
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION series_latest_upsert();
CREATE TRIGGER series_latest_on_update AFTER UPDATE ON metric_rollup_1m
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION series_latest_upsert();

CREATE FUNCTION alert_state_upsert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alert_state AS a (fingerprint, rule, severity, status, instance, labels, value, threshold, started_at,
        resolved_at, event_at, summary, description, runbook, context, instance_labels)
    SELECT DISTINCT ON (fingerprint) fingerprint, rule, severity, status, instance, labels, value, threshold, started_at,
        resolved_at, event_at, summary, description, runbook, context, instance_labels
    FROM changed_events
    ORDER BY fingerprint, event_at DESC, alert_status_rank(status) DESC, alert_severity_rank(severity) DESC
    ON CONFLICT (fingerprint) DO UPDATE SET rule = EXCLUDED.rule, severity = EXCLUDED.severity, status = EXCLUDED.status,
        instance = EXCLUDED.instance, labels = EXCLUDED.labels, value = EXCLUDED.value, threshold = EXCLUDED.threshold,
        started_at = EXCLUDED.started_at, resolved_at = EXCLUDED.resolved_at, event_at = EXCLUDED.event_at,
        summary = EXCLUDED.summary, description = EXCLUDED.description, runbook = EXCLUDED.runbook,
        context = EXCLUDED.context, instance_labels = EXCLUDED.instance_labels
    WHERE (EXCLUDED.event_at, alert_status_rank(EXCLUDED.status), alert_severity_rank(EXCLUDED.severity))
       >= (a.event_at, alert_status_rank(a.status), alert_severity_rank(a.severity));
    RETURN NULL;
END
$$;

CREATE TRIGGER alert_state_on_insert AFTER INSERT ON alert_event
    REFERENCING NEW TABLE AS changed_events FOR EACH STATEMENT EXECUTE FUNCTION alert_state_upsert();
CREATE TRIGGER alert_state_on_update AFTER UPDATE ON alert_event
    REFERENCING NEW TABLE AS changed_events FOR EACH STATEMENT EXECUTE FUNCTION alert_state_upsert();

-- Backfill from what is stored. series_latest: one backward index probe per series and
-- partition (not a sort of every 1-minute row); alert_state: the newest event per fingerprint.
INSERT INTO series_latest (series_id, bucket, count, min, max, sum, last)
SELECT r.series_id, r.bucket, r.count, r.min, r.max, r.sum, r.last
FROM series s
CROSS JOIN LATERAL (
    SELECT * FROM metric_rollup_1m m WHERE m.series_id = s.id ORDER BY m.bucket DESC LIMIT 1
) r;

INSERT INTO alert_state (fingerprint, rule, severity, status, instance, labels, value, threshold, started_at,
    resolved_at, event_at, summary, description, runbook, context, instance_labels)
SELECT DISTINCT ON (fingerprint) fingerprint, rule, severity, status, instance, labels, value, threshold, started_at,
    resolved_at, event_at, summary, description, runbook, context, instance_labels
FROM alert_event
ORDER BY fingerprint, event_at DESC, alert_status_rank(status) DESC, alert_severity_rank(severity) DESC;

GRANT SELECT, INSERT, UPDATE ON series_latest, alert_state TO datainsight_writer;
GRANT SELECT ON series_latest, alert_state TO datainsight_reader;

-- The newest 1-minute rollup of every series, spelled out.
CREATE VIEW metric_latest AS
SELECT s.instance, s.metric, s.labels, l.bucket, l.count, l.min, l.max, l.sum, l.last, l.sum / l.count AS avg, l.series_id
FROM series_latest l JOIN series s ON s.id = l.series_id;

-- The views keep their columns; they now read the state tables.
CREATE OR REPLACE VIEW open_alert AS
SELECT fingerprint, rule, severity, status, instance, labels, value, threshold, started_at,
       event_at AS last_event_at, now() - started_at AS open_for, summary, description, runbook,
       context, instance_labels
FROM alert_state
WHERE status <> 'resolved';

CREATE OR REPLACE VIEW instance_health AS
WITH latest AS (
    SELECT s.instance, s.metric, s.labels, l.last
    FROM series s JOIN series_latest l ON l.series_id = s.id
    WHERE l.bucket >= now() - interval '1 hour'
      AND s.metric IN ('datainsight_collector.up', 'pg_stat_activity.connections_total',
                       'pg_stat_activity.max_connections', 'pg_database.size_bytes')
      AND (s.metric <> 'datainsight_collector.up' OR coalesce(s.labels ->> 'probe', '') = '')
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

CREATE OR REPLACE VIEW table_dead_tuples AS
WITH latest AS (
    SELECT s.instance, s.metric, s.labels, l.bucket, l.last
    FROM series s JOIN series_latest l ON l.series_id = s.id
    WHERE s.metric IN ('pg_stat_user_tables.n_dead_tup', 'pg_stat_user_tables.n_live_tup',
                       'pg_stat_user_tables.last_autovacuum')
      AND l.bucket >= now() - interval '2 hours'
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

-- Database sizes per day in [from_day, to_day] (UTC days, both included) and the growth over
-- the previous stored day, reading only the daily partitions of that range (and the day
-- before it). Inlined into the calling query, so its bounds prune like literals.
CREATE FUNCTION database_growth(from_day date, to_day date)
    RETURNS TABLE (instance text, datname text, day date, size_bytes double precision,
                   growth_bytes double precision, growth_pct numeric)
    LANGUAGE sql STABLE
AS $$
SELECT d.instance, d.datname, d.day, d.size_bytes,
       d.size_bytes - d.prev_size_bytes,
       round((100 * (d.size_bytes - d.prev_size_bytes) / nullif(d.prev_size_bytes, 0))::numeric, 2)
FROM (
    SELECT s.instance, s.labels ->> 'datname' AS datname, (r.bucket AT TIME ZONE 'UTC')::date AS day, r.last AS size_bytes,
           lag(r.last) OVER (PARTITION BY r.series_id ORDER BY r.bucket) AS prev_size_bytes
    FROM metric_rollup_1d r JOIN series s ON s.id = r.series_id
    WHERE s.metric = 'pg_database.size_bytes'
      AND r.bucket >= (from_day - 1)::timestamp AT TIME ZONE 'UTC'
      AND r.bucket < (to_day + 1)::timestamp AT TIME ZONE 'UTC'
) d
WHERE d.day >= from_day
$$;

-- The view keeps its columns but now covers the last 90 days (it read two years of daily rows
-- and ran lag() over all of them for every query); older ranges: database_growth(from, to).
CREATE OR REPLACE VIEW database_growth_daily AS
SELECT * FROM database_growth((now() AT TIME ZONE 'UTC')::date - 90, (now() AT TIME ZONE 'UTC')::date);

-- Buffer cache hit ratio per database and UTC day, from the mean block rates of the day.
CREATE VIEW cache_hit_ratio_daily AS
SELECT instance, datname, bucket, (bucket AT TIME ZONE 'UTC')::date AS day, blks_hit_per_s, blks_read_per_s,
       blks_hit_per_s / nullif(blks_hit_per_s + blks_read_per_s, 0) AS cache_hit_ratio
FROM (
    SELECT s.instance, s.labels ->> 'datname' AS datname, r.bucket,
           sum(r.sum / r.count) FILTER (WHERE s.metric = 'pg_stat_database.blks_hit') AS blks_hit_per_s,
           sum(r.sum / r.count) FILTER (WHERE s.metric = 'pg_stat_database.blks_read') AS blks_read_per_s
    FROM metric_rollup_1d r JOIN series s ON s.id = r.series_id
    WHERE s.metric IN ('pg_stat_database.blks_hit', 'pg_stat_database.blks_read')
    GROUP BY 1, 2, 3
) d;

-- Every series' daily mean in [from_day, to_day] beside its mean on the same weekday a week
-- before; both sides read only their own partitions.
CREATE FUNCTION metric_week_over_week(from_day date, to_day date)
    RETURNS TABLE (instance text, metric text, labels jsonb, day date, avg double precision,
                   avg_week_before double precision, ratio double precision, series_id bigint)
    LANGUAGE sql STABLE
AS $$
SELECT s.instance, s.metric, s.labels, (r.bucket AT TIME ZONE 'UTC')::date, r.sum / r.count, p.sum / p.count,
       (r.sum / r.count) / nullif(p.sum / p.count, 0), r.series_id
FROM metric_rollup_1d r
JOIN series s ON s.id = r.series_id
LEFT JOIN metric_rollup_1d p ON p.series_id = r.series_id AND p.bucket = r.bucket - interval '7 days'
     AND p.bucket >= (from_day - 7)::timestamp AT TIME ZONE 'UTC'
     AND p.bucket < (to_day - 6)::timestamp AT TIME ZONE 'UTC'
WHERE r.bucket >= from_day::timestamp AT TIME ZONE 'UTC'
  AND r.bucket < (to_day + 1)::timestamp AT TIME ZONE 'UTC'
$$;

-- The last 7 complete UTC days against the week before.
CREATE VIEW metric_week_over_week_daily AS
SELECT * FROM metric_week_over_week((now() AT TIME ZONE 'UTC')::date - 7, (now() AT TIME ZONE 'UTC')::date - 1);

-- The current UTC hour so far, from its 1-minute rollups (the 1-hour row is written once the
-- hour is final): the same columns as metric_1h.
CREATE VIEW metric_1h_so_far AS
SELECT s.instance, s.metric, s.labels, h.bucket, h.count, h.min, h.max, h.sum, h.last, h.sum / h.count AS avg, h.series_id
FROM (
    SELECT r.series_id, date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
           sum(r.count)::bigint AS count, min(r.min) AS min, max(r.max) AS max, sum(r.sum) AS sum,
           (array_agg(r.last ORDER BY r.bucket DESC))[1] AS last
    FROM metric_rollup_1m r
    WHERE r.bucket >= date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
      AND r.bucket < (date_trunc('hour', now() AT TIME ZONE 'UTC') + interval '1 hour') AT TIME ZONE 'UTC'
    GROUP BY r.series_id
) h JOIN series s ON s.id = h.series_id;

-- The current UTC day so far: its final 1-hour rollups, and 1-minute rollups for the hours
-- that have none yet (the current hour, or one whose 1-hour row is not written yet).
CREATE VIEW metric_1d_so_far AS
SELECT s.instance, s.metric, s.labels, d.bucket, d.count, d.min, d.max, d.sum, d.last, d.sum / d.count AS avg, d.series_id
FROM (
    SELECT p.series_id, date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
           sum(p.count)::bigint AS count, min(p.min) AS min, max(p.max) AS max, sum(p.sum) AS sum,
           (array_agg(p.last ORDER BY p.bucket DESC))[1] AS last
    FROM (
        SELECT h.series_id, h.bucket, h.count, h.min, h.max, h.sum, h.last
        FROM metric_rollup_1h h
        WHERE h.bucket >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
          AND h.bucket < (date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day') AT TIME ZONE 'UTC'
        UNION ALL
        SELECT m.series_id, m.bucket, m.count, m.min, m.max, m.sum, m.last
        FROM metric_rollup_1m m
        WHERE m.bucket >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
          AND m.bucket < (date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day') AT TIME ZONE 'UTC'
          AND NOT EXISTS (
              SELECT 1 FROM metric_rollup_1h h
              WHERE h.series_id = m.series_id
                AND h.bucket = date_trunc('hour', m.bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                AND h.bucket >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                AND h.bucket < (date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day') AT TIME ZONE 'UTC')
    ) p
    GROUP BY p.series_id
) d JOIN series s ON s.id = d.series_id;

GRANT SELECT ON metric_latest, database_growth_daily, cache_hit_ratio_daily, metric_week_over_week_daily,
    metric_1h_so_far, metric_1d_so_far TO datainsight_reader;
