-- Label layout measurement behind docs/schema.md ("Labels: a series table with ids").
-- Run with psql against a scratch database: psql -f sql/bench/labels-layout.sql
\timing on
DROP TABLE IF EXISTS stage, a, b, series;
-- 1M rollup rows: 50 instances x 200 series x 100 minutes; 3/4 of series carry table labels
CREATE UNLOGGED TABLE stage AS
SELECT 'db-' || lpad(i::text, 4, '0') AS instance,
       CASE WHEN s < 50 THEN 'pg_stat_database.metric_' || s ELSE 'pg_stat_user_tables.n_dead_tup' END AS metric,
       CASE WHEN s < 50 THEN jsonb_build_object('datname', 'app')
            ELSE jsonb_build_object('datname', 'app', 'schemaname', 'public', 'relname', 'table_name_' || s) END AS labels,
       timestamptz '2026-11-20 00:00+00' + m * interval '1 minute' AS bucket,
       6::bigint AS count, random() AS min, random() + 1 AS max, random() * 6 AS sum, random() AS last
FROM generate_series(1, 50) i, generate_series(0, 199) s, generate_series(0, 99) m;
CREATE TABLE a (instance text NOT NULL, metric text NOT NULL, labels jsonb NOT NULL, bucket timestamptz NOT NULL,
  count bigint NOT NULL, min float8 NOT NULL, max float8 NOT NULL, sum float8 NOT NULL, last float8 NOT NULL,
  PRIMARY KEY (instance, metric, labels, bucket));
CREATE TABLE series (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, instance text NOT NULL, metric text NOT NULL, labels jsonb NOT NULL,
  UNIQUE (instance, metric, labels));
CREATE TABLE b (series_id bigint NOT NULL, bucket timestamptz NOT NULL,
  count bigint NOT NULL, min float8 NOT NULL, max float8 NOT NULL, sum float8 NOT NULL, last float8 NOT NULL,
  PRIMARY KEY (series_id, bucket));
\echo == A jsonb: upsert 1M
INSERT INTO a SELECT * FROM stage ON CONFLICT (instance, metric, labels, bucket) DO UPDATE SET count = EXCLUDED.count, min = EXCLUDED.min, max = EXCLUDED.max, sum = EXCLUDED.sum, last = EXCLUDED.last;
\echo == B series: resolve ids + upsert 1M
INSERT INTO series (instance, metric, labels) SELECT DISTINCT instance, metric, labels FROM stage ON CONFLICT DO NOTHING;
INSERT INTO b SELECT s.id, st.bucket, st.count, st.min, st.max, st.sum, st.last FROM stage st JOIN series s USING (instance, metric, labels)
  ON CONFLICT (series_id, bucket) DO UPDATE SET count = EXCLUDED.count, min = EXCLUDED.min, max = EXCLUDED.max, sum = EXCLUDED.sum, last = EXCLUDED.last;
\echo == A again (update path)
INSERT INTO a SELECT * FROM stage ON CONFLICT (instance, metric, labels, bucket) DO UPDATE SET count = EXCLUDED.count, min = EXCLUDED.min, max = EXCLUDED.max, sum = EXCLUDED.sum, last = EXCLUDED.last;
\echo == B again (update path)
INSERT INTO series (instance, metric, labels) SELECT DISTINCT instance, metric, labels FROM stage ON CONFLICT DO NOTHING;
INSERT INTO b SELECT s.id, st.bucket, st.count, st.min, st.max, st.sum, st.last FROM stage st JOIN series s USING (instance, metric, labels)
  ON CONFLICT (series_id, bucket) DO UPDATE SET count = EXCLUDED.count, min = EXCLUDED.min, max = EXCLUDED.max, sum = EXCLUDED.sum, last = EXCLUDED.last;
VACUUM ANALYZE a; VACUUM FULL a; VACUUM FULL b; VACUUM FULL series; ANALYZE a; ANALYZE b; ANALYZE series;
\timing off
SELECT 'A jsonb' AS layout, pg_table_size('a') / 1000000.0 AS heap_bytes_per_row, pg_indexes_size('a') / 1000000.0 AS index_bytes_per_row
UNION ALL
SELECT 'B series', pg_table_size('b') / 1000000.0 + pg_total_relation_size('series') / 1000000.0, pg_indexes_size('b') / 1000000.0;
\timing on
\echo == query A: one instance, one metric, 100 minutes, per table max
SELECT labels->>'relname', max(max) FROM a WHERE instance = 'db-0007' AND metric = 'pg_stat_user_tables.n_dead_tup' AND bucket >= '2026-11-20' AND bucket < '2026-11-21' GROUP BY 1 ORDER BY 2 DESC LIMIT 5;
SELECT labels->>'relname', max(max) FROM a WHERE instance = 'db-0007' AND metric = 'pg_stat_user_tables.n_dead_tup' AND bucket >= '2026-11-20' AND bucket < '2026-11-21' GROUP BY 1 ORDER BY 2 DESC LIMIT 5;
\echo == query B
SELECT s.labels->>'relname', max(b.max) FROM b JOIN series s ON s.id = b.series_id WHERE s.instance = 'db-0007' AND s.metric = 'pg_stat_user_tables.n_dead_tup' AND b.bucket >= '2026-11-20' AND b.bucket < '2026-11-21' GROUP BY 1 ORDER BY 2 DESC LIMIT 5;
SELECT s.labels->>'relname', max(b.max) FROM b JOIN series s ON s.id = b.series_id WHERE s.instance = 'db-0007' AND s.metric = 'pg_stat_user_tables.n_dead_tup' AND b.bucket >= '2026-11-20' AND b.bucket < '2026-11-21' GROUP BY 1 ORDER BY 2 DESC LIMIT 5;
\echo == query A: all metrics of one instance over the day
SELECT count(*), sum(sum) FROM a WHERE instance = 'db-0007' AND bucket >= '2026-11-20' AND bucket < '2026-11-21';
SELECT count(*), sum(sum) FROM a WHERE instance = 'db-0007' AND bucket >= '2026-11-20' AND bucket < '2026-11-21';
\echo == query B
SELECT count(*), sum(b.sum) FROM b JOIN series s ON s.id = b.series_id WHERE s.instance = 'db-0007' AND b.bucket >= '2026-11-20' AND b.bucket < '2026-11-21';
SELECT count(*), sum(b.sum) FROM b JOIN series s ON s.id = b.series_id WHERE s.instance = 'db-0007' AND b.bucket >= '2026-11-20' AND b.bucket < '2026-11-21';
