package dev.datainsight.bench.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How the targets are judged from measured runs (the timings here are given, not measured). */
class JobBenchReportTest {
    static JobBenchmark.JobRun run(boolean rules, String backend, double seconds, double seriesSeconds) {
        return new JobBenchmark.JobRun(new JobBenchmark.Variant(rules, backend), seconds, seconds, 1, 1, seriesSeconds,
                1, backend);
    }

    static JobBenchmark.Result result(int instances, int cycles, double fastBefore, double fastAfter,
            List<JobBenchmark.JobRun> runs) {
        return new JobBenchmark.Result(instances, cycles, instances * 478L, 5000, 1000, 1_000_000, 1, 1, fastBefore,
                fastAfter, 40, 44, 1, runs, new StateFootprint.Result(instances, 1, 1, 1, 1), null, false);
    }

    @Test
    void at1000Instances_theFasterBaselineRun_decidesEachRulesTarget() {
        // baseline runs 12 s and 10 s: the faster (10) is the denominator
        JobBenchmark.Result r = result(1000, 120, 12, 10, List.of(run(false, "hashmap", 19, 1), run(true, "hashmap", 30, 1),
                run(false, "rocksdb", 40, 1), run(true, "rocksdb", 50, 1)));
        assertEquals(10.0 / 19, r.likeForLikeRatio(r.headline()), 1e-9);
        List<JobBenchReport.Target> t = JobBenchReport.targets(r);
        assertEquals("MET", t.get(0).verdict(), t.get(0).line()); // 0.53 >= 0.5
        assertEquals("MISSED", t.get(1).verdict(), t.get(1).line()); // 0.33 < 0.35
        assertEquals("NOT MEASURED", t.get(2).verdict(), t.get(2).line()); // 1,000 instances
        assertEquals("MISSED", t.get(3).verdict(), t.get(3).line()); // 40 / 19 = 2.1x
        assertEquals("target RocksDB within 2x of heap (job time rocksdb / hashmap <= 2.0): MISSED"
                + " (2.11x, rules off: rocksdb 40.0 s, hashmap 19.0 s)", t.get(3).line());
    }

    @Test
    void at5000Instances_theTargetCountsOnlyInSteadyState() {
        JobBenchmark.Result firstSight = result(5000, 120, 10, 11, List.of(run(false, "hashmap", 20, 3)));
        JobBenchReport.Target t = JobBenchReport.targets(firstSight).get(2);
        assertEquals("NOT MEASURED", t.verdict(), t.line()); // 3 s of 20 = 15 % first sight
        JobBenchmark.Result steady = result(5000, 360, 10, 11, List.of(run(false, "hashmap", 20, 1)));
        t = JobBenchReport.targets(steady).get(2);
        assertEquals("MET", t.verdict(), t.line()); // 0.50, 5 % first sight
        JobBenchmark.Result slow = result(5000, 360, 10, 11, List.of(run(false, "hashmap", 40, 1)));
        assertEquals("MISSED", JobBenchReport.targets(slow).get(2).verdict());
        // without the store's statement times the share is the records': 1 / cycles
        JobBenchmark.Result noStats = result(5000, 5, 10, 11, List.of(run(false, "hashmap", 20, Double.NaN)));
        assertEquals("NOT MEASURED", JobBenchReport.targets(noStats).get(2).verdict());
    }
}
