-- Server log events (issue 20, section 2): one row per typed event the job recognises in a
-- server log entry of the datainsight.logs topic (dev.datainsight.logs.LogEvents: error,
-- auth_failure, deadlock, lock_wait, checkpoint_complete, autovacuum, temp_file, slow_statement,
-- ...). Partitioned by the entry's time like the other time-series tables, with a DEFAULT
-- partition so a row never fails the sink; retention by dropping whole partitions.
--
-- Idempotent writes: (instance, file, file_offset) identifies a log entry (see docs/wire-format.md,
-- "Log batch") and an entry yields at most one event of each kind (an ERROR entry gives an
-- `error` event and possibly one specific event), so a replayed batch is a no-op with
-- ON CONFLICT DO NOTHING. The partition key logged_at is part of the key, as PostgreSQL requires;
-- it is the entry's own timestamp, or the batch's collected_at when the server's time zone
-- abbreviation could not be read, so a replay computes the same value.
-- After V9 the owner role owns the store (see V9): what this migration creates is its too.
SET LOCAL ROLE datainsight_owner;

CREATE TABLE log_event (
    instance     text        NOT NULL CHECK (instance <> ''),
    file         text        NOT NULL CHECK (file <> ''),
    file_offset  bigint      NOT NULL CHECK (file_offset >= 0),
    kind         text        NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    logged_at    timestamptz NOT NULL,
    severity     text,
    sqlstate     text        CHECK (sqlstate ~ '^[0-9A-Z]{5}$'),
    pid          integer,
    user_name    text,
    database     text,
    application  text,
    client       text,
    message      text,
    detail       text,
    -- null when the collector withholds statement text (logs.statement_text: false)
    statement    text,
    -- the event's typed fields (e.g. deadlock processes, wait_ms, buffers_written), by kind
    fields       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(fields) = 'object'),
    PRIMARY KEY (instance, file, file_offset, kind, logged_at)
) PARTITION BY RANGE (logged_at);
CREATE TABLE log_event_default PARTITION OF log_event DEFAULT;
CREATE INDEX log_event_instance_idx ON log_event (instance, logged_at);
CREATE INDEX log_event_kind_idx ON log_event (kind, logged_at);

-- The writer inserts (and ON CONFLICT needs SELECT); readers get SELECT from V2's default privileges.
GRANT SELECT, INSERT, UPDATE ON log_event TO datainsight_writer;
