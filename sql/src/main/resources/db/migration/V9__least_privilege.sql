-- Least privilege (issue 19). Before this migration the store's objects belonged to whichever
-- login ran the migrations, and on PostgreSQL 13/14 PUBLIC could still create tables in the
-- schema and connect / create temporary tables in the database.
--
-- After it:
--   datainsight_owner   NOLOGIN, owns every table, partition, view and sequence of the store.
--                       Migration and maintenance logins are members; maintenance runs under
--                       SET ROLE datainsight_owner, so a partition created by any member
--                       belongs to the role and any other member can drop it.
--   datainsight_writer  unchanged: SELECT/INSERT/UPDATE on what the job writes, TEMP for the
--                       staging table of its merge path, owns nothing.
--   datainsight_reader  unchanged: SELECT.
--   PUBLIC              neither CREATE on the schema nor CONNECT/TEMP on the database.
--
-- Migrations after this one start with SET LOCAL ROLE datainsight_owner so what they create is
-- owned by the role too (RolesTest checks that nothing in the schema belongs to anyone else).
-- flyway_schema_history stays with the migrating login: Flyway writes it outside our scripts.

DO $$
DECLARE
    obj record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'datainsight_owner') THEN
        BEGIN
            CREATE ROLE datainsight_owner NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- created concurrently by a migration of another database
        END;
    END IF;
    -- The migrating login must be able to hand objects over and to SET ROLE later. Superusers
    -- already can; a CREATEROLE login that created the role holds ADMIN on it and may grant it
    -- to itself; anyone else must be made a member by a DBA first (docs/schema.md).
    IF NOT pg_catalog.pg_has_role(current_user, 'datainsight_owner', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT datainsight_owner TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'the migrating login % must be a member of datainsight_owner', current_user
                USING ERRCODE = 'insufficient_privilege',
                      HINT = format('As a superuser or CREATEROLE login: GRANT datainsight_owner TO %I;', current_user);
        END;
    END IF;

    EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO datainsight_owner', current_schema());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO datainsight_owner', current_database());
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema());
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());

    -- Hand over every relation of the store's schema owned by the migrating login. Partitions
    -- are relations of their own (ALTER TABLE on the parent does not recurse to them); indexes
    -- and identity sequences follow their table.
    FOR obj IN
        SELECT c.oid::regclass AS rel, c.relkind
        FROM pg_catalog.pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace
          AND c.relowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
          AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND c.relname <> '${flyway:table}'
          AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                       WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
    LOOP
        EXECUTE format('ALTER %s %s OWNER TO datainsight_owner',
            CASE obj.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                             WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, obj.rel);
    END LOOP;

    -- Functions and procedures of the schema (a later migration's trigger functions, SQL
    -- helpers) go to the owner as well; none is SECURITY DEFINER, so this changes who may
    -- replace or drop them, not what they can do.
    FOR obj IN
        SELECT p.oid::regprocedure AS fn
        FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = current_schema()::regnamespace
          AND p.proowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO datainsight_owner', obj.fn);
    END LOOP;

    -- Partitions the owner creates later (maintenance, restore-archive) are readable like their
    -- parents. The writer needs nothing on them: inserts and COPY go through the parent, whose
    -- privileges are the ones checked.
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE datainsight_owner IN SCHEMA %I GRANT SELECT ON TABLES TO datainsight_reader',
        current_schema());
END
$$;

SET LOCAL ROLE datainsight_owner;

-- Written by every maintenance run, one row per partitioned table: what the console, the rules
-- and an operator's alert read to know that maintenance runs and keeps up (docs/operations.md).
CREATE TABLE store_health (
    table_name       text        NOT NULL PRIMARY KEY,
    checked_at       timestamptz NOT NULL,
    status           text        NOT NULL CHECK (status IN ('ok', 'warning', 'critical')),
    default_rows     bigint      NOT NULL CHECK (default_rows >= 0),
    partitions_ahead integer     NOT NULL,
    ahead_wanted     integer     NOT NULL CHECK (ahead_wanted >= 0),
    error            text,
    CHECK ((status = 'ok') = (error IS NULL AND default_rows = 0 AND partitions_ahead >= ahead_wanted))
);
GRANT SELECT ON store_health TO datainsight_reader;
