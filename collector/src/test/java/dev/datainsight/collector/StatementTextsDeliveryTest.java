package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.probe.StatementsProbe;
import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.QueryText;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.StatementsSnapshot;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Query texts count as sent only once the snapshot carrying them was delivered. */
class StatementTextsDeliveryTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);
    /** The module's shared broker (a topic of this test's own): the size limit is the client's, not the broker's. */
    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    /** Keeps the test's statement busy so that it is published in every cycle. */
    private static Thread workload(String db, AtomicBoolean stop) {
        Thread t = new Thread(() -> {
            try (Connection c = PG.server().connect(db); Statement st = c.createStatement()) {
                while (!stop.get()) {
                    st.execute("SELECT pg_sleep(0.05), count(*) FROM txt_t");
                }
            } catch (Exception e) {
                if (!stop.get()) {
                    throw new IllegalStateException(e);
                }
            }
        }, "txt-workload");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static FleetConfig config(String db, String role) {
        return FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("txt").url(PG.server().jdbcUrlNoUser(db)).user(role)
                        .password("secret").intervals(Duration.ofSeconds(30), Duration.ofMillis(700)).build())
                .build();
    }

    private static boolean carries(StatementsSnapshot s, String marker) {
        return s.getTexts().stream().map(QueryText::text).anyMatch(x -> x.contains(marker));
    }

    @Test
    void aDroppedSnapshotsTexts_areSentAgain_andOnlyUntilOneIsDelivered() throws Exception {
        String db = PG.freshDatabase("txt");
        TestSupport.exec(PG.server(), db, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", "CREATE TABLE txt_t (id int)");
        String role = TestSupport.createRole(PG.server(), "di_txt", true);
        List<StatementsSnapshot> got = Collections.synchronizedList(new ArrayList<>());
        SnapshotSink sink = new SnapshotSink() {
            @Override
            public void publish(Snapshot s) {
                throw new AssertionError("the collector passes a delivery callback");
            }

            @Override
            public void publish(Snapshot s, Runnable onDelivered) {
                if (s instanceof StatementsSnapshot st) {
                    got.add(st);
                    if (carries(st, "txt_t") && got.stream().filter(x -> carries(x, "txt_t")).count() <= 2) {
                        return; // the first two snapshots with the text are lost (dropped, rejected)
                    }
                }
                onDelivered.run();
            }
        };
        AtomicBoolean stop = new AtomicBoolean();
        Thread w = workload(db, stop);
        try {
            TestSupport.sleep(300);
            try (Collector c = new Collector(config(db, role), sink, List.of(new StatementsProbe()))) {
                c.start();
                ResilienceTest.await("six statements snapshots", Duration.ofSeconds(60), () -> got.size() >= 6);
            }
        } finally {
            stop.set(true);
            w.join(5_000);
        }
        List<StatementsSnapshot> snaps;
        synchronized (got) {
            snaps = new ArrayList<>(got);
        }
        List<Integer> with = new ArrayList<>();
        for (int i = 0; i < snaps.size(); i++) {
            if (carries(snaps.get(i), "txt_t")) {
                with.add(i);
            }
        }
        assertEquals(3, with.size(), "sent until delivered, then not again: " + with);
        assertEquals(List.of(with.get(0), with.get(0) + 1, with.get(0) + 2), with, "sent in consecutive cycles");
    }

    @Test
    void aPublishedTextIsResent_afterResendAfterCycles_soAJobThatLostItRecovers() throws Exception {
        String db = PG.freshDatabase("txr");
        TestSupport.exec(PG.server(), db, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", "CREATE TABLE txt_t (id int)");
        String role = TestSupport.createRole(PG.server(), "di_txr", true);
        List<Integer> with = new ArrayList<>();
        try (Collector c = new Collector(config(db, role), s -> { }, List.of(new StatementsProbe()));
                Connection conn = PG.server().connect(db); Statement st = conn.createStatement()) {
            int cycles = StatementsProbe.RESEND_AFTER_CYCLES + StatementsProbe.RESEND_READ_EVERY + 2;
            for (int i = 0; i < cycles; i++) {
                st.execute("SELECT pg_sleep(0.02), count(*) FROM txt_t");
                StatementsSnapshot s = (StatementsSnapshot) TestSupport.view(c.collectOnce("txt"), "pg_stat_statements");
                if (carries(s, "txt_t")) {
                    with.add(i);
                }
            }
        }
        assertEquals(2, with.size(), "sent once, re-sent once within the window: " + with);
        int gap = with.get(1) - with.get(0);
        assertTrue(gap >= StatementsProbe.RESEND_AFTER_CYCLES
                && gap < StatementsProbe.RESEND_AFTER_CYCLES + StatementsProbe.RESEND_READ_EVERY, "re-sent after " + gap);
    }

    @Test
    void kafkaSink_runsTheCallbackOnTheAck_andNeverForARejectedSnapshot() {
        String topic = KAFKA.newTopic("t", 1);
        AtomicInteger delivered = new AtomicInteger();
        try (KafkaSnapshotSink sink = new KafkaSnapshotSink(KAFKA.bootstrapServers(), topic, topic, 100,
                Map.of("max.request.size", 20_000))) {
            StatementsSnapshot small = snapshot(10);
            StatementsSnapshot huge = snapshot(50_000);
            sink.publish(small, delivered::incrementAndGet);
            sink.publish(huge, () -> delivered.addAndGet(100));
            assertTrue(sink.flush(Duration.ofSeconds(60)));
            assertEquals(1, sink.acked());
            assertEquals(1, sink.failed(), "too large: rejected for good");
            assertEquals(1, delivered.get(), "only the acknowledged snapshot counts as delivered");
        }
    }

    private static StatementsSnapshot snapshot(int textChars) {
        StatementsSnapshot s = new StatementsSnapshot();
        s.setInstance("txt");
        s.setServerVersionNum(170000);
        s.setCollectedAt(System.currentTimeMillis());
        s.setView("pg_stat_statements");
        s.setLabels(Map.of());
        s.setRows(new ArrayList<>());
        s.setExtensionVersion("1.11");
        java.util.Random rnd = new java.util.Random(textChars);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < textChars; i++) {
            text.append((char) ('a' + rnd.nextInt(26))); // incompressible enough to stay large
        }
        s.setTexts(new ArrayList<>(List.of(new QueryText("1", text.toString(), false))));
        assertFalse(s.getTexts().isEmpty());
        return s;
    }
}
