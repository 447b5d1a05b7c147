package dev.datainsight.notify;

import dev.datainsight.model.AlertEvent;
import java.util.Collection;
import java.util.Map;

/**
 * One delivery target for alert events (stdout, a webhook, Alertmanager). Implementations send
 * one event per call and throw {@link DeliveryException} when the target did not accept it;
 * retrying, backing off and dead-lettering are the caller's job ({@link RetryingDelivery}).
 *
 * <p>Delivery is at-least-once: after a crash or a restart the same event may be delivered
 * again, so every payload carries what a receiver needs to de-duplicate (see
 * {@link #dedupKey(AlertEvent)}).
 */
public interface Notifier extends AutoCloseable {

    /** Short name used in logs, metrics and dead-letter records, e.g. {@code webhook}. */
    String name();

    /** Delivers one event, or throws. */
    void deliver(AlertEvent event) throws DeliveryException;

    /**
     * Delivers one event read from {@code partition} of the alerts topic. Targets that keep
     * per-alert state (Alertmanager's firing set) use the partition to follow ownership; the
     * default ignores it.
     */
    default void deliver(AlertEvent event, int partition) throws DeliveryException {
        deliver(event);
    }

    /**
     * Whether this target keeps a firing set that must be rebuilt when partitions are assigned
     * (then the consumer calls {@link #partitionsAssigned}).
     */
    default boolean keepsFiringSet() {
        return false;
    }

    /**
     * This consumer now owns {@code firing}'s partitions: for each, the alerts firing as of the
     * group's committed offset (rebuilt from the topic), by fingerprint. Called on the polling
     * thread, before any record of those partitions is delivered.
     */
    default void partitionsAssigned(Map<Integer, Map<String, AlertEvent>> firing) {}

    /** This consumer no longer owns these partitions: forget their alerts. */
    default void partitionsRevoked(Collection<Integer> partitions) {}

    /**
     * Called periodically by the target's own delivery thread (between events, at least once
     * per poll timeout); targets with keep-alive duties do them here.
     */
    default void tick(long nowMillis) {}

    @Override
    default void close() {}

    /**
     * The key that identifies one notification: the same transition of the same alert always
     * has the same key, so a receiver that remembers keys drops redeliveries. Re-notifications
     * of a long-firing alert have a later {@code eventAt} and so a new key on purpose.
     */
    static String dedupKey(AlertEvent e) {
        return e.getFingerprint() + ":" + (e.getStatus() == null ? "" : e.getStatus().wire()) + ":"
                + (e.getSeverity() == null ? "" : e.getSeverity().wire()) + ":" + e.getStartedAt() + ":" + e.getEventAt();
    }
}
