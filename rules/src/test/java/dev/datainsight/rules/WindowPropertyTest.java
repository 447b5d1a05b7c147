package dev.datainsight.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.rules.engine.Memory;
import dev.datainsight.rules.engine.Window;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;

/**
 * Property test of the rules' sliding {@link Window} (issue 13, the rules' state): random sample
 * streams of one series (1..3 counter or gauge columns) with duplicates, out-of-order samples,
 * nulls, counter resets, reset-marker changes and pauses longer than the window are fed to
 * {@link Window#add}, and after every sample the window is checked against a plain reference: the
 * list of every sample accepted since the last reset. The window must be a suffix of that list
 * (nothing misplaced), the intervals handed to {@code expired} plus those still in the window must
 * be exactly the list's consecutive intervals (nothing lost or counted twice), the window must keep
 * its base sample at or before the window start and respect the sample cap, and {@code delta},
 * {@code deltaSince} and {@code spanSince} must equal what the reference list gives.
 */
class WindowPropertyTest {

    @Property(shrinking = ShrinkingMode.OFF)
    void windowEqualsTheReference(@ForAll long seed) {
        Random rnd = new Random(seed);
        int k = 1 + rnd.nextInt(3);
        boolean counters = rnd.nextInt(4) != 0;
        long windowMs = (1 + rnd.nextInt(30)) * 60_000L;
        int maxSamples = 2 + rnd.nextInt(rnd.nextBoolean() ? 5 : 400);
        String where = "seed " + seed + " (k=" + k + ", counters=" + counters + ", window=" + windowMs
                + ", maxSamples=" + maxSamples + ")";

        Memory m = null;
        List<long[]> refT = new ArrayList<>(); // accepted since the last reset: {t}
        List<double[]> refV = new ArrayList<>();
        List<double[]> expired = new ArrayList<>(); // {from, to, deltas...} not yet matched
        long mark = 0;
        long t = 1_767_225_600_000L;
        double[] cur = new double[k];
        int steps = 50 + rnd.nextInt(400);
        long lastAccepted = Long.MIN_VALUE;
        for (int step = 0; step < steps; step++) {
            long ts;
            int kind = rnd.nextInt(100);
            if (kind < 8 && lastAccepted != Long.MIN_VALUE) {
                ts = lastAccepted - rnd.nextInt(120_000); // duplicate or out of order: ignored
            } else {
                t += kind < 12 ? windowMs + rnd.nextInt(3_600_000) : 1000 + rnd.nextInt(90_000);
                ts = t;
            }
            Double[] vals = new Double[k];
            boolean reset = counters && rnd.nextInt(40) == 0;
            for (int j = 0; j < k; j++) {
                cur[j] = reset && j == rnd.nextInt(k) ? rnd.nextInt(5) : counters ? cur[j] + rnd.nextInt(100)
                        : rnd.nextInt(1000);
                vals[j] = cur[j];
            }
            if (rnd.nextInt(30) == 0) {
                vals[rnd.nextInt(k)] = null; // a null sample is ignored entirely
            }
            if (rnd.nextInt(60) == 0) {
                mark = ts - 1; // pg_stat_reset(): a new marker clears the window
            }

            // the reference: accept, reset or ignore
            boolean ignored = false;
            for (Double d : vals) {
                ignored |= d == null;
            }
            boolean fresh = false;
            if (!ignored) {
                if (m == null || refT.isEmpty() || m.mark != mark) {
                    fresh = true;
                } else if (ts <= refT.get(refT.size() - 1)[0]) {
                    ignored = true;
                } else if (counters) {
                    double[] prev = refV.get(refV.size() - 1);
                    for (int j = 0; j < k; j++) {
                        fresh |= vals[j] < prev[j];
                    }
                }
            }
            if (!ignored) {
                if (fresh) {
                    refT.clear();
                    refV.clear();
                    expired.clear();
                }
                double[] v = new double[k];
                for (int j = 0; j < k; j++) {
                    v[j] = vals[j];
                }
                refT.add(new long[] {ts});
                refV.add(v);
                lastAccepted = ts;
            }

            final int kk = k;
            Memory before = m;
            m = Window.add(m, k, ts, vals, counters, mark, windowMs, maxSamples, (from, to, d) -> {
                double[] e = new double[2 + kk];
                e[0] = from;
                e[1] = to;
                System.arraycopy(d, 0, e, 2, kk);
                expired.add(e);
            });
            if (ignored) {
                assertTrue(m == before, where + " step " + step + ": an ignored sample changed the window");
                continue;
            }
            check(m, k, refT, refV, expired, windowMs, maxSamples, where + " step " + step);
        }
    }

    private static void check(Memory m, int k, List<long[]> refT, List<double[]> refV, List<double[]> expired,
            long windowMs, int maxSamples, String where) {
        int n = Window.size(m);
        int all = refT.size();
        assertTrue(n >= 1 && n <= all, where + ": window size " + n + " of " + all);
        int off = all - n;
        for (int i = 0; i < n; i++) {
            assertEquals(refT.get(off + i)[0], m.t[i], where + ": sample time " + i);
            for (int j = 0; j < k; j++) {
                assertEquals(refV.get(off + i)[j], m.v[i * k + j], where + ": sample value " + i + "/" + j);
            }
        }
        // the expired intervals are exactly the reference's first `off` intervals, in order
        assertEquals(off, expired.size(), where + ": expired intervals");
        for (int i = 0; i < off; i++) {
            double[] e = expired.get(i);
            assertEquals(refT.get(i)[0], (long) e[0], where + ": expired from " + i);
            assertEquals(refT.get(i + 1)[0], (long) e[1], where + ": expired to " + i);
            for (int j = 0; j < k; j++) {
                assertEquals(refV.get(i + 1)[j] - refV.get(i)[j], e[2 + j], 1e-9, where + ": expired delta " + i);
            }
        }
        long last = refT.get(all - 1)[0];
        // bounds: at most maxSamples (but never fewer than 2 when there are 2), and the oldest
        // sample dropped only when the next one still reaches the window start
        assertTrue(n <= Math.max(2, maxSamples), where + ": more samples than the cap");
        if (off > 0 && n > 2) {
            boolean full = n == maxSamples;
            assertTrue(full || m.t[1] > last - windowMs, where + ": kept a sample the window no longer needs");
        }
        if (off > 0 && n < maxSamples) {
            assertTrue(m.t[0] <= last - windowMs || n == 2, where + ": dropped the base sample too early");
        }
        for (int j = 0; j < k; j++) {
            assertEquals(n < 2 ? 0 : refV.get(all - 1)[j] - refV.get(off)[j], Window.delta(m, k, j), 1e-9,
                    where + ": delta " + j);
            long since = last - windowMs / 2;
            int base = off;
            for (int i = off; i < all; i++) {
                if (refT.get(i)[0] <= since) {
                    base = i;
                }
            }
            assertEquals(n < 2 ? 0 : refV.get(all - 1)[j] - refV.get(base)[j], Window.deltaSince(m, k, j, since), 1e-9,
                    where + ": deltaSince " + j);
            assertEquals(n < 2 ? 0 : last - refT.get(base)[0], Window.spanSince(m, since), where + ": spanSince");
        }
    }
}
