-- Statement summary (issues 17 and 21): what the fleet-wide Queries lists (24 h, 7 d, 30 d, every
-- order) and the fleet-wide Trends need, precomputed per statement (instance, queryid, datname,
-- rolname), so that a page reads one row per statement instead of 24 to 37 per statement.
--
--   statement_summary       the closed part of those ranges, one row per span and statement, rebuilt
--                           from statement_rollup_1d / _1h once per UTC day (and again when hourly
--                           rows of a closed day arrive late) by statement_summary_refresh(), which
--                           statement_rollup_1d_refresh() calls after rolling the days;
--   statement_summary_live  today so far (UTC days from the summary's as_of on), one row per
--                           statement and day, kept by triggers on statement_rollup_1h as rows are
--                           written (the sums of the day's hourly rows, recomputed);
--   statement_summary_state one row: the UTC midnight the spans end at (as_of), and whether hourly
--                           rows of a closed day changed since the build (stale).
--
-- Readers use it only while as_of is the current UTC day and stale is false; otherwise they read
-- the rollups as before (correct, slower). Spans (lo <= bucket < hi, D = as_of - 1 day):
--   d7 [as_of-7d, as_of)  b7 [as_of-14d, as_of-7d)  d30 [as_of-30d, as_of)  b30 [as_of-37d, as_of-30d)
--   w6 [as_of-6d, as_of)  wp [as_of-13d, as_of-6d)   (Trends: this week's closed days, the week before)
--   yHH  hours of D from HH:00 on (HH 00..23)        xHH hours of D-7 from HH:00 on
-- A 24-hour range from D HH:00 is yHH plus today; its 7-day baseline is d7 + xHH - yHH.
-- After V9 the owner role owns the store: what this migration creates is its too.
SET LOCAL ROLE datainsight_owner;

CREATE TABLE statement_summary (
    span                text             NOT NULL CHECK (span ~ '^(d7|b7|d30|b30|w6|wp|[xy][0-2][0-9])$'),
    instance            text             NOT NULL,
    queryid             text             NOT NULL,
    datname             text             NOT NULL,
    rolname             text             NOT NULL,
    calls               double precision NOT NULL,
    total_exec_time_ms  double precision NOT NULL,
    rows                double precision NOT NULL,
    -- sum of the source rows' sums of squares, and how many source rows there were and had one:
    -- the spread is known only when sq_rows = source_rows (as the hourly readers require)
    exec_time_sq_ms2    double precision,
    sq_rows             integer          NOT NULL,
    source_rows         integer          NOT NULL,
    max_exec_time_ms    double precision,
    PRIMARY KEY (span, instance, queryid, datname, rolname)
);

CREATE TABLE statement_summary_live (
    day                 timestamptz      NOT NULL,
    instance            text             NOT NULL,
    queryid             text             NOT NULL,
    datname             text             NOT NULL,
    rolname             text             NOT NULL,
    calls               double precision NOT NULL,
    total_exec_time_ms  double precision NOT NULL,
    rows                double precision NOT NULL,
    exec_time_sq_ms2    double precision,
    sq_rows             integer          NOT NULL,
    source_rows         integer          NOT NULL,
    max_exec_time_ms    double precision,
    PRIMARY KEY (day, instance, queryid, datname, rolname)
) WITH (fillfactor = 70);

CREATE TABLE statement_summary_state (
    only_row boolean     NOT NULL DEFAULT true PRIMARY KEY CHECK (only_row),
    as_of    timestamptz NOT NULL,
    stale    boolean     NOT NULL,
    built_at timestamptz NOT NULL
);

-- Written hourly rows (inserted, or updated by the writer's upsert of an hour seen again) make
-- their days' live rows be recomputed from those days' hourly rows (at most 24 per statement, read
-- by the primary key): the same sums whatever the order the INSERT and UPDATE triggers of one
-- upsert fire in, and a maximum that went down is not kept. Rows of a day before as_of mark the
-- summary stale instead (its spans no longer match the rollups until the next build). Before the
-- first build there is no state and nothing to keep. The state row is locked FOR SHARE so that a
-- build (which locks it first) and a writer never interleave: a build waits for the writers in
-- flight and rebuilds the live rows from what they committed; a writer that starts during a build
-- waits for it.
CREATE FUNCTION statement_summary_written() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a timestamptz;
BEGIN
    SELECT as_of INTO a FROM statement_summary_state FOR SHARE;
    IF a IS NULL THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM changed_rows WHERE bucket < a) THEN
        UPDATE statement_summary_state SET stale = true WHERE NOT stale;
    END IF;
    INSERT INTO statement_summary_live AS l (day, instance, queryid, datname, rolname, calls, total_exec_time_ms, rows,
        exec_time_sq_ms2, sq_rows, source_rows, max_exec_time_ms)
    SELECT k.day, r.instance, r.queryid, r.datname, r.rolname, sum(r.calls), sum(r.total_exec_time_ms), sum(r.rows),
           sum(r.exec_time_sq_ms2), count(r.exec_time_sq_ms2), count(*), max(r.max_exec_time_ms)
    FROM (SELECT DISTINCT date_trunc('day', bucket, 'UTC') AS day, instance, queryid, datname, rolname
          FROM changed_rows WHERE bucket >= a AND queryid <> 'other') k
    JOIN statement_rollup_1h r ON r.instance = k.instance AND r.queryid = k.queryid AND r.datname = k.datname
         AND r.rolname = k.rolname AND r.bucket >= k.day AND r.bucket < k.day + interval '1 day'
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (day, instance, queryid, datname, rolname) DO UPDATE SET
        calls = EXCLUDED.calls, total_exec_time_ms = EXCLUDED.total_exec_time_ms, rows = EXCLUDED.rows,
        exec_time_sq_ms2 = EXCLUDED.exec_time_sq_ms2, sq_rows = EXCLUDED.sq_rows, source_rows = EXCLUDED.source_rows,
        max_exec_time_ms = EXCLUDED.max_exec_time_ms;
    RETURN NULL;
END
$$;

CREATE TRIGGER statement_summary_on_insert AFTER INSERT ON statement_rollup_1h
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION statement_summary_written();
CREATE TRIGGER statement_summary_on_update AFTER UPDATE ON statement_rollup_1h
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION statement_summary_written();

-- Builds the spans ending at the UTC day of `as_of` (default now()) when statement_rollup_1d holds
-- every day before it and the summary is not already built for that day (unless it is stale or
-- `force`), then the live rows from that day on, from the hourly rows. Returns the summary rows
-- written (0 when nothing was built). A full rebuild: about (6 + 2 x 24) rows per statement, from
-- 37 daily and 48 hourly rows per statement.
CREATE FUNCTION statement_summary_refresh(as_of timestamptz DEFAULT now(), force boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    upto       timestamptz := date_trunc('day', as_of, 'UTC');
    rolled     timestamptz;
    prev_as_of timestamptz;
    prev_stale boolean;
    n_days     bigint;
    n_hours    bigint;
BEGIN
    SELECT max(rolled_until) INTO rolled FROM statement_rollup_1d_state;
    IF rolled IS NULL OR rolled < upto THEN
        RETURN 0;
    END IF;
    -- First the state row's lock: writers in flight (their triggers hold it FOR SHARE) commit
    -- before the sources are read, later ones wait for this build. (On the very first build there
    -- is no row to lock: a writer committing during it is in the live rows at the next build.)
    SELECT s.as_of, s.stale INTO prev_as_of, prev_stale FROM statement_summary_state s FOR UPDATE;
    IF NOT force AND prev_as_of = upto AND NOT prev_stale THEN
        RETURN 0;
    END IF;

    DELETE FROM statement_summary;
    INSERT INTO statement_summary (span, instance, queryid, datname, rolname, calls, total_exec_time_ms, rows,
        exec_time_sq_ms2, sq_rows, source_rows, max_exec_time_ms)
    SELECT s.span, r.instance, r.queryid, r.datname, r.rolname, sum(r.calls), sum(r.total_exec_time_ms), sum(r.rows),
           sum(r.exec_time_sq_ms2), count(r.exec_time_sq_ms2), count(*), max(r.max_exec_time_ms)
    FROM statement_rollup_1d r
    JOIN (VALUES ('d7', 7, 0), ('b7', 14, 7), ('d30', 30, 0), ('b30', 37, 30), ('w6', 6, 0), ('wp', 13, 6)) s(span, lo, hi)
      ON r.bucket >= upto - s.lo * interval '1 day' AND r.bucket < upto - s.hi * interval '1 day'
    WHERE r.bucket >= upto - interval '37 days' AND r.bucket < upto AND r.queryid <> 'other'
    GROUP BY 1, 2, 3, 4, 5;
    GET DIAGNOSTICS n_days = ROW_COUNT;

    -- Suffixes of the hours of D (y) and D-7 (x): per statement and hour of the day, the sums from
    -- that hour to midnight, for every hour up to the statement's last one in that day.
    WITH h AS (
        SELECT d.p, r.instance, r.queryid, r.datname, r.rolname, extract(hour FROM r.bucket AT TIME ZONE 'UTC')::int AS hh,
               sum(r.calls) AS calls, sum(r.total_exec_time_ms) AS total, sum(r.rows) AS rows, sum(r.exec_time_sq_ms2) AS sq,
               count(r.exec_time_sq_ms2) AS nsq, count(*) AS n, max(r.max_exec_time_ms) AS mx
        FROM (VALUES ('y', upto - interval '1 day'), ('x', upto - interval '8 days')) d(p, day)
        JOIN statement_rollup_1h r ON r.bucket >= d.day AND r.bucket < d.day + interval '1 day'
        WHERE r.bucket >= upto - interval '8 days' AND r.bucket < upto AND r.queryid <> 'other'
        GROUP BY 1, 2, 3, 4, 5, 6
    ), k AS (
        SELECT m.p, m.instance, m.queryid, m.datname, m.rolname, g.hh
        FROM (SELECT p, instance, queryid, datname, rolname, max(hh) AS last FROM h GROUP BY 1, 2, 3, 4, 5) m
        CROSS JOIN LATERAL generate_series(0, m.last) g(hh)
    ), s AS (
        SELECT k.p, k.instance, k.queryid, k.datname, k.rolname, k.hh,
               sum(h.calls) OVER w AS calls, sum(h.total) OVER w AS total, sum(h.rows) OVER w AS rows, sum(h.sq) OVER w AS sq,
               sum(h.nsq) OVER w AS nsq, sum(h.n) OVER w AS n, max(h.mx) OVER w AS mx
        FROM k LEFT JOIN h USING (p, instance, queryid, datname, rolname, hh)
        WINDOW w AS (PARTITION BY k.p, k.instance, k.queryid, k.datname, k.rolname ORDER BY k.hh DESC)
    )
    INSERT INTO statement_summary (span, instance, queryid, datname, rolname, calls, total_exec_time_ms, rows,
        exec_time_sq_ms2, sq_rows, source_rows, max_exec_time_ms)
    SELECT p || lpad(hh::text, 2, '0'), instance, queryid, datname, rolname, calls, total, rows, sq, nsq, n, mx
    FROM s;
    GET DIAGNOSTICS n_hours = ROW_COUNT;

    DELETE FROM statement_summary_live;
    INSERT INTO statement_summary_live (day, instance, queryid, datname, rolname, calls, total_exec_time_ms, rows,
        exec_time_sq_ms2, sq_rows, source_rows, max_exec_time_ms)
    SELECT date_trunc('day', bucket, 'UTC'), instance, queryid, datname, rolname, sum(calls), sum(total_exec_time_ms), sum(rows),
           sum(exec_time_sq_ms2), count(exec_time_sq_ms2), count(*), max(max_exec_time_ms)
    FROM statement_rollup_1h
    WHERE bucket >= upto AND queryid <> 'other'
    GROUP BY 1, 2, 3, 4, 5;

    INSERT INTO statement_summary_state AS s (only_row, as_of, stale, built_at) VALUES (true, upto, false, now())
    ON CONFLICT (only_row) DO UPDATE SET as_of = EXCLUDED.as_of, stale = false, built_at = EXCLUDED.built_at;
    RETURN n_days + n_hours;
END
$$;

-- V7's refresh, renamed, and under its old name a refresh that rolls the days and then builds the
-- summary: the maintenance (and anyone calling statement_rollup_1d_refresh) keeps both.
ALTER FUNCTION statement_rollup_1d_refresh(timestamptz, timestamptz) RENAME TO statement_rollup_1d_roll;
CREATE FUNCTION statement_rollup_1d_refresh(since timestamptz DEFAULT NULL, as_of timestamptz DEFAULT now())
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    n := statement_rollup_1d_roll(since, as_of);
    PERFORM statement_summary_refresh(as_of);
    RETURN n;
END
$$;

-- What is stored already.
SELECT statement_summary_refresh();

-- The writer runs the refresh and the triggers (which run as the writing role); the reader reads.
GRANT SELECT, INSERT, UPDATE, DELETE ON statement_summary, statement_summary_live, statement_summary_state TO datainsight_writer;
GRANT SELECT ON statement_summary, statement_summary_live, statement_summary_state TO datainsight_reader;
REVOKE ALL ON FUNCTION statement_summary_refresh(timestamptz, boolean), statement_rollup_1d_refresh(timestamptz, timestamptz)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION statement_summary_refresh(timestamptz, boolean), statement_rollup_1d_refresh(timestamptz, timestamptz)
    TO datainsight_writer;
