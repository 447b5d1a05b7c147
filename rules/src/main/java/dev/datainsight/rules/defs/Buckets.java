package dev.datainsight.rules.defs;

import dev.datainsight.rules.engine.Memory;

/**
 * How much a cumulative counter rose lately, in two tumbling buckets of one window each, kept in
 * one {@link Memory} (three numbers, not a list of samples): {@code t[0]} the start of the current
 * bucket, {@code v[0]} the counter at that start, {@code v[1]} the last value, {@code v[2]} the
 * increase over the previous bucket (0 when the previous bucket is older than one window).
 * {@link #recent} is the larger of the previous and the current bucket's increase: what rose over
 * the last one to two windows. A drop or a changed reset marker (a stats reset) starts again from
 * the new value; the first value seen is a baseline.
 */
final class Buckets {
    private Buckets() {}

    static Memory see(Memory m, double value, long now, long resetMarker, long windowMs) {
        if (m == null || m.v.length < 3 || m.mark != resetMarker || value < m.v[1]) {
            Memory r = Memory.of(new long[] {now}, new double[] {value, value, 0});
            r.mark = resetMarker;
            return r;
        }
        if (now <= m.t[0]) {
            return m;
        }
        long start = m.t[0];
        double base = m.v[0];
        double previous = m.v[2];
        if (now - start >= windowMs) {
            previous = now - start >= 2 * windowMs ? 0 : m.v[1] - base;
            start = now;
            base = m.v[1];
        }
        Memory r = Memory.of(new long[] {start}, new double[] {base, value, previous});
        r.mark = resetMarker;
        return r;
    }

    /** The increase over the last one to two windows (the larger bucket). */
    static double recent(Memory m) {
        return m == null || m.v.length < 3 ? 0 : Math.max(m.v[2], m.v[1] - m.v[0]);
    }
}
