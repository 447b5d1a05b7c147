package dev.datainsight.rules;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.store.InsightRow;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * What {@link RulesPipeline#attach} returns: alert events (one per lifecycle transition; the job
 * sends them to the alerts topic keyed by fingerprint and to {@code alert_event}) and insight rows
 * (upserted into {@code insight}), and the rule operators' internal-error dead letters.
 */
public final class RuleOutputs {
    private final DataStream<AlertEvent> alerts;
    private final DataStream<InsightRow> insights;
    private final DataStream<DeadLetterRecord> deadLetters;

    public RuleOutputs(DataStream<AlertEvent> alerts, DataStream<InsightRow> insights,
            DataStream<DeadLetterRecord> deadLetters) {
        this.alerts = alerts;
        this.insights = insights;
        this.deadLetters = deadLetters;
    }

    /** Internal-error dead letters of the evaluator and the lifecycle (the job sends them to its dead-letter topic). */
    public DataStream<DeadLetterRecord> deadLetters() {
        return deadLetters;
    }

    /** FIRING (new, escalated, re-notified) and RESOLVED events; never PENDING. */
    public DataStream<AlertEvent> alerts() {
        return alerts;
    }

    public DataStream<InsightRow> insights() {
        return insights;
    }
}
