package dev.datainsight.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One transition of an alert (topic {@code datainsight.alerts}, key = fingerprint). Events are
 * emitted on transitions only (firing, escalation, resolved) and on re-notify of a long-firing
 * alert. A replay after a job crash re-sends events with the same {@code eventAt}, so a receiver
 * de-duplicates on (fingerprint, status, severity, eventAt); re-notifies carry a new eventAt.
 *
 * <p>Schema {@value WireFormat#ALERT_SCHEMA_VERSION} added {@link #getContext() context} (who, what,
 * why: bounded by {@link AlertContext}) and {@link #getInstanceLabels() instance_labels} (the
 * instance's fleet labels: env, team, cluster, ...). Both are outside the fingerprint; events of
 * schema 1 decode with both empty.
 */
public final class AlertEvent {
    private int schema = WireFormat.ALERT_SCHEMA_VERSION;
    private String fingerprint;
    private String rule;
    private Severity severity;
    private AlertStatus status;
    private String instance;
    private Map<String, String> labels = new LinkedHashMap<>();
    private Double value;
    private Double threshold;
    private long startedAt;
    private Long resolvedAt;
    private long eventAt;
    private String summary;
    private String description;
    private String runbook;
    private List<AlertContextItem> context = new ArrayList<>();
    private Map<String, String> instanceLabels = new LinkedHashMap<>();

    public int getSchema() {
        return schema;
    }

    public void setSchema(int schema) {
        this.schema = schema;
    }

    /** Stable hex id of (rule, instance, labels). */
    public String getFingerprint() {
        return fingerprint;
    }

    public void setFingerprint(String fingerprint) {
        this.fingerprint = fingerprint;
    }

    public String getRule() {
        return rule;
    }

    public void setRule(String rule) {
        this.rule = rule;
    }

    public Severity getSeverity() {
        return severity;
    }

    public void setSeverity(Severity severity) {
        this.severity = severity;
    }

    public AlertStatus getStatus() {
        return status;
    }

    public void setStatus(AlertStatus status) {
        this.status = status;
    }

    public String getInstance() {
        return instance;
    }

    public void setInstance(String instance) {
        this.instance = instance;
    }

    public Map<String, String> getLabels() {
        return labels;
    }

    public void setLabels(Map<String, String> labels) {
        this.labels = labels;
    }

    /** The observed value that triggered or last evaluated the rule. */
    public Double getValue() {
        return value;
    }

    public void setValue(Double value) {
        this.value = value;
    }

    /** The threshold of the current severity. */
    public Double getThreshold() {
        return threshold;
    }

    public void setThreshold(Double threshold) {
        this.threshold = threshold;
    }

    /** When the condition first held (epoch ms), i.e. start of pending. */
    public long getStartedAt() {
        return startedAt;
    }

    public void setStartedAt(long startedAt) {
        this.startedAt = startedAt;
    }

    /** When the alert resolved (epoch ms); null while it fires. */
    public Long getResolvedAt() {
        return resolvedAt;
    }

    public void setResolvedAt(Long resolvedAt) {
        this.resolvedAt = resolvedAt;
    }

    /** Event time of this transition (epoch ms). */
    public long getEventAt() {
        return eventAt;
    }

    public void setEventAt(long eventAt) {
        this.eventAt = eventAt;
    }

    public String getSummary() {
        return summary;
    }

    public void setSummary(String summary) {
        this.summary = summary;
    }

    public String getDescription() {
        return description;
    }

    public void setDescription(String description) {
        this.description = description;
    }

    public String getRunbook() {
        return runbook;
    }

    public void setRunbook(String runbook) {
        this.runbook = runbook;
    }

    /** Who, what and why (sessions, statements, tables, settings), bounded; empty when the rule gives none. */
    public List<AlertContextItem> getContext() {
        return context;
    }

    public void setContext(List<AlertContextItem> context) {
        this.context = context == null ? new ArrayList<>() : context;
    }

    /**
     * The instance's labels from the fleet file (env, team, cluster, ...), for routing. Not part
     * of the fingerprint: relabelling an instance does not open new alerts.
     */
    public Map<String, String> getInstanceLabels() {
        return instanceLabels;
    }

    public void setInstanceLabels(Map<String, String> instanceLabels) {
        this.instanceLabels = instanceLabels == null ? new LinkedHashMap<>() : instanceLabels;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AlertEvent a)) {
            return false;
        }
        return schema == a.schema && startedAt == a.startedAt && eventAt == a.eventAt
                && Objects.equals(fingerprint, a.fingerprint) && Objects.equals(rule, a.rule)
                && severity == a.severity && status == a.status && Objects.equals(instance, a.instance)
                && Objects.equals(labels, a.labels) && Objects.equals(value, a.value)
                && Objects.equals(threshold, a.threshold) && Objects.equals(resolvedAt, a.resolvedAt)
                && Objects.equals(summary, a.summary) && Objects.equals(description, a.description)
                && Objects.equals(runbook, a.runbook) && Objects.equals(context, a.context)
                && Objects.equals(instanceLabels, a.instanceLabels);
    }

    @Override
    public int hashCode() {
        return Objects.hash(fingerprint, rule, severity, status, instance, startedAt, eventAt);
    }

    @Override
    public String toString() {
        return "AlertEvent{" + status + " " + severity + " " + rule + " " + instance + " " + labels + ": " + summary + "}";
    }
}
