package dev.datainsight.rules.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The <b>presence state</b> of one instance: what {@link SilenceDetector} keeps between snapshots
 * to detect absence (instance_silent) — last collection and arrival times, the learnt collection
 * interval, its two timers, whether a silence was sent — plus the clock of the hourly sweep of
 * stale rule memories. Stored in the evaluator's {@code rule-instance-info} value state
 * ({@link RuleEvaluatorFunction#INSTANCE_STATE}). A Flink POJO.
 *
 * <p><b>The name is frozen by savepoints.</b> Flink writes this class's fully qualified name and
 * its field names into the POJO serializer snapshot of every checkpoint and savepoint, and looks
 * the class up by that name on restore; a job whose class was renamed or moved cannot restore its
 * savepoints (jobs' {@code SavepointCompatibilityITCase} proves a restore). So it keeps the name
 * {@code InstanceInfo} although {@code PresenceState} would say better what it holds. Fields may
 * only be added, with defaults (Flink's POJO schema evolution accepts new fields); never rename,
 * move or delete one. A rename needs a state migration: a new class under a new descriptor name, read
 * from the old descriptor once per key (and cleared there), for at least one release.
 */
public class InstanceInfo {
    /** Latest collection time seen from the instance (event time). */
    public long lastCollectedAt = -1;
    /** Processing time when the latest snapshot arrived. */
    public long lastSeenProc = -1;
    /** Collection time of the latest collector-health snapshot (one per cycle), to learn the interval. */
    public long lastCycleAt = -1;
    /** Observed collection interval, ms: the largest of the recent gaps; -1 until two cycles were seen. */
    public long observedIntervalMs = -1;
    /**
     * The last few gaps between health snapshots. Each probe group (fast, slow) sends one, so
     * gaps alternate between short (group offset) and long; their maximum is the fast interval.
     */
    public long[] recentGaps = new long[0];
    /** Whether a holding instance_silent evaluation was sent and not yet cleared. */
    public boolean silent;
    /**
     * Event time of the latest holding instance_silent evaluation, -1 when none is open: the next
     * one is dated a step later, and the one that clears it no earlier (added with issue 18).
     */
    public long silentAt = -1;
    /** Event time of the last sweep of stale rule memories. */
    public long lastGcAt;
    public long eventTimer = -1;
    public long procTimer = -1;
    public Map<String, String> labels = new LinkedHashMap<>();
    /**
     * The server's role from the latest collector-health snapshot ({@code in_recovery} of the
     * server row): 1 standby, 0 primary, -1 unknown (none seen yet, or a collector that does not
     * send it). Added with issue 18; a restored older state has -1 until the next health snapshot.
     */
    public int inRecovery = -1;

    public InstanceInfo() {}
}
