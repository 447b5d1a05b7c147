package dev.datainsight.collector;

import dev.datainsight.collector.logs.LogSink;
import dev.datainsight.collector.logs.LogsProbe;
import dev.datainsight.collector.probe.Probe;
import dev.datainsight.collector.probe.ProbeGroup;
import dev.datainsight.collector.probe.Probes;
import dev.datainsight.model.Snapshot;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector: runs every probe against every server of a {@link FleetConfig} on each server's
 * own schedule and hands the snapshots to a {@link SnapshotSink}.
 *
 * <p>Scheduling: one ticker thread fires each instance's fast, slow and sizes groups at their intervals
 * and hands the run to a shared worker pool. Per server the fast group and the slow/sizes groups
 * run on separate connections (at most {@value InstanceSession#MAX_CONNECTIONS} per server), so a
 * slow run never delays the fast one. A run that is still going when its next tick comes is not
 * queued: the tick is skipped (counted) and reported as a health snapshot with {@code stale = 1};
 * a run past its deadline (its interval, at least the statement timeout) stops visiting probes
 * and databases, and one still blocked in a statement has its connection aborted. A slow or dead
 * server thus occupies at most one worker per group and never delays the others. A server that cannot be reached yields {@code up=0} health rows at its fast
 * interval and is retried with exponential backoff (1 s doubling up to {@code max_backoff}).
 *
 * <p>The collector reports on itself: {@link #metrics()} (per-server up, cycle durations, probe
 * errors by SQLSTATE, the Kafka sink's buffer) and {@link #health}, served by
 * {@link CollectorHttpServer}.
 *
 * <pre>{@code
 * try (KafkaSnapshotSink sink = new KafkaSnapshotSink("localhost:9092");
 *      Collector c = new Collector(FleetConfig.load(Path.of("fleet.yaml")), sink)) {
 *     c.start();
 *     ...
 * }
 * }</pre>
 */
public final class Collector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Collector.class);

    private final FleetConfig config;
    private final SnapshotSink sink;
    private final List<Probe> probes;
    private final Clock clock;
    private final Map<String, InstanceSession> sessions = new LinkedHashMap<>();
    private final Map<String, AtomicBoolean> running = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong skippedRuns = new AtomicLong();
    private final CollectorMetrics metrics;
    /** System.nanoTime() of the scheduler's latest tick (0 before start). */
    private volatile long lastTickNanos;
    private volatile boolean closed;
    private volatile ScheduledExecutorService ticker;
    private ExecutorService workers;

    /**
     * A collector running all built-in probes, plus log collection ({@link LogsProbe}) when an
     * instance has {@code logs.enabled} and the sink takes log batches.
     */
    public Collector(FleetConfig config, SnapshotSink sink) {
        this(config, sink, withLogs(Probes.all(), config, sink));
    }

    /** {@code probes} plus a {@link LogsProbe} when an instance collects its log and the sink is a {@link LogSink}. */
    public static List<Probe> withLogs(List<Probe> probes, FleetConfig config, SnapshotSink sink) {
        boolean any = config.instances().stream().anyMatch(i -> i.logs().enabled());
        if (!any || !(sink instanceof LogSink ls)) {
            return probes;
        }
        List<Probe> all = new java.util.ArrayList<>(probes);
        all.add(new LogsProbe(id -> {
            FleetConfig.Instance i = config.instance(id);
            return i == null ? null : i.logs();
        }, config.logs(), ls));
        return all;
    }

    /** A collector running the given probes (tests and embedders may add their own). */
    public Collector(FleetConfig config, SnapshotSink sink, List<Probe> probes) {
        this(config, sink, probes, Clock.systemUTC());
    }

    /**
     * A collector whose snapshots are stamped ({@code collected_at}) from {@code clock}; schedules,
     * timeouts and reconnect backoff stay on real time. Tests pass an accelerated clock to cover
     * hours of event time in seconds.
     */
    public Collector(FleetConfig config, SnapshotSink sink, List<Probe> probes, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.probes = List.copyOf(probes);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.metrics = new CollectorMetrics(this, sink);
        for (FleetConfig.Instance i : config.instances()) {
            sessions.put(i.id(), new InstanceSession(i, config, this.probes, clock, metrics));
        }
    }

    /** Starts the schedules; returns at once. */
    public synchronized void start() {
        if (ticker != null) {
            throw new IllegalStateException("collector already started");
        }
        AtomicInteger n = new AtomicInteger();
        ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "datainsight-collector-ticker"));
        workers = Executors.newFixedThreadPool(config.workers(),
                r -> daemon(r, "datainsight-collector-" + n.incrementAndGet()));
        lastTickNanos = System.nanoTime();
        int count = sessions.size();
        int idx = 0;
        for (InstanceSession s : sessions.values()) {
            FleetConfig.Intervals iv = s.instance().intervals();
            // Spread first runs over the interval so a large fleet does not fire all at once.
            long fastDelay = count <= 1 ? 0 : iv.fast().toMillis() * idx / count;
            long slowDelay = count <= 1 ? 0 : iv.slow().toMillis() * idx / count;
            ticker.scheduleAtFixedRate(() -> dispatch(s, ProbeGroup.FAST), fastDelay, iv.fast().toMillis(), TimeUnit.MILLISECONDS);
            ticker.scheduleAtFixedRate(() -> dispatch(s, ProbeGroup.SLOW), slowDelay, iv.slow().toMillis(), TimeUnit.MILLISECONDS);
            long sizes = config.sizesInterval().toMillis();
            ticker.scheduleAtFixedRate(() -> dispatch(s, ProbeGroup.SIZES), count <= 1 ? 0 : sizes * idx / count, sizes,
                    TimeUnit.MILLISECONDS);
            idx++;
        }
        LOG.info("collector started: {} instances, {} probes, {} workers", count, probes.size(), config.workers());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void dispatch(InstanceSession s, ProbeGroup group) {
        lastTickNanos = System.nanoTime();
        AtomicBoolean busy = running.computeIfAbsent(s.instance().id() + "/" + group, k -> new AtomicBoolean());
        if (!busy.compareAndSet(false, true)) {
            // The previous run of this group is still going (or queued): never queue behind it.
            // Report the group stale, and free a lane blocked past its deadline.
            skippedRuns.incrementAndGet();
            metrics.runSkipped(s.instance().id(), group);
            s.abortOverdue(group);
            publish(s, s.staleSnapshots(group));
            return;
        }
        try {
            workers.execute(() -> {
                try {
                    publish(s, s.tryCollect(group));
                } catch (RuntimeException e) {
                    LOG.error("[{}] collection failed", s.instance().id(), e);
                } finally {
                    busy.set(false);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            busy.set(false);
        }
    }

    private void publish(InstanceSession s, List<Snapshot> snaps) {
        for (Snapshot snap : snaps) {
            try {
                sink.publish(snap, () -> {
                    s.delivered(snap);
                    metrics.published(s.instance().id());
                });
            } catch (RuntimeException e) {
                LOG.error("[{}] publishing failed", s.instance().id(), e);
            }
        }
    }

    /**
     * Runs every probe (both groups) against one configured instance now and returns the
     * snapshots, health included; nothing is published. The caller takes the snapshots: their
     * query texts count as delivered.
     */
    public List<Snapshot> collectOnce(String instanceId) {
        InstanceSession s = sessions.get(instanceId);
        if (s == null) {
            throw new IllegalArgumentException("no instance '" + instanceId + "' in the configuration");
        }
        List<Snapshot> out = s.collect(EnumSet.allOf(ProbeGroup.class));
        out.forEach(s::delivered);
        return out;
    }

    /** As {@link #collectOnce(String)}; an instance not in the configuration gets a throw-away session. */
    public List<Snapshot> collectOnce(FleetConfig.Instance instance) {
        InstanceSession s = sessions.get(instance.id());
        if (s != null && s.instance() == instance) {
            return s.collect(EnumSet.allOf(ProbeGroup.class));
        }
        try (InstanceSession tmp = new InstanceSession(instance, config, probes, clock, null)) {
            return tmp.collect(EnumSet.allOf(ProbeGroup.class));
        }
    }

    /** Status of one instance after its latest cycle. */
    public InstanceStatus status(String instanceId) {
        InstanceSession s = sessions.get(instanceId);
        if (s == null) {
            throw new IllegalArgumentException("no instance '" + instanceId + "' in the configuration");
        }
        return s.status();
    }

    /** Runs skipped because the previous run of the same instance and group was still going. */
    public long skippedRuns() {
        return skippedRuns.get();
    }

    public FleetConfig config() {
        return config;
    }

    /** This collector's own metrics ({@code /metrics}, see {@link CollectorHttpServer}). */
    public CollectorMetrics metrics() {
        return metrics;
    }

    /** Per instance id, whether its latest fast cycle reached the server; instances without a finished fast cycle are left out. */
    Map<String, Boolean> upByInstance() {
        Map<String, Boolean> m = new LinkedHashMap<>();
        for (InstanceSession s : sessions.values()) {
            Boolean up = s.upOrNull();
            if (up != null) {
                m.put(s.instance().id(), up);
            }
        }
        return m;
    }

    /** Milliseconds since the scheduler last fired a run; NaN before {@link #start()}. */
    double lastTickAgeMillis() {
        long t = lastTickNanos;
        return t == 0 ? Double.NaN : (System.nanoTime() - t) / 1e6;
    }

    /**
     * The scheduler is silent for longer than this: three times the shortest schedule, at least
     * 10 s (a fleet's ticker fires at least once per shortest interval).
     */
    Duration schedulerSilenceLimit() {
        long shortest = config.sizesInterval().toMillis();
        for (FleetConfig.Instance i : config.instances()) {
            shortest = Math.min(shortest, Math.min(i.intervals().fast().toMillis(), i.intervals().slow().toMillis()));
        }
        return Duration.ofMillis(Math.max(10_000, 3 * shortest));
    }

    /**
     * Whether this collector works: started and not closed, its scheduler firing, and (with a
     * {@link KafkaSnapshotSink}) the sink open and not stalled for longer than
     * {@code kafkaStallLimit}. Servers that are down do not make the collector unhealthy (they are
     * its data: {@code up = 0}); the counts are in the result.
     */
    public CollectorHealth health(Duration kafkaStallLimit) {
        List<String> reasons = new java.util.ArrayList<>();
        ScheduledExecutorService t = ticker;
        double tickAge = lastTickAgeMillis();
        if (closed) {
            reasons.add("collector stopped");
        } else if (t == null) {
            reasons.add("collector not started");
        } else if (t.isShutdown() || tickAge > schedulerSilenceLimit().toMillis()) {
            reasons.add("scheduler stalled: no run fired for " + Math.round(tickAge / 1000) + " s");
        }
        CollectorHealth.Kafka kafka = null;
        if (sink instanceof KafkaSnapshotSink k) {
            Duration stalled = k.stalledFor();
            kafka = new CollectorHealth.Kafka(k.queued(), k.inFlight(), stalled.toMillis(), k.dropped(), k.failed());
            if (k.isClosed()) {
                reasons.add("Kafka producer closed");
            } else if (stalled.compareTo(kafkaStallLimit) > 0) {
                reasons.add("Kafka not acknowledging: " + (k.queued() + k.inFlight()) + " records pending for "
                        + stalled.toSeconds() + " s");
            }
        }
        List<String> down = new java.util.ArrayList<>();
        int up = 0;
        Map<String, Boolean> ups = upByInstance();
        for (Map.Entry<String, Boolean> e : ups.entrySet()) {
            if (e.getValue()) {
                up++;
            } else {
                down.add(e.getKey());
            }
        }
        return new CollectorHealth(reasons.isEmpty(), List.copyOf(reasons), sessions.size(), up, List.copyOf(down),
                sessions.size() - ups.size(), Double.isNaN(tickAge) ? -1 : Math.round(tickAge), kafka);
    }

    /** Stops the schedules, waits up to 10 s for running cycles, closes every connection. */
    @Override
    public synchronized void close() {
        closed = true;
        if (ticker != null) {
            ticker.shutdownNow();
            workers.shutdown();
            try {
                if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                    workers.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        sessions.values().forEach(InstanceSession::close);
    }
}
