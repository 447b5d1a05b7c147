package dev.datainsight.jobs;

import dev.datainsight.jobs.decode.PlansDeserializer;
import dev.datainsight.jobs.decode.SnapshotDeserializer;
import dev.datainsight.jobs.records.PlanRecord;
import dev.datainsight.jobs.records.SourceRecord;
import dev.datainsight.jobs.sinks.StoreWriterFactory;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.WireCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/** Production I/O: KafkaSource for snapshots, KafkaSink for dead letters and alerts, JDBC store. */
public final class KafkaIO implements JobSources, JobSinks {

    @Override
    public Source<SourceRecord, ?, ?> snapshots(JobConfig c, SnapshotDeserializer deserializer) {
        return source(c, deserializer);
    }

    /** The snapshot source with any deserializer (tests wrap the job's own to inject a fault). */
    public static Source<SourceRecord, ?, ?> source(JobConfig c, KafkaRecordDeserializationSchema<SourceRecord> deserializer) {
        KafkaSourceBuilder<SourceRecord> b = KafkaSource.<SourceRecord>builder()
                .setBootstrapServers(c.kafka().bootstrapServers())
                .setTopics(c.kafka().sourceTopics())
                .setGroupId(c.kafka().groupId())
                .setDeserializer(deserializer)
                .setStartingOffsets(startingOffsets(c.kafka().startingOffsets()))
                .setProperties(consumerProperties(c));
        if (c.kafka().bounded()) {
            b.setBounded(OffsetsInitializer.latest());
        }
        return b.build();
    }

    /** The plans source: the plans topic with the snapshot source's group, offsets, bounds and properties. */
    @Override
    public Source<PlanRecord, ?, ?> plans(JobConfig c, PlansDeserializer deserializer) {
        if (!c.kafka().readsPlans()) {
            return null;
        }
        KafkaSourceBuilder<PlanRecord> b = KafkaSource.<PlanRecord>builder()
                .setBootstrapServers(c.kafka().bootstrapServers())
                .setTopics(c.kafka().plansTopic())
                .setGroupId(c.kafka().groupId())
                .setDeserializer(deserializer)
                .setStartingOffsets(startingOffsets(c.kafka().startingOffsets()))
                .setProperties(consumerProperties(c));
        if (c.kafka().bounded()) {
            b.setBounded(OffsetsInitializer.latest());
        }
        return b.build();
    }

    @SuppressWarnings("deprecation")
    static OffsetsInitializer startingOffsets(JobConfig.StartingOffsets s) {
        return switch (s) {
            case EARLIEST -> OffsetsInitializer.earliest();
            case LATEST -> OffsetsInitializer.latest();
            case COMMITTED -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        };
    }

    @Override
    public Sink<DeadLetterRecord> deadLetters(JobConfig c) {
        return KafkaSink.<DeadLetterRecord>builder()
                .setBootstrapServers(c.kafka().bootstrapServers())
                .setKafkaProducerConfig(producerProperties(c))
                .setRecordSerializer(KafkaRecordSerializationSchema.<DeadLetterRecord>builder()
                        .setTopic(c.kafka().deadLetterTopic())
                        .setKeySerializationSchema(new DeadLetterKey())
                        .setValueSerializationSchema(new DeadLetterValue())
                        .build())
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .build();
    }

    @Override
    public Sink<AlertEvent> alerts(JobConfig c) {
        return KafkaSink.<AlertEvent>builder()
                .setBootstrapServers(c.kafka().bootstrapServers())
                .setKafkaProducerConfig(producerProperties(c))
                .setRecordSerializer(KafkaRecordSerializationSchema.<AlertEvent>builder()
                        .setTopic(c.kafka().alertsTopic())
                        .setKeySerializationSchema(new AlertKey())
                        .setValueSerializationSchema(new AlertValue())
                        .build())
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .build();
    }

    @Override
    public StoreWriterFactory store(JobConfig c) {
        return StoreAccess.writerFactory(c.store());
    }

    /**
     * The consumer properties of the snapshot source: the job's own, then {@code kafka.properties}
     * (TLS, SASL, client tuning), which win.
     */
    public static Properties consumerProperties(JobConfig c) {
        Properties p = new Properties();
        p.setProperty("commit.offsets.on.checkpoint", "true");
        p.setProperty("partition.discovery.interval.ms", c.kafka().bounded() ? "-1" : "60000");
        p.putAll(c.kafka().properties());
        return p;
    }

    /** The producer properties of the dead-letter and alert sinks: the job's own, then {@code kafka.properties}. */
    public static Properties producerProperties(JobConfig c) {
        Properties p = new Properties();
        p.setProperty("compression.type", "lz4");
        p.setProperty("linger.ms", "20");
        p.putAll(c.kafka().properties());
        return p;
    }

    /** The admin client's properties (topic creation): {@code kafka.properties} and the brokers. */
    public static Properties adminProperties(JobConfig c) {
        Properties p = new Properties();
        p.putAll(c.kafka().properties());
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, c.kafka().bootstrapServers());
        return p;
    }

    /** Creates the job's topics that do not exist yet (KafkaSource fails on a missing topic). */
    public static void createTopics(JobConfig c) {
        if (c.kafka().createTopicsPartitions() <= 0) {
            return;
        }
        try (Admin admin = Admin.create(adminProperties(c))) {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = new ArrayList<>();
            List<String> topics = new ArrayList<>(c.kafka().sourceTopics());
            topics.add(c.kafka().deadLetterTopic());
            topics.add(c.kafka().alertsTopic());
            if (c.kafka().readsPlans()) {
                topics.add(c.kafka().plansTopic());
            }
            for (String t : topics) {
                if (!existing.contains(t)) {
                    missing.add(new NewTopic(t, c.kafka().createTopicsPartitions(), (short) 1));
                }
            }
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get();
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot create Kafka topics at " + c.kafka().bootstrapServers() + ": " + e, e);
        }
    }

    static final class DeadLetterKey implements SerializationSchema<DeadLetterRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        public byte[] serialize(DeadLetterRecord d) {
            return d.getInstance() == null ? null : d.getInstance().getBytes(StandardCharsets.UTF_8);
        }
    }

    static final class DeadLetterValue implements SerializationSchema<DeadLetterRecord> {
        private static final long serialVersionUID = 1L;
        private static final WireCodec CODEC = new WireCodec();

        @Override
        public byte[] serialize(DeadLetterRecord d) {
            return CODEC.encode(d);
        }
    }

    static final class AlertKey implements SerializationSchema<AlertEvent> {
        private static final long serialVersionUID = 1L;

        @Override
        public byte[] serialize(AlertEvent a) {
            return a.getFingerprint() == null ? null : a.getFingerprint().getBytes(StandardCharsets.UTF_8);
        }
    }

    static final class AlertValue implements SerializationSchema<AlertEvent> {
        private static final long serialVersionUID = 1L;
        private static final WireCodec CODEC = new WireCodec();

        @Override
        public byte[] serialize(AlertEvent a) {
            return CODEC.encode(a);
        }
    }
}
