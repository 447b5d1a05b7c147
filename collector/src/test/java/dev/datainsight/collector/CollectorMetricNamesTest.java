package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.probe.ProbeGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Pins the names and types of the collector's self-metrics, as scraped, so a rename is
 * deliberate; and every one of them is in docs/collector.md's table.
 */
class CollectorMetricNamesTest {
    private static final Map<String, String> EXPECTED = new TreeMap<>(Map.ofEntries(
            Map.entry("datainsight_collector_up", "gauge"),
            Map.entry("datainsight_collector_cycle_duration_seconds", "histogram"),
            Map.entry("datainsight_collector_last_cycle_timestamp_seconds", "gauge"),
            Map.entry("datainsight_collector_probe_errors_total", "counter"),
            Map.entry("datainsight_collector_runs_skipped_total", "counter"),
            Map.entry("datainsight_collector_runs_overdue_total", "counter"),
            Map.entry("datainsight_collector_snapshots_published_total", "counter"),
            Map.entry("datainsight_collector_instances", "gauge"),
            Map.entry("datainsight_collector_scheduler_tick_age_seconds", "gauge"),
            Map.entry("datainsight_collector_kafka_queued_snapshots", "gauge"),
            Map.entry("datainsight_collector_kafka_queue_capacity_snapshots", "gauge"),
            Map.entry("datainsight_collector_kafka_in_flight_records", "gauge"),
            Map.entry("datainsight_collector_kafka_stalled_seconds", "gauge"),
            Map.entry("datainsight_collector_kafka_acked_total", "counter"),
            Map.entry("datainsight_collector_kafka_dropped_total", "counter"),
            Map.entry("datainsight_collector_kafka_rejected_total", "counter"),
            Map.entry("datainsight_collector_kafka_buffer_available_bytes", "gauge"),
            Map.entry("datainsight_collector_kafka_buffer_total_bytes", "gauge"),
            Map.entry("datainsight_collector_kafka_record_queue_time_avg_seconds", "gauge"),
            Map.entry("datainsight_collector_kafka_record_queue_time_max_seconds", "gauge"),
            Map.entry("datainsight_collector_kafka_connections", "gauge")));

    @Test
    void scrapedNamesAndTypes_arePinned_andDocumented() throws Exception {
        FleetConfig cfg = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("a").url("jdbc:postgresql://127.0.0.1:1/x").user("u").build())
                .build();
        // A producer needs no broker to exist; nothing is sent.
        try (KafkaSnapshotSink sink = new KafkaSnapshotSink("127.0.0.1:1");
                Collector c = new Collector(cfg, sink);
                CollectorHttpServer srv = CollectorHttpServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), c)) {
            // Labelled series appear once they have a value: one real (refused) connection attempt
            // gives up and the connect error, the rest are recorded directly.
            c.collectOnce("a");
            CollectorMetrics m = c.metrics();
            m.cycleEnded("a", ProbeGroup.FAST, 0.01);
            m.runSkipped("a", ProbeGroup.SLOW);
            m.runOverdue("a", ProbeGroup.SLOW);
            m.published("a");
            String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + srv.port()
                    + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            Map<String, String> got = new TreeMap<>();
            Matcher t = Pattern.compile("(?m)^# TYPE (\\S+) (\\S+)$").matcher(body);
            while (t.find()) {
                got.put(t.group(1), t.group(2));
            }
            assertEquals(EXPECTED, got);
            assertTrue(body.contains("datainsight_collector_probe_errors_total{instance=\"a\",probe=\"connect\",sqlstate=\"08001\"} 1.0"),
                    body);
            assertTrue(body.contains("datainsight_collector_up{instance=\"a\"} 0.0"), body);
        }
        String docs = Files.readString(Path.of("..", "docs", "collector.md"));
        for (String name : EXPECTED.keySet()) {
            assertTrue(docs.contains("| `" + name + "` |"), "docs/collector.md lists " + name);
        }
    }
}
