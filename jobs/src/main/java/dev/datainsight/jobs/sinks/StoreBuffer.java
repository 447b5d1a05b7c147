package dev.datainsight.jobs.sinks;

import java.io.Serializable;

/**
 * What a {@link StoreSink} does with one record type: collects elements (deduplicating what a
 * later element overwrites anyway) and writes them through {@link StoreCalls} on flush (retries,
 * refused rows split out to the dead letters).
 */
public interface StoreBuffer<T> extends Serializable {
    /** Adds an element; returns how many rows the buffer now holds. */
    int add(T element);

    /** Writes everything buffered and empties the buffer. */
    void flush(StoreCalls calls) throws Exception;

    /** A fresh, empty buffer of the same kind (one per writer). */
    StoreBuffer<T> fresh();
}
