package dev.datainsight.rules.engine;

import dev.datainsight.model.AlertContext;
import dev.datainsight.model.Severity;
import dev.datainsight.model.SnapshotRow;
import java.util.List;
import java.util.Map;

/**
 * What a rule sees while it evaluates one snapshot: the effective parameters, its own memory in
 * the instance's keyed state (namespaced by rule), and the outputs.
 */
public interface RuleContext {
    String instance();

    /** The snapshot's collection time (event time), epoch ms. */
    long now();

    /**
     * The rows of the instance's latest snapshot of a detail view (e.g.
     * {@code pg_stat_activity_sessions}) collected in the same cycle as the snapshot being
     * evaluated, or an empty list (none seen, or not from this cycle). Rules use them for their
     * wording only: never for the condition, so an alert fires the same with or without them.
     */
    default List<SnapshotRow> detail(String view) {
        return List.of();
    }

    /**
     * Whether the instance is a standby (in recovery), as its latest collector-health snapshot
     * said; false when unknown. Replica-aware rules skip conditions that are the primary's
     * (wraparound, database growth, checkpoints), so they page once, on the primary.
     */
    default boolean standby() {
        return false;
    }

    /** Effective parameters for a row (empty map for instance-wide rules). */
    Params params(Map<String, String> rowLabels);

    /** The rule's memory under {@code key}, or null. */
    Memory memory(String key) throws Exception;

    void remember(String key, Memory m) throws Exception;

    void forget(String key) throws Exception;

    /**
     * Reports a series' condition. {@code level} null = false. Thresholds are per severity (null
     * where the rule has none). The engine adds fingerprint and lifecycle settings.
     */
    void alert(Params p, Map<String, String> labels, Severity level, Double value, Double warning, Double critical,
            String summary, String description) throws Exception;

    /**
     * The same, with the alert's structured context (who, what, why: sessions, statements, tables,
     * settings). The engine bounds and cleans it ({@link AlertContext#bound}) and carries it to the
     * event beside the summary; the context is not part of the fingerprint. {@code context} may be
     * null. The default drops the context, so a context that cannot carry one still works.
     */
    default void alert(Params p, Map<String, String> labels, Severity level, Double value, Double warning,
            Double critical, String summary, String description, AlertContext context) throws Exception {
        alert(p, labels, level, value, warning, critical, summary, description);
    }

    /** Reports an INFO-only condition (anomalies): {@code holds} false = condition false. */
    void info(Params p, Map<String, String> labels, boolean holds, Double value, Double threshold, String summary,
            String description) throws Exception;

    /** Records a finding for the insight table (rate-limited by the caller through memory). */
    void insight(String kind, String subject, String severity, String summary, String evidenceJson);
}
