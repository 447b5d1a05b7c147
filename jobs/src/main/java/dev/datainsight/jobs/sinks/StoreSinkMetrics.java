package dev.datainsight.jobs.sinks;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The metrics of one store sink subtask, in group {@code datainsight.store} of the sink operator:
 * {@code rowsWritten}, {@code batchesWritten} (store calls that succeeded), {@code retries}
 * (transient errors retried), {@code rowsDeadLettered} (rows the store refused), {@code splits}
 * (calls split to isolate refused rows), {@code writeLatencyMs} (histogram of the last 1,000
 * calls) and {@code lastWriteLatencyMs}. Updated by the writer thread, read by the reporters.
 */
public final class StoreSinkMetrics {
    /** The job's metric group ({@code JobNames.METRIC_GROUP}) and this sink's. */
    public static final String JOB_GROUP = "datainsight";
    public static final String GROUP = "store";

    final Counter rowsWritten = new ThreadSafeSimpleCounter();
    final Counter batchesWritten = new ThreadSafeSimpleCounter();
    final Counter retries = new ThreadSafeSimpleCounter();
    final Counter rowsDeadLettered = new ThreadSafeSimpleCounter();
    final Counter splits = new ThreadSafeSimpleCounter();
    final Histogram writeLatencyMs = new DescriptiveStatisticsHistogram(1000);
    private volatile long lastWriteLatencyMs;

    /** Not registered anywhere (tests, tools). */
    public StoreSinkMetrics() {}

    /** Registered in {@code datainsight.store} of {@code operator}. */
    public StoreSinkMetrics(MetricGroup operator) {
        MetricGroup g = operator.addGroup(JOB_GROUP).addGroup(GROUP);
        g.counter("rowsWritten", rowsWritten);
        g.counter("batchesWritten", batchesWritten);
        g.counter("retries", retries);
        g.counter("rowsDeadLettered", rowsDeadLettered);
        g.counter("splits", splits);
        g.histogram("writeLatencyMs", writeLatencyMs);
        g.gauge("lastWriteLatencyMs", () -> lastWriteLatencyMs);
    }

    void wrote(long ms) {
        batchesWritten.inc();
        writeLatencyMs.update(ms);
        lastWriteLatencyMs = ms;
    }

    public long rowsWritten() {
        return rowsWritten.getCount();
    }

    public long batchesWritten() {
        return batchesWritten.getCount();
    }

    public long retries() {
        return retries.getCount();
    }

    public long rowsDeadLettered() {
        return rowsDeadLettered.getCount();
    }

    public long splits() {
        return splits.getCount();
    }
}
