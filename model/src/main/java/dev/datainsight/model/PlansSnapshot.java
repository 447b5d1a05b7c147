package dev.datainsight.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the plans probe produced for one server in one cycle (topic {@code datainsight.plans},
 * {@code kind = "plans"}, view {@value #VIEW}): the plans of the statements it explained, the
 * statements it skipped with the reason, and a probe-level {@code status} when the probe cannot
 * capture plans on this server at all (sent once, e.g. "generic plans need PostgreSQL 16+").
 * It has no metric rows ({@code rows} is empty): the job's snapshot decoders refuse it, and it
 * travels on its own topic so they never see it.
 */
public final class PlansSnapshot extends Snapshot {
    /** The view name of plans snapshots; not a catalog view. */
    public static final String VIEW = "query_plans";

    private String status;
    private List<QueryPlan> plans = new ArrayList<>();

    public PlansSnapshot() {
        setView(VIEW);
    }

    @Override
    public SnapshotKind kind() {
        return SnapshotKind.PLANS;
    }

    /** Why the probe captures no plan on this server (null when it does). */
    public String getStatus() {
        return status;
    }

    public void setStatus(String status) {
        this.status = status;
    }

    public List<QueryPlan> getPlans() {
        return plans;
    }

    public void setPlans(List<QueryPlan> plans) {
        this.plans = plans;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && Objects.equals(status, ((PlansSnapshot) o).status)
                && Objects.equals(plans, ((PlansSnapshot) o).plans);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), status, plans);
    }
}
