package dev.datainsight.jobs.records;

import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.Snapshot;

/**
 * What the Kafka source emits for one Kafka record: either a valid snapshot (compact form, plus
 * the full decoded snapshot when the rules need it, plus new query texts) or a dead letter. It is
 * decoded inside the source so that event time and watermarks are per Kafka partition and a
 * record with a bad timestamp never moves a watermark. It never crosses the network (the next
 * operator is chained).
 */
public class SourceRecord {
    /** The valid snapshot, or null when rejected. */
    public CompactSnapshot snapshot;
    /** The decoded snapshot for the rules; only set when rules are enabled. */
    public Snapshot full;
    /** New query texts of a statements snapshot, or null. */
    public StatementTexts texts;
    /** The rejection, or null when valid. */
    public DeadLetterRecord deadLetter;

    public SourceRecord() {}

    /** Event time: the collection time of a valid snapshot; rejected records never advance watermarks. */
    public long eventTime() {
        return snapshot != null ? snapshot.collectedAt : Long.MIN_VALUE;
    }
}
