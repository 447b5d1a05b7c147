package dev.datainsight.rules.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/** Per-instance bookkeeping of the evaluator for absence detection (instance_silent). A POJO. */
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
    /** Event time of the last sweep of stale rule memories. */
    public long lastGcAt;
    public long eventTimer = -1;
    public long procTimer = -1;
    public Map<String, String> labels = new LinkedHashMap<>();

    public InstanceInfo() {}
}
