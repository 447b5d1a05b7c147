package dev.datainsight.store;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link PartitionMaintenance} on a schedule, on one daemon thread: first right away, then
 * every {@code interval}. A failed run is logged and retried at the next tick; it never stops the
 * schedule; a run with per-table problems is logged at WARN (and recorded in {@code store_health}).
 * {@code datainsight maintain --every} (the deployment's maintenance service) and the demo start
 * one and close it on shutdown; the job does not.
 */
public final class MaintenanceScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MaintenanceScheduler.class);

    /** Default interval: hourly is plenty with partitions created days ahead. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofHours(1);

    private final PartitionMaintenance maintenance;
    private final Duration interval;
    private final ScheduledExecutorService executor;
    private final AtomicReference<PartitionMaintenance.Report> lastReport = new AtomicReference<>();
    private final AtomicReference<Exception> lastError = new AtomicReference<>();

    private MaintenanceScheduler(PartitionMaintenance maintenance, Duration interval) {
        this.maintenance = Objects.requireNonNull(maintenance, "maintenance");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, was " + interval);
        }
        this.interval = interval;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "datainsight-partition-maintenance");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the schedule: one run now, then one every {@code interval}. */
    public static MaintenanceScheduler start(PartitionMaintenance maintenance, Duration interval) {
        MaintenanceScheduler s = new MaintenanceScheduler(maintenance, interval);
        s.executor.scheduleWithFixedDelay(s::runOnce, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("partition maintenance scheduled every {}", interval);
        return s;
    }

    /** Runs maintenance now, on the caller's thread, and records the outcome. */
    public PartitionMaintenance.Report runOnce() {
        try {
            PartitionMaintenance.Report r = maintenance.run();
            lastReport.set(r);
            lastError.set(null);
            for (String line : r.lines()) {
                LOG.info("partition maintenance: {}", line);
            }
            if (!r.ok()) {
                // Per-table problems were logged as they happened; this line is the one to alert on.
                LOG.warn("partition maintenance finished with problems on {} (see store_health)",
                        r.health().stream().filter(h -> !h.ok()).map(PartitionMaintenance.TableHealth::table).toList());
            }
            return r;
        } catch (Exception e) {
            lastError.set(e);
            LOG.error("partition maintenance failed (retrying in {}): {}", interval, e.getMessage(), e);
            return null;
        }
    }

    /** The report of the last successful run, or null before the first one. */
    public PartitionMaintenance.Report lastReport() {
        return lastReport.get();
    }

    /** The failure of the last run, or null when it succeeded. */
    public Exception lastError() {
        return lastError.get();
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
