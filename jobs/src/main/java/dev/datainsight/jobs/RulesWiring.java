package dev.datainsight.jobs;

import static dev.datainsight.jobs.JobNames.*;

import dev.datainsight.jobs.sinks.SimpleBuffers;
import dev.datainsight.jobs.sinks.StoreWriterFactory;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.InternalErrors;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.RuleOutputs;
import dev.datainsight.rules.RulesConfig;
import dev.datainsight.rules.RulesPipeline;
import java.nio.file.Path;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * Wires the rules module ({@link RulesPipeline}) to the job: it reads the validated snapshots
 * (event time and watermarks already assigned by the source); its alerts go to the alerts topic
 * (keyed by fingerprint) and the alert_event table, its insights to the insight table, its
 * internal-error dead letters back to the job's dead-letter sink.
 */
final class RulesWiring {
    private RulesWiring() {}

    /** Attaches the rules; returns their dead letters (internal errors) for the job's one dead-letter sink. */
    static DataStream<DeadLetterRecord> attach(DataStream<Snapshot> snapshots, JobConfig c, JobSinks sinks,
            StoreWriterFactory store, InternalErrors.FaultInjection faults) {
        RulesConfig rules = c.rules().file() == null || c.rules().file().isBlank() ? RulesConfig.defaults()
                : RulesConfig.load(Path.of(c.rules().file()));
        RuleOutputs out = RulesPipeline.attach(snapshots, rules, faults);
        DataStream<AlertEvent> alerts = out.alerts();
        alerts.sinkTo(sinks.alerts(c)).uid(UID_SINK_ALERTS_KAFKA).name(NAME_SINK_ALERTS_KAFKA);
        alerts.sinkTo(DataInsightJob.storeSink(store, new SimpleBuffers.Alerts(), c, sinks))
                .uid(UID_SINK_ALERTS_STORE).name(NAME_SINK_ALERTS_STORE);
        out.insights().sinkTo(DataInsightJob.storeSink(store, new SimpleBuffers.Insights(), c, sinks))
                .uid(UID_SINK_INSIGHTS).name(NAME_SINK_INSIGHTS);
        return out.deadLetters();
    }
}
