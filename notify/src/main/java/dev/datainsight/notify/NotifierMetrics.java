package dev.datainsight.notify;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The notifier's own metrics, in a registry of its own (Prometheus Java client 1.x), served at
 * {@code /metrics} by {@link NotifierHttpServer}. Per target ({@code target} = the notifier's
 * name, e.g. {@code webhook https://hooks.example.org/pg}):
 * <ul>
 *   <li>{@code datainsight_notify_deliveries_total{target,outcome}}: events a target finished,
 *       {@code outcome} = {@code delivered} or {@code dead_lettered};</li>
 *   <li>{@code datainsight_notify_delivery_failures_total{target}}: failed attempts (each retry
 *       counts; a delivered event after two failures adds 2);</li>
 *   <li>{@code datainsight_notify_delivery_latency_seconds{target}}: histogram of the time from the
 *       alert record's Kafka timestamp to its acceptance by the target (queueing, retries and the
 *       request itself);</li>
 *   <li>{@code datainsight_notify_queued_events{target}}: the target's backlog;</li>
 *   <li>{@code datainsight_notify_alertmanager_firing{target}}: alerts an Alertmanager bridge
 *       keeps firing (re-posts each resend interval), and
 *       {@code datainsight_notify_alertmanager_repost_failures_total{target}}: re-posts that failed.</li>
 * </ul>
 * and for the consumer: {@code datainsight_notify_events_received_total},
 * {@code datainsight_notify_events_unreadable_total}, {@code datainsight_notify_events_committed_total},
 * {@code datainsight_notify_assigned_partitions}, {@code datainsight_notify_up} (1 while the
 * consumer polls, see {@link AlertConsumer#health()}).
 */
public final class NotifierMetrics {
    /** Latency buckets, seconds: from a quick local hop to a target that needed every retry. */
    private static final double[] LATENCY_BOUNDS = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    final Counter received;
    final Counter unreadable;
    final Counter committed;
    final Counter deliveries;
    final Counter failures;
    final Histogram latency;

    NotifierMetrics(Supplier<Map<String, Integer>> queued, Supplier<Map<String, Integer>> firing,
            Supplier<Map<String, Long>> repostFailures, Supplier<Integer> assignedPartitions, Supplier<Boolean> up) {
        received = Counter.builder().name("datainsight_notify_events_received").help("Alert records read from the topic")
                .register(registry);
        unreadable = Counter.builder().name("datainsight_notify_events_unreadable")
                .help("Alert records that could not be decoded (sent to the dead letter)").register(registry);
        committed = Counter.builder().name("datainsight_notify_events_committed")
                .help("Alert records whose offsets were committed (every target finished them)").register(registry);
        deliveries = Counter.builder().name("datainsight_notify_deliveries")
                .help("Events a target finished, by outcome: delivered or dead_lettered").labelNames("target", "outcome")
                .register(registry);
        failures = Counter.builder().name("datainsight_notify_delivery_failures")
                .help("Failed delivery attempts (each retry counts)").labelNames("target").register(registry);
        latency = Histogram.builder().name("datainsight_notify_delivery_latency").unit(Unit.SECONDS)
                .help("From the alert record's Kafka timestamp to its acceptance by the target").labelNames("target")
                .classicOnly().classicUpperBounds(LATENCY_BOUNDS).register(registry);
        GaugeWithCallback.builder().name("datainsight_notify_queued_events").help("Events waiting in a target's queue")
                .labelNames("target").callback(cb -> queued.get().forEach((t, n) -> cb.call(n, t))).register(registry);
        GaugeWithCallback.builder().name("datainsight_notify_alertmanager_firing")
                .help("Alerts an Alertmanager bridge keeps firing (re-posted each resend interval)").labelNames("target")
                .callback(cb -> firing.get().forEach((t, n) -> cb.call(n, t))).register(registry);
        CounterWithCallback.builder().name("datainsight_notify_alertmanager_repost_failures")
                .help("Periodic re-posts of the firing alerts that failed (a lasting failure lets them lapse at endsAt)")
                .labelNames("target").callback(cb -> repostFailures.get().forEach((t, n) -> cb.call(n, t))).register(registry);
        GaugeWithCallback.builder().name("datainsight_notify_assigned_partitions")
                .help("Partitions of the alerts topic this notifier owns").callback(cb -> cb.call(assignedPartitions.get()))
                .register(registry);
        GaugeWithCallback.builder().name("datainsight_notify_up").help("1 while the consumer is running and polling")
                .callback(cb -> cb.call(up.get() ? 1 : 0)).register(registry);
    }

    /** The registry holding these metrics (what {@code /metrics} exposes). */
    public PrometheusRegistry registry() {
        return registry;
    }
}
