package dev.datainsight.jobs.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.collector.Collector;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.collector.KafkaSnapshotSink;
import dev.datainsight.collector.probe.ProbeLimits;
import dev.datainsight.collector.probe.Probes;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.jobs.ClosedRollups;
import dev.datainsight.jobs.DataInsightJob;
import dev.datainsight.jobs.JobConfig;
import dev.datainsight.jobs.JobTestSupport;
import dev.datainsight.jobs.KafkaIO;
import dev.datainsight.model.DecodeResult;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.WireCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * End to end while the monitored server churns (issue 13): the real collector watches a real
 * PostgreSQL on which, during the run, tables are created and dropped, statement shapes come and
 * go in pg_stat_statements (new shapes every round, single entries reset, more entries than the
 * collector's top N), and databases are added. The collector's clock runs 60 times faster than
 * real time from the next 23:50 UTC (event time must not precede the server's start), so about
 * 92 s cover the midnight (day) boundary and the 01:00 boundary of event time; the job runs
 * unbounded on a MiniCluster with its lateness, gap and watermark bound set in event time.
 *
 * <p>Asserted: no task restart (the job's {@code numRestarts} over REST and every task's attempt
 * number) and the job RUNNING at the end; nothing dead-lettered; and every rollup in the store
 * (1m, 1h, 1d, statement hours) equal to {@code ReferenceRollups} computed from exactly the
 * snapshots the collector published, read back from the topics — with every bucket the watermark
 * closed present. On the Bucket.java before commit 8afd964 this test fails: the job restarts
 * (ArrayIndexOutOfBoundsException when a minute opened before new series appeared is folded).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ChurnITCase extends JobTestSupport {
    /** The monitored server, its own (pg_stat_statements is server-wide: no other test's statements). */
    @RegisterExtension
    static final PostgresExtension MONITORED = monitoredServer(Map.of("pg_stat_statements.max", "100"));

    private static final String INSTANCE = "pg-churn";
    private static final long MINUTE = 60_000L;
    private static final long HOUR = 3_600_000L;
    private static final long DAY = 86_400_000L;
    /** Event time per real time. */
    private static final int SPEED = 60;
    /**
     * Event-time settings of the job (at 60x: 5 s, 10 s and 15 s of real time — a collector
     * thread descheduled for seconds on a loaded machine must not make its snapshot late).
     */
    private static final Duration WATERMARK_BOUND = Duration.ofMinutes(5);
    private static final Duration LATENESS = Duration.ofMinutes(10);
    private static final Duration MAX_GAP = Duration.ofMinutes(15);
    /** Statements per cycle before "other": far fewer than the shapes the churn creates. */
    private static final int TOP_STATEMENTS = 12;
    private static final WireCodec CODEC = new WireCodec();
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The next 23:50 UTC at least a minute from now. Event time must not be older than the
     * monitored server's start ({@code server_start_epoch} is real time): a sample collected
     * "before" the server started would make the job and the reference treat every sample as
     * following a restart, and no counter would ever yield a rate. So event time runs ahead of
     * the wall clock (up to a day): the job's maxFuture and the topics' timestamp bound allow it.
     */
    static long origin() {
        long now = System.currentTimeMillis() + MINUTE;
        long today = now - Math.floorMod(now, DAY) + 23 * HOUR + 50 * MINUTE;
        return today >= now ? today : today + DAY;
    }

    @Test
    void churningServer_rollupsExact_acrossHourAndDayBoundaries_noRestart(@InjectMiniCluster MiniCluster mini)
            throws Exception {
        String db = MONITORED.freshDatabase("churn");
        String appUrl = MONITORED.server().jdbcUrl(db);
        sql(appUrl, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");

        Topics topics = newTopics(1, 1);
        String metrics = topics.metrics();
        String statements = topics.statements();
        String dlq = topics.dlq();
        allowFutureTimestamps(List.of(metrics, statements, dlq));
        String storeUrl = PG.freshDatabaseUrl("store");
        // Not validated: event time runs up to a day ahead of the wall clock here, so max_future
        // exceeds the watermark bound, which a real configuration may not do (JobConfig.validate).
        JobConfig c = config(topics, storeUrl)
                .store(st -> st.migrateOnStart(true))
                .runtime(r -> r.parallelism(1).checkpointInterval(Duration.ofSeconds(2)))
                // idleness is processing time: longer than any pause of a running collector
                .time(t -> t.watermarkBound(WATERMARK_BOUND).allowedLateness(LATENESS).maxGap(MAX_GAP)
                        .idleness(Duration.ofSeconds(30)).maxFuture(Duration.ofDays(2))).build();
        DataInsightJob.prepare(c);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                DataInsightJob.flinkConfiguration(c));
        DataInsightJob.defineWorkflow(env, new KafkaIO(), new KafkaIO(), c);
        JobClient job = env.executeAsync("churn-e2e");
        long started = System.nanoTime();
        while (job.getJobStatus().get(10, TimeUnit.SECONDS) != JobStatus.RUNNING) {
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(60), "the job did not start within 60 s");
            Thread.sleep(100);
        }

        long origin = origin();
        AcceleratedClock clock = new AcceleratedClock(origin, SPEED);
        long end = origin + 92 * MINUTE; // 01:22: the 00:00 hour closes at 01:10, plus the bound and the slow interval
        ProbeLimits d = ProbeLimits.defaults();
        FleetConfig fleet = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder(INSTANCE).url(MONITORED.server().jdbcUrlNoUser(db))
                        .user("postgres").intervals(Duration.ofSeconds(1), Duration.ofSeconds(2))
                        .labels(Map.of("env", "churn")).build())
                .limits(new ProbeLimits(d.maxDatabases(), d.topTables(), d.topIndexes(), d.topSequences(),
                        TOP_STATEMENTS, d.queryTextMaxChars(), d.maxDatabaseRows()))
                .sizesInterval(Duration.ofSeconds(4))
                .build();
        ExecutorService pool = Executors.newCachedThreadPool();
        AtomicBoolean stop = new AtomicBoolean();
        Churn churn = new Churn(appUrl, MONITORED.server()::jdbcUrl, clock, stop);
        try {
            try (KafkaSnapshotSink sink = new KafkaSnapshotSink(KAFKA.bootstrapServers(), metrics, statements);
                    Collector collector = new Collector(fleet, sink, Probes.all(), clock)) {
                collector.start();
                Future<?> churning = pool.submit(churn);
                while (clock.millis() < end) {
                    Thread.sleep(200);
                    assertRunning(job, mini); // fail fast: a restart loop would otherwise burn the whole timeout
                }
                stop.set(true);
                churning.get(30, TimeUnit.SECONDS);
            }
            System.out.println("ChurnITCase churn: " + churn);

            List<Snapshot> published = readBack(List.of(metrics, statements));
            long wm = watermarkLowerBound(published);
            assertTrue(wm >= origin + 85 * MINUTE, "the collector's event time fell behind: watermark at least "
                    + Instant.ofEpochMilli(wm));

            // The run really churned, across the boundaries.
            Seen seen = seen(published);
            System.out.println("ChurnITCase published: " + published.size() + " snapshots; " + seen);
            assertTrue(seen.tablesByHour.size() >= 3 && seen.tablesByHour.values().stream().allMatch(n -> n >= 5),
                    "new tables appeared in each event hour: " + seen.tablesByHour);
            List<Integer> newIds = new ArrayList<>(seen.queryIdsByHour.values());
            assertTrue(newIds.size() == 3 && newIds.get(0) >= 5 && newIds.get(1) >= 5 && newIds.get(2) >= 1,
                    "new query ids entered the top N in each event hour (the last one is 22 minutes long): "
                            + seen.queryIdsByHour);
            assertTrue(seen.tablesLeft >= 20, "tables left the snapshots: " + seen.tablesLeft);
            assertTrue(seen.queryIdsLeft >= 20, "query ids left the top " + TOP_STATEMENTS + ": " + seen.queryIdsLeft);
            assertTrue(seen.databasesAdded >= 2, "databases added mid-run: " + seen.databasesAdded);

            assertEquals(List.of(), deadLetters(dlq), "nothing dead-lettered (a late snapshot would be missing from the"
                    + " store)");

            // Exact rollups, polled until the job has written everything the watermark closed.
            ClosedRollups.Summary summary = null;
            AssertionError last = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                try {
                    summary = ClosedRollups.assertExact(published, MAX_GAP.toMillis(), LATENESS.toMillis(), wm, storeUrl);
                    last = null;
                    break;
                } catch (AssertionError e) {
                    last = e;
                    Thread.sleep(1000);
                }
            }
            if (last != null) {
                throw last;
            }
            System.out.println("ChurnITCase compared: " + summary);
            long midnight = origin + 10 * MINUTE;
            assertEquals(Set.of(midnight - HOUR, midnight), summary.hourStarts(),
                    "closed hours: 23:00 and 00:00 (across the day boundary)");
            assertEquals(Set.of(midnight - DAY), summary.dayStarts(), "the day before midnight is closed");
            assertTrue(summary.statementHours() > 10, "statement hours compared: " + summary);

            assertRunning(job, mini);
            assertEquals(0, numRestarts(mini, job.getJobID()), "the job's numRestarts metric");
        } finally {
            stop.set(true);
            pool.shutdownNow();
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    /** Kafka 4 rejects records stamped more than an hour ahead of the broker's clock by default. */
    private static void allowFutureTimestamps(List<String> topics) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            Map<ConfigResource, java.util.Collection<AlterConfigOp>> ops = new HashMap<>();
            for (String t : topics) {
                ops.put(new ConfigResource(ConfigResource.Type.TOPIC, t), List.of(new AlterConfigOp(
                        new ConfigEntry("message.timestamp.after.max.ms", Long.toString(Long.MAX_VALUE)),
                        AlterConfigOp.OpType.SET)));
            }
            admin.incrementalAlterConfigs(ops).all().get(30, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------ the churn on the server

    /**
     * Rounds every 250 ms of real time (15 s of event time): two steady statement shapes, a new
     * table with rows and statement shapes of its own (one heavy enough to enter the top N), the table eight rounds older
     * dropped, every third round one of the top pg_stat_statements entries reset; a database added at 23:57, 00:31 and 01:04 of event time.
     */
    static final class Churn implements Runnable {
        private final String url;
        private final java.util.function.Function<String, String> urlOf;
        private final Clock clock;
        private final AtomicBoolean stop;
        int created;
        int dropped;
        int resets;
        final List<String> databases = new ArrayList<>();

        Churn(String url, java.util.function.Function<String, String> urlOf, Clock clock, AtomicBoolean stop) {
            this.url = url;
            this.urlOf = urlOf;
            this.clock = clock;
            this.stop = stop;
        }

        @Override
        public void run() {
            long origin = clock.millis();
            long[] dbAt = {origin + 7 * MINUTE, origin + 41 * MINUTE, origin + 74 * MINUTE};
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                for (int r = 0; !stop.get(); r++) {
                    String t = "churn_t" + r;
                    st.execute("CREATE TABLE " + t + " (id int PRIMARY KEY, v int)");
                    st.execute("INSERT INTO " + t + " SELECT g, g % 7 FROM generate_series(1, " + (20 + rnd.nextInt(200))
                            + ") g");
                    created++;
                    st.executeQuery("SELECT count(*) FROM " + t + " WHERE v > 3").close();
                    st.executeQuery("SELECT v, max(id) FROM " + t + " GROUP BY v").close();
                    // steady shapes: they stay in the top N, so their deltas span the hours
                    st.executeQuery("SELECT count(*) FROM generate_series(1, 30000) g WHERE g % 7 = 3").close();
                    st.executeQuery("SELECT max(md5(g::text)) FROM generate_series(1, 3000) g").close();
                    st.executeUpdate("UPDATE " + t + " SET v = v + 1 WHERE id % 2 = 0");
                    // heavy enough to enter the top N by total time, pushing an older shape out
                    st.executeQuery("SELECT sum(a.v * b.v) FROM " + t + " a CROSS JOIN " + t + " b").close();
                    if (r >= 8) {
                        st.execute("DROP TABLE churn_t" + (r - 8));
                        dropped++;
                    }
                    if (r % 3 == 2) {
                        // one of the current top entries leaves (and re-enters from zero if it runs again)
                        st.executeQuery("SELECT pg_stat_statements_reset(0, 0, queryid) FROM (SELECT queryid FROM"
                                + " pg_stat_statements WHERE query LIKE '%churn_t%' ORDER BY total_exec_time DESC"
                                + " OFFSET " + rnd.nextInt(4) + " LIMIT 1) q").close();
                        resets++;
                    }
                    if (databases.size() < dbAt.length && clock.millis() >= dbAt[databases.size()]) {
                        String name = "added" + databases.size() + "_" + System.nanoTime() % 100_000;
                        st.execute("CREATE DATABASE " + name);
                        try (Connection a = DriverManager.getConnection(urlOf.apply(name));
                                Statement as = a.createStatement()) {
                            as.execute("CREATE TABLE t (id int PRIMARY KEY)");
                            as.execute("INSERT INTO t SELECT generate_series(1, 500)");
                            as.executeQuery("SELECT count(*) FROM t").close();
                        }
                        databases.add(name);
                    }
                    Thread.sleep(250);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                throw new IllegalStateException("churn failed", e);
            }
        }

        @Override
        public String toString() {
            return "tables created " + created + ", dropped " + dropped + "; single pg_stat_statements resets " + resets
                    + "; databases added " + databases;
        }
    }

    /** A clock that runs {@code speed} times faster than real time from {@code origin}. */
    static final class AcceleratedClock extends Clock {
        private final long origin;
        private final long speed;
        private final long startNanos = System.nanoTime();

        AcceleratedClock(long origin, long speed) {
            this.origin = origin;
            this.speed = speed;
        }

        @Override
        public long millis() {
            return origin + (System.nanoTime() - startNanos) / 1_000_000L * speed;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("UTC only");
        }
    }

    // ------------------------------------------------------------------ what the collector published

    /** Every snapshot in the topics, decoded (a record that does not decode fails the test). */
    private static List<Snapshot> readBack(List<String> topics) {
        Properties p = consumerProps();
        List<Snapshot> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : topics) {
                consumer.partitionsFor(t).forEach(i -> parts.add(new TopicPartition(t, i.partition())));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> endOffsets = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < endOffsets.get(tp))) {
                if (System.nanoTime() > deadline) {
                    fail("could not read the topics back to their end offsets " + endOffsets);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    DecodeResult<Snapshot> d = CODEC.decodeSnapshot(r.value());
                    assertTrue(d.isOk(), () -> "the collector published a record the wire rejects: " + d);
                    out.add(d.value());
                }
            }
        }
        return out;
    }

    /**
     * Below the job's watermark once it consumed everything: per partition the watermark is the
     * latest event time minus the bound (minus 1 ms), and the source's is the least of its partitions.
     */
    private static long watermarkLowerBound(List<Snapshot> published) {
        Map<Boolean, Long> latest = new HashMap<>();
        for (Snapshot s : published) {
            latest.merge(s.kind() == dev.datainsight.model.SnapshotKind.STATEMENTS, s.getCollectedAt(), Math::max);
        }
        assertEquals(2, latest.size(), "both topics received snapshots");
        return latest.values().stream().mapToLong(Long::longValue).min().orElseThrow()
                - WATERMARK_BOUND.toMillis() - 1;
    }

    /** What came and went in the published snapshots. */
    record Seen(Map<Long, Integer> tablesByHour, Map<Long, Integer> queryIdsByHour, int tablesLeft, int queryIdsLeft,
            int databasesAdded) {}

    private static Seen seen(List<Snapshot> published) {
        List<Snapshot> ordered = new ArrayList<>(published);
        ordered.sort((a, b) -> Long.compare(a.getCollectedAt(), b.getCollectedAt()));
        long first = ordered.get(0).getCollectedAt();
        Map<String, Long> tableFirst = new HashMap<>();
        Map<String, Long> tableLast = new HashMap<>();
        Map<String, Long> queryFirst = new HashMap<>();
        Map<String, Long> queryLast = new HashMap<>();
        Set<String> dbsAtStart = new HashSet<>();
        Set<String> dbs = new TreeSet<>();
        long lastTables = 0;
        long lastStatements = 0;
        for (Snapshot s : ordered) {
            long t = s.getCollectedAt();
            for (SnapshotRow r : s.getRows()) {
                String rel = r.getLabels().get("relname");
                if (s.getView().equals("pg_stat_user_tables") && rel != null && rel.startsWith("churn_t")) {
                    tableFirst.putIfAbsent(rel, t);
                    tableLast.put(rel, t);
                    lastTables = t;
                }
                String q = r.getLabels().get("queryid");
                if (s.getView().equals("pg_stat_statements") && q != null) {
                    queryFirst.putIfAbsent(q, t);
                    queryLast.put(q, t);
                    lastStatements = t;
                }
                String datname = r.getLabels().get("datname");
                if (s.getView().equals("pg_stat_database") && datname != null) {
                    if (t - first < 2 * MINUTE) {
                        dbsAtStart.add(datname);
                    }
                    dbs.add(datname);
                }
            }
        }
        long lt = lastTables;
        long ls = lastStatements;
        dbs.removeAll(dbsAtStart);
        return new Seen(byHour(tableFirst), byHour(queryFirst),
                (int) tableLast.values().stream().filter(t -> t < lt).count(),
                (int) queryLast.values().stream().filter(t -> t < ls).count(), dbs.size());
    }

    private static Map<Long, Integer> byHour(Map<String, Long> firstSeen) {
        Map<Long, Integer> out = new TreeMap<>();
        for (long t : firstSeen.values()) {
            out.merge(t - Math.floorMod(t, HOUR), 1, Integer::sum);
        }
        return out;
    }

    // ------------------------------------------------------------------ the job's health

    /** RUNNING, and no task ever restarted (every execution is still its first attempt). */
    private static void assertRunning(JobClient job, MiniCluster mini) throws Exception {
        JobStatus status = job.getJobStatus().get(10, TimeUnit.SECONDS);
        AccessExecutionGraph g = mini.getExecutionGraph(job.getJobID()).get(10, TimeUnit.SECONDS);
        int maxAttempt = 0;
        String failure = g.getFailureInfo() == null ? "none" : g.getFailureInfo().getExceptionAsString();
        for (AccessExecutionVertex v : g.getAllExecutionVertices()) {
            maxAttempt = Math.max(maxAttempt, v.getCurrentExecutionAttempt().getAttemptNumber());
        }
        if (status != JobStatus.RUNNING || maxAttempt > 0) {
            fail("the job is " + status + ", highest task attempt number " + maxAttempt + " (0 = never restarted);"
                    + " last failure: " + failure.lines().limit(8).reduce("", (a, b) -> a + "\n  " + b));
        }
    }

    /** The job's numRestarts metric, read over the MiniCluster's REST API. */
    private static long numRestarts(MiniCluster mini, JobID id) throws Exception {
        URI rest = mini.getRestAddress().get(10, TimeUnit.SECONDS);
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest req = HttpRequest.newBuilder(rest.resolve("/jobs/" + id + "/metrics?get=numRestarts")).GET().build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode metrics = JSON.readTree(r.body());
            if (metrics.isArray() && !metrics.isEmpty()) {
                return Long.parseLong(metrics.get(0).get("value").asText());
            }
            if (System.nanoTime() > deadline) {
                fail("the REST API did not report numRestarts for " + id + ": " + r.body());
            }
            Thread.sleep(500); // the web frontend fetches metrics periodically
        }
    }

    private static List<String> deadLetters(String topic) {
        Properties p = consumerProps();
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> endOffsets = consumer.endOffsets(parts);
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < endOffsets.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(CODEC.decodeDeadLetter(r.value()).value().toString());
                }
            }
        }
        return out;
    }

    private static Properties consumerProps() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return p;
    }

    private static void sql(String url, String statement) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }
}
