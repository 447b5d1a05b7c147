package dev.datainsight.collector;

import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotKind;
import dev.datainsight.model.WireCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes snapshots to Kafka: metrics snapshots to the metrics topic, pg_stat_statements
 * snapshots to the statements topic, plans snapshots to the plans topic, server log batches
 * ({@link dev.datainsight.model.LogBatch}) to the logs topic, key = instance id (one server's snapshots stay ordered in
 * one partition), value = the wire JSON ({@link WireCodec}).
 *
 * <p>The producer is idempotent with {@code acks=all}, lz4 compression and an unbounded delivery
 * timeout, so a record it accepted is retried until the broker takes it, in order. In front of
 * it sits a bounded queue of {@code bufferRecords} snapshots that {@link #publish} never blocks
 * on: while Kafka is unreachable, snapshots wait there (and in the producer's own buffer); when
 * the queue is full the oldest snapshot is dropped, counted in {@link #dropped()} and logged.
 * When the broker returns, the sender drains the queue by itself.
 */
public final class KafkaSnapshotSink implements SnapshotSink, dev.datainsight.collector.logs.LogSink {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSnapshotSink.class);

    private final String metricsTopic;
    private final String statementsTopic;
    private final String plansTopic;
    private final String logsTopic;
    private final dev.datainsight.model.LogBatchCodec logCodec = new dev.datainsight.model.LogBatchCodec();
    private final int capacity;
    private final WireCodec codec = new WireCodec();
    private final KafkaProducer<byte[], byte[]> producer;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final Thread sender;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    /** Records handed to the producer whose outcome (ack or rejection) is not known yet. */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    /**
     * When the sink last made progress: an ack or rejection came back, or work arrived while
     * nothing was pending (an idle sink never counts as stalled). See {@link #stalledFor()}.
     */
    private volatile long lastProgressNanos = System.nanoTime();
    private volatile boolean closing;
    private volatile boolean stalled;
    private final ThreadLocal<Boolean> inSend = ThreadLocal.withInitial(() -> false);
    private long lastDropLog;

    /** A sink with the default topics and a buffer of 10,000 snapshots. */
    public KafkaSnapshotSink(String bootstrapServers) {
        this(bootstrapServers, FleetConfig.Kafka.defaults().metricsTopic(), FleetConfig.Kafka.defaults().statementsTopic());
    }

    public KafkaSnapshotSink(String bootstrapServers, String metricsTopic, String statementsTopic) {
        this(bootstrapServers, metricsTopic, statementsTopic, 10_000, Map.of());
    }

    /** A sink from the fleet file's kafka section. */
    public static KafkaSnapshotSink from(FleetConfig.Kafka k) {
        if (k.bootstrapServers() == null) {
            throw new ConfigException("no Kafka configured: set kafka.bootstrap_servers in the fleet file"
                    + " or DATAINSIGHT_KAFKA_BOOTSTRAP_SERVERS");
        }
        return new KafkaSnapshotSink(k.bootstrapServers(), k.metricsTopic(), k.statementsTopic(), k.plansTopic(),
                k.logsTopic(), k.bufferRecords(), new HashMap<>(k.properties()));
    }

    /**
     * @param bufferRecords snapshots held while Kafka is unreachable before the oldest are dropped
     * @param producerOverrides extra producer settings (override the defaults above)
     */
    public KafkaSnapshotSink(String bootstrapServers, String metricsTopic, String statementsTopic, int bufferRecords,
            Map<String, Object> producerOverrides) {
        this(bootstrapServers, metricsTopic, statementsTopic, dev.datainsight.model.WireFormat.TOPIC_PLANS, bufferRecords,
                producerOverrides);
    }

    /** As above, with the topic of plans snapshots. */
    public KafkaSnapshotSink(String bootstrapServers, String metricsTopic, String statementsTopic, String plansTopic,
            int bufferRecords, Map<String, Object> producerOverrides) {
        this(bootstrapServers, metricsTopic, statementsTopic, plansTopic, dev.datainsight.model.WireFormat.TOPIC_LOGS,
                bufferRecords, producerOverrides);
    }

    /** As above, with the topic of server log batches. */
    public KafkaSnapshotSink(String bootstrapServers, String metricsTopic, String statementsTopic, String plansTopic,
            String logsTopic, int bufferRecords, Map<String, Object> producerOverrides) {
        this.logsTopic = logsTopic;
        if (bufferRecords < 1) {
            throw new IllegalArgumentException("bufferRecords must be at least 1");
        }
        this.metricsTopic = metricsTopic;
        this.statementsTopic = statementsTopic;
        this.plansTopic = plansTopic;
        this.capacity = bufferRecords;
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "datainsight-collector");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put("max.in.flight.requests.per.connection", 5);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 2_000);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.putAll(producerOverrides);
        this.producer = new KafkaProducer<>(p);
        this.sender = new Thread(this::sendLoop, "datainsight-kafka-sender");
        this.sender.setDaemon(true);
        this.sender.start();
    }

    /**
     * A record waiting for the producer, with what to run once the broker acknowledged it, or
     * once it is dropped or rejected for good (log batches: read again).
     */
    private record Pending(ProducerRecord<byte[], byte[]> record, Runnable onAcked, Runnable onLost) {}

    private static final Runnable NOTHING = () -> { };

    @Override
    public void publish(Snapshot s) {
        publish(s, NOTHING);
    }

    /** As {@link #publish(Snapshot)}; {@code onDelivered} runs on the producer's thread after the broker's ack. */
    @Override
    public void publish(Snapshot s, Runnable onDelivered) {
        String topic = switch (s.kind()) {
            case STATEMENTS -> statementsTopic;
            case PLANS -> plansTopic;
            case METRICS -> metricsTopic;
        };
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, null, s.getCollectedAt(),
                s.getInstance().getBytes(StandardCharsets.UTF_8), codec.encode(s));
        enqueue(new Pending(r, onDelivered, NOTHING));
    }

    /**
     * Publishes a batch of server log entries to the logs topic (key = instance id). Exactly one
     * of the callbacks runs: {@code onDelivered} after the broker's ack, {@code onLost} when the
     * batch is dropped (buffer full, closing) or rejected.
     */
    @Override
    public void publish(dev.datainsight.model.LogBatch b, Runnable onDelivered, Runnable onLost) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(logsTopic, null, b.collectedAt(),
                b.instance().getBytes(StandardCharsets.UTF_8), logCodec.encode(b));
        enqueue(new Pending(r, onDelivered, onLost));
    }

    private void enqueue(Pending p) {
        Pending lost = null;
        synchronized (queue) {
            if (closing) {
                dropped.incrementAndGet();
                lost = p;
            } else {
                if (queue.isEmpty() && inFlight.get() == 0) {
                    lastProgressNanos = System.nanoTime();
                }
                if (queue.size() >= capacity) {
                    lost = queue.pollFirst();
                    noteDrop();
                }
                queue.addLast(p);
                accepted.incrementAndGet();
                queue.notifyAll();
            }
        }
        if (lost != null) {
            lostCallback(lost);
        }
    }

    private static void lostCallback(Pending p) {
        try {
            p.onLost().run();
        } catch (RuntimeException e) {
            LOG.error("loss callback failed", e);
        }
    }


    private void sendLoop() {
        long backoff = 100;
        while (true) {
            Pending pending;
            synchronized (queue) {
                while (queue.isEmpty() && !closing) {
                    try {
                        queue.wait(500);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (queue.isEmpty()) {
                    return;
                }
                // The sender owns the record from here: publish() can no longer drop it.
                pending = queue.pollFirst();
            }
            ProducerRecord<byte[], byte[]> r = pending.record();
            Future<RecordMetadata> f = null;
            // Exactly one of the producer's callback and the immediate check below settles the
            // record (counts it, runs its callback): the flag keeps a fast ack from counting twice.
            java.util.concurrent.atomic.AtomicBoolean settled = new java.util.concurrent.atomic.AtomicBoolean();
            inFlight.incrementAndGet();
            inSend.set(true);
            try {
                f = producer.send(r, (md, ex) -> {
                    if (inSend.get() || !settled.compareAndSet(false, true)) {
                        return; // failed inside send(): handled below, the record is retried
                    }
                    inFlight.decrementAndGet();
                    settle();
                    if (ex == null) {
                        acked.incrementAndGet();
                        delivered(pending);
                    } else {
                        failed.incrementAndGet();
                        LOG.error("Kafka rejected a snapshot for {}: {}", r.topic(), ex.toString());
                        lostCallback(pending);
                    }
                });
            } catch (RuntimeException e) {
                LOG.debug("Kafka send failed: {}", e.toString());
            } finally {
                inSend.set(false);
            }
            // A send that fails at once (metadata or buffer memory not available within
            // max.block.ms) goes back to the head of the queue and is retried, in order.
            boolean retry = f == null;
            if (f == null) {
                inFlight.decrementAndGet();
            } else if (f.isDone() && settled.compareAndSet(false, true)) {
                inFlight.decrementAndGet();
                try {
                    f.get(0, TimeUnit.MILLISECONDS);
                    settle();
                    acked.incrementAndGet();
                    delivered(pending);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof RetriableException) {
                        retry = true;
                    } else {
                        settle();
                        failed.incrementAndGet();
                        LOG.error("Kafka rejected a snapshot for {}: {}", r.topic(), e.getCause().toString());
                        lostCallback(pending);
                    }
                } catch (Exception e) {
                    retry = true;
                }
            }
            if (!retry) {
                if (stalled) {
                    stalled = false;
                    LOG.info("Kafka reachable again: draining {} buffered snapshots", queued());
                }
                backoff = 100;
                continue;
            }
            synchronized (queue) {
                if (queue.size() >= capacity) {
                    // r is the oldest snapshot and the buffer is full: it is the one to drop
                    noteDrop();
                    lostCallback(pending);
                } else {
                    queue.addFirst(pending);
                }
            }
            if (!stalled) {
                stalled = true;
                LOG.warn("Kafka unreachable: buffering up to {} snapshots and retrying", capacity);
            }
            if (closing) {
                return;
            }
            sleep(backoff);
            backoff = Math.min(backoff * 2, 2_000);
        }
    }

    /** The broker answered for one record (ack or rejection): progress. */
    private void settle() {
        lastProgressNanos = System.nanoTime();
    }

    private static void delivered(Pending p) {
        try {
            p.onAcked().run();
        } catch (RuntimeException e) {
            LOG.error("delivery callback failed", e);
        }
    }

    private void noteDrop() {
        long d = dropped.incrementAndGet();
        long now = System.currentTimeMillis();
        if (now - lastDropLog > 10_000) {
            lastDropLog = now;
            LOG.warn("Kafka buffer full ({} snapshots): dropping the oldest; {} dropped so far", capacity, d);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Snapshots accepted by {@link #publish}. */
    public long accepted() {
        return accepted.get();
    }

    /** Snapshots the broker acknowledged. */
    public long acked() {
        return acked.get();
    }

    /** Snapshots dropped because the buffer was full (or publish after close). */
    public long dropped() {
        return dropped.get();
    }

    /** Snapshots the broker rejected for good (e.g. too large). */
    public long failed() {
        return failed.get();
    }

    /** Snapshots waiting in the buffer, not yet handed to the producer. */
    public int queued() {
        synchronized (queue) {
            return queue.size();
        }
    }

    /** Records handed to the producer (its own buffer or on the wire) and not yet acknowledged or rejected. */
    public int inFlight() {
        return Math.max(0, inFlight.get());
    }

    /** Snapshots the buffer in front of the producer holds at most ({@code kafka.buffer_records}). */
    public int capacity() {
        return capacity;
    }

    /**
     * How long records have been waiting without any answer from the broker: zero while nothing
     * is pending or acks keep coming; grows while the broker is unreachable (the producer retries
     * silently, so this is the signal that Kafka is not taking the collector's records).
     */
    public Duration stalledFor() {
        if (queued() == 0 && inFlight() == 0) {
            return Duration.ZERO;
        }
        return Duration.ofNanos(Math.max(0, System.nanoTime() - lastProgressNanos));
    }

    /** Whether {@link #close()} has begun: nothing is accepted any more. */
    public boolean isClosed() {
        return closing;
    }

    /**
     * A metric of the producer's {@code producer-metrics} group (e.g. {@code buffer-available-bytes},
     * {@code record-queue-time-avg} in ms), NaN when the producer does not report it (yet).
     */
    public double producerMetric(String name) {
        try {
            for (var e : producer.metrics().entrySet()) {
                if (e.getKey().name().equals(name) && e.getKey().group().equals("producer-metrics")) {
                    Object v = e.getValue().metricValue();
                    return v instanceof Number n ? n.doubleValue() : Double.NaN;
                }
            }
        } catch (RuntimeException e) {
            // a closed producer: nothing to report
        }
        return Double.NaN;
    }

    /** Waits until everything accepted so far is acknowledged or the timeout passes. */
    public boolean flush(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (queued() == 0 && acked.get() + failed.get() + dropped.get() >= accepted.get()) {
                return true;
            }
            sleep(20);
        }
        return false;
    }

    /** Drains for up to 10 s, then closes the producer; what is still buffered is logged as lost. */
    @Override
    public void close() {
        flush(Duration.ofSeconds(10));
        synchronized (queue) {
            closing = true;
            queue.notifyAll();
        }
        try {
            sender.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int left = queued();
        if (left > 0) {
            LOG.warn("closing with {} snapshots still buffered: they are lost", left);
        }
        producer.close(Duration.ofSeconds(5));
    }
}
