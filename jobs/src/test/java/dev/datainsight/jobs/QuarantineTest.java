package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.bench.fleet.SyntheticFleet;
import dev.datainsight.jobs.rollup.InstanceRollupFunction;
import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.RollupBatch;
import dev.datainsight.jobs.sinks.RollupBuffer;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.RejectReason;
import dev.datainsight.model.Snapshot;
import dev.datainsight.store.RollupRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The per-key quarantine of {@link InstanceRollupFunction} on the operator harness: a fault injected
 * while one instance's snapshots are applied (the kind of bug that used to crash-loop the job)
 * leaves the other instances' rollups exactly the reference's, turns that instance's snapshots
 * into internal_error dead letters, and the instance recovers from its next snapshots: its rollups
 * after the reset are exactly the reference computed from the snapshots after the fault alone.
 */
class QuarantineTest {
    static final long INTERVAL = 10_000L;
    static final int CYCLES = 150;
    static final int FAULT_CYCLE = 40;
    static final String FAULTY = SyntheticFleet.instanceId(1);

    @Test
    void oneInstanceQuarantined_othersExact_andItRecoversFromTheNextSnapshots() throws Exception {
        long start = RollupsITCase.start();
        SyntheticFleet fleet = new SyntheticFleet(3, 1, 2, 2, start, INTERVAL, 11);
        long faultAt = fleet.timeOf(FAULT_CYCLE);
        InstanceRollupFunction fn = new InstanceRollupFunction(Duration.ofMinutes(2), Duration.ofMinutes(5),
                Duration.ofMinutes(5), Duration.ZERO, java.util.List.of("metrics"))
                .withFaultInjection((key, at) -> key.equals(FAULTY) && at == faultAt);
        List<Snapshot> all = new ArrayList<>();
        int faultySnapshotsAtFault = 0;
        try (KeyedOneInputStreamOperatorTestHarness<String, CompactSnapshot, RollupBatch> h =
                new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(fn), s -> s.instance, Types.STRING)) {
            h.open();
            for (int c = 0; c < CYCLES; c++) {
                for (Snapshot s : fleet.nextCycle()) {
                    all.add(s);
                    if (s.getInstance().equals(FAULTY) && s.getCollectedAt() == faultAt) {
                        faultySnapshotsAtFault++;
                    }
                    h.processElement(new StreamRecord<>(CompactSnapshot.of(s), s.getCollectedAt()));
                }
                h.processWatermark(fleet.timeOf(c));
            }
            h.processWatermark(Long.MAX_VALUE);

            // The faulty instance's snapshots of that cycle are internal_error dead letters, with the gap stated.
            List<DeadLetterRecord> letters = new ArrayList<>();
            for (StreamRecord<DeadLetterRecord> r : h.getSideOutput(InstanceRollupFunction.LATE)) {
                letters.add(r.getValue());
            }
            assertEquals(faultySnapshotsAtFault, letters.size(), "one dead letter per snapshot being applied: " + letters);
            for (DeadLetterRecord d : letters) {
                assertEquals(RejectReason.INTERNAL_ERROR.code(), d.getReason());
                assertEquals(FAULTY, d.getInstance());
                assertTrue(d.getDetail().contains("InjectedFault") && d.getDetail().contains("\tat "),
                        "stack head in " + d.getDetail());
                assertTrue(d.getDetail().contains("state of instance " + FAULTY + " reset; its rollups from "
                        + java.time.Instant.ofEpochMilli(faultAt - Math.floorMod(faultAt, 3_600_000L))),
                        "gap in " + d.getDetail());
                Snapshot payload = JobTestSupport.CODEC.decodeSnapshot(d.originalBytes()).value();
                assertEquals(FAULTY, payload.getInstance());
                assertEquals(faultAt, payload.getCollectedAt());
            }
            // Timers left behind by the reset found nothing and did nothing.
            assertEquals(0, h.numKeyedStateEntries(), "keyed state left");
            assertEquals(0, h.numEventTimeTimers(), "timers left");

            Map<Integer, Map<ReferenceRollups.Key, ReferenceRollups.Agg>> got = rows(h.extractOutputValues());
            List<Snapshot> others = all.stream().filter(s -> !s.getInstance().equals(FAULTY)).toList();
            ReferenceRollups ref = new ReferenceRollups(others, 5 * 60_000L);
            JobTestSupport.assertRollupsEqual(ref.minutes, only(got.get(RollupBatch.MINUTE), false), "1m of the others");
            JobTestSupport.assertRollupsEqual(ref.hours, only(got.get(RollupBatch.HOUR), false), "1h of the others");
            JobTestSupport.assertRollupsEqual(ref.days, only(got.get(RollupBatch.DAY), false), "1d of the others");

            // The faulty instance: minutes emitted before the fault stay; from the fault's minute on, its
            // rollups are those of a fresh start at the next snapshots (the gap the letter states).
            long faultMinute = faultAt - Math.floorMod(faultAt, 60_000L);
            ReferenceRollups before = new ReferenceRollups(
                    all.stream().filter(s -> s.getInstance().equals(FAULTY)).toList(), 5 * 60_000L);
            ReferenceRollups after = new ReferenceRollups(all.stream()
                    .filter(s -> s.getInstance().equals(FAULTY) && s.getCollectedAt() > faultAt).toList(), 5 * 60_000L);
            Map<ReferenceRollups.Key, ReferenceRollups.Agg> wantMinutes = new LinkedHashMap<>();
            before.minutes.forEach((k, v) -> {
                if (k.bucket() < faultMinute) {
                    wantMinutes.put(k, v);
                }
            });
            after.minutes.forEach((k, v) -> {
                if (k.bucket() >= faultMinute) {
                    wantMinutes.put(k, v);
                }
            });
            JobTestSupport.assertRollupsEqual(wantMinutes, only(got.get(RollupBatch.MINUTE), true), "1m of " + FAULTY);
            JobTestSupport.assertRollupsEqual(after.hours, only(got.get(RollupBatch.HOUR), true), "1h of " + FAULTY);
            JobTestSupport.assertRollupsEqual(after.days, only(got.get(RollupBatch.DAY), true), "1d of " + FAULTY);
            assertTrue(after.minutes.size() > 10, "the faulty instance kept producing rollups after the reset");
        }
    }

    /** The latest emission of every (instance, view, resolution, bucket), as rows by resolution. */
    static Map<Integer, Map<ReferenceRollups.Key, ReferenceRollups.Agg>> rows(List<RollupBatch> out) {
        Map<String, RollupBatch> latest = new LinkedHashMap<>();
        for (RollupBatch b : out) {
            if (b.resolution != RollupBatch.STATEMENTS) {
                latest.put(b.instance + '|' + b.view + '|' + b.resolution + '|' + b.bucketStart, b);
            }
        }
        Map<Integer, Map<ReferenceRollups.Key, ReferenceRollups.Agg>> byRes = new HashMap<>();
        for (int r : new int[] {RollupBatch.MINUTE, RollupBatch.HOUR, RollupBatch.DAY}) {
            byRes.put(r, new HashMap<>());
        }
        for (RollupBatch b : latest.values()) {
            List<RollupRow> rows = new ArrayList<>();
            RollupBuffer.toRows(b, rows);
            for (RollupRow row : rows) {
                ReferenceRollups.Agg a = new ReferenceRollups.Agg();
                a.count = row.count();
                a.min = row.min();
                a.max = row.max();
                a.sum = row.sum();
                a.last = row.last();
                byRes.get(b.resolution).put(new ReferenceRollups.Key(row.instance(), row.metric(),
                        new TreeMap<>(row.labels()), row.bucketStart()), a);
            }
        }
        return byRes;
    }

    static Map<ReferenceRollups.Key, ReferenceRollups.Agg> only(Map<ReferenceRollups.Key, ReferenceRollups.Agg> m,
            boolean faulty) {
        Map<ReferenceRollups.Key, ReferenceRollups.Agg> out = new HashMap<>(m);
        out.keySet().removeIf(k -> k.instance().equals(FAULTY) != faulty);
        return out;
    }
}
