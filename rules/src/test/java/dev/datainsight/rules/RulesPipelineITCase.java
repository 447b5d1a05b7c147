package dev.datainsight.rules;

import static dev.datainsight.rules.Snapshots.of;
import static dev.datainsight.rules.Snapshots.row;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.store.InsightRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link RulesPipeline#attach} on a real Flink MiniCluster at parallelism 2: snapshots of two
 * instances with event-time watermarks in, alert events and insights out, exactly one event per
 * transition.
 */
class RulesPipelineITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
                    .build());

    private static final long T0 = 1_700_000_000_000L;

    @Test
    void twoIncidentsOnTwoInstances_produceOneEventPerTransition() throws Exception {
        List<Snapshot> input = new ArrayList<>();
        for (int i = 0; i < 120; i++) { // 20 minutes at 10 s
            long t = T0 + i * 10_000L;
            double conns = i < 20 ? 30 : i < 40 ? 85 : i < 60 ? 97 : 30; // warning, critical, healthy
            input.add(of("pg-1", "pg_stat_activity", t, row(Map.of(), "connections_total", conns,
                    "max_connections", 100, "reserved_connections", 3)));
            input.add(of("pg-2", "pg_locks", t, i >= 30 && i < 70
                    ? new dev.datainsight.model.SnapshotRow[] {row(Map.of("blocker_pid", "777", "datname", "app",
                            "blocker_state", "idle in transaction", "blocker_query_id", "5150"), "waiters", 5,
                            "longest_wait_seconds", 10.0 * (i - 30), "blocker_xact_age_seconds", 400)}
                    : new dev.datainsight.model.SnapshotRow[0]));
            input.add(of("pg-2", "pg_sequences", t, row(Map.of("datname", "app", "schemaname", "public",
                    "sequencename", "ids"), "last_value", 1.9e9, "max_value", 2147483647, "used_ratio", 0.885)));
        }
        RulesConfig config = RulesConfig.parse("""
                rules:
                  anomaly: {enabled: false}
                  connection_saturation: {for: 1m, resolve_for: 1m}
                """, "itcase");

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        DataStream<Snapshot> snapshots = env.fromData(TypeInformation.of(Snapshot.class), input.toArray(new Snapshot[0]))
                .assignTimestampsAndWatermarks(WatermarkStrategy.<Snapshot>forBoundedOutOfOrderness(Duration.ofSeconds(5))
                        .withTimestampAssigner((s, ts) -> s.getCollectedAt()));
        RuleOutputs out = RulesPipeline.attach(snapshots, config);

        List<AlertEvent> alerts = new ArrayList<>();
        List<InsightRow> insights = new ArrayList<>();
        DataStream<Object> both = out.alerts().map(a -> (Object) a).returns(Object.class)
                .union(out.insights().map(r -> (Object) r).returns(Object.class));
        try (CloseableIterator<Object> it = both.executeAndCollect("rules-itcase")) {
            it.forEachRemaining(o -> {
                if (o instanceof AlertEvent a) {
                    alerts.add(a);
                } else {
                    insights.add((InsightRow) o);
                }
            });
        }
        alerts.sort(Comparator.comparing(AlertEvent::getInstance).thenComparingLong(AlertEvent::getEventAt));

        List<String> seen = alerts.stream().map(a -> a.getInstance() + " " + a.getRule() + " " + a.getStatus().wire()
                + " " + a.getSeverity().wire() + " @" + (a.getEventAt() - T0) / 1000).toList();
        assertEquals(List.of(
                "pg-1 connection_saturation firing warning @260",
                "pg-1 connection_saturation firing critical @460",
                "pg-1 connection_saturation resolved critical @660",
                "pg-2 lock_contention firing warning @330",
                "pg-2 lock_contention firing critical @630",
                "pg-2 lock_contention resolved critical @730"), seen);
        AlertEvent lock = alerts.get(3);
        assertEquals(Map.of("blocker_pid", "777", "datname", "app"), lock.getLabels());
        assertEquals(alerts.get(0).getFingerprint(), alerts.get(2).getFingerprint());
        assertEquals(AlertStatus.RESOLVED, alerts.get(5).getStatus());
        assertEquals(lock.getFingerprint(), alerts.get(5).getFingerprint());
        assertEquals(Severity.WARNING, lock.getSeverity());
        assertEquals(1, insights.stream().filter(r -> r.kind().equals("sequence_exhaustion")).count(),
                "one finding within the refresh hour: " + insights);
    }
}
