package dev.datainsight.collector;

import dev.datainsight.collector.probe.ProbeGroup;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The collector's own metrics, in a registry of its own (Prometheus Java client 1.x, as the
 * notifier's {@code NotifierMetrics}), served at {@code /metrics} by {@link CollectorHttpServer}.
 * Label {@code instance} is the fleet file's instance id, never a URL or a user; {@code group} is
 * {@code fast}, {@code slow} or {@code sizes}; docs/collector.md lists every series.
 *
 * <p>Per server:
 * <ul>
 *   <li>{@code datainsight_collector_up{instance}}: 1 when the latest fast cycle reached the
 *       server, 0 when it did not (absent until the first fast cycle has ended);</li>
 *   <li>{@code datainsight_collector_cycle_duration_seconds{instance,group}}: histogram of the
 *       runs of each group (a failed connection attempt counts as a short fast run);</li>
 *   <li>{@code datainsight_collector_last_cycle_timestamp_seconds{instance,group}}: when the
 *       latest run of the group ended (Unix time);</li>
 *   <li>{@code datainsight_collector_probe_errors_total{instance,probe,sqlstate}}: failed probe
 *       runs; {@code probe="connect"} for failed connection attempts, {@code sqlstate} the
 *       error's SQLSTATE ({@code 28P01} password, {@code 08001} refused, {@code 57014} statement
 *       timeout ...) or {@code none} when it has none;</li>
 *   <li>{@code datainsight_collector_runs_skipped_total{instance,group}}: ticks skipped because the
 *       group's previous run was still going (each one published as a {@code stale} health row);</li>
 *   <li>{@code datainsight_collector_runs_overdue_total{instance,group}}: runs stopped at their
 *       deadline with probes or databases left for the next run;</li>
 *   <li>{@code datainsight_collector_snapshots_published_total{instance}}: snapshots the sink
 *       took for good (Kafka: acknowledged by the broker).</li>
 * </ul>
 * For the process: {@code datainsight_collector_instances} (configured servers) and
 * {@code datainsight_collector_scheduler_tick_age_seconds} (since the scheduler last fired). With a
 * {@link KafkaSnapshotSink}: {@code datainsight_collector_kafka_queued_snapshots} and
 * {@code _queue_capacity_snapshots} (the buffer in front of the producer),
 * {@code _in_flight_records} (handed to the producer, not yet acknowledged),
 * {@code _stalled_seconds} (pending records without any broker answer for that long),
 * {@code _dropped_total} (buffer full, or publish after close), {@code _rejected_total} (refused
 * by the broker for good), {@code _acked_total}, and from the producer itself
 * {@code _buffer_available_bytes}, {@code _buffer_total_bytes}, {@code _record_queue_time_avg_seconds},
 * {@code _record_queue_time_max_seconds} and {@code _connections}.
 */
public final class CollectorMetrics {
    /** Cycle buckets, seconds: from a few local queries to a run that used its whole 60 s slow budget. */
    private static final double[] CYCLE_BOUNDS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
    /** Label value for an error without an SQLSTATE (a bug in a probe, a partial result without one). */
    static final String NO_SQLSTATE = "none";

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter probeErrors;
    private final Histogram cycleDuration;
    private final Counter skipped;
    private final Counter overdue;
    private final Counter published;
    private final Map<String, Double> lastCycleEnd = new ConcurrentHashMap<>();

    /**
     * Metrics of {@code collector}; the Kafka series are registered when its sink is a
     * {@link KafkaSnapshotSink}.
     */
    CollectorMetrics(Collector collector, SnapshotSink sink) {
        probeErrors = Counter.builder().name("datainsight_collector_probe_errors")
                .help("Failed probe runs by SQLSTATE; probe=connect for failed connection attempts")
                .labelNames("instance", "probe", "sqlstate").register(registry);
        cycleDuration = Histogram.builder().name("datainsight_collector_cycle_duration").unit(Unit.SECONDS)
                .help("Duration of the runs of each probe group").labelNames("instance", "group")
                .classicOnly().classicUpperBounds(CYCLE_BOUNDS).register(registry);
        skipped = Counter.builder().name("datainsight_collector_runs_skipped")
                .help("Ticks skipped because the group's previous run was still going (reported stale)")
                .labelNames("instance", "group").register(registry);
        overdue = Counter.builder().name("datainsight_collector_runs_overdue")
                .help("Runs stopped at their deadline, leaving probes or databases for the next run")
                .labelNames("instance", "group").register(registry);
        published = Counter.builder().name("datainsight_collector_snapshots_published")
                .help("Snapshots the sink took for good (Kafka: acknowledged by the broker)").labelNames("instance")
                .register(registry);
        GaugeWithCallback.builder().name("datainsight_collector_up")
                .help("1 when the latest fast cycle reached the server, 0 when it did not").labelNames("instance")
                .callback(cb -> collector.upByInstance().forEach((id, up) -> cb.call(up ? 1 : 0, id))).register(registry);
        GaugeWithCallback.builder().name("datainsight_collector_last_cycle_timestamp").unit(Unit.SECONDS)
                .help("When the latest run of the group ended (Unix time)").labelNames("instance", "group")
                .callback(cb -> lastCycleEnd.forEach((k, v) -> {
                    int slash = k.lastIndexOf('/');
                    cb.call(v, k.substring(0, slash), k.substring(slash + 1));
                })).register(registry);
        GaugeWithCallback.builder().name("datainsight_collector_instances").help("Servers in the fleet file")
                .callback(cb -> cb.call(collector.config().instances().size())).register(registry);
        GaugeWithCallback.builder().name("datainsight_collector_scheduler_tick_age").unit(Unit.SECONDS)
                .help("Since the scheduler last fired a run (NaN before start)")
                .callback(cb -> cb.call(collector.lastTickAgeMillis() / 1000.0)).register(registry);
        if (sink instanceof KafkaSnapshotSink k) {
            kafka(k);
        }
    }

    private void kafka(KafkaSnapshotSink k) {
        gauge("datainsight_collector_kafka_queued_snapshots", "Snapshots in the buffer in front of the producer",
                s -> s.queued(), k);
        gauge("datainsight_collector_kafka_queue_capacity_snapshots",
                "Snapshots the buffer holds before the oldest are dropped (kafka.buffer_records)", s -> s.capacity(), k);
        gauge("datainsight_collector_kafka_in_flight_records", "Records handed to the producer, not yet acknowledged",
                s -> s.inFlight(), k);
        GaugeWithCallback.builder().name("datainsight_collector_kafka_stalled").unit(Unit.SECONDS)
                .help("How long pending records have had no answer from the broker (0 while acks come or nothing is pending)")
                .callback(cb -> cb.call(k.stalledFor().toMillis() / 1000.0)).register(registry);
        counter("datainsight_collector_kafka_dropped", "Snapshots dropped: buffer full while Kafka was unreachable,"
                + " or published after close", KafkaSnapshotSink::dropped, k);
        counter("datainsight_collector_kafka_rejected", "Records the broker refused for good (e.g. too large)",
                KafkaSnapshotSink::failed, k);
        counter("datainsight_collector_kafka_acked", "Records the broker acknowledged", KafkaSnapshotSink::acked, k);
        GaugeWithCallback.builder().name("datainsight_collector_kafka_buffer_available").unit(Unit.BYTES)
                .help("Producer buffer memory not in use (producer metric buffer-available-bytes)")
                .callback(cb -> cb.call(k.producerMetric("buffer-available-bytes"))).register(registry);
        GaugeWithCallback.builder().name("datainsight_collector_kafka_buffer_total").unit(Unit.BYTES)
                .help("Producer buffer memory (producer metric buffer-total-bytes, buffer.memory)")
                .callback(cb -> cb.call(k.producerMetric("buffer-total-bytes"))).register(registry);
        GaugeWithCallback.builder().name("datainsight_collector_kafka_record_queue_time_avg").unit(Unit.SECONDS)
                .help("Average time a batch waited in the producer before it was sent (record-queue-time-avg)")
                .callback(cb -> cb.call(k.producerMetric("record-queue-time-avg") / 1000.0)).register(registry);
        GaugeWithCallback.builder().name("datainsight_collector_kafka_record_queue_time_max").unit(Unit.SECONDS)
                .help("Longest time a batch waited in the producer before it was sent (record-queue-time-max)")
                .callback(cb -> cb.call(k.producerMetric("record-queue-time-max") / 1000.0)).register(registry);
        gauge("datainsight_collector_kafka_connections", "Open producer connections to brokers (connection-count)",
                s -> s.producerMetric("connection-count"), k);
    }

    private void gauge(String name, String help, ToDoubleFunction<KafkaSnapshotSink> f, KafkaSnapshotSink k) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(f.applyAsDouble(k))).register(registry);
    }

    private void counter(String name, String help, ToDoubleFunction<KafkaSnapshotSink> f, KafkaSnapshotSink k) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(f.applyAsDouble(k))).register(registry);
    }

    private static String group(ProbeGroup g) {
        return g.name().toLowerCase(Locale.ROOT);
    }

    /** A probe run (or connection attempt, {@code probe = "connect"}) failed. */
    void probeFailed(String instance, String probe, String sqlState) {
        probeErrors.labelValues(instance, probe, sqlState == null || sqlState.isBlank() ? NO_SQLSTATE : sqlState).inc();
    }

    /** A run of {@code group} ended after {@code seconds}. */
    void cycleEnded(String instance, ProbeGroup g, double seconds) {
        cycleDuration.labelValues(instance, group(g)).observe(seconds);
        lastCycleEnd.put(instance + "/" + group(g), System.currentTimeMillis() / 1000.0);
    }

    /** A tick of {@code group} was skipped: its previous run was still going. */
    void runSkipped(String instance, ProbeGroup g) {
        skipped.labelValues(instance, group(g)).inc();
    }

    /** A run of {@code group} stopped at its deadline. */
    void runOverdue(String instance, ProbeGroup g) {
        overdue.labelValues(instance, group(g)).inc();
    }

    /** The sink took one of the instance's snapshots for good. */
    void published(String instance) {
        published.labelValues(instance).inc();
    }

    /** The registry holding these metrics (what {@code /metrics} exposes). */
    public PrometheusRegistry registry() {
        return registry;
    }
}
