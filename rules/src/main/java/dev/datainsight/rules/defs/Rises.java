package dev.datainsight.rules.defs;

import dev.datainsight.rules.engine.Memory;

/**
 * When a cumulative counter last went up, kept in one {@link Memory} without a sample window:
 * {@code v[0]} the last value, {@code t[0]} the time of the last increase ({@link Long#MIN_VALUE}
 * when none was seen), {@code v[1]} the size of that increase, {@code mark} the reset marker.
 * The first value seen is the baseline, not an increase; a drop or a changed marker (a stats
 * reset) starts again from the new value.
 */
final class Rises {
    private Rises() {}

    /** The memory after seeing {@code value} at {@code now}. */
    static Memory see(Memory m, double value, long now, long resetMarker) {
        if (m == null || m.v.length < 2 || m.mark != resetMarker || value < m.v[0]) {
            Memory r = Memory.of(new long[] {Long.MIN_VALUE}, new double[] {value, 0});
            r.mark = resetMarker;
            return r;
        }
        if (value > m.v[0]) {
            Memory r = Memory.of(new long[] {now}, new double[] {value, value - m.v[0]});
            r.mark = resetMarker;
            return r;
        }
        return m;
    }

    /** Whether the counter went up within {@code windowMs} before {@code now}. */
    static boolean within(Memory m, long now, long windowMs) {
        return m != null && m.t.length > 0 && m.t[0] != Long.MIN_VALUE && now - m.t[0] < windowMs;
    }
}
