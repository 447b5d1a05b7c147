package dev.datainsight.jobs.records;

import dev.datainsight.model.DeadLetterRecord;

/**
 * What the plans source emits for one Kafka record: the captured plans of a valid plans snapshot
 * (possibly none: every statement skipped, or a probe-level status only) or a dead letter. Decoded
 * inside the source so event time and watermarks are per Kafka partition; it never crosses the
 * network (the next operator is chained).
 */
public class PlanRecord {
    /** Captured plans, in the snapshot's order; empty when rejected or none was captured. */
    public CapturedPlan[] plans = new CapturedPlan[0];
    /** The rejection, or null when valid. */
    public DeadLetterRecord deadLetter;
    /** The snapshot's collection time; {@link Long#MIN_VALUE} when rejected (never moves a watermark). */
    public long collectedAt = Long.MIN_VALUE;

    public PlanRecord() {}
}
