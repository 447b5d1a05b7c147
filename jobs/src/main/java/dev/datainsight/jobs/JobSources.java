package dev.datainsight.jobs;

import dev.datainsight.jobs.decode.PlansDeserializer;
import dev.datainsight.jobs.decode.SnapshotDeserializer;
import dev.datainsight.jobs.records.PlanRecord;
import dev.datainsight.jobs.records.SourceRecord;
import org.apache.flink.api.connector.source.Source;

/** Where snapshots come from; production reads Kafka ({@link KafkaIO}), tests may plug their own. */
public interface JobSources {
    /** The source of decoded records, using {@code deserializer} for every payload. */
    Source<SourceRecord, ?, ?> snapshots(JobConfig config, SnapshotDeserializer deserializer);

    /**
     * The source of decoded plans snapshots (the collector's plans topic), using
     * {@code deserializer} for every payload; null when there is none (no plans topic configured,
     * or a test source of snapshots only): the job then keeps no plan history.
     */
    default Source<PlanRecord, ?, ?> plans(JobConfig config, PlansDeserializer deserializer) {
        return null;
    }
}
