-- Alert schema 2: every alert carries its context (who, what, why: a bounded list of items
-- {"kind": ..., "fields": {...}}, see docs/wire-format.md) and the instance's fleet labels (env,
-- team, cluster, ...), which are not part of the fingerprint. Rows written before this migration
-- get an empty context and no instance labels. The columns are nullable on purpose: rows of an
-- older dump loaded column by column (e.g. with jsonb_populate_record) come in as NULL, which
-- readers treat as "no context"; the writer always sets both.
ALTER TABLE alert_event
    ADD COLUMN context         jsonb DEFAULT '[]' CHECK (jsonb_typeof(context) = 'array'),
    ADD COLUMN instance_labels jsonb DEFAULT '{}' CHECK (jsonb_typeof(instance_labels) = 'object');

-- The views keep their columns and add the new ones at the end (CREATE OR REPLACE VIEW may only
-- append); their grants stay.
CREATE OR REPLACE VIEW open_alert AS
SELECT fingerprint, rule, severity, status, instance, labels, value, threshold, started_at,
       event_at AS last_event_at, now() - started_at AS open_for, summary, description, runbook,
       context, instance_labels
FROM (
    SELECT DISTINCT ON (fingerprint) *
    FROM alert_event
    ORDER BY fingerprint, event_at DESC, (status = 'resolved') DESC,
             CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END DESC
) latest
WHERE status <> 'resolved';

CREATE OR REPLACE VIEW alert_history AS
SELECT instance, event_at, rule, severity, status, fingerprint, labels, value, threshold, started_at, resolved_at,
       resolved_at - started_at AS duration, summary, context, instance_labels
FROM alert_event;
