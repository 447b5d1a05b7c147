package dev.datainsight.notify;

import java.io.IOException;

/**
 * Where undeliverable notifications (and unreadable alert records) go. A write that fails is an
 * error the consumer does not swallow: it stops without committing, so the records are read
 * again after a restart (at-least-once end to end).
 */
public interface DeadLetterSink extends AutoCloseable {

    /** Stores one failed delivery durably before returning. */
    void write(FailedDelivery failed) throws IOException;

    /**
     * Stores an alert record that could not be decoded (the model's dead-letter shape, with the
     * original bytes).
     */
    void writeUnreadable(dev.datainsight.model.DeadLetterRecord record) throws IOException;

    /** A human-readable description of where dead letters go. */
    String describe();

    @Override
    default void close() {}
}
