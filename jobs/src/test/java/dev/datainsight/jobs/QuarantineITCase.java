package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.bench.fleet.SyntheticFleet;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.RejectReason;
import dev.datainsight.model.Snapshot;
import dev.datainsight.store.Migrations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * The per-key quarantine on a real MiniCluster, Kafka and PostgreSQL, rules on: a fault injected in
 * one instance's rollup state and another in a second instance's rule state. The job never
 * restarts (Flink's own {@code numRestarts} through the REST API stays 0 and no failure is
 * recorded), both faults are internal_error records in the dead-letter topic, and the stored
 * rollups of the instances whose rollups were not touched equal the reference.
 */
class QuarantineITCase extends JobTestSupport {
    static final String ROLLUP_FAULTY = SyntheticFleet.instanceId(1);
    static final String RULE_FAULTY = SyntheticFleet.instanceId(2);

    @Test
    void faultsInOneInstancesStateAreQuarantined_jobNeverRestarts_othersExact() throws Exception {
        Topics topics = newTopics(1, 1);
        String dlq = topics.dlq();
        String url = PG.freshDatabaseUrl("quarantine");
        Migrations.migrate(url, null, null);
        String alerts = KAFKA.newTopic("alerts", 1);
        JobConfig c = valid(config(topics, url).kafka(k -> k.alertsTopic(alerts)).rules(r -> r.enabled(true))
                .time(t -> t.idleness(Duration.ofSeconds(5))));
        long now = System.currentTimeMillis();
        long start = now - 3_600_000L - Math.floorMod(now, 60_000L);
        SyntheticFleet fleet = new SyntheticFleet(3, 1, 2, 2, start, 10_000, 5);
        long rollupFaultAt = fleet.timeOf(20);
        long ruleFaultAt = fleet.timeOf(25);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                DataInsightJob.flinkConfiguration(c));
        DataInsightJob.defineWorkflow(env, new KafkaIO(), new KafkaIO(), c,
                (key, at) -> key.equals(ROLLUP_FAULTY) && at == rollupFaultAt,
                (key, at) -> key.equals(RULE_FAULTY) && at == ruleFaultAt);
        JobClient job = env.executeAsync("quarantine-itcase");
        Configuration client = FLINK.getClientConfiguration();
        JobHealth health = new JobHealth("http://" + client.get(RestOptions.ADDRESS) + ":" + client.get(RestOptions.PORT));
        List<Snapshot> good = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> p = JobTestSupport.producer(KAFKA.bootstrapServers())) {
            for (int cycle = 0; cycle < 60; cycle++) {
                List<Snapshot> snaps = fleet.nextCycle();
                good.addAll(snaps);
                JobTestSupport.produce(p, c, snaps);
            }
            long safe = start + 8 * 60_000L;
            awaitMinuteStored(url, safe, "minute 8", Duration.ofSeconds(120));
            long rollupSnapshots = good.stream()
                    .filter(s -> s.getInstance().equals(ROLLUP_FAULTY) && s.getCollectedAt() == rollupFaultAt).count();
            long ruleSnapshots = good.stream()
                    .filter(s -> s.getInstance().equals(RULE_FAULTY) && s.getCollectedAt() == ruleFaultAt).count();
            List<DeadLetterRecord> letters = JobTestSupport.deadLetters(KAFKA.bootstrapServers(), dlq,
                    (int) (rollupSnapshots + ruleSnapshots), Duration.ofSeconds(30));
            Thread.sleep(2000); // and nothing more arrives
            letters = JobTestSupport.deadLetters(KAFKA.bootstrapServers(), dlq, Integer.MAX_VALUE, Duration.ofSeconds(3));
            Map<String, Integer> byInstance = new HashMap<>();
            for (DeadLetterRecord d : letters) {
                assertEquals(RejectReason.INTERNAL_ERROR.code(), d.getReason(), d.toString());
                assertTrue(d.getDetail().contains("InjectedFault"), d.getDetail());
                assertTrue(d.getDetail().contains(" reset"), d.getDetail());
                byInstance.merge(d.getInstance(), 1, Integer::sum);
            }
            // Rollups: every snapshot being applied at the fault; rules: every snapshot the evaluator saw then.
            assertEquals(Map.of(ROLLUP_FAULTY, (int) rollupSnapshots, RULE_FAULTY, (int) ruleSnapshots), byInstance);

            JobHealth.Status st = health.query(job.getJobID().toHexString());
            assertEquals(0, st.restarts(), "the job must not restart: " + st);
            assertNull(st.lastFailure(), "no failure recorded: " + st);
            assertEquals(org.apache.flink.api.common.JobStatus.RUNNING, job.getJobStatus().get());

            // Untouched rollups (instances 0 and 2: the rule fault does not touch rollups) equal the reference.
            List<Snapshot> others = good.stream().filter(s -> !s.getInstance().equals(ROLLUP_FAULTY)).toList();
            Map<ReferenceRollups.Key, ReferenceRollups.Agg> want = new HashMap<>(new ReferenceRollups(others, 5 * 60_000L).minutes);
            want.keySet().removeIf(k -> k.bucket() >= safe);
            Map<ReferenceRollups.Key, ReferenceRollups.Agg> got = JobTestSupport.rollups(url, "metric_rollup_1m");
            got.keySet().removeIf(k -> k.bucket() >= safe || k.instance().equals(ROLLUP_FAULTY));
            JobTestSupport.assertRollupsEqual(want, got, "1m of the other instances before minute 8");
            // The quarantined instance still writes rollups after its reset.
            assertTrue(JobTestSupport.count(url, "SELECT count(*) FROM metric_rollup_1m r JOIN series s ON s.id = r.series_id"
                    + " WHERE s.instance = '" + ROLLUP_FAULTY + "' AND r.bucket > to_timestamp(" + (rollupFaultAt + 60_000) / 1000
                    + ")") > 0, "the quarantined instance recovers");
        } finally {
            job.cancel().get();
        }
    }
}
