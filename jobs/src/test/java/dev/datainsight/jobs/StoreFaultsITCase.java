package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.bench.fleet.SyntheticFleet;
import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.QueryText;
import dev.datainsight.model.RejectReason;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.StatementsSnapshot;
import dev.datainsight.store.Migrations;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The store sinks under store faults, on a real MiniCluster (with a metric reporter), Kafka and
 * PostgreSQL, with Flink's restarts switched off so that any task failure fails the job: rows the
 * store refuses are split out of their batches to the dead-letter topic while every other row is
 * written; a store that drops every connection mid-stream is retried, not failed; both show in the
 * sinks' metrics as a reporter reads them.
 */
class StoreFaultsITCase {
    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension();
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(CollectingReporter.install(new Configuration()))
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final double POISON = 4242.5;
    static final String BAD_RELNAME = "bad\u0000rel";

    static JobConfig.Builder config(String prefix, int partitions, String url) {
        String metrics = KAFKA.newTopic(prefix + "-metrics", partitions);
        String statements = KAFKA.newTopic(prefix + "-statements", partitions);
        String dlq = KAFKA.newTopic(prefix + "-dlq", 1);
        return JobTestSupport.config(KAFKA.bootstrapServers(), metrics, statements, dlq, url)
                .store(s -> s.retryAttempts(5).retryBackoff(Duration.ofMillis(200)));
    }

    /** The job's Flink configuration with restarts off: a failed task fails the job. */
    static Configuration noRestarts(JobConfig c) {
        Configuration f = DataInsightJob.flinkConfiguration(c);
        f.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return f;
    }

    @Test
    void rowsTheStoreRefuses_goToTheDeadLetterTopicWithTheirReason_everyOtherRowIsWritten() throws Exception {
        String url = PG.freshDatabaseUrl("refused");
        Migrations.migrate(url, null, null);
        // A CHECK the store enforces on the binary COPY of the 1-minute rollups: one value is refused.
        try (Connection conn = JobTestSupport.connect(url); Statement st = conn.createStatement()) {
            st.execute("ALTER TABLE metric_rollup_1m ADD CONSTRAINT test_poison CHECK (max <> " + POISON + ")");
        }
        JobConfig c = JobTestSupport.valid(config("refused", 2, url).kafka(k -> k.bounded(true)));

        long start = RollupsITCase.start();
        SyntheticFleet fleet = new SyntheticFleet(4, 2, 3, 3, start, 10_000, 11);
        List<Snapshot> input = new ArrayList<>();
        String poisonedInstance = SyntheticFleet.instanceId(1);
        String badLabelInstance = SyntheticFleet.instanceId(0);
        String badTextInstance = SyntheticFleet.instanceId(2);
        long poisonedAt = fleet.timeOf(20);
        for (int cycle = 0; cycle < 120; cycle++) {
            for (Snapshot s : fleet.nextCycle()) {
                if (s instanceof MetricsSnapshot m && m.getInstance().equals(poisonedInstance)
                        && m.getView().equals("pg_stat_activity") && m.getCollectedAt() == poisonedAt) {
                    m.getRows().get(0).value("connections_total", POISON); // one sample: its minute's max
                }
                if (s instanceof MetricsSnapshot m && m.getInstance().equals(badLabelInstance)
                        && m.getView().equals("pg_stat_user_tables")) {
                    // A table name with a NUL byte: no jsonb can hold it, so the store refuses its series.
                    m.getRows().add(new SnapshotRow().label("datname", "db0").label("schemaname", "public")
                            .label("relname", BAD_RELNAME).value("n_live_tup", 100.0 + cycle).value("n_dead_tup", 1.0));
                }
                if (s instanceof StatementsSnapshot st && st.getInstance().equals(badTextInstance) && cycle == 3) {
                    // A query text with a NUL byte: statement_text (text) refuses it.
                    st.getTexts().add(new QueryText("424242", "SELECT 'nul\u0000byte'", false));
                }
                input.add(s);
            }
        }

        String jobName = "store-refused-itcase";
        try (KafkaProducer<byte[], byte[]> p = JobTestSupport.producer(KAFKA.bootstrapServers())) {
            JobTestSupport.produce(p, c, input);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(noRestarts(c));
        DataInsightJob.defineWorkflow(env, new KafkaIO(), new KafkaIO(), c);
        long t0 = System.nanoTime();
        env.execute(jobName); // restarts are off: a refused row that failed a task would throw here
        System.out.printf("store-refused: bounded run of %d snapshots took %d ms%n", input.size(),
                (System.nanoTime() - t0) / 1_000_000);

        // Every other row is in the store: the reference without exactly what was refused.
        ReferenceRollups expected = new ReferenceRollups(input, 5 * 60_000L);
        long poisonMinute = poisonedAt - Math.floorMod(poisonedAt, 60_000L);
        Map<ReferenceRollups.Key, ReferenceRollups.Agg> minutes = new HashMap<>(expected.minutes);
        int poisoned = 0;
        for (ReferenceRollups.Key k : List.copyOf(minutes.keySet())) {
            if (k.instance().equals(poisonedInstance) && k.bucket() == poisonMinute
                    && minutes.get(k).max == POISON) {
                minutes.remove(k);
                poisoned++;
            }
        }
        assertEquals(1, poisoned, "the reference holds the one poisoned minute");
        int badSeriesMinutes = removeBadLabels(minutes);
        assertTrue(badSeriesMinutes > 0, "the reference holds rollups of the bad table");
        Map<ReferenceRollups.Key, ReferenceRollups.Agg> hours = new HashMap<>(expected.hours);
        removeBadLabels(hours);
        Map<ReferenceRollups.Key, ReferenceRollups.Agg> days = new HashMap<>(expected.days);
        removeBadLabels(days);
        JobTestSupport.assertRollupsEqual(minutes, JobTestSupport.rollups(url, "metric_rollup_1m"), "1m");
        JobTestSupport.assertRollupsEqual(hours, JobTestSupport.rollups(url, "metric_rollup_1h"), "1h (no CHECK: the poisoned value is in)");
        JobTestSupport.assertRollupsEqual(days, JobTestSupport.rollups(url, "metric_rollup_1d"), "1d");
        JobTestSupport.assertStatementsEqual(expected.statements, JobTestSupport.statementRollups(url));
        assertEquals(4 * 3, JobTestSupport.count(url, "SELECT count(*) FROM statement_text"), "every good text");
        assertEquals(4, JobTestSupport.count(url, "SELECT count(*) FROM instance"));

        // The refused rows are dead letters with their reason.
        List<DeadLetterRecord> letters = JobTestSupport.deadLetters(KAFKA.bootstrapServers(), c.kafka().deadLetterTopic(),
                Integer.MAX_VALUE, Duration.ofSeconds(5));
        int rollupLetters = 0;
        int seriesLetters = 0;
        int textLetters = 0;
        for (DeadLetterRecord d : letters) {
            assertEquals(RejectReason.STORE_REJECTED.code(), d.getReason(), d.toString());
            if (d.getDetail().startsWith("metric_rollup_1m: SQLSTATE 23514")) {
                rollupLetters++;
                assertEquals(poisonedInstance, d.getInstance());
                assertTrue(d.getDetail().contains("test_poison"), d.getDetail());
                assertTrue(d.getPayload().contains("\"metric\":\"pg_stat_activity.connections_total\"")
                        && d.getPayload().contains("\"max\":" + POISON), d.getPayload());
            } else if (d.getDetail().startsWith("series: SQLSTATE 22")) {
                seriesLetters++;
                assertEquals(badLabelInstance, d.getInstance());
                assertTrue(d.getPayload().contains("bad\\u0000rel"), d.getPayload());
            } else if (d.getDetail().startsWith("statement_text: SQLSTATE 22")) {
                textLetters++;
                assertEquals(badTextInstance, d.getInstance());
                assertTrue(d.getPayload().contains("424242"), d.getPayload());
            } else {
                throw new AssertionError("unexpected dead letter " + d + " " + d.getDetail());
            }
        }
        System.out.printf("store-refused: %d dead letters: %d rollup rows, %d series, %d statement texts%n",
                letters.size(), rollupLetters, seriesLetters, textLetters);
        assertEquals(1, rollupLetters, "the poisoned minute");
        assertTrue(seriesLetters >= 1, "the series of the bad table");
        assertEquals(1, textLetters, "the bad query text");

        // The sinks' metrics, as a reporter reads them.
        long deadLettered = CollectingReporter.sum(jobName, null, "datainsight.store.rowsDeadLettered");
        long splits = CollectingReporter.sum(jobName, null, "datainsight.store.splits");
        long rowsWritten = CollectingReporter.sum(jobName, JobNames.NAME_SINK_ROLLUPS, "datainsight.store.rowsWritten");
        long batches = CollectingReporter.sum(jobName, null, "datainsight.store.batchesWritten");
        long stored = JobTestSupport.count(url, "SELECT (SELECT count(*) FROM metric_rollup_1m) + (SELECT count(*) FROM"
                + " metric_rollup_1h) + (SELECT count(*) FROM metric_rollup_1d) + (SELECT count(*) FROM statement_rollup_1h)"
                + " + (SELECT count(*) FROM series)");
        System.out.printf("store-refused metrics: rowsWritten(rollup sink)=%d (store holds %d rollup+series rows),"
                + " batchesWritten=%d, splits=%d, rowsDeadLettered=%d%n", rowsWritten, stored, batches, splits, deadLettered);
        assertEquals(letters.size(), deadLettered, "one dead letter per refused row");
        assertTrue(splits > 0, "refused rows were split out");
        assertEquals(stored, rowsWritten, "each rollup, statement hour and series row written once (no replay here)");
        assertTrue(!CollectingReporter.find(jobName, "datainsight.store.writeLatencyMs").isEmpty(), "latency histogram");
    }

    static int removeBadLabels(Map<ReferenceRollups.Key, ReferenceRollups.Agg> m) {
        int before = m.size();
        m.keySet().removeIf(k -> BAD_RELNAME.equals(k.labels().get("relname")));
        return before - m.size();
    }

    @Test
    void theStoreDroppingEveryConnectionMidStream_isRetried_theJobNeverFails_rowsExact() throws Exception {
        String url = PG.freshDatabaseUrl("dropped");
        Migrations.migrate(url, null, null);
        JobConfig c = JobTestSupport.valid(config("dropped", RestartITCase.PARTITIONS, url)
                .runtime(r -> r.checkpointInterval(Duration.ofMillis(500))));
        long start = RollupsITCase.start() + 5 * 60_000L;
        SyntheticFleet fleet = new SyntheticFleet(4, 2, 3, 3, start, 10_000, 13);
        List<Snapshot> first = new ArrayList<>();
        List<Snapshot> second = new ArrayList<>();
        for (int cycle = 0; cycle < 90; cycle++) {
            (cycle < 45 ? first : second).addAll(fleet.nextCycle());
        }
        String jobName = "store-dropped-itcase";
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(noRestarts(c));
        DataInsightJob.defineWorkflow(env, new KafkaIO(), new KafkaIO(), c);
        JobClient job = env.executeAsync(jobName);
        try (KafkaProducer<byte[], byte[]> p = JobTestSupport.producer(KAFKA.bootstrapServers())) {
            JobTestSupport.produce(p, c, first);
            JobTestSupport.await("first rollups in the store", Duration.ofSeconds(90), () -> RestartITCase.rows(url) > 200);
            int killed;
            long killedAt = System.nanoTime();
            try (Connection conn = JobTestSupport.connect(url); Statement st = conn.createStatement();
                    java.sql.ResultSet rs = st.executeQuery("SELECT count(pg_catalog.pg_terminate_backend(pid))"
                            + " FROM pg_catalog.pg_stat_activity WHERE datname = current_database()"
                            + " AND application_name = 'datainsight-store-writer'")) {
                rs.next();
                killed = rs.getInt(1);
            }
            assertTrue(killed >= 3, "every store writer's connection dropped: " + killed);
            JobTestSupport.produce(p, c, second);
            // The wait for the first rollups can outlast the 30 s idleness: let the job read the
            // second half before the closing watermark jump (see awaitConsumed).
            JobTestSupport.awaitConsumed(KAFKA.bootstrapServers(), c, Duration.ofSeconds(90));
            RestartITCase.closeAllPartitions(p, c, start + 86_400_000L + 30 * 60_000L);

            List<Snapshot> all = new ArrayList<>(first);
            all.addAll(second);
            ReferenceRollups expected = new ReferenceRollups(all, 5 * 60_000L);
            JobTestSupport.await("the day rollups", Duration.ofSeconds(120),
                    () -> RestartITCase.dayRows(url) >= expected.days.size());
            long recoveredMs = (System.nanoTime() - killedAt) / 1_000_000;
            Thread.sleep(1500); // one more checkpoint flush
            assertEquals(JobStatus.RUNNING, job.getJobStatus().get(), "restarts are off: a failed task fails the job");
            JobTestSupport.assertRollupsEqual(expected.minutes, RestartITCase.real(JobTestSupport.rollups(url, "metric_rollup_1m")), "1m");
            JobTestSupport.assertRollupsEqual(expected.hours, RestartITCase.real(JobTestSupport.rollups(url, "metric_rollup_1h")), "1h");
            JobTestSupport.assertRollupsEqual(expected.days, RestartITCase.real(JobTestSupport.rollups(url, "metric_rollup_1d")), "1d");
            JobTestSupport.assertStatementsEqual(expected.statements,
                    RestartITCase.realStatements(JobTestSupport.statementRollups(url)));
            long retries = CollectingReporter.sum(jobName, null, "datainsight.store.retries");
            System.out.printf("store-dropped: %d connections terminated, retries=%d, all day rows %d ms after the kill,"
                    + " rollups 1m=%d 1h=%d 1d=%d exact, job %s%n", killed, retries, recoveredMs, expected.minutes.size(),
                    expected.hours.size(), expected.days.size(), job.getJobStatus().get());
            assertTrue(retries >= 1, "the dropped connections were retried: " + retries);
            assertEquals(0, CollectingReporter.sum(jobName, null, "datainsight.store.rowsDeadLettered"));
        } finally {
            job.cancel().get();
        }
    }
}
