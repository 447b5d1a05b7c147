package dev.datainsight.notify;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.DecodeResult;
import dev.datainsight.model.WireCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the alerts topic as a member of a Kafka consumer group and hands every event to each
 * {@link Notifier}, with retries ({@link RetryingDelivery}) and a {@link DeadLetterSink} for what
 * cannot be delivered.
 *
 * <p><b>At-least-once:</b> auto-commit is off; the offset of a record is committed only after
 * every target either accepted the event or its failure was written to the dead letter. A crash
 * or a stop in between means the record is read again on restart, so a target may see an event
 * twice, never zero times. Receivers de-duplicate on {@link Notifier#dedupKey(AlertEvent)} (the
 * webhook sends it as a header; Alertmanager merges equal label sets by itself).
 *
 * <p>Records of one partition are handled in order (the topic is keyed by fingerprint, so the
 * transitions of one alert arrive in order). {@link #run()} blocks until {@link #stop()}.
 */
public final class AlertConsumer implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AlertConsumer.class);

    /** Where to start when the group has no committed offset. */
    public enum StartFrom { EARLIEST, LATEST }

    /** Settings of one consumer. */
    public record Config(String bootstrapServers, String topic, String groupId, StartFrom startFrom,
            RetryPolicy retry, Duration pollTimeout) {
        public Config {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("bootstrap servers are required");
            }
            if (groupId == null || groupId.isBlank()) {
                throw new IllegalArgumentException("a consumer group id is required");
            }
        }

        public static Config defaults(String bootstrapServers, String topic, String groupId) {
            return new Config(bootstrapServers, topic, groupId, StartFrom.EARLIEST, RetryPolicy.DEFAULT, Duration.ofMillis(500));
        }
    }

    private final Config config;
    private final List<Notifier> targets;
    private final DeadLetterSink deadLetters;
    private final WireCodec codec = new WireCodec();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final RetryingDelivery delivery;
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopping;

    private final AtomicLong received = new AtomicLong();
    private final AtomicLong unreadable = new AtomicLong();
    private final AtomicLong committedRecords = new AtomicLong();
    private final Map<String, AtomicLong> delivered = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> deadLettered = new ConcurrentHashMap<>();

    public AlertConsumer(Config config, List<Notifier> targets, DeadLetterSink deadLetters) {
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no notification target configured");
        }
        this.config = config;
        this.targets = List.copyOf(targets);
        this.deadLetters = deadLetters;
        this.delivery = new RetryingDelivery(config.retry(), () -> stopping);
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, config.startFrom().name().toLowerCase(java.util.Locale.ROOT));
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "100");
        // Retries of a slow target may take a while; stay in the group meanwhile.
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, String.valueOf(Math.max(300_000L,
                maxRetryMillis(config.retry()) * 100 * Math.max(1, targets.size()))));
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "datainsight-notify-" + config.groupId());
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static long maxRetryMillis(RetryPolicy r) {
        long sum = 0;
        for (int i = 1; i < r.maxAttempts(); i++) {
            sum += r.backoffAfter(i).toMillis();
        }
        return sum + 10_000L * r.maxAttempts();
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(config.topic()));
            LOG.info("notifier group '{}' reading {} -> {} (dead letters: {})", config.groupId(), config.topic(),
                    targets.stream().map(Notifier::name).toList(), deadLetters.describe());
            while (!stopping) {
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(config.pollTimeout());
                } catch (WakeupException e) {
                    break;
                }
                Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
                long handled = 0;
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    if (!handle(r)) {
                        break; // stopping mid-record: it stays uncommitted and is read again
                    }
                    handled++;
                    done.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                }
                if (!done.isEmpty()) {
                    consumer.commitSync(done);
                    committedRecords.addAndGet(handled);
                }
                long now = System.currentTimeMillis();
                for (Notifier t : targets) {
                    t.tick(now);
                }
            }
        } catch (WakeupException e) {
            // stop() during commit: nothing else to do
        } finally {
            try {
                consumer.close(Duration.ofSeconds(5));
            } finally {
                finished.countDown();
            }
        }
    }

    /** Handles one record; false when stopping interrupted it (then it must not be committed). */
    private boolean handle(ConsumerRecord<byte[], byte[]> r) {
        received.incrementAndGet();
        DecodeResult<AlertEvent> d = codec.decodeAlert(r.value());
        if (!d.isOk()) {
            unreadable.incrementAndGet();
            LOG.warn("unreadable alert record at {}/{}/{}: {}", r.topic(), r.partition(), r.offset(), d.detail());
            try {
                deadLetters.writeUnreadable(WireCodec.deadLetter(r.value(), d.reason(), d.detail(), d.instance(),
                        r.topic(), r.partition(), r.offset(), r.timestamp(), System.currentTimeMillis()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write to the dead letter (" + deadLetters.describe()
                        + "); stopping without committing", e);
            }
            return true;
        }
        AlertEvent event = d.value();
        for (Notifier t : targets) {
            RetryingDelivery.Outcome o = delivery.deliver(t, event);
            if (o instanceof RetryingDelivery.Interrupted) {
                return false;
            }
            if (o instanceof RetryingDelivery.Delivered) {
                delivered.computeIfAbsent(t.name(), k -> new AtomicLong()).incrementAndGet();
            } else if (o instanceof RetryingDelivery.GaveUp g) {
                FailedDelivery f = new FailedDelivery(t.name(), g.attempts(), g.error(), System.currentTimeMillis(),
                        r.topic(), r.partition(), r.offset(), Notifier.dedupKey(event), event);
                try {
                    deadLetters.write(f);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write to the dead letter (" + deadLetters.describe()
                            + "); stopping without committing", e);
                }
                deadLettered.computeIfAbsent(t.name(), k -> new AtomicLong()).incrementAndGet();
            }
        }
        return true;
    }

    /** Asks the loop to stop after the record in hand; returns at once. */
    public void stop() {
        stopping = true;
        delivery.wake();
        if (finished.getCount() > 0) {
            consumer.wakeup();
        }
    }

    /** Waits until {@link #run()} has returned. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        stop();
    }

    public long received() {
        return received.get();
    }

    public long unreadable() {
        return unreadable.get();
    }

    /** Records whose offsets were committed (all their deliveries finished). */
    public long committed() {
        return committedRecords.get();
    }

    /** Successful deliveries per target name. */
    public Map<String, Long> delivered() {
        Map<String, Long> m = new HashMap<>();
        delivered.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** Dead-lettered deliveries per target name. */
    public Map<String, Long> deadLettered() {
        Map<String, Long> m = new HashMap<>();
        deadLettered.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }
}
