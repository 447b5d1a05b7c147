-- Plan history (issue 16): the plans the collector's plans probe captured, one row per
-- (instance, database, query id, plan fingerprint) and month. The job upserts every captured plan:
-- first_seen keeps the earliest sighting of the month, last_seen moves forward, and the plan,
-- summary and cost are those of the latest sighting. A plan seen in two months has a row in each
-- (the partition key is part of the key), so dropping an old partition never loses the current
-- plan. A plan text the collector had to cut (over 256 KiB) is not valid JSON: it is kept as a
-- JSON string and marked truncated, never dropped.
CREATE TABLE query_plan (
    instance    text             NOT NULL,
    datname     text             NOT NULL,
    queryid     text             NOT NULL,
    fingerprint text             NOT NULL CHECK (fingerprint <> ''),
    period      timestamptz      NOT NULL,
    rolname     text,
    first_seen  timestamptz      NOT NULL,
    last_seen   timestamptz      NOT NULL,
    summary     text             NOT NULL,
    total_cost  double precision,
    plan        jsonb,
    truncated   boolean          NOT NULL DEFAULT false,
    plan_bytes  integer          NOT NULL DEFAULT 0 CHECK (plan_bytes >= 0),
    CHECK (last_seen >= first_seen),
    CHECK (first_seen >= period),
    CHECK (NOT truncated OR plan IS NULL OR jsonb_typeof(plan) = 'string'),
    PRIMARY KEY (instance, datname, queryid, fingerprint, period)
) PARTITION BY RANGE (period);
CREATE TABLE query_plan_default PARTITION OF query_plan DEFAULT;
CREATE INDEX query_plan_query_idx ON query_plan (instance, queryid, last_seen);

GRANT SELECT, INSERT, UPDATE ON query_plan TO datainsight_writer;
GRANT SELECT ON query_plan TO datainsight_reader;

-- The plan history per statement across months: one row per plan, with its first and last
-- sighting, the plan of its latest sighting, and the plan it replaced (by first sighting).
CREATE VIEW query_plan_history AS
SELECT instance, datname, queryid, fingerprint, first_seen, last_seen, summary, total_cost, truncated,
       lag(fingerprint) OVER w AS previous_fingerprint,
       lag(summary) OVER w AS previous_summary
FROM (
    SELECT instance, datname, queryid, fingerprint, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
           (array_agg(summary ORDER BY last_seen DESC))[1] AS summary,
           (array_agg(total_cost ORDER BY last_seen DESC))[1] AS total_cost,
           bool_or(truncated) AS truncated
    FROM query_plan
    GROUP BY instance, datname, queryid, fingerprint
) p
WINDOW w AS (PARTITION BY instance, datname, queryid ORDER BY first_seen, fingerprint);

GRANT SELECT ON query_plan_history TO datainsight_reader;
