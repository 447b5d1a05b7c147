-- Recommendations (issue 16, section 3): what the job's plan analysis suggests for a statement
-- (an index for a filtered sequential scan, work_mem for a spilling sort or hash, ANALYZE for a
-- relation with many changes since its statistics were gathered), one row per finding.
--
-- dedup_key identifies the finding (kind, database, relation and columns or statement; see
-- docs/plans.md#recommendations): re-evaluating a statement refreshes its row, never adds one.
-- A finding the analysis no longer makes (the index was created, the plan changed, the sort fits
-- now) is closed with the evidence of why in closed_reason; if it comes back, the same row opens
-- again. Every write carries the time of the capture it comes from (last_seen): the row takes a
-- write only when it is at least as new as what the row has, so a replay changes nothing.
--
-- Small (one row per finding, never per capture) and not partitioned; closed rows stay as the
-- history of what was suggested and fixed.
-- After V9 the owner role owns the store (see V9): what this migration creates is its too.
SET LOCAL ROLE datainsight_owner;

CREATE TABLE recommendation (
    instance      text             NOT NULL CHECK (instance <> ''),
    dedup_key     text             NOT NULL CHECK (dedup_key <> ''),
    kind          text             NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    datname       text             NOT NULL DEFAULT '',
    -- the statement the finding came from (null for a finding about a relation alone)
    queryid       text,
    -- what the advice is about: a relation and columns, a statement, a setting
    target        text             NOT NULL,
    first_seen    timestamptz      NOT NULL,
    last_seen     timestamptz      NOT NULL,
    status        text             NOT NULL CHECK (status IN ('open', 'closed')),
    closed_at     timestamptz,
    closed_reason text,
    confidence    double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
    summary       text             NOT NULL,
    -- the suggested statement or setting, e.g. CREATE INDEX CONCURRENTLY ... (advice, never run)
    action        text,
    evidence      jsonb            NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(evidence) = 'object'),
    validated     text             NOT NULL DEFAULT 'not validated (hypopg absent)',
    CHECK (last_seen >= first_seen),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
    PRIMARY KEY (instance, dedup_key)
);
CREATE INDEX recommendation_query_idx ON recommendation (instance, queryid) WHERE status = 'open';

-- The writer upserts (ON CONFLICT needs SELECT); the reader reads.
GRANT SELECT, INSERT, UPDATE ON recommendation TO datainsight_writer;
GRANT SELECT ON recommendation TO datainsight_reader;

-- The open recommendations, most confident first.
CREATE VIEW open_recommendation AS
SELECT instance, datname, queryid, kind, target, confidence, summary, action, validated, first_seen, last_seen, evidence
FROM recommendation
WHERE status = 'open';

GRANT SELECT ON open_recommendation TO datainsight_reader;
