-- Consistently slow or spiky (issue 15): per statement and hour, the sum of squared execution
-- times (deltas of the collector's exec_time_sq = calls * (stddev^2 + mean^2), in ms^2) and the
-- largest max_exec_time seen in the hour. Both NULL for rows written before this version or from
-- collectors that do not send them.
ALTER TABLE statement_rollup_1h
    ADD COLUMN exec_time_sq_ms2 double precision CHECK (exec_time_sq_ms2 >= 0),
    ADD COLUMN max_exec_time_ms double precision CHECK (max_exec_time_ms >= 0);

-- Mean, standard deviation and max per statement-hour, and the hour's class:
--   spiky  when the standard deviation exceeds the mean (coefficient of variation > 1: a few
--          long calls carry the mean);
--   steady otherwise.
-- max_exec_time_ms is pg_stat_statements' maximum since the entry's min/max reset, as seen in the
-- hour: it may predate the hour, so it is shown but does not decide the class here (slow_query
-- uses it only when it rose inside its window). The 'other' remainder row is left out.
CREATE VIEW statement_spread_hourly AS
SELECT r.instance, r.queryid, r.datname, r.rolname, r.bucket, r.calls, r.mean_exec_time_ms,
       s.stddev_exec_time_ms, r.max_exec_time_ms,
       s.stddev_exec_time_ms / nullif(r.mean_exec_time_ms, 0) AS coefficient_of_variation,
       CASE WHEN s.stddev_exec_time_ms > r.mean_exec_time_ms THEN 'spiky' ELSE 'steady' END AS spread
FROM statement_rollup_1h r
CROSS JOIN LATERAL (
    SELECT sqrt(greatest(r.exec_time_sq_ms2 / r.calls - r.mean_exec_time_ms * r.mean_exec_time_ms, 0))
           AS stddev_exec_time_ms
) s
WHERE r.calls > 0 AND r.exec_time_sq_ms2 IS NOT NULL AND r.queryid <> 'other';

GRANT SELECT ON statement_spread_hourly TO datainsight_reader;
