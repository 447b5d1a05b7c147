package dev.datainsight.rules.engine;

import java.util.Arrays;

/**
 * A sliding window of samples kept in a {@link Memory}: {@code t[i]} the sample times,
 * {@code v[i*k+j]} column j of sample i. It keeps one base sample at or before the window start so
 * deltas cover the whole window. For counters, a decrease in any column (or a changed reset
 * marker) is a stats reset: history is dropped and the window starts again.
 */
public final class Window {
    /** Receives an interval (between two samples) as it leaves the window. */
    @FunctionalInterface
    public interface Expired {
        void accept(long from, long to, double[] deltas);
    }

    private Window() {}

    /**
     * Adds a sample (ignored when not newer than the last one, or when a value is null).
     *
     * @param resetMarker stats_reset of the view or row (or 0); a change clears the window
     * @return the memory to store
     */
    public static Memory add(Memory m, int k, long t, Double[] vals, boolean counters, long resetMarker,
            long windowMs, int maxSamples, Expired expired) {
        for (Double d : vals) {
            if (d == null || !Double.isFinite(d)) {
                return m;
            }
        }
        if (m == null || m.t.length == 0 || m.mark != resetMarker) {
            m = new Memory();
            m.mark = resetMarker;
        } else {
            int n = m.t.length;
            if (t <= m.t[n - 1]) {
                return m;
            }
            if (counters) {
                for (int j = 0; j < k; j++) {
                    if (vals[j] < m.v[(n - 1) * k + j]) {
                        m = new Memory();
                        m.mark = resetMarker;
                        break;
                    }
                }
            }
        }
        int n = m.t.length;
        long[] nt = Arrays.copyOf(m.t, n + 1);
        double[] nv = Arrays.copyOf(m.v, (n + 1) * k);
        nt[n] = t;
        for (int j = 0; j < k; j++) {
            nv[n * k + j] = vals[j];
        }
        int drop = 0;
        while (n + 1 - drop > 2 && (nt[drop + 1] <= t - windowMs || n + 1 - drop > maxSamples)) {
            if (expired != null) {
                double[] d = new double[k];
                for (int j = 0; j < k; j++) {
                    d[j] = nv[(drop + 1) * k + j] - nv[drop * k + j];
                }
                expired.accept(nt[drop], nt[drop + 1], d);
            }
            drop++;
        }
        Memory r = new Memory();
        r.mark = m.mark;
        r.t = Arrays.copyOfRange(nt, drop, n + 1);
        r.v = Arrays.copyOfRange(nv, drop * k, (n + 1) * k);
        return r;
    }

    public static int size(Memory m) {
        return m == null ? 0 : m.t.length;
    }

    /** Time covered by the window, ms. */
    public static long span(Memory m) {
        return size(m) < 2 ? 0 : m.t[m.t.length - 1] - m.t[0];
    }

    /** Last minus first value of column j. */
    public static double delta(Memory m, int k, int j) {
        int n = size(m);
        return n < 2 ? 0 : m.v[(n - 1) * k + j] - m.v[j];
    }

    public static double last(Memory m, int k, int j) {
        return m.v[(size(m) - 1) * k + j];
    }

    /** Delta of column j since the latest sample at or before {@code since} (or the first sample). */
    public static double deltaSince(Memory m, int k, int j, long since) {
        int n = size(m);
        if (n < 2) {
            return 0;
        }
        int base = 0;
        for (int i = 0; i < n; i++) {
            if (m.t[i] <= since) {
                base = i;
            }
        }
        return m.v[(n - 1) * k + j] - m.v[base * k + j];
    }

    /** Time from the sample used by {@link #deltaSince} to the last sample. */
    public static long spanSince(Memory m, long since) {
        int n = size(m);
        if (n < 2) {
            return 0;
        }
        int base = 0;
        for (int i = 0; i < n; i++) {
            if (m.t[i] <= since) {
                base = i;
            }
        }
        return m.t[n - 1] - m.t[base];
    }
}
