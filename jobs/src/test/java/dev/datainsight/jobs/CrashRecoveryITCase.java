package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.bench.fleet.SyntheticFleet;
import dev.datainsight.jobs.records.SourceRecord;
import dev.datainsight.model.Snapshot;
import dev.datainsight.store.Migrations;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * Crash recovery, not a graceful stop: the job (rules on) throws once mid-stream, between two
 * checkpoints (in the source, on the first record after the test arms the fault, with at least one
 * checkpoint completed), Flink restarts it from the last completed checkpoint, and every stored
 * 1m/1h/1d rollup and statement hour equals an uninterrupted run on the same topics and the
 * independently computed reference, and every alert event of the uninterrupted run is there once
 * with the same instance, value, threshold and start (its summary and context may name other top
 * statements: see docs/reliability.md): 0 lost, 0 duplicated. Prints the counts and the recovery time.
 */
class CrashRecoveryITCase extends JobTestSupport {
    static final AtomicBoolean ARMED = new AtomicBoolean();
    static volatile long thrownAt;
    static final ObjectMapper JSON = new ObjectMapper();

    /** The job's deserializer, throwing once when armed (a crash of the task, not a bad record). */
    static final class CrashOnce implements KafkaRecordDeserializationSchema<SourceRecord> {
        private static final long serialVersionUID = 1L;
        private final KafkaRecordDeserializationSchema<SourceRecord> job;

        CrashOnce(KafkaRecordDeserializationSchema<SourceRecord> job) {
            this.job = job;
        }

        @Override
        public void open(DeserializationSchema.InitializationContext context) throws Exception {
            job.open(context);
        }

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<SourceRecord> out) throws IOException {
            if (ARMED.compareAndSet(true, false)) {
                thrownAt = System.currentTimeMillis();
                throw new IOException("injected crash at " + record.topic() + "/" + record.partition() + "@"
                        + record.offset());
            }
            job.deserialize(record, out);
        }

        @Override
        public TypeInformation<SourceRecord> getProducedType() {
            return job.getProducedType();
        }
    }

    @Test
    void aCrashBetweenCheckpoints_restoresFromTheLastOne_storeEqualsTheUninterruptedRun() throws Exception {
        Topics topics = newTopics(RestartITCase.PARTITIONS, RestartITCase.PARTITIONS);
        String alerts = KAFKA.newTopic("alerts", 1);
        String crashUrl = PG.freshDatabaseUrl("crash");
        String refUrl = PG.freshDatabaseUrl("crashref");
        Migrations.migrate(crashUrl, null, null);
        Migrations.migrate(refUrl, null, null);
        JobConfig.Builder b = config(topics, crashUrl).kafka(k -> k.alertsTopic(alerts)).rules(r -> r.enabled(true))
                .runtime(r -> r.checkpointInterval(Duration.ofMillis(500)));
        JobConfig crash = valid(b);
        JobConfig ref = valid(crash.toBuilder().store(s -> s.jdbcUrl(refUrl)).kafka(k -> k.groupId("ref-" + topics.metrics())));

        long start = RollupsITCase.start() + 5 * 60_000L;
        SyntheticFleet fleet = new SyntheticFleet(4, 2, 3, 3, start, 10_000, 21).resetAt(60, 1);
        List<Snapshot> first = new ArrayList<>();
        List<Snapshot> second = new ArrayList<>();
        for (int cycle = 0; cycle < 90; cycle++) {
            (cycle < 45 ? first : second).addAll(fleet.nextCycle());
        }
        List<Snapshot> all = new ArrayList<>(first);
        all.addAll(second);
        ReferenceRollups expected = new ReferenceRollups(all, 5 * 60_000L);
        Configuration client = FLINK.getClientConfiguration();
        String rest = "http://" + client.get(RestOptions.ADDRESS) + ":" + client.get(RestOptions.PORT);
        JobSources crashing = (c, d) -> KafkaIO.source(c, new CrashOnce(d));

        // 1. The run with a crash.
        long restoredAt;
        long restoredCheckpoint;
        long completedBefore;
        try (KafkaProducer<byte[], byte[]> p = producer(KAFKA.bootstrapServers())) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                    DataInsightJob.flinkConfiguration(crash));
            DataInsightJob.defineWorkflow(env, crashing, new KafkaIO(), crash);
            JobClient job = env.executeAsync("crash-recovery-itcase");
            String id = job.getJobID().toHexString();
            try {
                produce(p, crash, first);
                await("first rollups in the store", Duration.ofSeconds(90), () -> RestartITCase.rows(crashUrl) > 200);
                await("a completed checkpoint", Duration.ofSeconds(30), () -> checkpoints(rest, id).path("counts")
                        .path("completed").asLong() >= 1);
                completedBefore = checkpoints(rest, id).path("counts").path("completed").asLong();
                ARMED.set(true);
                produce(p, crash, second); // its first record read crashes the task
                await("the crash", Duration.ofSeconds(60), () -> !ARMED.get());
                await("the restore from a checkpoint", Duration.ofSeconds(60),
                        () -> !checkpoints(rest, id).path("latest").path("restored").isMissingNode()
                                && !checkpoints(rest, id).path("latest").path("restored").isNull());
                JsonNode restored = checkpoints(rest, id).path("latest").path("restored");
                restoredAt = restored.path("restore_timestamp").asLong();
                restoredCheckpoint = restored.path("id").asLong();
                assertFalse(restored.path("is_savepoint").asBoolean(), "restored from a checkpoint, not a savepoint");
                RestartITCase.closeAllPartitions(p, crash, start + 86_400_000L + 30 * 60_000L);
                await("the day rollups after the crash", Duration.ofSeconds(120),
                        () -> RestartITCase.dayRows(crashUrl) >= expected.days.size());
                // The alerts the closing watermark jump resolves or fires travel a longer path than
                // the day rollups: wait until the alert table stops growing.
                awaitStable(crashUrl, "SELECT count(*) FROM alert_event");
                JobHealth health = new JobHealth(rest);
                // numRestarts reaches the REST API through the metric fetcher (up to 10 s behind).
                await("numRestarts = 1", Duration.ofSeconds(30), () -> {
                    try {
                        return health.query(id).restarts() >= 1;
                    } catch (Exception e) {
                        return false;
                    }
                });
                JobHealth.Status st = health.query(id);
                System.out.printf("crash-recovery: crash at %d, restored checkpoint %d (of %d completed before the"
                        + " crash) at %d: %d ms after the throw; numRestarts=%d; last failure: %s%n", thrownAt,
                        restoredCheckpoint, completedBefore, restoredAt, restoredAt - thrownAt, st.restarts(),
                        st.lastFailure() == null ? null : st.lastFailure().lines().findFirst().orElse(""));
                assertEquals(1, st.restarts(), "exactly one restart");
                String trace = restJson(rest, "/jobs/" + id + "/exceptions?maxExceptions=1").path("exceptionHistory")
                        .path("entries").path(0).path("stacktrace").asText("");
                assertTrue(trace.contains("injected crash"), "the one failure is the injected crash: " + st.lastFailure());
            } finally {
                job.cancel().get();
            }
        }

        // 2. The uninterrupted run on the same topics (everything is there already).
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(DataInsightJob.flinkConfiguration(ref));
        DataInsightJob.defineWorkflow(env, new KafkaIO(), new KafkaIO(), ref);
        JobClient refJob = env.executeAsync("crash-recovery-reference");
        try {
            await("the day rollups of the reference run", Duration.ofSeconds(120),
                    () -> RestartITCase.dayRows(refUrl) >= expected.days.size());
            awaitStable(refUrl, "SELECT count(*) FROM alert_event");
        } finally {
            refJob.cancel().get();
        }

        // 3. Row by row: crash run = uninterrupted run = independent reference.
        StringBuilder counts = new StringBuilder();
        for (String table : List.of("metric_rollup_1m", "metric_rollup_1h", "metric_rollup_1d")) {
            Map<ReferenceRollups.Key, ReferenceRollups.Agg> got = RestartITCase.real(rollups(crashUrl, table));
            Map<ReferenceRollups.Key, ReferenceRollups.Agg> uninterrupted = RestartITCase.real(rollups(refUrl, table));
            Map<ReferenceRollups.Key, ReferenceRollups.Agg> want = table.endsWith("1m") ? expected.minutes
                    : table.endsWith("1h") ? expected.hours : expected.days;
            assertRollupsEqual(uninterrupted, got, table + " crash run vs uninterrupted run");
            assertRollupsEqual(want, got, table + " crash run vs reference");
            counts.append(String.format(" %s %d rows (uninterrupted %d, reference %d) lost 0 duplicated 0;", table,
                    got.size(), uninterrupted.size(), want.size()));
        }
        Map<List<Object>, double[]> statements = RestartITCase.realStatements(statementRollups(crashUrl));
        assertStatementsEqual(expected.statements, statements);
        assertStatementsEqual(RestartITCase.realStatements(statementRollups(refUrl)), statements);

        Map<String, List<String>> crashAlerts = alertEvents(crashUrl);
        Map<String, List<String>> refAlerts = alertEvents(refUrl);
        int restartAlerts = 0;
        for (String k : List.copyOf(crashAlerts.keySet())) {
            if (k.startsWith("pipeline_restarting|")) {
                crashAlerts.remove(k);
                restartAlerts++;
            }
        }
        // instance_silent has a processing-time path too (SilenceDetector: a silence is reported
        // when the wall clock passes last seen + n intervals, with a fresh grace after a restart):
        // when its events fire depends on the wall clock of each run, so only which instances went
        // silent is compared; every other rule is event-time only and compared event by event.
        java.util.Set<String> crashSilent = silentFingerprints(crashAlerts);
        java.util.Set<String> refSilent = silentFingerprints(refAlerts);
        int crashSilentEvents = crashAlerts.size();
        int refSilentEvents = refAlerts.size();
        crashAlerts.keySet().removeIf(k -> k.startsWith("instance_silent|"));
        refAlerts.keySet().removeIf(k -> k.startsWith("instance_silent|"));
        crashSilentEvents -= crashAlerts.size();
        refSilentEvents -= refAlerts.size();
        System.out.printf("crash-recovery: instance_silent: %d events for %d instances (uninterrupted: %d events for %d"
                + " instances), compared by instance only%n", crashSilentEvents, crashSilent.size(), refSilentEvents,
                refSilent.size());
        assertEquals(refSilent, crashSilent, "the instances reported silent");
        assertTrue(refAlerts.keySet().stream().noneMatch(k -> k.startsWith("pipeline_restarting|")));
        assertTrue(refAlerts.size() > 20, "the scenario fires alerts: " + refAlerts.size());
        List<String> lost = refAlerts.keySet().stream().filter(k -> !crashAlerts.containsKey(k)).toList();
        List<String> extra = crashAlerts.keySet().stream().filter(k -> !refAlerts.containsKey(k)).toList();
        // Values (instance, value, threshold, started_at) must be equal; the summary and context may
        // name the top statements of the window, whose snapshots come from the other topic and may
        // be evaluated before or after a metrics snapshot of the same collection time (a tie in
        // event time, broken by arrival): they are compared and reported, not required equal.
        List<String> valueDiffs = new ArrayList<>();
        List<String> textDiffs = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : refAlerts.entrySet()) {
            List<String> got = crashAlerts.get(e.getKey());
            if (got == null) {
                continue;
            }
            if (!got.subList(0, 4).equals(e.getValue().subList(0, 4))) {
                valueDiffs.add(e.getKey() + ": uninterrupted " + e.getValue() + ", crash run " + got);
            } else if (!got.equals(e.getValue())) {
                textDiffs.add(e.getKey() + ": uninterrupted " + e.getValue().subList(4, 6) + ", crash run "
                        + got.subList(4, 6));
            }
        }
        System.out.printf("crash-recovery:%s statement hours %d; alert events %d (uninterrupted %d) lost %d extra %d"
                + " values differing %d, summary/context differing %d; pipeline_restarting events of the crash run: %d%n",
                counts, statements.size(), crashAlerts.size(), refAlerts.size(), lost.size(), extra.size(),
                valueDiffs.size(), textDiffs.size(), restartAlerts);
        textDiffs.forEach(d -> System.out.println("crash-recovery: summary/context differs: " + d));
        assertEquals(List.of(), lost, "alert events lost");
        assertEquals(List.of(), extra, "alert events only in the crash run");
        assertEquals(List.of(), valueDiffs, "alert event values");
    }

    /**
     * Every alert event: key (rule | fingerprint | status | severity | event_at) → instance, value,
     * threshold, started_at, summary, context; a key stored twice fails.
     */
    static Map<String, List<String>> alertEvents(String url) throws Exception {
        Map<String, List<String>> out = new TreeMap<>();
        try (Connection c = connect(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT rule, fingerprint, status, severity,"
                        + " (extract(epoch FROM event_at) * 1000)::bigint, instance, value, threshold,"
                        + " (extract(epoch FROM started_at) * 1000)::bigint, summary, context::text FROM alert_event")) {
            while (rs.next()) {
                String key = rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4) + "|"
                        + rs.getLong(5);
                List<String> v = java.util.Arrays.asList(rs.getString(6), String.valueOf(rs.getObject(7)),
                        String.valueOf(rs.getObject(8)), String.valueOf(rs.getLong(9)), rs.getString(10), rs.getString(11));
                if (out.put(key, v) != null) {
                    throw new AssertionError("alert event stored twice: " + key);
                }
            }
        }
        return out;
    }

    static java.util.Set<String> silentFingerprints(Map<String, List<String>> alerts) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (String k : alerts.keySet()) {
            if (k.startsWith("instance_silent|")) {
                out.add(k.split("\\|")[1]);
            }
        }
        return out;
    }

    /** Waits until the count is above 0 and has not changed for 5 s (10 checkpoints), at most 90 s. */
    static void awaitStable(String url, String sql) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        long last = -1;
        long since = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long n = count(url, sql);
            if (n != last) {
                last = n;
                since = System.nanoTime();
            } else if (n > 0 && System.nanoTime() - since > Duration.ofSeconds(5).toNanos()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("not stable within 90 s: " + sql + " = " + last);
    }

    static JsonNode checkpoints(String rest, String jobId) {
        return restJson(rest, "/jobs/" + jobId + "/checkpoints");
    }

    static JsonNode restJson(String rest, String path) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(rest + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (Exception e) {
            return JSON.createObjectNode();
        }
    }
}
