package dev.datainsight.notify;

import dev.datainsight.model.AlertEvent;

/**
 * A notification that could not be delivered after every retry (or that a target refused for
 * good), written to the notifier's dead letter (a JSON-lines file or a Kafka topic) so nothing
 * is lost silently. Replaying means posting {@code alert} to {@code target} again.
 *
 * @param target the notifier's name, e.g. {@code webhook http://...}
 * @param attempts how many attempts were made
 * @param error the last error
 * @param failedAt when it was given up (epoch ms)
 * @param sourceTopic where the alert was read
 * @param partition partition of the source record
 * @param offset offset of the source record
 * @param dedupKey {@link Notifier#dedupKey(AlertEvent)}
 * @param alert the alert event itself
 */
public record FailedDelivery(String target, int attempts, String error, long failedAt, String sourceTopic,
        int partition, long offset, String dedupKey, AlertEvent alert) {}
