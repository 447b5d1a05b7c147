package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.embedded.EmbeddedKafka;
import dev.datainsight.embedded.FreePorts;
import dev.datainsight.embedded.KafkaExtension;
import dev.datainsight.embedded.PostgresExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A collector with three servers (one live, one refusing its password, one on a dead port) on a
 * real PostgreSQL, publishing to a real broker of its own: its {@code /metrics}, scraped over
 * HTTP, shows up = 1 / 0 / 0, the connection errors by SQLSTATE (28P01, 08001), cycle durations of
 * every group, snapshots published and the Kafka sink's state; {@code /health} is 200 while Kafka
 * acknowledges, 503 (saying why) once the broker is stopped, 200 again after it returns, and 503
 * after the collector is closed; the containers' {@link HealthCheck} passes and fails with it. No
 * password, URL or port of a server appears in either.
 */
class SelfMetricsITCase {
    /** SqlStateTest's server (same settings, so one server for both): passwords are checked over TCP. */
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17, Map.of("hba_file", SqlStateTest.HBA.toString()));

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void metricsShowUpErrorsBySqlStateAndKafka_andHealthFollowsTheBroker() throws Exception {
        String role = TestSupport.createRole(PG.server(), "di_self", true);
        String wrongPassword = "wrong-" + UUID.randomUUID();
        int deadPort = FreePorts.next();
        String url = PG.server().jdbcUrlNoUser("postgres");
        Duration fast = Duration.ofMillis(200);
        Duration slow = Duration.ofSeconds(1);
        FleetConfig cfg = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("live").url(url).user(role).password("secret").intervals(fast, slow).build())
                .instance(FleetConfig.Instance.builder("badpw").url(url).user(role).password(wrongPassword).intervals(fast, slow)
                        .build())
                .instance(FleetConfig.Instance.builder("deadport").url("jdbc:postgresql://127.0.0.1:" + deadPort + "/postgres")
                        .user(role).password("secret").intervals(fast, slow).build())
                .sizesInterval(Duration.ofSeconds(1))
                .maxBackoff(Duration.ofSeconds(1))
                .build();
        EmbeddedKafka kafka = EmbeddedKafka.start(KafkaExtension.tmpBase().resolve("kafka-self-" + UUID.randomUUID()));
        try {
            String metricsTopic = "m-" + UUID.randomUUID();
            String statementsTopic = "s-" + UUID.randomUUID();
            kafka.createTopics(List.of(metricsTopic, statementsTopic), 1);
            try (KafkaSnapshotSink sink = new KafkaSnapshotSink(kafka.bootstrapServers(), metricsTopic, statementsTopic, 5_000,
                    Map.of());
                    Collector c = new Collector(cfg, sink);
                    CollectorHttpServer srv = CollectorHttpServer.start(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), c, Duration.ofSeconds(2))) {
                URI base = URI.create("http://127.0.0.1:" + srv.port());
                HttpResponse<String> before = get(base, "/health");
                assertEquals(503, before.statusCode(), before.body());
                assertTrue(before.body().contains("collector not started"), before.body());

                c.start();
                Map<String, Map<Map<String, String>, Double>> m = awaitMetrics(base, "every group ran and both errors were counted",
                        s -> value(s, "datainsight_collector_up", "instance", "live") == 1.0
                                && value(s, "datainsight_collector_up", "instance", "badpw") == 0.0
                                && value(s, "datainsight_collector_up", "instance", "deadport") == 0.0
                                && value(s, "datainsight_collector_probe_errors_total", "instance", "badpw", "probe", "connect",
                                        "sqlstate", "28P01") >= 1
                                && value(s, "datainsight_collector_probe_errors_total", "instance", "deadport", "probe", "connect",
                                        "sqlstate", "08001") >= 1
                                && value(s, "datainsight_collector_cycle_duration_seconds_count", "instance", "live", "group", "fast") >= 3
                                && value(s, "datainsight_collector_cycle_duration_seconds_count", "instance", "live", "group", "slow") >= 1
                                && value(s, "datainsight_collector_cycle_duration_seconds_count", "instance", "live", "group", "sizes") >= 1
                                && value(s, "datainsight_collector_snapshots_published_total", "instance", "live") >= 5);
                // The live server never failed to connect; the dead ones never produced a slow run.
                assertEquals(-1.0, value(m, "datainsight_collector_probe_errors_total", "instance", "live", "probe", "connect"));
                assertEquals(-1.0, value(m, "datainsight_collector_cycle_duration_seconds_count", "instance", "badpw", "group", "slow"));
                assertTrue(value(m, "datainsight_collector_cycle_duration_seconds_sum", "instance", "live", "group", "slow") > 0);
                assertEquals(3.0, value(m, "datainsight_collector_instances"));
                assertTrue(value(m, "datainsight_collector_scheduler_tick_age_seconds") < 5);
                assertTrue(value(m, "datainsight_collector_last_cycle_timestamp_seconds", "instance", "live", "group", "fast")
                        > System.currentTimeMillis() / 1000.0 - 60);
                // Every published snapshot was acknowledged by the broker first.
                double published = 0;
                for (Map.Entry<Map<String, String>, Double> e : m.get("datainsight_collector_snapshots_published_total").entrySet()) {
                    published += e.getValue();
                }
                double acked = value(m, "datainsight_collector_kafka_acked_total");
                assertTrue(acked >= published && published > 0, "acked " + acked + ", published " + published);
                assertEquals(0.0, value(m, "datainsight_collector_kafka_dropped_total"));
                assertEquals(5000.0, value(m, "datainsight_collector_kafka_queue_capacity_snapshots"));
                assertEquals(32.0 * 1024 * 1024, value(m, "datainsight_collector_kafka_buffer_total_bytes"), "buffer.memory");
                assertTrue(value(m, "datainsight_collector_kafka_buffer_available_bytes") > 0);
                assertTrue(value(m, "datainsight_collector_kafka_connections") >= 1);

                String text = get(base, "/metrics").body();
                for (String secret : List.of("secret", wrongPassword, "jdbc:", ":" + PG.server().port(), ":" + deadPort, role)) {
                    assertFalse(text.contains(secret), "/metrics shows " + secret);
                }

                HttpResponse<String> ok = get(base, "/health");
                assertEquals(200, ok.statusCode(), ok.body());
                JsonNode h = json.readTree(ok.body());
                assertEquals("up", h.get("status").asText());
                assertEquals(3, h.get("instances").get("total").asInt());
                assertEquals(1, h.get("instances").get("up").asInt());
                assertEquals(2, h.get("instances").get("down").asInt());
                List<String> downIds = new ArrayList<>();
                h.get("instances").get("down_ids").forEach(n -> downIds.add(n.asText()));
                assertEquals(List.of("badpw", "deadport"), downIds.stream().sorted().toList());
                assertEquals(0, h.get("kafka").get("dropped").asInt());
                assertTrue(HealthCheck.check(base.resolve("/health").toString()), "the container check passes on 200");
                for (String secret : List.of("secret", wrongPassword, "jdbc:")) {
                    assertFalse(ok.body().contains(secret), "/health shows " + secret);
                }

                kafka.stop();
                HttpResponse<String> down = awaitHealth(base, 503, Duration.ofSeconds(30));
                JsonNode d = json.readTree(down.body());
                assertEquals("down", d.get("status").asText());
                assertTrue(d.get("reasons").get(0).asText().startsWith("Kafka not acknowledging"), down.body());
                assertTrue(d.get("kafka").get("queued").asInt() + d.get("kafka").get("in_flight").asInt() > 0, down.body());
                assertEquals(1, d.get("instances").get("up").asInt(), "the servers are still collected: " + down.body());
                assertFalse(HealthCheck.check(base.resolve("/health").toString()), "the container check fails on 503");
                Map<String, Map<Map<String, String>, Double>> during = scrape(base);
                assertTrue(value(during, "datainsight_collector_kafka_stalled_seconds") > 2, "stalled past the limit");
                assertTrue(value(during, "datainsight_collector_kafka_in_flight_records")
                        + value(during, "datainsight_collector_kafka_queued_snapshots") > 0);

                kafka.restart();
                HttpResponse<String> back = awaitHealth(base, 200, Duration.ofSeconds(60));
                assertEquals("up", json.readTree(back.body()).get("status").asText());

                c.close();
                HttpResponse<String> closed = get(base, "/health");
                assertEquals(503, closed.statusCode());
                assertTrue(closed.body().contains("collector stopped"), closed.body());
            }
            assertFalse(HealthCheck.check("http://127.0.0.1:" + FreePorts.next() + "/health"), "nothing listening");
        } finally {
            kafka.close();
        }
    }

    private HttpResponse<String> get(URI base, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> awaitHealth(URI base, int status, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> r = get(base, "/health");
        while (r.statusCode() != status) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("/health did not become " + status + " in " + timeout + ": " + r.statusCode() + " " + r.body());
            }
            Thread.sleep(100);
            r = get(base, "/health");
        }
        return r;
    }

    private Map<String, Map<Map<String, String>, Double>> awaitMetrics(URI base, String what,
            Predicate<Map<String, Map<Map<String, String>, Double>>> ok) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Map<String, Map<Map<String, String>, Double>> m = scrape(base);
        while (!ok.test(m)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what + "; last scrape:\n" + get(base, "/metrics").body());
            }
            Thread.sleep(100);
            m = scrape(base);
        }
        return m;
    }

    /** The Prometheus text format as name → labels → value (comments skipped). */
    private Map<String, Map<Map<String, String>, Double>> scrape(URI base) throws Exception {
        HttpResponse<String> r = get(base, "/metrics");
        assertEquals(200, r.statusCode());
        Map<String, Map<Map<String, String>, Double>> out = new LinkedHashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String name = brace >= 0 && brace < space ? line.substring(0, brace) : line.substring(0, space);
            Map<String, String> labels = new LinkedHashMap<>();
            if (brace >= 0 && brace < space) {
                String inner = line.substring(brace + 1, line.lastIndexOf('}'));
                for (String pair : inner.split(",(?=[a-zA-Z_]+=\")")) {
                    int eq = pair.indexOf('=');
                    labels.put(pair.substring(0, eq), pair.substring(eq + 2, pair.length() - 1));
                }
            }
            out.computeIfAbsent(name, k -> new LinkedHashMap<>()).put(labels, Double.parseDouble(line.substring(space + 1)));
        }
        return out;
    }

    /** The value of the series of {@code name} whose labels include {@code kv}; -1 when there is none. */
    private static double value(Map<String, Map<Map<String, String>, Double>> m, String name, String... kv) {
        Map<Map<String, String>, Double> series = m.get(name);
        if (series == null) {
            return -1;
        }
        outer:
        for (Map.Entry<Map<String, String>, Double> e : series.entrySet()) {
            for (int i = 0; i < kv.length; i += 2) {
                if (!kv[i + 1].equals(e.getKey().get(kv[i]))) {
                    continue outer;
                }
            }
            return e.getValue();
        }
        return -1;
    }
}
