package dev.datainsight.collector;

import java.util.List;

/**
 * What {@code GET /health} of a collector reports ({@link Collector#health}).
 *
 * @param up the collector works: scheduler firing, Kafka producer open and acknowledging
 * @param reasons why not, empty when up
 * @param instances servers in the fleet
 * @param instancesUp servers whose latest fast cycle reached them
 * @param instancesDown ids of the servers whose latest fast cycle did not (their own problem,
 *     not the collector's: it stays up)
 * @param instancesUnknown servers without a finished fast cycle yet
 * @param lastTickMillisAgo since the scheduler last fired, -1 before start
 * @param kafka the Kafka sink's state, null when the sink is not Kafka
 */
public record CollectorHealth(boolean up, List<String> reasons, int instances, int instancesUp, List<String> instancesDown,
        int instancesUnknown, long lastTickMillisAgo, Kafka kafka) {

    /**
     * @param queued snapshots in the buffer in front of the producer
     * @param inFlight records handed to the producer, not yet acknowledged
     * @param stalledMillis how long pending records have had no answer from the broker
     * @param dropped snapshots dropped so far (buffer full)
     * @param rejected records the broker refused for good
     */
    public record Kafka(int queued, int inFlight, long stalledMillis, long dropped, long rejected) {}
}
