package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.datainsight.jobs.rollup.InstanceRollupFunction;
import dev.datainsight.jobs.decode.SnapshotDeserializer;
import dev.datainsight.jobs.decode.SnapshotValidator;
import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.RollupBatch;
import dev.datainsight.jobs.records.SourceRecord;
import dev.datainsight.jobs.sinks.RollupBuffer;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.StatementsSnapshot;
import dev.datainsight.model.WireCodec;
import dev.datainsight.store.RollupRow;
import dev.datainsight.store.StatementRollupRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

/**
 * Property test of the rollup state (issue 13): random streams for one to three instances drive
 * {@link InstanceRollupFunction} through Flink's keyed operator harness, and every 1m/1h/1d row and
 * every statement-hour row the job emits (the latest emission per key wins, as in the store) must
 * equal {@link ReferenceRollups} computed from the same stream, with nothing thrown and no state or
 * timer left after the final watermark.
 *
 * <p>A stream: bursts of collection cycles (5 s to 60 s apart) separated by pauses shorter or
 * longer than the max gap, starting before a day boundary and ending hours after it. Per cycle:
 * pg_settings (server start: restarts, with or without counter loss, and version upgrades),
 * pg_stat_database (databases added and dropped, per-row stats_reset, a column first seen late),
 * pg_stat_user_tables (tables created, dropped and re-created, a column first seen late, null
 * gauges), pg_stat_checkpointer (view-level stats_reset) and pg_stat_statements (query ids
 * entering and leaving the top N, toplevel true/false rows). Snapshots travel through the job's
 * wire codec and decoder, arrive out of order within the watermark bound, some are duplicated, and
 * some arrive behind the watermark (within the allowed lateness, or beyond it: those must come out
 * of the late side output, and only those).
 *
 * <p>The number of cases is jqwik's {@code jqwik.tries.default} (junit-platform.properties: the CI
 * default); {@code -Djqwik.tries.default=20000} runs more. A failure names its seed, and
 * {@code -Drollup.seed=N -Djqwik.tries.default=1} replays it.
 */
class RollupStatePropertyTest {
    static final long SECOND = 1000L;
    static final long MINUTE = 60_000L;
    static final long HOUR = 3_600_000L;
    static final long DAY = 86_400_000L;
    static final long LATENESS = 2 * MINUTE;
    static final long MAX_GAP = 5 * MINUTE;
    /** 2026-01-02T00:00:00Z: the day boundary every stream crosses. */
    static final long BOUNDARY = 1_767_312_000_000L;
    static final WireCodec CODEC = new WireCodec();
    static final SnapshotDeserializer DECODER = new SnapshotDeserializer(CODEC,
            new SnapshotValidator(Duration.ofDays(3650), Duration.ofDays(3650)), false);

    @Property(shrinking = net.jqwik.api.ShrinkingMode.OFF)
    void everyEmittedRollupEqualsTheReference(@ForAll long seed) throws Exception {
        String replay = System.getProperty("rollup.seed");
        new Case(replay == null ? seed : Long.parseLong(replay)).run();
    }

    /** One snapshot on its way: wire bytes, arrival order and what the test expects of it. */
    record Delivery(Snapshot snapshot, long arrival, int seq) {}

    /** One generated stream and its check. */
    static final class Case {
        final long seed;
        final Random rnd;
        final long bound;

        Case(long seed) {
            this.seed = seed;
            this.rnd = new Random(seed);
            this.bound = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(40) * SECOND + rnd.nextInt(1000);
        }

        void run() throws Exception {
            int instances = 1 + rnd.nextInt(3);
            List<Delivery> deliveries = new ArrayList<>();
            int[] seq = {0};
            for (int i = 0; i < instances; i++) {
                new InstanceStream("pg-" + i, rnd).generate(s -> deliver(s, deliveries, seq));
            }
            deliveries.sort(Comparator.comparingLong(Delivery::arrival).thenComparingInt(Delivery::seq));

            InstanceRollupFunction fn = new InstanceRollupFunction(Duration.ofMillis(LATENESS), Duration.ofMillis(MAX_GAP),
                    Duration.ofMinutes(5), Duration.ZERO, java.util.List.of("metrics"));
            List<Snapshot> applied = new ArrayList<>();
            List<Snapshot> pending = new ArrayList<>();
            List<Long> expectedLate = new ArrayList<>();
            String where = "seed " + seed;
            try (KeyedOneInputStreamOperatorTestHarness<String, CompactSnapshot, RollupBatch> h =
                    new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(fn), s -> s.instance,
                            Types.STRING)) {
                h.open();
                long wm = Long.MIN_VALUE;
                long maxTs = Long.MIN_VALUE;
                for (Delivery d : deliveries) {
                    Snapshot s = d.snapshot();
                    long t = s.getCollectedAt();
                    SourceRecord rec = DECODER.decode(CODEC.encode(s), "metrics", 0, d.seq(), t, t);
                    assertNotNull(rec.snapshot, where + ": the decoder rejected a generated snapshot: "
                            + (rec.deadLetter == null ? "" : rec.deadLetter.getDetail()));
                    if (t > wm) {
                        pending.add(s);
                    } else {
                        long width = s.getView().equals("pg_stat_statements") ? HOUR : MINUTE;
                        long bucketEnd = t - Math.floorMod(t, width) + width - 1;
                        if (bucketEnd + LATENESS <= wm) {
                            expectedLate.add(t);
                        } else {
                            applied.add(s);
                        }
                    }
                    h.processElement(new StreamRecord<>(rec.snapshot, t));
                    maxTs = Math.max(maxTs, t);
                    long next = maxTs - bound - 1;
                    if (next > wm) {
                        wm = next;
                        release(pending, applied, wm);
                        h.processWatermark(wm);
                    }
                }
                release(pending, applied, Long.MAX_VALUE);
                h.processWatermark(Long.MAX_VALUE);

                List<Long> late = new ArrayList<>();
                var lateOut = h.getSideOutput(InstanceRollupFunction.LATE);
                for (StreamRecord<DeadLetterRecord> r : lateOut == null ? List.<StreamRecord<DeadLetterRecord>>of() : lateOut) {
                    late.add(Long.parseLong(r.getValue().getDetail().replaceAll("^collected_at (\\d+) .*", "$1")));
                }
                assertEquals(expectedLate.stream().sorted().toList(), late.stream().sorted().toList(),
                        where + ": late dead letters");

                ReferenceRollups want = ReferenceRollups.inApplicationOrder(applied, MAX_GAP);
                Map<ReferenceRollups.Key, ReferenceRollups.Agg> m = new HashMap<>();
                Map<ReferenceRollups.Key, ReferenceRollups.Agg> hr = new HashMap<>();
                Map<ReferenceRollups.Key, ReferenceRollups.Agg> dy = new HashMap<>();
                Map<List<Object>, double[]> st = new HashMap<>();
                for (RollupBatch b : h.extractOutputValues()) {
                    if (b.resolution == RollupBatch.STATEMENTS) {
                        for (StatementRollupRow r : RollupBuffer.statementRows(b)) {
                            st.put(List.of(r.instance(), r.queryid(), r.datname(), r.rolname(), r.bucketStart()),
                                    new double[] {r.calls(), r.totalExecTimeMs(), r.rows(), r.sharedBlksHit(),
                                        r.sharedBlksRead(), r.sharedBlksDirtied(), r.sharedBlksWritten(),
                                        r.tempBlksRead(), r.tempBlksWritten(), r.walBytes()});
                        }
                        continue;
                    }
                    List<RollupRow> rows = new ArrayList<>();
                    RollupBuffer.toRows(b, rows);
                    Map<ReferenceRollups.Key, ReferenceRollups.Agg> target =
                            b.resolution == RollupBatch.MINUTE ? m : b.resolution == RollupBatch.HOUR ? hr : dy;
                    for (RollupRow r : rows) {
                        ReferenceRollups.Agg a = new ReferenceRollups.Agg();
                        a.count = r.count();
                        a.min = r.min();
                        a.max = r.max();
                        a.sum = r.sum();
                        a.last = r.last();
                        target.put(new ReferenceRollups.Key(r.instance(), r.metric(), new TreeMap<>(r.labels()),
                                r.bucketStart()), a);
                    }
                }
                try {
                    JobTestSupport.assertRollupsEqual(want.minutes, m, "1m");
                    JobTestSupport.assertRollupsEqual(want.hours, hr, "1h");
                    JobTestSupport.assertRollupsEqual(want.days, dy, "1d");
                    JobTestSupport.assertStatementsEqual(want.statements, st);
                } catch (AssertionError e) {
                    throw new AssertionError(where + " (" + instances + " instances, " + deliveries.size()
                            + " deliveries, bound " + bound + " ms): " + e.getMessage(), e);
                }
                assertEquals(0, h.numKeyedStateEntries(), where + ": keyed state left");
                assertEquals(0, h.numEventTimeTimers(), where + ": timers left");
            } catch (RuntimeException e) {
                throw new AssertionError(where + ": the job threw " + e, e);
            }
        }

        /** The job applies snapshots ahead of the watermark once it passes them, in time order. */
        static void release(List<Snapshot> pending, List<Snapshot> applied, long wm) {
            List<Snapshot> due = new ArrayList<>();
            pending.removeIf(s -> {
                if (s.getCollectedAt() <= wm) {
                    due.add(s);
                    return true;
                }
                return false;
            });
            // stable: at equal times pg_settings first, then arrival order
            due.sort(Comparator.comparingLong(Snapshot::getCollectedAt)
                    .thenComparing(s -> !s.getView().equals("pg_settings")));
            applied.addAll(due);
        }

        void deliver(Snapshot s, List<Delivery> out, int[] seq) {
            long t = s.getCollectedAt();
            boolean settings = s.getView().equals("pg_settings");
            int kind = rnd.nextInt(100);
            long delay;
            if (!settings && kind < 8) {
                delay = bound + 1 + (long) (rnd.nextDouble() * (LATENESS + 90 * SECOND)); // behind the watermark
            } else {
                delay = bound == 0 ? 0 : (long) (rnd.nextDouble() * bound);
            }
            out.add(new Delivery(s, t + delay, seq[0]++));
            if (kind >= 92) { // a duplicate, in time or late
                long again = settings ? (bound == 0 ? 0 : (long) (rnd.nextDouble() * bound))
                        : (long) (rnd.nextDouble() * (bound + LATENESS + 90 * SECOND));
                out.add(new Delivery(s, t + Math.max(delay, again), seq[0]++));
            }
        }
    }

    /** The snapshots of one simulated server. */
    static final class InstanceStream {
        final String instance;
        final Random rnd;
        final String[] tablePool = {"orders", "items", "users", "events_2026_01_01", "events_2026_01_02", "tmp_work",
            "audit", "sessions"};
        final String[] queryPool = new String[14];
        final Map<String, double[]> db = new LinkedHashMap<>(); // datname → counters
        final Map<String, Long> dbReset = new HashMap<>();
        final Map<String, double[]> tables = new LinkedHashMap<>();
        final Map<String, double[]> queries = new LinkedHashMap<>(); // queryid|toplevel → counters
        double[] checkpointer = {0, 0};
        long checkpointerReset;
        long serverStartSec;
        int version = 170011;
        boolean sessionsSeen;
        boolean idxScanSeen;

        InstanceStream(String instance, Random rnd) {
            this.instance = instance;
            this.rnd = rnd;
            for (int i = 0; i < queryPool.length; i++) {
                queryPool[i] = Long.toString(1_000_000L + 7919L * i);
            }
            db.put("postgres", new double[] {100, 3, 50});
            db.put("app", new double[] {1000, 10, 400});
            tables.put("orders", new double[] {5, 100});
            tables.put("items", new double[] {2, 10});
        }

        void generate(java.util.function.Consumer<Snapshot> out) {
            long t = BOUNDARY - (20 * MINUTE + (long) (rnd.nextDouble() * 2 * HOUR)) + rnd.nextInt(1000);
            long end = BOUNDARY + 30 * MINUTE + (long) (rnd.nextDouble() * 2 * HOUR);
            serverStartSec = t / 1000 - 86_400;
            checkpointerReset = t - DAY;
            long[] intervals = {5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND, 60 * SECOND};
            int cycles = 0;
            while (t < end && cycles < 400) {
                long interval = intervals[rnd.nextInt(intervals.length)];
                int burst = 3 + rnd.nextInt(25);
                for (int c = 0; c < burst && cycles < 400; c++, cycles++) {
                    cycle(t, out);
                    t += interval + rnd.nextInt((int) (interval / 4));
                }
                int pause = rnd.nextInt(10);
                if (pause < 4) {
                    t += (long) (rnd.nextDouble() * MAX_GAP); // shorter than the gap bound
                } else if (pause < 8) {
                    t += MAX_GAP + 1 + (long) (rnd.nextDouble() * 80 * MINUTE); // longer: no rate across it
                }
            }
            if (t < end) {
                cycle(end, out); // make sure the stream crosses the day boundary
            }
        }

        void cycle(long t, java.util.function.Consumer<Snapshot> out) {
            boolean restart = rnd.nextInt(150) == 0;
            if (restart) {
                serverStartSec = (t - 1000) / 1000;
                if (rnd.nextBoolean()) { // crash: counters start over
                    db.replaceAll((k, v) -> new double[] {rnd.nextInt(5), 0, rnd.nextInt(5)});
                    tables.replaceAll((k, v) -> new double[] {0, v[1]});
                    queries.clear();
                    checkpointer = new double[] {0, 0};
                }
                if (rnd.nextInt(3) == 0) {
                    version++;
                }
            }
            // pg_settings
            MetricsSnapshot set = base(new MetricsSnapshot(), t, "pg_settings");
            set.getRows().add(new SnapshotRow().value("max_connections", 100.0)
                    .value("server_start_epoch", (double) serverStartSec));
            out.accept(set);

            // pg_stat_database: databases come and go, per-row resets, "sessions" first seen later
            if (rnd.nextInt(40) == 0) {
                db.put("db" + rnd.nextInt(6), new double[] {rnd.nextInt(100), 0, 0});
            }
            if (db.size() > 1 && rnd.nextInt(80) == 0) {
                db.remove(new ArrayList<>(db.keySet()).get(rnd.nextInt(db.size())));
            }
            sessionsSeen |= rnd.nextInt(60) == 0;
            MetricsSnapshot d = base(new MetricsSnapshot(), t, "pg_stat_database");
            for (Map.Entry<String, double[]> e : db.entrySet()) {
                double[] v = e.getValue();
                if (rnd.nextInt(200) == 0) { // pg_stat_reset() in this database
                    dbReset.put(e.getKey(), t - 500);
                    v[0] = rnd.nextInt(3);
                    v[1] = 0;
                    v[2] = 0;
                }
                v[0] += rnd.nextInt(500);
                v[1] += rnd.nextInt(20);
                v[2] += rnd.nextInt(3);
                SnapshotRow r = new SnapshotRow().label("datname", e.getKey()).value("xact_commit", v[0])
                        .value("xact_rollback", v[1]).value("numbackends", rnd.nextInt(8) == 0 ? null : (double) rnd.nextInt(30));
                if (sessionsSeen) {
                    r.value("sessions", v[2]);
                }
                r.setStatsReset(dbReset.get(e.getKey()));
                d.getRows().add(r);
            }
            out.accept(d);

            // pg_stat_user_tables: tables created, dropped, re-created (counters from zero)
            if (rnd.nextInt(12) == 0) {
                tables.put(tablePool[rnd.nextInt(tablePool.length)], new double[] {0, 0});
            }
            if (tables.size() > 1 && rnd.nextInt(20) == 0) {
                tables.remove(new ArrayList<>(tables.keySet()).get(rnd.nextInt(tables.size())));
            }
            idxScanSeen |= rnd.nextInt(50) == 0;
            MetricsSnapshot u = base(new MetricsSnapshot(), t, "pg_stat_user_tables");
            for (Map.Entry<String, double[]> e : tables.entrySet()) {
                double[] v = e.getValue();
                v[0] += rnd.nextInt(4);
                v[1] += rnd.nextInt(200);
                SnapshotRow r = new SnapshotRow().label("datname", "app").label("schemaname", "public")
                        .label("relname", e.getKey()).value("seq_scan", v[0]).value("n_tup_ins", v[1])
                        .value("n_live_tup", rnd.nextInt(6) == 0 ? null : v[1] - rnd.nextInt(10));
                if (idxScanSeen) {
                    r.value("idx_scan", v[0] * 3);
                }
                u.getRows().add(r);
            }
            if (!u.getRows().isEmpty()) {
                out.accept(u);
            }

            // pg_stat_checkpointer: one row, view-level stats_reset
            if (rnd.nextInt(120) == 0) {
                checkpointerReset = t - 200;
                checkpointer = new double[] {0, 0};
            }
            checkpointer[0] += rnd.nextInt(2);
            checkpointer[1] += rnd.nextInt(300);
            MetricsSnapshot cp = base(new MetricsSnapshot(), t, "pg_stat_checkpointer");
            cp.setStatsReset(checkpointerReset);
            cp.getRows().add(new SnapshotRow().value("num_timed", checkpointer[0]).value("write_time", checkpointer[1]));
            out.accept(cp);

            // pg_stat_statements: the top N changes, ids leave and come back
            if (rnd.nextInt(3) == 0) {
                StatementsSnapshot ss = base(new StatementsSnapshot(), t, "pg_stat_statements");
                int n = 2 + rnd.nextInt(5);
                Set<String> top = new LinkedHashSet<>();
                while (top.size() < n) {
                    top.add(queryPool[rnd.nextInt(4 + rnd.nextInt(queryPool.length - 4))]);
                }
                top.add("other");
                for (String q : top) {
                    for (boolean toplevel : q.hashCode() % 3 == 0 ? new boolean[] {true, false} : new boolean[] {true}) {
                        double[] v = queries.computeIfAbsent(q + "|" + toplevel, k -> new double[4]);
                        v[0] += 1 + rnd.nextInt(50);
                        v[1] += rnd.nextInt(5000) / 10.0;
                        v[2] += rnd.nextInt(100);
                        v[3] += rnd.nextInt(10_000);
                        ss.getRows().add(new SnapshotRow().label("queryid", q).label("datname", "app")
                                .label("rolname", "app").label("toplevel", Boolean.toString(toplevel))
                                .value("calls", v[0]).value("total_exec_time", v[1]).value("rows", v[2])
                                .value("wal_bytes", v[3]));
                    }
                }
                out.accept(ss);
            }
        }

        <S extends Snapshot> S base(S s, long t, String view) {
            s.setInstance(instance);
            s.setServerVersionNum(version);
            s.setCollectedAt(t);
            s.setView(view);
            s.setLabels(Map.of("env", "prop"));
            return s;
        }
    }
}
