package dev.datainsight.jobs;

import dev.datainsight.jobs.decode.SnapshotDeserializer;
import dev.datainsight.jobs.records.SourceRecord;
import org.apache.flink.api.connector.source.Source;

/** Where snapshots come from; production reads Kafka ({@link KafkaIO}), tests may plug their own. */
public interface JobSources {
    /** The source of decoded records, using {@code deserializer} for every payload. */
    Source<SourceRecord, ?, ?> snapshots(JobConfig config, SnapshotDeserializer deserializer);
}
