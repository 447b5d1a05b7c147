-- Daily statement rollup (issue 17): per statement, database, role and UTC day, the sums of the
-- hourly rows of that day, so that lists and trends over 7 days or more read one row per
-- statement-day instead of 24. Built only from closed days (days before the current UTC day) by
-- statement_rollup_1d_refresh(), which the maintenance calls on every run; readers take the
-- current day ("today so far") from statement_rollup_1h, split at statement_rollup_1d_state's
-- rolled_until. Partitioned by month like statement_rollup_1h (PartitionPolicy), kept as long as
-- the daily metric rollups.
CREATE TABLE statement_rollup_1d (LIKE statement_rollup_1h INCLUDING CONSTRAINTS,
    PRIMARY KEY (instance, queryid, datname, rolname, bucket))
    PARTITION BY RANGE (bucket);
CREATE TABLE statement_rollup_1d_default PARTITION OF statement_rollup_1d DEFAULT;

-- Ranges over every statement (the fleet-wide Queries lists and Trends, the roll-up below) cannot
-- use the primary keys, which lead with the instance, and the partitions are monthly: without an
-- index on the time a 24-hour range read the whole month's partition (measured at 1,000
-- instances: 1.5 M rows scanned for 480 k kept on the 4th of a month, 14 M on the 30th). Rows
-- arrive in time order (the job writes each hour as it closes), so a BRIN index on bucket narrows
-- such a scan to the block ranges of the range, for a few kB per partition.
CREATE INDEX statement_rollup_1h_bucket_brin ON statement_rollup_1h USING brin (bucket);
CREATE INDEX statement_rollup_1d_bucket_brin ON statement_rollup_1d USING brin (bucket);

-- One row: every day before rolled_until (a UTC midnight) is in statement_rollup_1d. Hourly rows
-- written later for a day before it (a backfill) are read once rolled again:
-- SELECT statement_rollup_1d_refresh(since => 'DAY').
CREATE TABLE statement_rollup_1d_state (
    only_row     boolean     NOT NULL DEFAULT true PRIMARY KEY CHECK (only_row),
    rolled_until timestamptz NOT NULL,
    refreshed_at timestamptz NOT NULL
);

-- Rolls the closed days from the day of `since` (default: the day before the last rolled one,
-- which takes in hourly rows that arrived late) up to the UTC day of `as_of` (default now(); the
-- maintenance passes its clock), replacing what was
-- there (upsert: running it twice gives the same rows). Returns the rows written. Reads only the
-- hourly partitions of the days it rolls.
CREATE FUNCTION statement_rollup_1d_refresh(since timestamptz DEFAULT NULL, as_of timestamptz DEFAULT now())
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    upto  timestamptz := date_trunc('day', as_of, 'UTC');
    start timestamptz;
    n     bigint;
BEGIN
    SELECT date_trunc('day', coalesce(since, s.rolled_until - interval '1 day'), 'UTC') INTO start
    FROM (SELECT max(rolled_until) AS rolled_until FROM statement_rollup_1d_state) s;
    IF start IS NULL THEN
        start := upto - interval '90 days'; -- first run: as far back as hourly rows are kept
    END IF;
    INSERT INTO statement_rollup_1d (instance, queryid, datname, rolname, bucket, calls, total_exec_time_ms,
        mean_exec_time_ms, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written,
        temp_blks_read, temp_blks_written, wal_bytes, exec_time_sq_ms2, max_exec_time_ms)
    SELECT instance, queryid, datname, rolname, date_trunc('day', bucket, 'UTC'), sum(calls), sum(total_exec_time_ms),
           CASE WHEN sum(calls) > 0 THEN sum(total_exec_time_ms) / sum(calls) END, sum(rows), sum(shared_blks_hit),
           sum(shared_blks_read), sum(shared_blks_dirtied), sum(shared_blks_written), sum(temp_blks_read),
           sum(temp_blks_written), sum(wal_bytes),
           -- a day's sum of squares only when every hour of it has one (as the hourly readers require)
           CASE WHEN count(exec_time_sq_ms2) = count(*) THEN sum(exec_time_sq_ms2) END, max(max_exec_time_ms)
    FROM statement_rollup_1h
    WHERE bucket >= start AND bucket < upto
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 5 -- day after day, so that the BRIN index on bucket stays narrow after a backfill
    ON CONFLICT (instance, queryid, datname, rolname, bucket) DO UPDATE SET
        calls = EXCLUDED.calls, total_exec_time_ms = EXCLUDED.total_exec_time_ms,
        mean_exec_time_ms = EXCLUDED.mean_exec_time_ms, rows = EXCLUDED.rows,
        shared_blks_hit = EXCLUDED.shared_blks_hit, shared_blks_read = EXCLUDED.shared_blks_read,
        shared_blks_dirtied = EXCLUDED.shared_blks_dirtied, shared_blks_written = EXCLUDED.shared_blks_written,
        temp_blks_read = EXCLUDED.temp_blks_read, temp_blks_written = EXCLUDED.temp_blks_written,
        wal_bytes = EXCLUDED.wal_bytes, exec_time_sq_ms2 = EXCLUDED.exec_time_sq_ms2,
        max_exec_time_ms = EXCLUDED.max_exec_time_ms;
    GET DIAGNOSTICS n = ROW_COUNT;
    -- Until a day has been rolled, readers keep reading hourly rows only (a store without
    -- statements, or one that has not had a maintenance run since its first rows, says nothing).
    IF n > 0 OR EXISTS (SELECT 1 FROM statement_rollup_1d_state) THEN
        INSERT INTO statement_rollup_1d_state AS s (only_row, rolled_until, refreshed_at) VALUES (true, upto, now())
        ON CONFLICT (only_row) DO UPDATE SET rolled_until = greatest(s.rolled_until, EXCLUDED.rolled_until),
            refreshed_at = EXCLUDED.refreshed_at;
    END IF;
    RETURN n;
END
$$;

-- The rows written before this version.
SELECT statement_rollup_1d_refresh();

-- As V2: the writer may run the refresh (it only inserts and updates), the reader reads.
GRANT SELECT, INSERT, UPDATE ON statement_rollup_1d, statement_rollup_1d_state TO datainsight_writer;
GRANT SELECT ON statement_rollup_1d, statement_rollup_1d_state TO datainsight_reader;
REVOKE ALL ON FUNCTION statement_rollup_1d_refresh(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION statement_rollup_1d_refresh(timestamptz, timestamptz) TO datainsight_writer;
