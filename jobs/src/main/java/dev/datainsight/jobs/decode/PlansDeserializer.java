package dev.datainsight.jobs.decode;

import dev.datainsight.jobs.JobNames;
import dev.datainsight.jobs.records.CapturedPlan;
import dev.datainsight.jobs.records.PlanRecord;
import dev.datainsight.model.DecodeResult;
import dev.datainsight.model.PlansSnapshot;
import dev.datainsight.model.QueryPlan;
import dev.datainsight.model.RejectReason;
import dev.datainsight.model.WireCodec;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Decodes and validates plans snapshots inside the plans source ({@link WireCodec#decodePlans},
 * then the snapshots' time bounds of {@link SnapshotValidator}). Nothing throws: a record the wire
 * format rejects, one outside the time bounds, or a {@code captured} entry without fingerprint
 * becomes a dead letter with the reason and the original bytes, counted under
 * {@code datainsight.rejected.<reason>} like a bad snapshot. Only captured plans go on; skipped,
 * no-privilege and failed entries are the collector's report and stay on the topic.
 */
public final class PlansDeserializer implements KafkaRecordDeserializationSchema<PlanRecord> {
    private static final long serialVersionUID = 1L;

    private final WireCodec codec;
    private final SnapshotValidator validator;
    private transient Map<RejectReason, Counter> rejected;
    private transient Counter plans;

    public PlansDeserializer(WireCodec codec, SnapshotValidator validator) {
        this.codec = codec;
        this.validator = validator;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        MetricGroup g = context.getMetricGroup().addGroup(JobNames.METRIC_GROUP);
        MetricGroup r = g.addGroup(JobNames.METRIC_REJECTED);
        rejected = new EnumMap<>(RejectReason.class);
        for (RejectReason reason : RejectReason.values()) {
            rejected.put(reason, r.counter(reason.code()));
        }
        plans = g.counter(JobNames.METRIC_PLANS);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<PlanRecord> out) {
        out.collect(decode(record.value(), record.topic(), record.partition(), record.offset(), record.timestamp(),
                System.currentTimeMillis()));
    }

    /** Decodes one payload; public for tests. */
    public PlanRecord decode(byte[] bytes, String topic, int partition, long offset, long kafkaTimestamp, long now) {
        PlanRecord out = new PlanRecord();
        DecodeResult<PlansSnapshot> d = codec.decodePlans(bytes);
        if (!d.isOk()) {
            out.deadLetter = WireCodec.deadLetter(bytes, d.reason(), d.detail(), d.instance(), topic, partition, offset,
                    kafkaTimestamp, now);
            count(d.reason());
            return out;
        }
        PlansSnapshot s = d.value();
        SnapshotValidator.Rejection rej = validator.validate(s, now);
        if (rej == null) {
            rej = missingFingerprint(s);
        }
        if (rej != null) {
            out.deadLetter = WireCodec.deadLetter(bytes, rej.reason(), rej.detail(), s.getInstance(), topic, partition,
                    offset, kafkaTimestamp, now);
            count(rej.reason());
            return out;
        }
        List<String> labels = new ArrayList<>();
        s.getLabels().forEach((k, v) -> {
            labels.add(k);
            labels.add(v);
        });
        String[] labelPairs = labels.toArray(new String[0]);
        List<CapturedPlan> captured = new ArrayList<>();
        for (QueryPlan p : s.getPlans()) {
            if (!QueryPlan.CAPTURED.equals(p.status())) {
                continue;
            }
            CapturedPlan c = new CapturedPlan();
            c.instance = s.getInstance();
            c.datname = p.datname() == null ? "" : p.datname();
            c.queryid = p.queryid();
            c.rolname = p.rolname();
            c.fingerprint = p.fingerprint();
            c.summary = p.summary() == null ? "" : p.summary();
            c.plan = p.plan();
            c.truncated = p.truncated();
            c.planBytes = p.planBytes();
            c.totalCost = p.totalCost();
            c.capturedAt = s.getCollectedAt();
            c.labels = labelPairs;
            captured.add(c);
        }
        out.plans = captured.toArray(new CapturedPlan[0]);
        out.collectedAt = s.getCollectedAt();
        if (plans != null) {
            plans.inc(captured.size());
        }
        return out;
    }

    /** A captured plan must carry its fingerprint (the plan history's identity of a plan). */
    private static SnapshotValidator.Rejection missingFingerprint(PlansSnapshot s) {
        int i = 0;
        for (QueryPlan p : s.getPlans()) {
            if (QueryPlan.CAPTURED.equals(p.status()) && (p.fingerprint() == null || p.fingerprint().isBlank())) {
                return new SnapshotValidator.Rejection(RejectReason.MISSING_FIELD,
                        "plans[" + i + "] is captured but has no fingerprint");
            }
            i++;
        }
        return null;
    }

    private void count(RejectReason reason) {
        if (rejected != null) {
            rejected.get(reason).inc();
        }
    }

    @Override
    public TypeInformation<PlanRecord> getProducedType() {
        return TypeInformation.of(PlanRecord.class);
    }
}
