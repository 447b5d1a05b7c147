package dev.datainsight.jobs.decode;

import dev.datainsight.jobs.JobNames;
import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.SourceRecord;
import dev.datainsight.jobs.records.StatementTexts;
import dev.datainsight.model.DecodeResult;
import dev.datainsight.model.QueryText;
import dev.datainsight.model.RejectReason;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.StatementsSnapshot;
import dev.datainsight.model.WireCodec;
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
 * Decodes and validates Kafka records inside the source. Nothing throws: a record the wire format
 * rejects, or that fails {@link SnapshotValidator}, becomes a dead letter carrying the reason and
 * the original bytes, and is counted under {@code datainsight.rejected.<reason>}.
 *
 * <p>When the full snapshot is not needed (rules disabled), a record first goes through
 * {@link CompactDecoder}, which streams the bytes straight into the compact form. Whatever it does
 * not vouch for takes the full path — {@link WireCodec}, the validator, {@link CompactSnapshot#of}
 * — which stays the authority on validity and rejection reasons, so the outcome is the same on
 * either path.
 */
public final class SnapshotDeserializer implements KafkaRecordDeserializationSchema<SourceRecord> {
    private static final long serialVersionUID = 1L;

    private final WireCodec codec;
    private final SnapshotValidator validator;
    private final boolean keepFull;
    private final CompactDecoder compact;
    /** Records the fast path decoded: tests check it is taken, not silently bypassed. */
    private transient long fastDecoded;
    private transient long fullPathDecoded;
    private transient Map<RejectReason, Counter> rejected;
    private transient Counter snapshots;
    private transient Counter samples;
    private transient Counter fullPathDecodes;

    /** @param keepFull also emit the fully decoded snapshot (needed by the rules) */
    public SnapshotDeserializer(WireCodec codec, SnapshotValidator validator, boolean keepFull) {
        this.codec = codec;
        this.validator = validator;
        this.keepFull = keepFull;
        this.compact = new CompactDecoder(codec, validator);
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        MetricGroup g = context.getMetricGroup().addGroup(JobNames.METRIC_GROUP);
        MetricGroup r = g.addGroup(JobNames.METRIC_REJECTED);
        rejected = new EnumMap<>(RejectReason.class);
        for (RejectReason reason : RejectReason.values()) {
            rejected.put(reason, r.counter(reason.code()));
        }
        snapshots = g.counter(JobNames.METRIC_SNAPSHOTS);
        samples = g.counter(JobNames.METRIC_SAMPLES);
        fullPathDecodes = g.counter(JobNames.METRIC_FULL_DECODES);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<SourceRecord> out) {
        out.collect(decode(record.value(), record.topic(), record.partition(), record.offset(), record.timestamp(),
                System.currentTimeMillis()));
    }

    /** Decodes one payload; public for tests and the benchmark baseline. */
    public SourceRecord decode(byte[] bytes, String topic, int partition, long offset, long kafkaTimestamp, long now) {
        if (!keepFull) {
            SourceRecord fast = compact.decode(bytes, now);
            if (fast != null) {
                fastDecoded++;
                countValid(fast);
                return fast;
            }
        }
        SourceRecord out = new SourceRecord();
        DecodeResult<Snapshot> d = codec.decodeSnapshot(bytes);
        if (!d.isOk()) {
            out.deadLetter = WireCodec.deadLetter(bytes, d.reason(), d.detail(), d.instance(), topic, partition, offset,
                    kafkaTimestamp, now);
            count(d.reason());
            return out;
        }
        Snapshot s = d.value();
        SnapshotValidator.Rejection rej = validator.validate(s, now);
        if (rej != null) {
            out.deadLetter = WireCodec.deadLetter(bytes, rej.reason(), rej.detail(), s.getInstance(), topic, partition,
                    offset, kafkaTimestamp, now);
            count(rej.reason());
            return out;
        }
        out.snapshot = CompactSnapshot.of(s);
        if (keepFull) {
            out.full = s;
        } else {
            fullPathDecoded++; // valid, yet not taken by the fast path: worth knowing if it is frequent
            if (fullPathDecodes != null) {
                fullPathDecodes.inc();
            }
        }
        if (s instanceof StatementsSnapshot st && !st.getTexts().isEmpty()) {
            List<QueryText> texts = st.getTexts();
            StatementTexts t = new StatementTexts();
            t.instance = s.getInstance();
            t.seenAt = s.getCollectedAt();
            t.queryids = new String[texts.size()];
            t.texts = new String[texts.size()];
            t.truncated = new boolean[texts.size()];
            for (int i = 0; i < texts.size(); i++) {
                t.queryids[i] = texts.get(i).queryid();
                t.texts[i] = texts.get(i).text();
                t.truncated[i] = texts.get(i).truncated();
            }
            out.texts = t;
        }
        countValid(out);
        return out;
    }

    /** How many records the fast path has decoded since this instance was created or deserialized. */
    long fastDecoded() {
        return fastDecoded;
    }

    /** Valid records the fast path declined and the wire codec decoded (only without the rules). */
    long fullPathDecoded() {
        return fullPathDecoded;
    }

    private void countValid(SourceRecord out) {
        if (snapshots != null) {
            snapshots.inc();
            samples.inc(out.snapshot.sampleCount());
        }
    }

    private void count(RejectReason reason) {
        if (rejected != null) {
            rejected.get(reason).inc();
        }
    }

    @Override
    public TypeInformation<SourceRecord> getProducedType() {
        return TypeInformation.of(SourceRecord.class);
    }
}
