package dev.datainsight.jobs;

import dev.datainsight.jobs.sinks.StoreWriterFactory;
import dev.datainsight.model.Snapshot;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * Wires the rules module's outputs to the job's sinks: alerts to the alerts topic (keyed by
 * fingerprint) and the alert_event table, insights to the insight table.
 */
final class RulesWiring {
    private RulesWiring() {}

    static void attach(DataStream<Snapshot> snapshots, JobConfig c, JobSinks sinks, StoreWriterFactory store) {
        throw new UnsupportedOperationException(
                "rules.enabled is set but this build has no rules module entry point (dev.datainsight.rules.RulesPipeline)");
    }
}
