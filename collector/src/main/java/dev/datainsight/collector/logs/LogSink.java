package dev.datainsight.collector.logs;

import dev.datainsight.model.LogBatch;

/**
 * Where log batches go ({@link dev.datainsight.collector.KafkaSnapshotSink} implements it: topic
 * {@code datainsight.logs}). Exactly one of the callbacks runs for every batch, on any thread:
 * {@code onDelivered} once it is durably taken, {@code onLost} when it was dropped or rejected;
 * the collector stores read offsets only after delivery and reads a lost batch again.
 */
public interface LogSink {
    void publish(LogBatch batch, Runnable onDelivered, Runnable onLost);
}
