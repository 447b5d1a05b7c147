package dev.datainsight.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The examples in docs/wire-format.md are real, valid records of this build. */
class WireFormatDocTest {
    private final WireCodec codec = new WireCodec();

    @Test
    void docHasOneExampleOfEachRecord() throws Exception {
        assertEquals(java.util.Set.of("metrics", "statements", "plans", "alert", "deadletter", "logs"), DocExamples.examples().keySet());
    }

    @Test
    void metricsExampleDecodes_withNullKeptAndCountersRaw() throws Exception {
        DecodeResult<Snapshot> r = codec.decodeSnapshot(DocExamples.examples().get("metrics"));
        assertTrue(r.isOk(), r.toString());
        Snapshot s = r.value();
        assertInstanceOf(MetricsSnapshot.class, s);
        assertEquals("pg-prod-eu-1", s.getInstance());
        assertEquals(170011, s.getServerVersionNum());
        assertEquals(1795312800000L, s.getCollectedAt());
        assertEquals("pg_stat_database", s.getView());
        assertNull(s.getStatsReset());
        assertEquals(Map.of("env", "prod", "cluster", "billing"), s.getLabels());
        SnapshotRow row = s.getRows().get(0);
        assertEquals("billing", row.getLabels().get("datname"));
        assertEquals(918273645.0, row.getValues().get("xact_commit"));
        assertTrue(row.getValues().containsKey("sessions_killed"));
        assertNull(row.getValues().get("sessions_killed"), "NULL stays null");
        assertEquals(1795000000000L, row.getStatsReset());
        assertEquals(8, s.sampleCount());
    }

    @Test
    void statementsExampleDecodes_withTextsAndRemainderRow() throws Exception {
        DecodeResult<Snapshot> r = codec.decodeSnapshot(DocExamples.examples().get("statements"));
        assertTrue(r.isOk(), r.toString());
        StatementsSnapshot s = assertInstanceOf(StatementsSnapshot.class, r.value());
        assertEquals("1.12", s.getExtensionVersion());
        assertEquals(1, s.getTexts().size());
        assertEquals("-3624873468463128410", s.getTexts().get(0).queryid());
        assertEquals("other", s.getRows().get(1).getLabels().get("queryid"));
        assertEquals(845123.25, s.getRows().get(0).getValues().get("total_exec_time"));
    }

    @Test
    void plansExampleDecodes_andASnapshotReaderRefusesIt() throws Exception {
        DecodeResult<PlansSnapshot> r = codec.decodePlans(DocExamples.examples().get("plans"));
        assertTrue(r.isOk(), r.toString());
        PlansSnapshot s = r.value();
        assertEquals(2, s.getPlans().size());
        QueryPlan p = s.getPlans().get(0);
        assertEquals(QueryPlan.CAPTURED, p.status());
        assertEquals("9c41d02b7e5a3f16", p.fingerprint());
        assertEquals(8.3, p.totalCost());
        assertTrue(WireCodec.mapper().readTree(p.plan()).isArray(), "the plan text is JSON");
        assertEquals(QueryPlan.SKIPPED, s.getPlans().get(1).status());
        assertEquals(s, codec.decodePlans(codec.encode(s)).value(), "round trip");
        DecodeResult<Snapshot> asSnapshot = codec.decodeSnapshot(DocExamples.examples().get("plans"));
        assertEquals(RejectReason.WRONG_SHAPE, asSnapshot.reason(), asSnapshot.toString());
        assertTrue(asSnapshot.detail().contains("datainsight.plans"), asSnapshot.detail());
    }

    @Test
    void alertExampleDecodes() throws Exception {
        DecodeResult<AlertEvent> r = codec.decodeAlert(DocExamples.examples().get("alert"));
        assertTrue(r.isOk(), r.toString());
        AlertEvent a = r.value();
        assertEquals("lock_contention", a.getRule());
        assertEquals(Severity.CRITICAL, a.getSeverity());
        assertEquals(AlertStatus.FIRING, a.getStatus());
        assertEquals(7.0, a.getValue());
        assertNull(a.getResolvedAt());
        assertEquals("48213", a.getLabels().get("blocker_pid"));
        assertEquals(2, a.getSchema());
        assertEquals(2, a.getContext().size());
        assertEquals("session", a.getContext().get(0).getKind());
        assertEquals(java.util.List.of("pid", "usename", "application_name", "client_addr", "state", "state_age",
                "lock_mode", "relation", "query"), a.getContext().get(0).getNames(), "fields keep their order");
        assertEquals("billing-api", a.getContext().get(0).get("application_name"));
        assertEquals("billing", a.getInstanceLabels().get("team"));
    }

    @Test
    void deadLetterExampleDecodes_andKeepsOriginalBytes() throws Exception {
        DecodeResult<DeadLetterRecord> r = codec.decodeDeadLetter(DocExamples.examples().get("deadletter"));
        assertTrue(r.isOk(), r.toString());
        DeadLetterRecord d = r.value();
        assertEquals(RejectReason.NEGATIVE_COUNTER.code(), d.getReason());
        assertEquals(3, d.getPartition());
        assertEquals(1882L, d.getOffset());
        assertEquals("{\"schema\":1,\"kind\":\"metrics\",\"instance\":\"pg-prod-eu-1\"}",
                new String(d.originalBytes(), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void everyExampleSurvivesEncodeDecodeRoundTrip() throws Exception {
        Map<String, byte[]> ex = DocExamples.examples();
        for (String k : new String[] {"metrics", "statements"}) {
            Snapshot s = codec.decodeSnapshot(ex.get(k)).value();
            assertEquals(s, codec.decodeSnapshot(codec.encode(s)).value(), k);
        }
        AlertEvent a = codec.decodeAlert(ex.get("alert")).value();
        assertEquals(a, codec.decodeAlert(codec.encode(a)).value());
        DeadLetterRecord d = codec.decodeDeadLetter(ex.get("deadletter")).value();
        assertEquals(d, codec.decodeDeadLetter(codec.encode(d)).value());
    }

    @Test
    void logsExampleDecodes_andReEncodesToTheSameFields() throws Exception {
        LogBatchCodec lc = new LogBatchCodec();
        DecodeResult<LogBatch> r = lc.decode(DocExamples.examples().get("logs"));
        assertTrue(r.isOk(), () -> "logs example: " + r);
        LogBatch b = r.value();
        assertEquals("pg-prod-eu-1", b.instance());
        assertEquals(2, b.entries().size());
        assertEquals("40P01", b.entries().get(0).sqlstate());
        assertEquals(812, b.entries().get(0).pid());
        assertTrue(b.entries().get(1).unparsed());
        assertEquals(b, lc.decode(lc.encode(b)).value(), "encode and decode are inverse");
        assertEquals(WireCodec.mapper().readTree(DocExamples.examples().get("logs")),
                WireCodec.mapper().readTree(lc.encode(b)), "the example is exactly what the collector writes");
        assertFalse(lc.decode("{\"schema\":2,\"kind\":\"logs\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)).isOk());
    }
}
