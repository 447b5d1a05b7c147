package dev.datainsight.rules.engine;

import dev.datainsight.model.Severity;

/**
 * Lifecycle state of one fingerprint, kept in keyed state (and so in checkpoints: a restart
 * neither starts a new episode nor forgets to resolve; events since the checkpoint may repeat, identical). Times are event time, epoch ms; -1 = unset. A POJO,
 * stored in the lifecycle's value state per fingerprint ({@link AlertLifecycleFunction#STATE}).
 *
 * <p><b>The name is frozen by savepoints</b>, like {@link InstanceInfo}'s (see there why), and so
 * are {@link Evaluation}'s, which it holds: only add fields with defaults; a rename or move needs a
 * state migration (new descriptor, read the old one once).
 */
public class AlertState {
    /** True once the firing event went out; false while pending. */
    public boolean firing;
    public Severity firedSeverity;
    /** When the condition first held in this episode (start of pending). */
    public long startedAt = -1;
    public long infoSince = -1;
    public long warningSince = -1;
    public long criticalSince = -1;
    /** While firing: when the condition last turned false; -1 while it holds. */
    public long clearSince = -1;
    public long lastEvalAt = -1;
    public long lastNotifiedAt = -1;
    /**
     * Latest hold ({@link Evaluation#hold}: the instance is down) of a firing alert; the alert goes
     * stale only {@code stale_after} past the later of this and {@link #lastEvalAt}. -1 = none
     * (added with issue 18).
     */
    public long heldUntil = -1;
    /** The one event-time timer registered for this fingerprint, or -1. */
    public long timer = -1;
    /** The latest evaluation, for the numbers and texts of the next event. */
    public Evaluation last;

    public AlertState() {}

    long since(Severity s) {
        return switch (s) {
            case INFO -> infoSince;
            case WARNING -> warningSince;
            case CRITICAL -> criticalSince;
        };
    }

    void since(Severity s, long t) {
        switch (s) {
            case INFO -> infoSince = t;
            case WARNING -> warningSince = t;
            case CRITICAL -> criticalSince = t;
        }
    }
}
