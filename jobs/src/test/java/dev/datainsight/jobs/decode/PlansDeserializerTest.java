package dev.datainsight.jobs.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.datainsight.jobs.records.CapturedPlan;
import dev.datainsight.jobs.records.PlanRecord;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.PlansSnapshot;
import dev.datainsight.model.QueryPlan;
import dev.datainsight.model.RejectReason;
import dev.datainsight.model.WireCodec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The plans source's decoding: captured plans on, the collector's other entries left, bad records dead-lettered. */
class PlansDeserializerTest {
    private static final long NOW = 1_790_000_000_000L;
    private final WireCodec codec = new WireCodec();
    private final PlansDeserializer d = new PlansDeserializer(codec,
            new SnapshotValidator(Duration.ofSeconds(30), Duration.ofDays(7)));

    private static PlansSnapshot snapshot(long at, QueryPlan... plans) {
        PlansSnapshot s = new PlansSnapshot();
        s.setInstance("db-1");
        s.setServerVersionNum(170011);
        s.setCollectedAt(at);
        s.setLabels(Map.of("env", "prod"));
        s.setPlans(List.of(plans));
        return s;
    }

    private static QueryPlan captured(String queryid, String fingerprint) {
        return new QueryPlan(queryid, "app", "web", QueryPlan.CAPTURED, null, fingerprint, "Seq Scan on t", "[]", false, 2,
                12.5);
    }

    private PlanRecord decode(byte[] bytes) {
        return d.decode(bytes, "plans", 0, 7, NOW, NOW);
    }

    @Test
    void capturedPlansGoOn_withTheSnapshotsTimeAndLabels_skippedOnesStayOnTheTopic() {
        PlanRecord r = decode(codec.encode(snapshot(NOW - 1000, captured("42", "aaaaaaaaaaaaaaaa"),
                QueryPlan.without("43", "app", "web", QueryPlan.SKIPPED, "data-modifying statement (UPDATE)"))));
        assertNull(r.deadLetter);
        assertEquals(1, r.plans.length);
        CapturedPlan p = r.plans[0];
        assertEquals("db-1", p.instance);
        assertEquals("42", p.queryid);
        assertEquals("aaaaaaaaaaaaaaaa", p.fingerprint);
        assertEquals(NOW - 1000, p.capturedAt);
        assertEquals(12.5, p.totalCost);
        assertEquals(List.of("env", "prod"), List.of(p.labels));
        assertEquals(NOW - 1000, r.collectedAt);
    }

    @Test
    void badRecords_becomeDeadLettersWithTheirReason_andNeverMoveTheWatermark() {
        assertEquals(RejectReason.NOT_JSON.code(), decode("{oops".getBytes()).deadLetter.getReason());
        MetricsSnapshot m = new MetricsSnapshot();
        m.setInstance("db-1");
        m.setServerVersionNum(170011);
        m.setCollectedAt(NOW);
        m.setView("pg_stat_database");
        assertEquals(RejectReason.WRONG_SHAPE.code(), decode(codec.encode(m)).deadLetter.getReason());
        PlanRecord old = decode(codec.encode(snapshot(NOW - Duration.ofDays(8).toMillis(), captured("42", "aaaaaaaaaaaaaaaa"))));
        assertEquals(RejectReason.TOO_OLD.code(), old.deadLetter.getReason());
        assertEquals(Long.MIN_VALUE, old.collectedAt);
        PlanRecord noFingerprint = decode(codec.encode(snapshot(NOW, captured("42", null))));
        assertEquals(RejectReason.MISSING_FIELD.code(), noFingerprint.deadLetter.getReason());
        assertEquals("plans", noFingerprint.deadLetter.getSourceTopic());
        assertEquals(0, noFingerprint.plans.length);
    }
}
