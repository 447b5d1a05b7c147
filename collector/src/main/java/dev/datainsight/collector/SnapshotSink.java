package dev.datainsight.collector;

import dev.datainsight.model.Snapshot;

/**
 * Where the collector hands its snapshots. {@link #publish(Snapshot)} is called from collector
 * worker threads, concurrently for different instances, and must not block for long (buffer and
 * return); {@link KafkaSnapshotSink} is the production implementation.
 */
public interface SnapshotSink extends AutoCloseable {

    /** Accepts one snapshot. Must be thread-safe and must not throw for transport problems. */
    void publish(Snapshot snapshot);

    /**
     * Accepts one snapshot and runs {@code onDelivered} once it is durably taken (Kafka: the
     * broker acknowledged it), on any thread; never when the snapshot is dropped or rejected. The
     * collector marks query texts as sent only then. This default treats acceptance as delivery.
     */
    default void publish(Snapshot snapshot, Runnable onDelivered) {
        publish(snapshot);
        onDelivered.run();
    }

    /** Flushes what can be flushed and releases resources. */
    @Override
    default void close() {}
}
