-- Roles: datainsight_writer (the job: insert and update what it writes, nothing more) and
-- datainsight_reader (analysts, dashboards: SELECT only). Both are NOLOGIN group roles; give a
-- login to people and services by membership (see docs/schema.md). Roles are cluster-wide, so
-- this migration tolerates roles that already exist (another store database on the same
-- server, or a DBA who created them first) and never needs CREATEROLE in that case.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['datainsight_writer', 'datainsight_reader'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created concurrently by a migration of another database
            END;
        END IF;
    END LOOP;
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO datainsight_writer', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO datainsight_reader', current_database());
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO datainsight_writer, datainsight_reader', current_schema());
END
$$;

-- The writer inserts and updates (ON CONFLICT ... DO UPDATE needs SELECT and UPDATE); no
-- DELETE, TRUNCATE, REFERENCES or TRIGGER, and it owns nothing, so it cannot drop or alter.
GRANT SELECT, INSERT, UPDATE ON instance, series, metric_rollup_1m, metric_rollup_1h, metric_rollup_1d,
    statement_rollup_1h, statement_text, alert_event, insight TO datainsight_writer;
GRANT USAGE ON SEQUENCE series_id_seq TO datainsight_writer;

GRANT SELECT ON instance, series, metric_rollup_1m, metric_rollup_1h, metric_rollup_1d,
    statement_rollup_1h, statement_text, alert_event, insight TO datainsight_reader;

-- Tables and views that later migrations (run by this same owner) create are readable too.
DO $$
BEGIN
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO datainsight_reader', current_schema());
END
$$;
