package dev.datainsight.rules.defs;

import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.Memory;
import dev.datainsight.rules.engine.Window;

/**
 * Consistently slow or spiky: the execution-time spread of one statement over a window, from the
 * deltas of three pg_stat_statements counters the collector sends: calls, total_exec_time and
 * exec_time_sq (the sum of squared execution times, calls × (stddev² + mean²) as pg_stat_statements
 * keeps them over the entry's life). Over a window with n calls, time S and squares Q:
 * mean = S / n, sd = √(Q / n − mean²). The window's max is known only when the entry's lifetime
 * {@code max_exec_time} rose inside the window (then it is that max).
 *
 * <p>Classification (documented in docs/rules.md): <b>spiky</b> when sd &gt; {@value #SPIKY_CV} ×
 * mean (coefficient of variation above 1) or the window's max &gt; {@value #SPIKY_MAX_RATIO} ×
 * mean; otherwise <b>steady</b>. A CV above 1 means the typical call is far from the mean (a few
 * long calls carry it); a max 10× the mean is a single outlier worth naming.
 *
 * @param mean ms
 * @param sd ms
 * @param max ms, or null when the window's max is unknown
 */
record ExecSpread(double mean, double sd, Double max) {
    static final double SPIKY_CV = 1.0;
    static final double SPIKY_MAX_RATIO = 10.0;

    /** Memory layout of the spread window: calls, exec_time_sq, max_exec_time per sample. */
    static final int K = 3;

    /** Adds a sample to the spread window; returns the memory to keep (or the old one when the row lacks the columns). */
    static Memory add(Memory m, long t, double calls, Double sq, Double max, long windowMs) {
        if (sq == null) {
            return m; // an older collector: no spread
        }
        // max_exec_time only grows between min/max resets; a reset (1.11 minmax_only) restarts the window.
        return Window.add(m, K, t, new Double[] {calls, sq, max == null ? 0.0 : max}, true, 0, windowMs, 400, null);
    }

    /**
     * The spread over the window from the time window's deltas and the spread window, or null
     * when the spread window does not cover the same calls (it started later, or was reset).
     */
    static ExecSpread of(Memory spread, double dCalls, double dTime, Double currentMax) {
        if (spread == null || dCalls <= 0) {
            return null;
        }
        double n = Window.delta(spread, K, 0);
        if (Math.abs(n - dCalls) > 1e-6 * Math.max(1, dCalls)) {
            return null;
        }
        double q = Window.delta(spread, K, 1);
        double mean = dTime / dCalls;
        double var = Math.max(0, q / dCalls - mean * mean);
        Double max = Window.delta(spread, K, 2) > 0 && currentMax != null ? currentMax : null;
        return new ExecSpread(mean, Math.sqrt(var), max);
    }

    boolean spiky() {
        return sd > SPIKY_CV * mean || (max != null && max > SPIKY_MAX_RATIO * mean);
    }

    /** "consistently slow (mean 1.2 s, sd 0.1 s)" or "spiky (mean 80 ms, sd 900 ms, max 6 s)". */
    String describe() {
        String nums = "mean " + Fmt.ms(mean) + ", sd " + Fmt.ms(sd) + (max != null ? ", max " + Fmt.ms(max) : "");
        return (spiky() ? "spiky (" : "consistently slow (") + nums + ")";
    }
}
