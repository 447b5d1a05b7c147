package dev.datainsight.rules.engine;

import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotKind;
import java.util.Objects;

/**
 * A statement's plan fingerprint changed: the job's plan history (keyed per instance, database and
 * query id) saw a captured plan whose fingerprint differs from the one it last saw for the query,
 * and hands it to the rules as a snapshot of the internal view {@value #VIEW} (no rows, never on
 * Kafka). {@code plan_change} reports it as an insight; {@code query_regression} remembers it and
 * names both plans when the same query regresses around that time.
 *
 * <p>Its collection time is the capture time of the new plan.
 */
public final class PlanChangeSnapshot extends Snapshot {
    /** The internal view name; no catalog view and no wire record. */
    public static final String VIEW = "plan_changes";

    private String datname;
    private String queryid;
    private String rolname;
    private String oldFingerprint;
    private String oldSummary;
    private String newFingerprint;
    private String newSummary;
    /** Last capture of the old plan (epoch ms). */
    private long oldSeenAt;

    public PlanChangeSnapshot() {
        setView(VIEW);
    }

    @Override
    public SnapshotKind kind() {
        return SnapshotKind.PLANS;
    }

    public String getDatname() {
        return datname;
    }

    public void setDatname(String datname) {
        this.datname = datname;
    }

    public String getQueryid() {
        return queryid;
    }

    public void setQueryid(String queryid) {
        this.queryid = queryid;
    }

    public String getRolname() {
        return rolname;
    }

    public void setRolname(String rolname) {
        this.rolname = rolname;
    }

    public String getOldFingerprint() {
        return oldFingerprint;
    }

    public void setOldFingerprint(String oldFingerprint) {
        this.oldFingerprint = oldFingerprint;
    }

    public String getOldSummary() {
        return oldSummary;
    }

    public void setOldSummary(String oldSummary) {
        this.oldSummary = oldSummary;
    }

    public String getNewFingerprint() {
        return newFingerprint;
    }

    public void setNewFingerprint(String newFingerprint) {
        this.newFingerprint = newFingerprint;
    }

    public String getNewSummary() {
        return newSummary;
    }

    public void setNewSummary(String newSummary) {
        this.newSummary = newSummary;
    }

    public long getOldSeenAt() {
        return oldSeenAt;
    }

    public void setOldSeenAt(long oldSeenAt) {
        this.oldSeenAt = oldSeenAt;
    }

    @Override
    public boolean equals(Object o) {
        if (!super.equals(o)) {
            return false;
        }
        PlanChangeSnapshot p = (PlanChangeSnapshot) o;
        return oldSeenAt == p.oldSeenAt && Objects.equals(datname, p.datname) && Objects.equals(queryid, p.queryid)
                && Objects.equals(rolname, p.rolname) && Objects.equals(oldFingerprint, p.oldFingerprint)
                && Objects.equals(oldSummary, p.oldSummary) && Objects.equals(newFingerprint, p.newFingerprint)
                && Objects.equals(newSummary, p.newSummary);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), datname, queryid, oldFingerprint, newFingerprint);
    }
}
