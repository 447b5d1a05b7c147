package dev.datainsight.jobs.decode;

import dev.datainsight.bench.fleet.SyntheticFleet;
import dev.datainsight.jobs.records.SourceRecord;
import dev.datainsight.model.WireCodec;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Micro benchmark of the source's decode step, not a test: a synthetic fleet's records (default
 * 200 instances × 6 cycles) are decoded in alternating rounds through the full path (wire codec,
 * validator, {@code CompactSnapshot.of}; what the source did before the fast path, and still does
 * with rules enabled) and the fast path ({@link CompactDecoder}), single-threaded, in one JVM.
 * Times are the thread's CPU time, so other work on the machine disturbs them less than it does
 * wall-clock time; records/s is 1e9 / (CPU ns per record).
 *
 * <p>Run after {@code ./mvnw -B -o -q install -DskipTests -pl model,jobs -am} and
 * {@code ./mvnw -B -o -q -pl jobs test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/jobs.cp}:
 * {@code java -cp jobs/target/test-classes:jobs/target/classes:$(cat /tmp/jobs.cp)
 * dev.datainsight.jobs.decode.DecodeSpeed [instances] [cycles] [rounds]}.
 */
public final class DecodeSpeed {
    private static final int WARM_UP_ROUNDS = 2;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private DecodeSpeed() {}

    public static void main(String[] args) {
        int instances = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int cycles = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        long now = System.currentTimeMillis();
        WireCodec codec = new WireCodec();
        SyntheticFleet fleet = new SyntheticFleet(instances, 5, 20, 10, now - cycles * 60_000L, 60_000L, 42);
        List<byte[]> records = new ArrayList<>();
        long bytes = 0;
        for (int c = 0; c < cycles; c++) {
            fleet.nextCycle(s -> records.add(codec.encode(s)));
        }
        for (byte[] b : records) {
            bytes += b.length;
        }
        SnapshotValidator validator = new SnapshotValidator(Duration.ofMinutes(5), Duration.ofDays(7));
        SnapshotDeserializer full = new SnapshotDeserializer(codec, validator, true);
        SnapshotDeserializer fast = new SnapshotDeserializer(codec, validator, false);
        System.out.printf("%,d records (%d instances x %d cycles), %,d bytes, %d alternating rounds%n",
                records.size(), instances, cycles, bytes, rounds);

        double[] fullNs = new double[rounds];
        double[] fastNs = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            fullNs[r] = round(full, records, now);
            fastNs[r] = round(fast, records, now);
            System.out.printf("round %2d: full %,8.0f ns/record (%,9.0f records/s)   fast %,8.0f ns/record "
                    + "(%,9.0f records/s)   %.2fx%n", r, fullNs[r], 1e9 / fullNs[r], fastNs[r], 1e9 / fastNs[r],
                    fullNs[r] / fastNs[r]);
        }
        if (fast.fastDecoded() != (long) rounds * records.size()) {
            throw new IllegalStateException("the fast path declined records: " + fast.fastDecoded());
        }
        // The first rounds warm the JIT up; the median of the others is the result.
        int warm = Math.min(WARM_UP_ROUNDS, rounds - 1);
        double f = median(Arrays.copyOfRange(fullNs, warm, rounds));
        double q = median(Arrays.copyOfRange(fastNs, warm, rounds));
        System.out.printf("median of rounds %d..%d: full %,.0f ns/record (%,.0f records/s), fast %,.0f ns/record "
                + "(%,.0f records/s), fast path %.2fx faster%n", warm, rounds - 1, f, 1e9 / f, q, 1e9 / q, f / q);
    }

    private static double round(SnapshotDeserializer d, List<byte[]> records, long now) {
        long samples = 0;
        long t0 = THREADS.getCurrentThreadCpuTime();
        for (byte[] b : records) {
            SourceRecord r = d.decode(b, "bench", 0, 0L, now, now);
            samples += r.snapshot.values.length;
        }
        long ns = THREADS.getCurrentThreadCpuTime() - t0;
        if (samples == 0) {
            throw new IllegalStateException("nothing decoded");
        }
        return (double) ns / records.size();
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
