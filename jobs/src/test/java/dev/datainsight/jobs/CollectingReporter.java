package dev.datainsight.jobs;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A metric reporter for a test's own MiniCluster: keeps every metric registered (also after its
 * task ended: the metric objects keep their last values) with its job and operator names, so a
 * test reads what a reporter such as Prometheus' would export.
 */
public final class CollectingReporter implements MetricReporter {
    /** One registered metric. */
    public record Entry(String job, String operator, String name, String identifier, Metric metric) {}

    static final List<Entry> METRICS = new CopyOnWriteArrayList<>();

    /** The cluster configuration that installs this reporter. */
    public static Configuration install(Configuration c) {
        c.setString("metrics.reporter.collect.factory.class", Factory.class.getName());
        return c;
    }

    /** The sum of the counters called {@code name} (e.g. {@code datainsight.store.retries}) of a job's operators whose name contains {@code operator}. */
    public static long sum(String job, String operator, String name) {
        long s = 0;
        for (Entry e : METRICS) {
            if (job.equals(e.job()) && (operator == null || e.operator() != null && e.operator().contains(operator))
                    && e.identifier().endsWith(name) && e.metric() instanceof Counter c) {
                s += c.getCount();
            }
        }
        return s;
    }

    /** Every metric of a job whose identifier ends with {@code name}. */
    public static List<Entry> find(String job, String name) {
        return METRICS.stream().filter(e -> job.equals(e.job()) && e.identifier().endsWith(name)).toList();
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
        Map<String, String> v = group.getAllVariables();
        METRICS.add(new Entry(v.get("<job_name>"), v.get("<operator_name>"), metricName,
                group.getMetricIdentifier(metricName), metric));
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {
        // kept: the test reads the last values after the job ended
    }

    /** Creates the reporter (named in the cluster configuration). */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new CollectingReporter();
        }
    }
}
