package dev.datainsight.jobs;

import dev.datainsight.bench.fleet.SyntheticFleet;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.StatementsSnapshot;
import dev.datainsight.model.WireCodec;
import dev.datainsight.store.Migrations;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Stop mid-stream with a savepoint, restart from it, and the store ends exactly where an
 * uninterrupted run ends (the independently computed rollups, which {@link RollupsITCase} shows an
 * uninterrupted run produces): nothing lost, nothing counted twice.
 */
class RestartITCase extends JobTestSupport {
    static final int CYCLES = 90;
    static final int PARTITIONS = 2;

    @Test
    void restartFromSavepoint_givesExactlyTheUninterruptedRollups() throws Exception {
        String url = PG.freshDatabaseUrl("restart");
        Migrations.migrate(url, null, null);
        JobConfig c = valid(config(newTopics(PARTITIONS, PARTITIONS), url)
                .runtime(r -> r.checkpointInterval(Duration.ofMillis(500))));

        long start = RollupsITCase.start() + 5 * 60_000L; // 23:50, crosses midnight
        SyntheticFleet fleet = new SyntheticFleet(4, 2, 3, 3, start, 10_000, 7).resetAt(60, 1);
        List<Snapshot> first = new ArrayList<>();
        List<Snapshot> second = new ArrayList<>();
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            (cycle < CYCLES / 2 ? first : second).addAll(fleet.nextCycle());
        }
        Path savepoints = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "savepoints");

        String savepoint;
        try (KafkaProducer<byte[], byte[]> p = JobTestSupport.producer(KAFKA.bootstrapServers())) {
            JobTestSupport.produce(p, c, first);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                    DataInsightJob.flinkConfiguration(c));
            DataInsightJob.defineWorkflow(env, new KafkaIO(), new KafkaIO(), c);
            JobClient job = env.executeAsync("restart-itcase-before");
            JobTestSupport.await("first rollups in the store", Duration.ofSeconds(90),
                    () -> rows(url) > 200);
            savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL).get();

            JobTestSupport.produce(p, c, second);
            closeAllPartitions(p, c, start + 86_400_000L + 30 * 60_000L);

            Configuration restore = DataInsightJob.flinkConfiguration(c);
            restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
            StreamExecutionEnvironment env2 = StreamExecutionEnvironment.getExecutionEnvironment(restore);
            DataInsightJob.defineWorkflow(env2, new KafkaIO(), new KafkaIO(), c);
            JobClient job2 = env2.executeAsync("restart-itcase-after");
            try {
                List<Snapshot> all = new ArrayList<>(first);
                all.addAll(second);
                ReferenceRollups expected = new ReferenceRollups(all, 5 * 60_000L);
                JobTestSupport.await("the day rollups after the restart", Duration.ofSeconds(120),
                        () -> dayRows(url) >= expected.days.size());
                Thread.sleep(1500); // one more checkpoint flush for anything emitted together with the days
                JobTestSupport.assertRollupsEqual(expected.minutes, real(JobTestSupport.rollups(url, "metric_rollup_1m")), "1m");
                JobTestSupport.assertRollupsEqual(expected.hours, real(JobTestSupport.rollups(url, "metric_rollup_1h")), "1h");
                JobTestSupport.assertRollupsEqual(expected.days, real(JobTestSupport.rollups(url, "metric_rollup_1d")), "1d");
                JobTestSupport.assertStatementsEqual(expected.statements, realStatements(JobTestSupport.statementRollups(url)));
            } finally {
                job2.cancel().get();
            }
        }
    }

    static long rows(String url) {
        try {
            return JobTestSupport.count(url, "SELECT count(*) FROM metric_rollup_1m");
        } catch (Exception e) {
            return 0;
        }
    }

    static long dayRows(String url) {
        try {
            return JobTestSupport.count(url, "SELECT count(*) FROM metric_rollup_1d r JOIN series s ON s.id = r.series_id"
                    + " WHERE s.instance NOT LIKE 'zz-%'");
        } catch (Exception e) {
            return 0;
        }
    }

    static Map<ReferenceRollups.Key, ReferenceRollups.Agg> real(Map<ReferenceRollups.Key, ReferenceRollups.Agg> m) {
        m.keySet().removeIf(k -> k.instance().startsWith("zz-"));
        return m;
    }

    static Map<List<Object>, double[]> realStatements(Map<List<Object>, double[]> m) {
        m.keySet().removeIf(k -> ((String) k.get(0)).startsWith("zz-"));
        return m;
    }

    /**
     * Moves every partition's watermark past the data: one snapshot far later in each partition,
     * from instances the comparison ignores.
     */
    static void closeAllPartitions(KafkaProducer<byte[], byte[]> p, JobConfig c, long ts) {
        WireCodec codec = new WireCodec();
        for (int part = 0; part < PARTITIONS; part++) {
            MetricsSnapshot m = new MetricsSnapshot();
            m.setInstance("zz-close-m" + part);
            m.setServerVersionNum(170011);
            m.setCollectedAt(ts);
            m.setView("pg_stat_activity");
            m.getRows().add(new SnapshotRow().value("connections_total", 1.0));
            p.send(new ProducerRecord<>(metricsTopic(c), part, m.getInstance().getBytes(StandardCharsets.UTF_8),
                    codec.encode(m)));
            StatementsSnapshot s = new StatementsSnapshot();
            s.setInstance("zz-close-s" + part);
            s.setServerVersionNum(170011);
            s.setCollectedAt(ts);
            p.send(new ProducerRecord<>(statementsTopic(c), part, s.getInstance().getBytes(StandardCharsets.UTF_8),
                    codec.encode(s)));
        }
        p.flush();
    }
}
