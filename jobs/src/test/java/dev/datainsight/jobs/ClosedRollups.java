package dev.datainsight.jobs;

import dev.datainsight.model.Snapshot;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Exact comparison of an unbounded job's store with {@link ReferenceRollups}, for tests outside
 * this package (the end-to-end tests). An unbounded run never sees a final watermark, so only
 * what the watermark has closed is required: a minute (and a statements hour) once the watermark
 * passed its end, an hour and a day once it passed their end plus the allowed lateness. Every row
 * in the store, closed or not, must equal the reference's row for the same key.
 */
public final class ClosedRollups {
    /** What was compared, per table: rows required by the watermark, rows found in the store. */
    public record Summary(int minutes, int hours, int days, int statementHours, int storedMinutes, int storedHours,
            int storedDays, int storedStatementHours, Set<Long> hourStarts, Set<Long> dayStarts) {}

    private ClosedRollups() {}

    /**
     * Asserts the store at {@code url} holds exactly the rollups of {@code published}.
     *
     * @param maxGapMs the job's time.maxGap
     * @param latenessMs the job's time.allowedLateness
     * @param watermark a lower bound of the job's watermark after it consumed everything
     */
    public static Summary assertExact(List<Snapshot> published, long maxGapMs, long latenessMs, long watermark,
            String url) throws Exception {
        ReferenceRollups ref = new ReferenceRollups(published, maxGapMs);
        Map<ReferenceRollups.Key, ReferenceRollups.Agg> m = JobTestSupport.rollups(url, "metric_rollup_1m");
        Map<ReferenceRollups.Key, ReferenceRollups.Agg> h = JobTestSupport.rollups(url, "metric_rollup_1h");
        Map<ReferenceRollups.Key, ReferenceRollups.Agg> d = JobTestSupport.rollups(url, "metric_rollup_1d");
        Map<List<Object>, double[]> s = JobTestSupport.statementRollups(url);
        Map<ReferenceRollups.Key, ReferenceRollups.Agg> wantM = closed(ref.minutes, m, ReferenceRollups.MINUTE, 0, watermark);
        Map<ReferenceRollups.Key, ReferenceRollups.Agg> wantH = closed(ref.hours, h, ReferenceRollups.HOUR, latenessMs,
                watermark);
        Map<ReferenceRollups.Key, ReferenceRollups.Agg> wantD = closed(ref.days, d, ReferenceRollups.DAY, latenessMs,
                watermark);
        JobTestSupport.assertRollupsEqual(wantM, m, "metric_rollup_1m");
        JobTestSupport.assertRollupsEqual(wantH, h, "metric_rollup_1h");
        JobTestSupport.assertRollupsEqual(wantD, d, "metric_rollup_1d");
        Map<List<Object>, double[]> wantS = new HashMap<>();
        for (Map.Entry<List<Object>, double[]> e : ref.statements.entrySet()) {
            long bucket = (Long) e.getKey().get(4);
            if (bucket + ReferenceRollups.HOUR - 1 <= watermark || s.containsKey(e.getKey())) {
                wantS.put(e.getKey(), e.getValue());
            }
        }
        JobTestSupport.assertStatementsEqual(wantS, s);
        Set<Long> hours = new TreeSet<>();
        wantH.keySet().forEach(k -> hours.add(k.bucket()));
        Set<Long> days = new TreeSet<>();
        wantD.keySet().forEach(k -> days.add(k.bucket()));
        return new Summary(wantM.size(), wantH.size(), wantD.size(), wantS.size(), m.size(), h.size(), d.size(),
                s.size(), hours, days);
    }

    /**
     * The reference rows the store must hold: those the watermark closed, plus any other row the
     * store already has (it must then be equal too).
     */
    private static Map<ReferenceRollups.Key, ReferenceRollups.Agg> closed(Map<ReferenceRollups.Key, ReferenceRollups.Agg> ref,
            Map<ReferenceRollups.Key, ReferenceRollups.Agg> stored, long width, long latenessMs, long watermark) {
        Map<ReferenceRollups.Key, ReferenceRollups.Agg> out = new HashMap<>();
        for (Map.Entry<ReferenceRollups.Key, ReferenceRollups.Agg> e : ref.entrySet()) {
            if (e.getKey().bucket() + width - 1 + latenessMs <= watermark || stored.containsKey(e.getKey())) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }
}
