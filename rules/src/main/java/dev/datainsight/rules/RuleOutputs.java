package dev.datainsight.rules;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.store.InsightRow;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * What {@link RulesPipeline#attach} returns: alert events (one per lifecycle transition; the job
 * sends them to the alerts topic keyed by fingerprint and to {@code alert_event}) and insight rows
 * (upserted into {@code insight}).
 */
public final class RuleOutputs {
    private final DataStream<AlertEvent> alerts;
    private final DataStream<InsightRow> insights;

    public RuleOutputs(DataStream<AlertEvent> alerts, DataStream<InsightRow> insights) {
        this.alerts = alerts;
        this.insights = insights;
    }

    /** FIRING (new, escalated, re-notified) and RESOLVED events; never PENDING. */
    public DataStream<AlertEvent> alerts() {
        return alerts;
    }

    public DataStream<InsightRow> insights() {
        return insights;
    }
}
