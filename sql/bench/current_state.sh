#!/usr/bin/env bash
# Times open_alert and instance_health before and after V6 (issue 21) on one database:
# migrates it to V5, fills it, times the V5 views, applies V6 (timing its backfill), times again.
#   sql/bench/current_state.sh "host=/tmp port=5432 user=postgres" [events] [instances]
# Needs psql and a server where the connecting user may create databases.
set -euo pipefail
CONN=${1:?libpq connection string}
EVENTS=${2:-1000000}
INSTANCES=${3:-1000}
DB=datainsight_bench_current_state
MIG=$(cd "$(dirname "$0")/../src/main/resources/db/migration" && pwd)
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

psql "$CONN dbname=postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
C="$CONN dbname=$DB"
for v in V1 V2 V3 V4 V5; do psql "$C" -f "$MIG"/${v}__*.sql; done

psql "$C" <<SQL
-- A year of monthly alert_event partitions and daily 1-minute partitions for the last two days.
DO \$\$
DECLARE m date;
BEGIN
    FOR i IN 0..13 LOOP
        m := (date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => 12) + make_interval(months => i))::date;
        EXECUTE format('CREATE TABLE alert_event_p%s PARTITION OF alert_event FOR VALUES FROM (%L) TO (%L)',
            to_char(m, 'YYYYMM'), m::timestamp AT TIME ZONE 'UTC', (m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
    END LOOP;
    FOR i IN -2..1 LOOP
        m := (now() AT TIME ZONE 'UTC')::date + i;
        EXECUTE format('CREATE TABLE metric_rollup_1m_p%s PARTITION OF metric_rollup_1m FOR VALUES FROM (%L) TO (%L)',
            to_char(m, 'YYYYMMDD'), m::timestamp AT TIME ZONE 'UTC', (m + 1)::timestamp AT TIME ZONE 'UTC');
    END LOOP;
END
\$\$;
INSERT INTO instance SELECT 'db-' || i, '{}', 170000, now() - interval '30 days', now() FROM generate_series(1, $INSTANCES) i;
-- Per instance: up, connections, max_connections, 3 database sizes and 4 other series.
INSERT INTO series (instance, metric, labels)
SELECT 'db-' || i, m.metric, m.labels::jsonb FROM generate_series(1, $INSTANCES) i CROSS JOIN (VALUES
    ('datainsight_collector.up', '{"probe": ""}'), ('pg_stat_activity.connections_total', '{}'),
    ('pg_stat_activity.max_connections', '{}'), ('pg_database.size_bytes', '{"datname": "a"}'),
    ('pg_database.size_bytes', '{"datname": "b"}'), ('pg_database.size_bytes', '{"datname": "c"}'),
    ('pg_stat_database.xact_commit', '{"datname": "a"}'), ('pg_stat_database.blks_hit', '{"datname": "a"}'),
    ('pg_stat_database.blks_read', '{"datname": "a"}'), ('pg_stat_bgwriter.buffers_clean', '{}')) m(metric, labels);
-- Two hours of minutes for every series.
INSERT INTO metric_rollup_1m
SELECT s.id, date_trunc('minute', now()) - k * interval '1 minute', 6, 1, 1, 6, 1
FROM series s CROSS JOIN generate_series(1, 120) k;
-- Alerts: 10 events per fingerprint over the last year (fire, resolve, ...); the last 1% stays open.
INSERT INTO alert_event (fingerprint, rule, severity, status, instance, labels, started_at, resolved_at, event_at, summary)
SELECT 'fp-' || f, 'rule_' || (f % 20), CASE WHEN f % 3 = 0 THEN 'critical' ELSE 'warning' END,
       CASE WHEN e % 2 = 1 THEN 'resolved' WHEN f % 100 = 0 AND e = 8 THEN 'firing' ELSE 'firing' END,
       'db-' || (f % $INSTANCES + 1), '{}', t - interval '10 minutes',
       CASE WHEN e % 2 = 1 THEN t END, t, 'summary of ' || f
FROM generate_series(1, $EVENTS / 10) f CROSS JOIN generate_series(0, 9) e
CROSS JOIN LATERAL (SELECT now() - interval '360 days' + (e * 36 + f % 30) * interval '1 day'
                           + (f % 1000) * interval '1 second' AS t) x
WHERE NOT (f % 100 = 0 AND e = 9);
VACUUM ANALYZE;
SQL

time_views() {
    for v in open_alert instance_health; do
        runs=$(for run in 1 2 3 4 5; do
            psql "$C" -At -c "EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM $v" | sed -n 's/.*"Execution Time": \([0-9.]*\).*/\1/p'
        done)
        echo "$1 $v: median $(echo "$runs" | sort -n | sed -n 3p) ms (runs: $(echo $runs))"
    done
}
psql "$C" -At -c "SELECT 'alert_event rows: ' || count(*) FROM alert_event" -c "SELECT 'metric_rollup_1m rows: ' || count(*) FROM metric_rollup_1m" \
    -c "SELECT 'open alerts: ' || count(*) FROM open_alert"
time_views "before (V5)"
start=$(date +%s.%N)
psql "$C" -f "$MIG"/V6__*.sql
echo "V6 migration incl. backfill: $(echo "$(date +%s.%N) - $start" | bc) s"
psql "$C" -c "VACUUM ANALYZE series_latest, alert_state" -At -c "SELECT 'open alerts: ' || count(*) FROM open_alert"
time_views "after (V6)"
