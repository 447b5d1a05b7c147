package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.embedded.EmbeddedKafka;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.DecodeResult;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.WireCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A server or the broker going away: up=0, recovery, and no snapshot lost within the buffer. */
class ResilienceTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    static void await(String what, Duration timeout, BooleanSupplier ok) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            TestSupport.sleep(50);
        }
    }

    static Double up(Snapshot s) {
        if (!s.getView().equals(MetricCatalog.COLLECTOR_VIEW)) {
            return null;
        }
        for (SnapshotRow r : s.getRows()) {
            if ("".equals(r.getLabels().get("probe"))) {
                return r.getValues().get("up");
            }
        }
        return null;
    }

    static long count(ConcurrentLinkedQueue<Snapshot> q, String instance, double upValue) {
        return q.stream().filter(s -> s.getInstance().equals(instance) && Double.valueOf(upValue).equals(up(s))).count();
    }

    @Test
    void serverGoingAway_yieldsUpZero_recovers_andNeverDelaysTheOtherServer() {
        EmbeddedPostgresServer own = EmbeddedPostgresServer.start(17, KafkaExtension.tmpBase(), 0, Map.of());
        ConcurrentLinkedQueue<Snapshot> got = new ConcurrentLinkedQueue<>();
        try {
            // The superuser, not a pg_monitor role: EmbeddedPostgresServer.restart() currently comes
            // back with a fresh data directory, so roles created before the outage are gone.
            String role = "postgres";
            String role2 = TestSupport.createRole(PG.server(), "di_res", true);
            FleetConfig cfg = FleetConfig.builder()
                    .instance(FleetConfig.Instance.builder("flaky").url(own.jdbcUrlNoUser("postgres")).user(role).intervals(Duration.ofMillis(200), Duration.ofSeconds(2)).build())
                    .instance(FleetConfig.Instance.builder("steady").url(PG.server().jdbcUrlNoUser("postgres")).user(role2)
                            .password("secret").intervals(Duration.ofMillis(200), Duration.ofSeconds(2)).build())
                    .maxBackoff(Duration.ofSeconds(1))
                    .build();
            try (Collector c = new Collector(cfg, got::add)) {
                c.start();
                await("flaky up", Duration.ofSeconds(30), () -> count(got, "flaky", 1.0) >= 2);
                own.stop();
                await("flaky reported down", Duration.ofSeconds(30), () -> count(got, "flaky", 0.0) >= 3);
                assertTrue(!c.status("flaky").up());
                assertTrue(c.status("flaky").lastError() != null);
                long steadyBefore = count(got, "steady", 1.0);
                await("steady keeps reporting while flaky is down", Duration.ofSeconds(30),
                        () -> count(got, "steady", 1.0) >= steadyBefore + 5);
                long upsBefore = count(got, "flaky", 1.0);
                own.restart();
                await("flaky recovers (last error: " + c.status("flaky").lastError() + ")", Duration.ofSeconds(60),
                        () -> count(got, "flaky", 1.0) > upsBefore);
                assertTrue(c.status("flaky").up());
                assertEquals(0, count(got, "steady", 0.0), "the healthy server never looked down");
                WireCodec codec = new WireCodec();
                for (Snapshot s : got) {
                    assertTrue(codec.decodeSnapshot(codec.encode(s)).isOk(), () -> "the wire rejects " + s);
                }
            }
        } finally {
            own.close();
        }
    }

    /**
     * A per-database probe placed before the tables probe that, while the collector visits
     * {@code victim}, terminates the collector's connection to that database from outside.
     */
    static final class Killer extends dev.datainsight.collector.probe.PerDatabaseProbe {
        final String victim;
        final String role;
        final java.util.concurrent.atomic.AtomicInteger killed = new java.util.concurrent.atomic.AtomicInteger(-1);
        volatile boolean armed = true;

        Killer(String victim, String role) {
            super("pg_stat_user_indexes", dev.datainsight.collector.probe.ProbeGroup.SLOW,
                    dev.datainsight.collector.probe.SqlVariants.single("t_killer", "SELECT 1"));
            this.victim = victim;
            this.role = role;
        }

        @Override
        public String name() {
            return "t_killer";
        }

        @Override
        public String view() {
            return "pg_stat_user_indexes";
        }

        @Override
        public List<SnapshotRow> collectIn(dev.datainsight.collector.probe.ProbeContext ctx, String db)
                throws java.sql.SQLException {
            ctx.connection(db);
            if (armed && db.equals(victim)) {
                killed.set(TestSupport.query(PG.server(), "postgres",
                        "SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE datname = '" + db
                                + "' AND usename = '" + role + "'").size());
                // wait until the backend is gone, so the next probe meets a dead connection
                await("terminated", Duration.ofSeconds(10), () -> TestSupport.query(PG.server(), "postgres",
                        "SELECT 1 FROM pg_stat_activity WHERE datname = '" + db + "' AND usename = '" + role + "'").isEmpty());
            }
            return List.of();
        }
    }

    @Test
    void perDatabaseConnectionKilled_isThatProbesError_notAnOutage_andReopens() {
        String db = PG.freshDatabase("victim");
        String role = TestSupport.createRole(PG.server(), "di_victim", true);
        FleetConfig cfg = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("multi").url(PG.server().jdbcUrlNoUser("postgres")).user(role)
                        .password("secret").build())
                .build();
        Killer killer = new Killer(db, role);
        List<dev.datainsight.collector.probe.Probe> probes = new ArrayList<>();
        for (dev.datainsight.collector.probe.Probe p : dev.datainsight.collector.probe.Probes.all()) {
            if (p instanceof dev.datainsight.collector.probe.TablesProbe) {
                probes.add(killer);
            }
            probes.add(p);
        }
        try (Collector c = new Collector(cfg, s -> { }, probes)) {
            List<Snapshot> second = c.collectOnce("multi");
            assertEquals(1, killer.killed.get(), "the collector held one connection to " + db + " while visiting it");
            SnapshotRow server = TestSupport.row(TestSupport.view(second, MetricCatalog.COLLECTOR_VIEW), Map.of("probe", ""));
            assertEquals(1.0, server.getValues().get("up"), "the instance stays up");
            SnapshotRow failed = TestSupport.row(TestSupport.view(second, MetricCatalog.COLLECTOR_VIEW), Map.of("probe", "pg_stat_user_tables"));
            assertEquals(1.0, failed.getValues().get("error"), "the killed connection is the tables probe's error");
            assertTrue(c.status("multi").probeErrors().get("pg_stat_user_tables").contains(db), c.status("multi").probeErrors().toString());
            assertTrue(TestSupport.query(PG.server(), "postgres", "SELECT 1 FROM pg_stat_activity WHERE datname = '" + db
                    + "' AND usename = '" + role + "'").isEmpty(), "no connection to " + db + " is kept after the cycle");
            killer.armed = false;
            List<Snapshot> third = c.collectOnce("multi");
            SnapshotRow tables = TestSupport.row(TestSupport.view(third, MetricCatalog.COLLECTOR_VIEW), Map.of("probe", "pg_stat_user_tables"));
            assertEquals(0.0, tables.getValues().get("error"), () -> "reopened: " + c.status("multi").probeErrors());
            assertTrue(TestSupport.view(third, "pg_stat_database").getRows().stream()
                    .anyMatch(r -> db.equals(r.getLabels().get("datname"))));
        }
    }

    @Test
    void kafkaStoppedAndRestarted_losesNoSnapshotWithinTheBuffer() {
        EmbeddedKafka kafka = EmbeddedKafka.start(KafkaExtension.tmpBase().resolve("kafka-res-" + UUID.randomUUID()));
        try {
            String metrics = "m-" + UUID.randomUUID();
            String statements = "s-" + UUID.randomUUID();
            kafka.createTopics(List.of(metrics, statements), 2);
            String db = PG.freshDatabase("res");
            TestSupport.exec(PG.server(), db, "CREATE EXTENSION pg_stat_statements");
            String role = TestSupport.createRole(PG.server(), "di_kafka", true);
            FleetConfig cfg = FleetConfig.builder()
                    .instance(FleetConfig.Instance.builder("k1").url(PG.server().jdbcUrlNoUser(db)).user(role)
                            .password("secret").intervals(Duration.ofMillis(250), Duration.ofSeconds(1)).build())
                    .build();
            ConcurrentLinkedQueue<String> published = new ConcurrentLinkedQueue<>();
            try (KafkaSnapshotSink sink = new KafkaSnapshotSink(kafka.bootstrapServers(), metrics, statements, 5_000, Map.of())) {
                SnapshotSink tee = s -> {
                    published.add(key(s));
                    sink.publish(s);
                };
                try (Collector c = new Collector(cfg, tee)) {
                    c.start();
                    await("some snapshots acked", Duration.ofSeconds(30), () -> sink.acked() >= 10);
                    kafka.stop();
                    int atStop = published.size();
                    await("snapshots buffered during the outage", Duration.ofSeconds(30), () -> published.size() >= atStop + 40);
                    kafka.restart();
                    int atRestart = published.size();
                    await("a few more after the restart", Duration.ofSeconds(30), () -> published.size() >= atRestart + 10);
                }
                assertTrue(sink.flush(Duration.ofSeconds(60)), "buffer drained after the broker returned");
                assertEquals(0, sink.dropped());
                assertEquals(0, sink.failed());
                assertEquals(published.size(), sink.acked());
            }
            Set<String> consumed = consume(kafka.bootstrapServers(), List.of(metrics, statements), published.size());
            Set<String> expected = new HashSet<>(published);
            assertEquals(expected.size(), published.size(), "keys are unique per snapshot");
            expected.removeAll(consumed);
            assertTrue(expected.isEmpty(), "lost snapshots: " + expected);
        } finally {
            kafka.close();
        }
    }

    @Test
    void fullBufferDropsTheOldest_countsThem_andRecovers() {
        EmbeddedKafka kafka = EmbeddedKafka.start(KafkaExtension.tmpBase().resolve("kafka-drop-" + UUID.randomUUID()));
        try {
            String metrics = "m-" + UUID.randomUUID();
            kafka.createTopic(metrics, 1);
            try (KafkaSnapshotSink sink = new KafkaSnapshotSink(kafka.bootstrapServers(), metrics, metrics, 10, Map.of())) {
                kafka.stop();
                for (int i = 0; i < 50; i++) {
                    sink.publish(synthetic(i));
                }
                assertTrue(sink.dropped() >= 39, "dropped " + sink.dropped());
                kafka.restart();
                assertTrue(sink.flush(Duration.ofSeconds(60)));
                assertEquals(50, sink.acked() + sink.dropped());
                Set<String> consumed = consume(kafka.bootstrapServers(), List.of(metrics), (int) sink.acked());
                assertEquals(sink.acked(), consumed.size());
                assertTrue(consumed.contains("drop|pg_stat_database|" + (1_700_000_000_000L + 49)), "the newest survive");
            }
        } finally {
            kafka.close();
        }
    }

    static Snapshot synthetic(int i) {
        dev.datainsight.model.MetricsSnapshot s = new dev.datainsight.model.MetricsSnapshot();
        s.setInstance("drop");
        s.setServerVersionNum(170000);
        s.setView("pg_stat_database");
        s.setCollectedAt(1_700_000_000_000L + i);
        return s;
    }

    static String key(Snapshot s) {
        return s.getInstance() + "|" + s.getView() + "|" + s.getCollectedAt();
    }

    static Set<String> consume(String bootstrap, List<String> topics, int expected) {
        Set<String> keys = new HashSet<>();
        WireCodec codec = new WireCodec();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : topics) {
                consumer.partitionsFor(t).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.currentTimeMillis() + 30_000;
            int records = 0;
            while (records < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    records++;
                    DecodeResult<Snapshot> d = codec.decodeSnapshot(r.value());
                    assertTrue(d.isOk(), () -> "undecodable record: " + d);
                    Snapshot s = d.value();
                    assertEquals(s.getInstance(), new String(r.key(), StandardCharsets.UTF_8), "key = instance id");
                    assertTrue(keys.add(key(s)), "duplicate on the topic: " + key(s));
                }
            }
        }
        return keys;
    }
}
