package dev.datainsight.bench.job;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The summary of a job benchmark, as {@code ./datainsight bench job} prints it: first a line that
 * starts {@code like-for-like ratio} (scripts read it), then every reading (the old ones too, for
 * continuity), then one {@code target ...} line per target saying MET, MISSED or NOT MEASURED.
 */
public final class JobBenchReport {
    /** Like-for-like at 1,000 instances, rules off. */
    public static final double TARGET_RULES_OFF = 0.5;
    /** Like-for-like at 1,000 instances, rules on. */
    public static final double TARGET_RULES_ON = 0.35;
    /** Like-for-like at 5,000 instances in steady state. */
    public static final double TARGET_5000 = 0.35;
    /** First-sight series creation must be below this share of the run for the 5,000 target to count. */
    public static final double STEADY_FIRST_SIGHT = 0.10;
    /** RocksDB job time at most this many times the heap backend's. */
    public static final double TARGET_ROCKSDB = 2.0;

    private JobBenchReport() {}

    /** One target and how this run fared against it. */
    public record Target(String name, String verdict, String detail) {
        public String line() {
            return "target " + name + ": " + verdict + (detail.isEmpty() ? "" : " (" + detail + ")");
        }
    }

    public static void print(JobBenchmark.Result r, int parallelism, PrintWriter out) {
        JobBenchmark.JobRun h = r.headline();
        out.printf("%nlike-for-like ratio %.2f (job %,.0f samples/s against the faster of two runs of a plain consumer"
                + " decoding with the job's own fast decoder, %,.0f samples/s; %d instances, %s, batch_rows %,d)%n",
                r.likeForLikeRatio(h), r.samplesPerSecond(h), r.samples() / r.likeForLikeBaselineSeconds(),
                r.instances(), h.variant().label(), r.batchRows());
        out.printf("summary (%d instances, %,d series, %d cycles of 10 s, parallelism %d, store %s):%n", r.instances(),
                r.seriesTotal(), r.cycles(), parallelism, r.discardStore() ? "DISCARDED (diagnostic)" : "PostgreSQL");
        out.printf("  batch_rows %,d%s%n", r.batchRows(), r.batchRows() == JobBenchmark.PRODUCTION_BATCH_ROWS
                ? " (the production default; runs before issue 21 used 20,000)"
                : " (NOT the production default of " + String.format("%,d", JobBenchmark.PRODUCTION_BATCH_ROWS) + ")");
        out.printf("  like-for-like baseline (job's fast decoder): before the jobs %,.0f samples/s, after %,.0f;"
                + " the faster is the denominator%n", r.samples() / r.fastBeforeSeconds(), r.samples() / r.fastAfterSeconds());
        out.printf("  old baseline (full wire codec), for continuity: before %,.0f samples/s, after %,.0f, mean %,.0f%n",
                r.samples() / r.fullBeforeSeconds(), r.samples() / r.fullAfterSeconds(), r.samples() / r.oldBaselineSeconds());
        for (JobBenchmark.JobRun run : r.runs()) {
            out.printf("  job, %s (Flink: %s): %,.0f samples/s, %,.0f records/s, %.1f s, %,d store rows;"
                    + " like-for-like ratio %.2f; old ratio (full codec, mean of two) %.2f; old baseline CPU s / job CPU s %.2f%n",
                    run.variant().label(), run.backendReported(), r.samplesPerSecond(run), r.records() / run.seconds(),
                    run.seconds(), run.rowsWritten(), r.likeForLikeRatio(run), r.oldRatio(run),
                    r.baselineCpuSeconds() / run.cpuSeconds());
            if (run.variant().rules()) {
                out.println("    (rules on: every record takes the full decode path - wire codec, validator, compact"
                        + " form - since the rules need the full snapshot; the baseline keeps the fast decoder)");
            }
        }
        out.printf("  end to end (headline run): %,.0f samples/s (target >= 300,000 samples/s)%n", r.samplesPerSecond(h));
        out.printf("  first-sight series creation: %s; records of first sight 1/%d cycles = %.1f %%%n",
                Double.isNaN(h.seriesServerSeconds()) ? "store time not available (no pg_stat_statements or store discarded)"
                        : String.format("%.2f s of store time in %,d series-id statements = %.1f %% of the headline run",
                                h.seriesServerSeconds(), h.seriesCalls(), 100 * firstSightShare(r, h)),
                r.cycles(), 100.0 / r.cycles());
        out.printf("  state per active series (simulated footprint, %d instances, %,d series): heap %.0f B, serialized"
                + " %.0f B, estimate %.0f B (target <= 300)%n", r.state().instances(), r.state().series(),
                r.state().heapBytesPerSeries(), r.state().serializedBytesPerSeries(), r.state().estimatedBytesPerSeries());
        if (r.checkpoint() != null) {
            JobBenchmark.CheckpointStats c = r.checkpoint();
            out.printf("  checkpointed state (Flink's checkpoint statistics, %s, one checkpoint after the whole stream"
                    + " was read): %,d B in all, rollup operator %,d B = %.0f B per series; checkpointed %,d B in %d ms%n",
                    c.variant().label(), c.stateSize(), c.rollupStateSize(), c.rollupBytesPerSeries(),
                    c.checkpointedSize(), c.durationMs());
        } else {
            out.println("  checkpointed state: not measured (--no-checkpoint-stats)");
        }
        long heap = r.runs().stream().mapToLong(JobBenchmark.JobRun::maxHeapUsedBytes).max().orElse(0);
        out.printf("  JVM heap used at peak during the jobs (TaskManager + in-process broker): %,d MB%n", heap >> 20);
        out.printf("  machine load at the end (1, 5, 15 min, /proc/loadavg): %s; %d cores, shared with whatever else runs%n",
                loadAverage(), Runtime.getRuntime().availableProcessors());
        for (Target t : targets(r)) {
            out.println(t.line());
        }
        out.flush();
    }

    static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "not available";
        }
    }

    /** Store time of first-sight series creation over the run's time; 1/cycles when not measurable. */
    static double firstSightShare(JobBenchmark.Result r, JobBenchmark.JobRun run) {
        return Double.isNaN(run.seriesServerSeconds()) ? 1.0 / r.cycles() : run.seriesServerSeconds() / run.seconds();
    }

    /** The four targets of issue 21, judged on this run. */
    public static List<Target> targets(JobBenchmark.Result r) {
        List<Target> t = new ArrayList<>();
        String where = r.instances() + " instances";
        for (boolean rules : new boolean[] {false, true}) {
            double goal = rules ? TARGET_RULES_ON : TARGET_RULES_OFF;
            String name = String.format("like-for-like >= %.2f at 1,000 instances, rules %s", goal, rules ? "on" : "off");
            JobBenchmark.JobRun run = heapFirst(r, rules);
            if (r.instances() != 1000) {
                t.add(new Target(name, "NOT MEASURED", "this run has " + where + "; run --instances 1000"));
            } else if (run == null) {
                t.add(new Target(name, "NOT MEASURED", "run with --rules " + (rules ? "on" : "off") + " or both"));
            } else {
                t.add(judge(name, r.likeForLikeRatio(run), goal, run.variant().label()));
            }
        }
        String name5k = String.format("like-for-like >= %.2f at 5,000 instances, steady state (first-sight series"
                + " creation < %.0f %% of the run)", TARGET_5000, 100 * STEADY_FIRST_SIGHT);
        JobBenchmark.JobRun off = heapFirst(r, false);
        if (r.instances() < 5000) {
            t.add(new Target(name5k, "NOT MEASURED", "this run has " + where + "; run --instances 5000 --duration 60m"));
        } else if (off == null) {
            t.add(new Target(name5k, "NOT MEASURED", "run with --rules off or both"));
        } else {
            double share = firstSightShare(r, off);
            if (share >= STEADY_FIRST_SIGHT) {
                t.add(new Target(name5k, "NOT MEASURED", String.format("first-sight share %.1f %% is not steady state:"
                        + " run a longer --duration; like-for-like here %.2f", 100 * share, r.likeForLikeRatio(off))));
            } else {
                Target j = judge(name5k, r.likeForLikeRatio(off), TARGET_5000, off.variant().label());
                t.add(new Target(j.name(), j.verdict(), j.detail() + String.format(", first-sight share %.1f %%", 100 * share)));
            }
        }
        String nameRocks = String.format("RocksDB within %.0fx of heap (job time rocksdb / hashmap <= %.1f)", TARGET_ROCKSDB,
                TARGET_ROCKSDB);
        Target rocks = null;
        for (boolean rules : new boolean[] {false, true}) {
            JobBenchmark.JobRun hm = r.run(rules, "hashmap");
            JobBenchmark.JobRun rd = r.run(rules, "rocksdb");
            if (rocks == null && hm != null && rd != null) {
                double x = rd.seconds() / hm.seconds();
                rocks = new Target(nameRocks, x <= TARGET_ROCKSDB ? "MET" : "MISSED",
                        String.format("%.2fx, rules %s: rocksdb %.1f s, hashmap %.1f s", x, rules ? "on" : "off",
                                rd.seconds(), hm.seconds()));
            }
        }
        t.add(rocks != null ? rocks : new Target(nameRocks, "NOT MEASURED", "run with --state-backend both"));
        return t;
    }

    private static JobBenchmark.JobRun heapFirst(JobBenchmark.Result r, boolean rules) {
        JobBenchmark.JobRun run = r.run(rules, "hashmap");
        return run != null ? run : r.run(rules, "rocksdb");
    }

    private static Target judge(String name, double value, double goal, String label) {
        return new Target(name, value >= goal ? "MET" : "MISSED", String.format("%.2f, %s%s", value, label,
                value >= goal ? "" : "; the job CPU by thread group above is the profile"));
    }
}
