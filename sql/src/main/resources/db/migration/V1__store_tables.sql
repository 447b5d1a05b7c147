-- DataInsight store, version 1: inventory, series, rollups, statements, alerts, insights.
-- Time-series tables are partitioned by RANGE on their time column. Each has a DEFAULT
-- partition so that a row for a time without a partition never fails the job's sink;
-- PartitionMaintenance creates the dated partitions ahead of time, moves rows out of the
-- default partition and drops whole partitions past retention. See docs/schema.md.

-- Inventory of monitored servers, upserted as snapshots arrive.
CREATE TABLE instance (
    instance           text        NOT NULL PRIMARY KEY CHECK (instance <> ''),
    labels             jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
    server_version_num integer     NOT NULL CHECK (server_version_num >= 0),
    first_seen         timestamptz NOT NULL,
    last_seen          timestamptz NOT NULL,
    CHECK (last_seen >= first_seen)
);

-- One row per series: (instance, metric, labels). Rollup rows carry only the series id, which
-- keeps them 2.8x smaller and their upserts 2.4x faster than repeating the labels as jsonb in
-- every row (measured, docs/schema.md).
CREATE TABLE series (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance   text        NOT NULL CHECK (instance <> ''),
    metric     text        NOT NULL CHECK (metric ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$'),
    labels     jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
    first_seen timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT series_key UNIQUE (instance, metric, labels)
);
CREATE INDEX series_metric_idx ON series (metric);

-- Rollups: count, min, max, sum and last of the samples of one series in one bucket. Counters
-- are stored as per-second rates under their view.column name; gauges as they are.
CREATE TABLE metric_rollup_1m (
    series_id bigint           NOT NULL,
    bucket    timestamptz      NOT NULL,
    count     bigint           NOT NULL CHECK (count > 0),
    min       double precision NOT NULL,
    max       double precision NOT NULL,
    sum       double precision NOT NULL,
    last      double precision NOT NULL,
    CHECK (min <= max),
    PRIMARY KEY (series_id, bucket)
) PARTITION BY RANGE (bucket);
CREATE TABLE metric_rollup_1m_default PARTITION OF metric_rollup_1m DEFAULT;

CREATE TABLE metric_rollup_1h (LIKE metric_rollup_1m INCLUDING CONSTRAINTS, PRIMARY KEY (series_id, bucket))
    PARTITION BY RANGE (bucket);
CREATE TABLE metric_rollup_1h_default PARTITION OF metric_rollup_1h DEFAULT;

CREATE TABLE metric_rollup_1d (LIKE metric_rollup_1m INCLUDING CONSTRAINTS, PRIMARY KEY (series_id, bucket))
    PARTITION BY RANGE (bucket);
CREATE TABLE metric_rollup_1d_default PARTITION OF metric_rollup_1d DEFAULT;

-- pg_stat_statements per query id and hour: sums of counter deltas within the hour.
CREATE TABLE statement_rollup_1h (
    instance            text             NOT NULL,
    queryid             text             NOT NULL,
    datname             text             NOT NULL,
    rolname             text             NOT NULL,
    bucket              timestamptz      NOT NULL,
    calls               double precision NOT NULL CHECK (calls >= 0),
    total_exec_time_ms  double precision NOT NULL CHECK (total_exec_time_ms >= 0),
    mean_exec_time_ms   double precision CHECK (mean_exec_time_ms >= 0),
    rows                double precision NOT NULL CHECK (rows >= 0),
    shared_blks_hit     double precision NOT NULL CHECK (shared_blks_hit >= 0),
    shared_blks_read    double precision NOT NULL CHECK (shared_blks_read >= 0),
    shared_blks_dirtied double precision NOT NULL CHECK (shared_blks_dirtied >= 0),
    shared_blks_written double precision NOT NULL CHECK (shared_blks_written >= 0),
    temp_blks_read      double precision NOT NULL CHECK (temp_blks_read >= 0),
    temp_blks_written   double precision NOT NULL CHECK (temp_blks_written >= 0),
    wal_bytes           double precision NOT NULL CHECK (wal_bytes >= 0),
    CHECK ((calls = 0) = (mean_exec_time_ms IS NULL)),
    PRIMARY KEY (instance, queryid, datname, rolname, bucket)
) PARTITION BY RANGE (bucket);
CREATE TABLE statement_rollup_1h_default PARTITION OF statement_rollup_1h DEFAULT;

-- Normalised query text per (instance, query id). Query ids depend on object OIDs, so the same
-- id on two servers is not guaranteed to be the same statement.
CREATE TABLE statement_text (
    instance   text        NOT NULL,
    queryid    text        NOT NULL,
    query      text        NOT NULL,
    truncated  boolean     NOT NULL DEFAULT false,
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    CHECK (last_seen >= first_seen),
    PRIMARY KEY (instance, queryid)
);

-- Every alert transition. The job may replay events after a restart: the primary key makes
-- writing the same event twice a no-op.
CREATE TABLE alert_event (
    fingerprint text             NOT NULL CHECK (fingerprint <> ''),
    rule        text             NOT NULL,
    severity    text             NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    status      text             NOT NULL CHECK (status IN ('pending', 'firing', 'resolved')),
    instance    text             NOT NULL,
    labels      jsonb            NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
    value       double precision,
    threshold   double precision,
    started_at  timestamptz      NOT NULL,
    resolved_at timestamptz,
    event_at    timestamptz      NOT NULL,
    summary     text             NOT NULL,
    description text,
    runbook     text,
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL)),
    CHECK (resolved_at IS NULL OR resolved_at >= started_at),
    PRIMARY KEY (fingerprint, status, severity, event_at)
) PARTITION BY RANGE (event_at);
CREATE TABLE alert_event_default PARTITION OF alert_event DEFAULT;
CREATE INDEX alert_event_instance_idx ON alert_event (instance, event_at);

-- Current findings and recommendations, one row per (instance, kind, subject).
CREATE TABLE insight (
    instance    text        NOT NULL,
    kind        text        NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    subject     text        NOT NULL,
    severity    text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    summary     text        NOT NULL,
    evidence    jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(evidence) = 'object'),
    first_seen  timestamptz NOT NULL,
    observed_at timestamptz NOT NULL,
    CHECK (observed_at >= first_seen),
    PRIMARY KEY (instance, kind, subject)
);
