package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.bench.fleet.SyntheticFleet;
import dev.datainsight.model.Snapshot;
import dev.datainsight.store.Migrations;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * End to end on real services: generated snapshots (with counter resets, a server restart,
 * duplicates, out-of-order delivery and a reporting gap) → real Kafka → the job on a MiniCluster
 * at parallelism 2 → the real store; every stored rollup equals the independently computed one.
 */
class RollupsITCase extends JobTestSupport {
    static final int CYCLES = 180;

    /** 23:45 UTC two days ago: 30 minutes of data cross an hour and a day boundary. */
    static long start() {
        long day = 86_400_000L;
        long now = System.currentTimeMillis();
        return now - Math.floorMod(now, day) - 2 * day + 23 * 3_600_000L + 45 * 60_000L;
    }

    /** The generated stream with its incidents, in production order. */
    static List<Snapshot> scenario(long start) {
        SyntheticFleet fleet = new SyntheticFleet(6, 2, 3, 3, start, 10_000, 42).resetAt(30, 1).restartAt(90, 2);
        List<List<Snapshot>> cycles = new ArrayList<>();
        for (int c = 0; c < CYCLES; c++) {
            cycles.add(fleet.nextCycle());
        }
        List<Snapshot> out = new ArrayList<>();
        for (int c = 0; c < CYCLES; c++) {
            for (Snapshot s : cycles.get(c)) {
                String i = s.getInstance();
                if (i.equals(SyntheticFleet.instanceId(5)) && c >= 100 && c < 140) {
                    continue; // instance 5 goes silent for 400 s: no rate across the gap
                }
                if (i.equals(SyntheticFleet.instanceId(4)) && c == 50) {
                    continue; // delivered after cycle 51 (out of order, within the bound)
                }
                out.add(s);
                if (i.equals(SyntheticFleet.instanceId(3)) && c == 40) {
                    out.add(s); // duplicate delivery
                }
            }
            if (c == 51) {
                for (Snapshot s : cycles.get(50)) {
                    if (s.getInstance().equals(SyntheticFleet.instanceId(4))) {
                        out.add(s);
                    }
                }
            }
        }
        return out;
    }

    @Test
    void storedRollupsEqualTheIndependentlyComputedOnes_withResetsRestartDuplicatesOutOfOrderAndGap() throws Exception {
        Topics topics = newTopics(4, 2);
        String url = PG.freshDatabaseUrl("rollups");
        Migrations.migrate(url, null, null);

        List<Snapshot> input = scenario(start());
        try (KafkaProducer<byte[], byte[]> p = JobTestSupport.producer(KAFKA.bootstrapServers())) {
            JobConfig c = valid(config(topics, url).kafka(k -> k.bounded(true)));
            JobTestSupport.produce(p, c, input);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                    DataInsightJob.flinkConfiguration(c));
            DataInsightJob.defineWorkflow(env, new KafkaIO(), new KafkaIO(), c);
            env.execute("rollups-itcase");
        }

        ReferenceRollups expected = new ReferenceRollups(input, 5 * 60_000L);
        assertTrue(expected.minutes.size() > 10_000, "scenario too small: " + expected.minutes.size());
        JobTestSupport.assertRollupsEqual(expected.minutes, JobTestSupport.rollups(url, "metric_rollup_1m"), "1m");
        JobTestSupport.assertRollupsEqual(expected.hours, JobTestSupport.rollups(url, "metric_rollup_1h"), "1h");
        JobTestSupport.assertRollupsEqual(expected.days, JobTestSupport.rollups(url, "metric_rollup_1d"), "1d");
        JobTestSupport.assertStatementsEqual(expected.statements, JobTestSupport.statementRollups(url));
        assertEquals(6, JobTestSupport.count(url, "SELECT count(*) FROM instance"));
        assertEquals(18, JobTestSupport.count(url, "SELECT count(*) FROM statement_text"));
    }
}
