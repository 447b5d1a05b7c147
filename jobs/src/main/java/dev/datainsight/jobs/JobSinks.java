package dev.datainsight.jobs;

import dev.datainsight.jobs.sinks.StoreWriterFactory;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.DeadLetterRecord;
import org.apache.flink.api.connector.sink2.Sink;

/** Where the job writes; production writes Kafka and the store ({@link KafkaIO}), tests may plug their own. */
public interface JobSinks {
    /** Dead letters (parse, validation and late rejections). */
    Sink<DeadLetterRecord> deadLetters(JobConfig config);

    /** Alert events (keyed by fingerprint on Kafka). */
    Sink<AlertEvent> alerts(JobConfig config);

    /** Opens store writers for rollups, inventory, statements, alerts and insights. */
    StoreWriterFactory store(JobConfig config);
}
