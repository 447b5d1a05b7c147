package dev.datainsight.store;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.QueryText;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.List;
import java.util.Locale;

/** The upserts of the low-volume tables: each table's statement, key, reduction and binding. */
final class TableUpserts {
    private TableUpserts() {}

    static final TableUpsert<StatementRollupRow, StatementRollupRow> STATEMENT_ROLLUPS = TableUpsert.lastWins(
            "INSERT INTO statement_rollup_1h (instance, queryid, datname, rolname, bucket, calls, total_exec_time_ms,"
                    + " mean_exec_time_ms, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written,"
                    + " temp_blks_read, temp_blks_written, wal_bytes, exec_time_sq_ms2, max_exec_time_ms)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    + " ON CONFLICT (instance, queryid, datname, rolname, bucket) DO UPDATE SET calls = EXCLUDED.calls,"
                    + " total_exec_time_ms = EXCLUDED.total_exec_time_ms, mean_exec_time_ms = EXCLUDED.mean_exec_time_ms,"
                    + " rows = EXCLUDED.rows, shared_blks_hit = EXCLUDED.shared_blks_hit, shared_blks_read = EXCLUDED.shared_blks_read,"
                    + " shared_blks_dirtied = EXCLUDED.shared_blks_dirtied, shared_blks_written = EXCLUDED.shared_blks_written,"
                    + " temp_blks_read = EXCLUDED.temp_blks_read, temp_blks_written = EXCLUDED.temp_blks_written,"
                    + " wal_bytes = EXCLUDED.wal_bytes, exec_time_sq_ms2 = EXCLUDED.exec_time_sq_ms2,"
                    + " max_exec_time_ms = EXCLUDED.max_exec_time_ms",
            r -> List.of(r.instance(), r.queryid(), r.datname(), r.rolname(), r.bucketStart()),
            (ps, r) -> {
                ps.setString(1, r.instance());
                ps.setString(2, r.queryid());
                ps.setString(3, r.datname());
                ps.setString(4, r.rolname());
                ps.setTimestamp(5, new Timestamp(r.bucketStart()));
                ps.setDouble(6, r.calls());
                ps.setDouble(7, r.totalExecTimeMs());
                setNullableDouble(ps, 8, r.meanExecTimeMs());
                ps.setDouble(9, r.rows());
                ps.setDouble(10, r.sharedBlksHit());
                ps.setDouble(11, r.sharedBlksRead());
                ps.setDouble(12, r.sharedBlksDirtied());
                ps.setDouble(13, r.sharedBlksWritten());
                ps.setDouble(14, r.tempBlksRead());
                ps.setDouble(15, r.tempBlksWritten());
                ps.setDouble(16, r.walBytes());
                setNullableDouble(ps, 17, r.execTimeSqMs2());
                setNullableDouble(ps, 18, r.maxExecTimeMs());
            });

    /** Statement texts of one instance, all seen at one time. */
    static TableUpsert<QueryText, QueryText> statementTexts(String instance, long seenAt) {
        Timestamp seen = new Timestamp(seenAt);
        return TableUpsert.lastWins(
                "INSERT INTO statement_text (instance, queryid, query, truncated, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)"
                        + " ON CONFLICT (instance, queryid) DO UPDATE SET"
                        + " query = CASE WHEN EXCLUDED.last_seen >= statement_text.last_seen THEN EXCLUDED.query ELSE statement_text.query END,"
                        + " truncated = CASE WHEN EXCLUDED.last_seen >= statement_text.last_seen THEN EXCLUDED.truncated ELSE statement_text.truncated END,"
                        + " first_seen = least(statement_text.first_seen, EXCLUDED.first_seen),"
                        + " last_seen = greatest(statement_text.last_seen, EXCLUDED.last_seen)",
                QueryText::queryid,
                (ps, t) -> {
                    ps.setString(1, instance);
                    ps.setString(2, t.queryid());
                    ps.setString(3, t.text() == null ? "" : t.text());
                    ps.setBoolean(4, t.truncated());
                    ps.setTimestamp(5, seen);
                    ps.setTimestamp(6, seen);
                });
    }

    /**
     * Of an instance's rows: the newest, the newest with a known server version (0 means unknown:
     * a server never reached; it never replaces a known one) and the oldest sighting.
     */
    record InstanceSeen(InstanceRow newest, InstanceRow newestKnown, long firstSeen) {
        static InstanceSeen fold(InstanceSeen kept, InstanceRow r) {
            if (kept == null) {
                return new InstanceSeen(r, r.serverVersionNum() != 0 ? r : null, r.seenAt());
            }
            InstanceRow known = kept.newestKnown;
            if (r.serverVersionNum() != 0 && (known == null || r.seenAt() >= known.seenAt())) {
                known = r;
            }
            return new InstanceSeen(r.seenAt() >= kept.newest.seenAt() ? r : kept.newest, known,
                    Math.min(kept.firstSeen, r.seenAt()));
        }

        int serverVersionNum() {
            return newest.serverVersionNum() != 0 || newestKnown == null ? newest.serverVersionNum()
                    : newestKnown.serverVersionNum();
        }
    }

    static final TableUpsert<InstanceRow, InstanceSeen> INSTANCES = TableUpsert.folding(
            "INSERT INTO instance (instance, labels, server_version_num, first_seen, last_seen) VALUES (?, ?::jsonb, ?, ?, ?)"
                    + " ON CONFLICT (instance) DO UPDATE SET"
                    + " labels = CASE WHEN EXCLUDED.last_seen >= instance.last_seen THEN EXCLUDED.labels ELSE instance.labels END,"
                    + " server_version_num = CASE WHEN EXCLUDED.server_version_num <> 0"
                    + " AND (EXCLUDED.last_seen >= instance.last_seen OR instance.server_version_num = 0)"
                    + " THEN EXCLUDED.server_version_num ELSE instance.server_version_num END,"
                    + " first_seen = least(instance.first_seen, EXCLUDED.first_seen),"
                    + " last_seen = greatest(instance.last_seen, EXCLUDED.last_seen)",
            InstanceRow::instance,
            (kept, r) -> r.seenAt() >= kept.newest.seenAt(),
            InstanceSeen::fold,
            (ps, s) -> {
                ps.setString(1, s.newest.instance());
                ps.setString(2, JsonbText.of(s.newest.labels()));
                ps.setInt(3, s.serverVersionNum());
                ps.setTimestamp(4, new Timestamp(s.firstSeen));
                ps.setTimestamp(5, new Timestamp(s.newest.seenAt()));
            });

    static final TableUpsert<AlertEvent, AlertEvent> ALERT_EVENTS = TableUpsert.lastWins(
            "INSERT INTO alert_event (fingerprint, rule, severity, status, instance, labels, value, threshold, started_at,"
                    + " resolved_at, event_at, summary, description, runbook, context, instance_labels)"
                    + " VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb)"
                    + " ON CONFLICT (fingerprint, status, severity, event_at) DO UPDATE SET rule = EXCLUDED.rule,"
                    + " instance = EXCLUDED.instance, labels = EXCLUDED.labels, value = EXCLUDED.value, threshold = EXCLUDED.threshold,"
                    + " started_at = EXCLUDED.started_at, resolved_at = EXCLUDED.resolved_at, summary = EXCLUDED.summary,"
                    + " description = EXCLUDED.description, runbook = EXCLUDED.runbook, context = EXCLUDED.context,"
                    + " instance_labels = EXCLUDED.instance_labels",
            e -> {
                if (e.getFingerprint() == null || e.getStatus() == null || e.getSeverity() == null) {
                    throw new IllegalArgumentException("alert event without fingerprint, status or severity: " + e);
                }
                return List.of(e.getFingerprint(), e.getStatus(), e.getSeverity(), e.getEventAt());
            },
            (ps, e) -> {
                boolean resolved = e.getStatus() == AlertStatus.RESOLVED;
                ps.setString(1, e.getFingerprint());
                ps.setString(2, e.getRule());
                ps.setString(3, e.getSeverity().wire());
                ps.setString(4, e.getStatus().wire());
                ps.setString(5, e.getInstance());
                ps.setString(6, JsonbText.of(e.getLabels()));
                setNullableDouble(ps, 7, e.getValue());
                setNullableDouble(ps, 8, e.getThreshold());
                ps.setTimestamp(9, new Timestamp(e.getStartedAt()));
                // The table ties resolved_at to the resolved status: a resolved event without
                // its time resolved at the event; a firing one carries none.
                Long resolvedAt = resolved ? (e.getResolvedAt() != null ? e.getResolvedAt() : e.getEventAt()) : null;
                if (resolvedAt == null) {
                    ps.setNull(10, Types.TIMESTAMP_WITH_TIMEZONE);
                } else {
                    ps.setTimestamp(10, new Timestamp(resolvedAt));
                }
                ps.setTimestamp(11, new Timestamp(e.getEventAt()));
                ps.setString(12, e.getSummary() != null ? e.getSummary() : e.getRule());
                ps.setString(13, e.getDescription());
                ps.setString(14, e.getRunbook());
                ps.setString(15, contextJson(e));
                ps.setString(16, JsonbText.of(e.getInstanceLabels()));
            });

    /** The event's context as a JSON array (bounded again: the store never holds more than the wire allows). */
    static String contextJson(AlertEvent e) {
        java.util.List<dev.datainsight.model.AlertContextItem> c = dev.datainsight.model.AlertContext.bound(e.getContext());
        if (c.isEmpty()) {
            return "[]";
        }
        try {
            return dev.datainsight.model.WireCodec.mapper().writeValueAsString(c);
        } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
            throw new IllegalArgumentException("alert context of " + e.getFingerprint() + " is not encodable", x);
        }
    }

    /** Of an insight's rows: the newest and the oldest sighting. */
    record InsightSeen(InsightRow newest, long firstSeen) {
        static InsightSeen fold(InsightSeen kept, InsightRow r) {
            if (kept == null) {
                return new InsightSeen(r, r.observedAt());
            }
            return new InsightSeen(r.observedAt() >= kept.newest.observedAt() ? r : kept.newest,
                    Math.min(kept.firstSeen, r.observedAt()));
        }
    }

    static final TableUpsert<InsightRow, InsightSeen> INSIGHTS = TableUpsert.folding(
            "INSERT INTO insight (instance, kind, subject, severity, summary, evidence, first_seen, observed_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?) ON CONFLICT (instance, kind, subject) DO UPDATE SET"
                    + " severity = CASE WHEN EXCLUDED.observed_at >= insight.observed_at THEN EXCLUDED.severity ELSE insight.severity END,"
                    + " summary = CASE WHEN EXCLUDED.observed_at >= insight.observed_at THEN EXCLUDED.summary ELSE insight.summary END,"
                    + " evidence = CASE WHEN EXCLUDED.observed_at >= insight.observed_at THEN EXCLUDED.evidence ELSE insight.evidence END,"
                    + " first_seen = least(insight.first_seen, EXCLUDED.first_seen),"
                    + " observed_at = greatest(insight.observed_at, EXCLUDED.observed_at)",
            r -> List.of(r.instance(), r.kind(), r.subject()),
            (kept, r) -> r.observedAt() >= kept.newest.observedAt(),
            InsightSeen::fold,
            (ps, s) -> {
                InsightRow r = s.newest;
                ps.setString(1, r.instance());
                ps.setString(2, r.kind());
                ps.setString(3, r.subject());
                ps.setString(4, r.severity() == null ? null : r.severity().toLowerCase(Locale.ROOT));
                ps.setString(5, r.summary());
                ps.setString(6, r.evidenceJson() == null || r.evidenceJson().isBlank() ? "{}" : r.evidenceJson());
                ps.setTimestamp(7, new Timestamp(s.firstSeen));
                ps.setTimestamp(8, new Timestamp(r.observedAt()));
            });

    /** Of a plan's sightings in one month: the newest and the oldest. */
    record PlanSeen(QueryPlanRow newest, long firstSeen) {
        static PlanSeen fold(PlanSeen kept, QueryPlanRow r) {
            if (kept == null) {
                return new PlanSeen(r, r.seenAt());
            }
            return new PlanSeen(r.seenAt() >= kept.newest.seenAt() ? r : kept.newest, Math.min(kept.firstSeen, r.seenAt()));
        }
    }

    static final TableUpsert<QueryPlanRow, PlanSeen> QUERY_PLANS = TableUpsert.folding(
            "INSERT INTO query_plan (instance, datname, queryid, fingerprint, period, rolname, first_seen, last_seen,"
                    + " summary, total_cost, plan, truncated, plan_bytes)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)"
                    + " ON CONFLICT (instance, datname, queryid, fingerprint, period) DO UPDATE SET"
                    + " rolname = CASE WHEN EXCLUDED.last_seen >= query_plan.last_seen THEN EXCLUDED.rolname ELSE query_plan.rolname END,"
                    + " summary = CASE WHEN EXCLUDED.last_seen >= query_plan.last_seen THEN EXCLUDED.summary ELSE query_plan.summary END,"
                    + " total_cost = CASE WHEN EXCLUDED.last_seen >= query_plan.last_seen THEN EXCLUDED.total_cost ELSE query_plan.total_cost END,"
                    + " plan = CASE WHEN EXCLUDED.last_seen >= query_plan.last_seen THEN EXCLUDED.plan ELSE query_plan.plan END,"
                    + " truncated = CASE WHEN EXCLUDED.last_seen >= query_plan.last_seen THEN EXCLUDED.truncated ELSE query_plan.truncated END,"
                    + " plan_bytes = CASE WHEN EXCLUDED.last_seen >= query_plan.last_seen THEN EXCLUDED.plan_bytes ELSE query_plan.plan_bytes END,"
                    + " first_seen = least(query_plan.first_seen, EXCLUDED.first_seen),"
                    + " last_seen = greatest(query_plan.last_seen, EXCLUDED.last_seen)",
            r -> {
                if (r.fingerprint() == null || r.fingerprint().isEmpty()) {
                    throw new IllegalArgumentException("plan without fingerprint: " + r.instance() + " " + r.queryid());
                }
                return List.of(r.instance(), nz(r.datname()), r.queryid(), r.fingerprint(), r.period());
            },
            (kept, r) -> r.seenAt() >= kept.newest.seenAt(),
            PlanSeen::fold,
            (ps, s) -> {
                QueryPlanRow r = s.newest;
                ps.setString(1, r.instance());
                ps.setString(2, nz(r.datname()));
                ps.setString(3, r.queryid());
                ps.setString(4, r.fingerprint());
                ps.setTimestamp(5, new Timestamp(r.period()));
                ps.setString(6, r.rolname());
                ps.setTimestamp(7, new Timestamp(s.firstSeen));
                ps.setTimestamp(8, new Timestamp(r.seenAt()));
                ps.setString(9, r.summary() == null ? "" : r.summary());
                setNullableDouble(ps, 10, r.totalCost());
                ps.setString(11, planJson(r));
                ps.setBoolean(12, r.truncated());
                ps.setInt(13, Math.max(0, r.planBytes()));
            });

    /** Of a recommendation's evaluations in one call: the newest, and the earliest first sighting. */
    record RecommendationSeen(RecommendationRow newest, long firstSeen) {
        static RecommendationSeen fold(RecommendationSeen kept, RecommendationRow r) {
            if (kept == null) {
                return new RecommendationSeen(r, Math.min(r.firstSeen(), r.seenAt()));
            }
            return new RecommendationSeen(r.seenAt() >= kept.newest.seenAt() ? r : kept.newest,
                    Math.min(kept.firstSeen, Math.min(r.firstSeen(), r.seenAt())));
        }
    }

    /** A newer evaluation replaces what the row says; an older one (a replay) only moves first_seen back. */
    private static String newer(String column) {
        return " " + column + " = CASE WHEN EXCLUDED.last_seen >= recommendation.last_seen THEN EXCLUDED." + column
                + " ELSE recommendation." + column + " END,";
    }

    static final TableUpsert<RecommendationRow, RecommendationSeen> RECOMMENDATIONS = TableUpsert.folding(
            "INSERT INTO recommendation (instance, dedup_key, kind, datname, queryid, target, first_seen, last_seen,"
                    + " status, closed_at, closed_reason, confidence, summary, action, evidence, validated)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)"
                    + " ON CONFLICT (instance, dedup_key) DO UPDATE SET"
                    + newer("kind") + newer("datname") + newer("queryid") + newer("target") + newer("status")
                    + newer("closed_at") + newer("closed_reason") + newer("confidence") + newer("summary")
                    + newer("action") + newer("evidence") + newer("validated")
                    + " first_seen = least(recommendation.first_seen, EXCLUDED.first_seen),"
                    + " last_seen = greatest(recommendation.last_seen, EXCLUDED.last_seen)",
            r -> {
                if (r.dedupKey() == null || r.dedupKey().isEmpty()) {
                    throw new IllegalArgumentException("recommendation without dedup key: " + r.instance() + " " + r.kind());
                }
                if (!(r.confidence() >= 0 && r.confidence() <= 1)) {
                    throw new IllegalArgumentException("confidence out of [0, 1]: " + r.confidence() + " for " + r.dedupKey());
                }
                return List.of(r.instance(), r.dedupKey());
            },
            (kept, r) -> r.seenAt() >= kept.newest.seenAt(),
            RecommendationSeen::fold,
            (ps, s) -> {
                RecommendationRow r = s.newest;
                ps.setString(1, r.instance());
                ps.setString(2, r.dedupKey());
                ps.setString(3, r.kind());
                ps.setString(4, nz(r.datname()));
                ps.setString(5, r.queryid());
                ps.setString(6, r.target() == null ? "" : r.target());
                ps.setTimestamp(7, new Timestamp(s.firstSeen));
                ps.setTimestamp(8, new Timestamp(r.seenAt()));
                ps.setString(9, r.open() ? "open" : "closed");
                ps.setTimestamp(10, r.open() ? null : new Timestamp(r.seenAt()));
                ps.setString(11, r.open() ? null : r.closedReason());
                ps.setDouble(12, r.confidence());
                ps.setString(13, r.summary() == null ? "" : r.summary());
                ps.setString(14, r.action());
                ps.setString(15, r.evidenceJson() == null || r.evidenceJson().isBlank() ? "{}" : r.evidenceJson());
                ps.setString(16, r.validated() == null ? "not validated (hypopg absent)" : r.validated());
            });

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    /** The plan as jsonb text: the EXPLAIN JSON as it is, or (cut, so not JSON) the cut text as a JSON string. */
    static String planJson(QueryPlanRow r) {
        if (r.plan() == null || r.plan().isEmpty()) {
            return null;
        }
        if (!r.truncated()) {
            return r.plan();
        }
        try {
            return dev.datainsight.model.WireCodec.mapper().writeValueAsString(r.plan());
        } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
            throw new IllegalArgumentException("plan of " + r.queryid() + " is not encodable", x);
        }
    }

    static void setNullableDouble(PreparedStatement ps, int i, Double v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.DOUBLE);
        } else {
            ps.setDouble(i, v);
        }
    }
}
