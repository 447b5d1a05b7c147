package dev.datainsight.notify;

import dev.datainsight.model.AlertEvent;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers the {@link Notifier#dedupKey dedup keys} of the last {@code capacity} events shown,
 * so a console drops an event it already printed: the job re-sends the events since its last
 * checkpoint after every restart, and the consumer redelivers after its own restart (at least
 * once). Bounded: the oldest key is forgotten first (access order), so memory stays at about
 * {@code capacity} short strings however long it runs. Thread-safe.
 */
public final class SeenEvents {
    /** Default number of keys kept: hours of alerts of a large fleet, about 1 MB. */
    public static final int DEFAULT_CAPACITY = 10_000;

    private final Map<String, Boolean> keys;
    private long dropped;

    public SeenEvents(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.keys = new LinkedHashMap<>(Math.min(capacity, 1024) * 2, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    /** True the first time an event's key is seen (show it); false for a repeat (drop it). */
    public synchronized boolean firstTime(AlertEvent e) {
        if (keys.put(Notifier.dedupKey(e), Boolean.TRUE) == null) {
            return true;
        }
        dropped++;
        return false;
    }

    /** Repeats dropped so far. */
    public synchronized long dropped() {
        return dropped;
    }

    /** Keys currently remembered. */
    public synchronized int size() {
        return keys.size();
    }
}
