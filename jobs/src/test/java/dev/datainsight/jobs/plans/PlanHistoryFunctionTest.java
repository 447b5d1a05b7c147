package dev.datainsight.jobs.plans;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.datainsight.jobs.records.CapturedPlan;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.engine.PlanChangeSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The plan history: first sight is not a change, a new fingerprint is one, old captures never are; state has a TTL. */
class PlanHistoryFunctionTest {
    private static final long T = 1_790_000_000_000L;
    private static final long MIN = 60_000L;
    private KeyedOneInputStreamOperatorTestHarness<String, CapturedPlan, CapturedPlan> h;

    @BeforeEach
    void open() throws Exception {
        h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(
                new PlanHistoryFunction(Duration.ofDays(7))), CapturedPlan::key, Types.STRING);
        h.open();
    }

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    static CapturedPlan plan(String queryid, String fp, String summary, long at) {
        CapturedPlan p = new CapturedPlan();
        p.instance = "db-1";
        p.datname = "app";
        p.queryid = queryid;
        p.rolname = "web";
        p.fingerprint = fp;
        p.summary = summary;
        p.plan = "[]";
        p.capturedAt = at;
        p.labels = new String[] {"env", "prod"};
        return p;
    }

    private List<PlanChangeSnapshot> changes() {
        List<PlanChangeSnapshot> out = new ArrayList<>();
        var side = h.getSideOutput(PlanHistoryFunction.PLAN_CHANGES);
        if (side != null) {
            for (StreamRecord<Snapshot> r : side) {
                out.add((PlanChangeSnapshot) r.getValue());
            }
        }
        return out;
    }

    @Test
    void firstSightIsNoChange_sameFingerprintIsNone_newFingerprintIsOne_andEveryPlanGoesToTheStore() throws Exception {
        h.processElement(plan("42", "aaaa", "Index Scan using i on t", T), T);
        h.processElement(plan("42", "aaaa", "Index Scan using i on t", T + 15 * MIN), T + 15 * MIN);
        h.processElement(plan("7", "cccc", "Seq Scan on u", T + 15 * MIN), T + 15 * MIN); // another query's first sight
        assertEquals(List.of(), changes());
        h.processElement(plan("42", "bbbb", "Seq Scan on t", T + 30 * MIN), T + 30 * MIN);
        List<PlanChangeSnapshot> c = changes();
        assertEquals(1, c.size());
        PlanChangeSnapshot x = c.get(0);
        assertEquals("db-1", x.getInstance());
        assertEquals(T + 30 * MIN, x.getCollectedAt());
        assertEquals("aaaa", x.getOldFingerprint());
        assertEquals("Index Scan using i on t", x.getOldSummary());
        assertEquals(T + 15 * MIN, x.getOldSeenAt());
        assertEquals("bbbb", x.getNewFingerprint());
        assertEquals("Seq Scan on t", x.getNewSummary());
        assertEquals(Map.of("env", "prod"), x.getLabels());
        assertEquals(PlanChangeSnapshot.VIEW, x.getView());
        assertEquals(4, h.extractOutputValues().size(), "every captured plan goes to the store");
        assertEquals(2, h.numKeyedStateEntries(), "one entry per query");
    }

    @Test
    void olderOrReplayedCapture_isNeverAChange_norMovesTheHistoryBack_andABAisTwoChanges() throws Exception {
        h.processElement(plan("42", "aaaa", "A", T), T);
        h.processElement(plan("42", "bbbb", "B", T + 30 * MIN), T + 30 * MIN);
        h.processElement(plan("42", "aaaa", "A", T), T); // replay of the first capture
        h.processElement(plan("42", "cccc", "C", T + 30 * MIN), T + 30 * MIN); // another role, same cycle
        assertEquals(1, changes().size());
        h.processElement(plan("42", "aaaa", "A", T + 45 * MIN), T + 45 * MIN);
        List<PlanChangeSnapshot> c = changes();
        assertEquals(2, c.size());
        assertEquals("bbbb", c.get(1).getOldFingerprint());
        assertEquals("aaaa", c.get(1).getNewFingerprint());
    }

    @Test
    void historyIsForgottenAfterItsTtl_thenTheNextCaptureIsAFirstSight() throws Exception {
        h.setStateTtlProcessingTime(0);
        h.processElement(plan("42", "aaaa", "A", T), T);
        h.setStateTtlProcessingTime(Duration.ofDays(8).toMillis());
        h.processElement(plan("42", "bbbb", "B", T + Duration.ofDays(8).toMillis()), T + Duration.ofDays(8).toMillis());
        assertEquals(List.of(), changes());
        assertEquals(1, h.numKeyedStateEntries());
    }
}
