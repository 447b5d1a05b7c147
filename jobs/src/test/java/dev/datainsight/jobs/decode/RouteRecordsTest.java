package dev.datainsight.jobs.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.SourceRecord;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.WireCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** Session detail reaches the rules (full snapshots) but never the rollups (no per-pid series). */
class RouteRecordsTest {
    private static final long NOW = System.currentTimeMillis();

    private static byte[] encoded(String view, SnapshotRow row) {
        Snapshot s = new MetricsSnapshot();
        s.setInstance("pg-1");
        s.setServerVersionNum(170011);
        s.setCollectedAt(NOW - 1000);
        s.setView(view);
        s.setLabels(new LinkedHashMap<>(Map.of("env", "test")));
        s.setRows(new ArrayList<>(List.of(row)));
        return new WireCodec().encode(s);
    }

    @Test
    void detailViews_goToTheRulesOnly_aggregatesToBoth() throws Exception {
        SnapshotRow session = new SnapshotRow();
        session.label("pid", "12340").label("reasons", "blocker").label("usename", "svc_billing")
                .label("application_name", "billing-api").label("query", "UPDATE accounts SET balance = balance - 10");
        session.value("xact_age_seconds", 80.0).value("state_age_seconds", 75.0).value("waiters", 5.0);
        SnapshotRow activity = new SnapshotRow();
        activity.value("connections_total", 12.0).value("collector_connections", 2.0);
        SnapshotRow group = new SnapshotRow();
        group.label("usename", "svc_billing").label("application_name", "billing-api").label("client_addr", "10.0.0.5")
                .label("state", "idle");
        group.value("connections", 29.0);

        SnapshotDeserializer d = new SnapshotDeserializer(new WireCodec(),
                new SnapshotValidator(Duration.ofMinutes(5), Duration.ofDays(1)), true);
        List<SourceRecord> in = List.of(
                d.decode(encoded("pg_stat_activity_sessions", session), "t", 0, 0, NOW, NOW),
                d.decode(encoded("pg_stat_activity_connections", group), "t", 0, 1, NOW, NOW),
                d.decode(encoded("pg_stat_activity", activity), "t", 0, 2, NOW, NOW));
        for (SourceRecord r : in) {
            assertNull(r.deadLetter, () -> "valid: " + r.deadLetter);
        }
        try (OneInputStreamOperatorTestHarness<SourceRecord, CompactSnapshot> h =
                new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new RouteRecords()))) {
            h.open();
            for (SourceRecord r : in) {
                h.processElement(new StreamRecord<>(r, r.eventTime()));
            }
            List<CompactSnapshot> rolled = h.extractOutputValues();
            assertEquals(List.of("pg_stat_activity"), rolled.stream().map(c -> c.view).toList(),
                    "only the aggregate is rolled up");
            var full = h.getSideOutput(RouteRecords.FULL);
            assertNotNull(full);
            assertEquals(List.of("pg_stat_activity_sessions", "pg_stat_activity_connections", "pg_stat_activity"),
                    full.stream().map(x -> x.getValue().getView()).toList(), "the rules see all three, in order");
            assertEquals("billing-api", full.peek().getValue().getRows().get(0).getLabels().get("application_name"));
        }
    }
}
