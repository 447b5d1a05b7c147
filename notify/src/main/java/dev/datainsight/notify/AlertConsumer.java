package dev.datainsight.notify;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.DecodeResult;
import dev.datainsight.model.WireCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
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
 * <p><b>One queue and thread per target.</b> The polling thread only reads and decodes records;
 * each target has its own unbounded queue and delivery thread (which also runs the target's
 * {@link Notifier#tick}). A target that never answers therefore holds up only its own queue:
 * every other target gets each event as soon as the poll that read it returns. When one target's
 * backlog passes {@value #MAX_QUEUED} events, the consumer pauses its partitions (it keeps
 * polling, so it stays in the group) until that backlog drains below the mark, so a dead target
 * cannot exhaust the memory.
 *
 * <p><b>At-least-once:</b> auto-commit is off; the offset of a record is committed only after
 * every target either accepted the event or its failure was written to the dead letter
 * (offsets of one partition are committed in order, up to the first record some target has not
 * finished). A crash or a stop in between means the record is read again on restart, so a target
 * may see an event twice, never zero times. Receivers de-duplicate on
 * {@link Notifier#dedupKey(AlertEvent)} (the webhook sends it as a header; Alertmanager merges
 * equal label sets by itself).
 *
 * <p><b>Partition ownership.</b> When the group assigns partitions, targets that keep a firing
 * set ({@link Notifier#keepsFiringSet()}, the Alertmanager bridge) get it rebuilt: a
 * group-less reader reads the assigned partitions from their beginning up to the group's
 * committed offset and folds the events by fingerprint (firing sets, resolved removes); records
 * after that offset are delivered as usual. No store or compacted topic is needed: the rules
 * engine re-notifies a firing alert at its {@code renotify} interval (4 h by default), far inside
 * the topic's retention. On revocation the queued records of the lost partitions are dropped
 * (the new owner reads them again from the committed offset) and the targets forget their
 * alerts.
 *
 * <p><b>Replicas.</b> Notifiers of one group split the partitions, so in steady state each
 * event is delivered once. On revocation the queued records of the lost partitions are not
 * started any more, and the deliveries of them already under way (and a periodic re-post) are
 * given {@link #REVOKE_WAIT} to finish, then committed: a rebalance alone resends nothing, and
 * no re-post of the old owner lands after the new owner took over. A notifier that dies leaves
 * only its uncommitted records, which the new owner delivers again.
 *
 * <p>Records of one partition are handled in order by each target (the topic is keyed by
 * fingerprint, so the transitions of one alert arrive in order). {@link #run()} blocks until
 * {@link #stop()}.
 */
public final class AlertConsumer implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AlertConsumer.class);

    /** A target's backlog above which the consumer pauses reading. */
    public static final int MAX_QUEUED = 10_000;

    /**
     * How long a revocation waits for deliveries of the revoked partitions already under way
     * (and for a periodic re-post) before committing and handing the partitions over.
     */
    public static final Duration REVOKE_WAIT = Duration.ofSeconds(5);
    private static final int IDLE = -2;
    private static final int TICK = -1;

    /** Client settings the notifier owns (its delivery guarantees depend on them). */
    private static final Set<String> RESERVED = Set.of(ConsumerConfig.GROUP_ID_CONFIG, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG);

    /** Where to start when the group has no committed offset. */
    public enum StartFrom { EARLIEST, LATEST }

    /**
     * Settings of one consumer. {@code kafkaProperties} are extra Kafka client settings applied to
     * the group consumer and to the reader that rebuilds firing sets (TLS/SASL settings,
     * {@code session.timeout.ms}, ...); the notifier's own settings (group, offsets, commit mode,
     * deserializers) cannot be overridden.
     */
    public record Config(String bootstrapServers, String topic, String groupId, StartFrom startFrom,
            RetryPolicy retry, Duration pollTimeout, Map<String, String> kafkaProperties) {
        public Config {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("bootstrap servers are required");
            }
            if (groupId == null || groupId.isBlank()) {
                throw new IllegalArgumentException("a consumer group id is required");
            }
            kafkaProperties = kafkaProperties == null ? Map.of() : Map.copyOf(kafkaProperties);
            for (String k : kafkaProperties.keySet()) {
                if (RESERVED.contains(k)) {
                    throw new IllegalArgumentException("Kafka property " + k + " is set by the notifier itself");
                }
            }
        }

        public Config(String bootstrapServers, String topic, String groupId, StartFrom startFrom, RetryPolicy retry,
                Duration pollTimeout) {
            this(bootstrapServers, topic, groupId, startFrom, retry, pollTimeout, Map.of());
        }

        public static Config defaults(String bootstrapServers, String topic, String groupId) {
            return new Config(bootstrapServers, topic, groupId, StartFrom.EARLIEST, RetryPolicy.DEFAULT, Duration.ofMillis(500));
        }
    }

    /** One record in flight: done when every target finished it. */
    private static final class Pending {
        final long offset;
        final AtomicInteger remaining;
        volatile boolean cancelled;

        Pending(long offset, int targets) {
            this.offset = offset;
            this.remaining = new AtomicInteger(targets);
        }
    }

    private record Work(ConsumerRecord<byte[], byte[]> record, AlertEvent event, Pending pending) {}

    private final Config config;
    private final List<Notifier> targets;
    private final DeadLetterSink deadLetters;
    private final WireCodec codec = new WireCodec();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TargetWorker> workers = new ArrayList<>();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile RuntimeException fatal;
    /** Records not yet committed, per partition, in offset order; polling thread only. */
    private final Map<TopicPartition, ArrayDeque<Pending>> inFlight = new HashMap<>();
    private volatile Set<Integer> assigned = Set.of();

    private final AtomicLong received = new AtomicLong();
    private final AtomicLong unreadable = new AtomicLong();
    private final AtomicLong committedRecords = new AtomicLong();
    private final Map<String, AtomicLong> delivered = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> deadLettered = new ConcurrentHashMap<>();
    private final NotifierMetrics metrics;
    /** When the polling loop last returned from poll (ms); 0 before the first. */
    private volatile long lastPollAt;
    private volatile boolean running;

    /** The consumer's health as {@code /health} reports it. */
    public record Health(boolean up, String reason, Set<Integer> assignedPartitions, long lastPollMillisAgo,
            Map<String, Integer> queued) {}

    /**
     * How long the polling loop may go without returning from poll before the notifier reports
     * itself down: longer than a firing-set rebuild may take (2 min) on an assignment.
     */
    public static final Duration HEALTHY_POLL_GAP = Duration.ofSeconds(150);

    public AlertConsumer(Config config, List<Notifier> targets, DeadLetterSink deadLetters) {
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no notification target configured");
        }
        this.config = config;
        this.targets = List.copyOf(targets);
        this.deadLetters = deadLetters;
        for (Notifier t : this.targets) {
            workers.add(new TargetWorker(t));
        }
        this.metrics = new NotifierMetrics(this::queuedByTarget, this::firingByTarget, this::repostFailuresByTarget,
                () -> assigned.size(),
                () -> health().up());
        Properties p = new Properties();
        p.putAll(config.kafkaProperties());
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, config.startFrom().name().toLowerCase(java.util.Locale.ROOT));
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "100");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "datainsight-notify-" + config.groupId());
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(config.topic()), new Rebalance());
            LOG.info("notifier group '{}' reading {} -> {} (dead letters: {})", config.groupId(), config.topic(),
                    targets.stream().map(Notifier::name).toList(), deadLetters.describe());
            for (TargetWorker w : workers) {
                w.thread.start();
            }
            running = true;
            while (!stopping) {
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(config.pollTimeout());
                } catch (WakeupException e) {
                    break;
                }
                lastPollAt = System.currentTimeMillis();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    dispatch(r);
                }
                commitCompleted(null);
                applyBackpressure();
            }
        } catch (WakeupException e) {
            // stop() during commit: nothing else to do
        } finally {
            stopping = true;
            running = false;
            try {
                for (TargetWorker w : workers) {
                    w.stop();
                }
                long joinDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                for (TargetWorker w : workers) {
                    w.join(Duration.ofNanos(Math.max(1_000_000L, joinDeadline - System.nanoTime())));
                }
                try {
                    commitCompleted(null);
                } catch (WakeupException e) {
                    commitCompleted(null); // the wakeup of stop() is used up by the first try
                } catch (RuntimeException e) {
                    LOG.warn("final commit failed (the records will be read again): {}", e.toString());
                }
                consumer.close(Duration.ofSeconds(5));
            } finally {
                finished.countDown();
            }
        }
        if (fatal != null) {
            throw fatal;
        }
    }

    /** Decodes one record and queues it for every target (unreadable ones go to the dead letter). */
    private void dispatch(ConsumerRecord<byte[], byte[]> r) {
        received.incrementAndGet();
        metrics.received.inc();
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        DecodeResult<AlertEvent> d = codec.decodeAlert(r.value());
        if (!d.isOk()) {
            unreadable.incrementAndGet();
            metrics.unreadable.inc();
            LOG.warn("unreadable alert record at {}/{}/{}: {}", r.topic(), r.partition(), r.offset(), d.detail());
            try {
                deadLetters.writeUnreadable(WireCodec.deadLetter(r.value(), d.reason(), d.detail(), d.instance(),
                        r.topic(), r.partition(), r.offset(), r.timestamp(), System.currentTimeMillis()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write to the dead letter (" + deadLetters.describe()
                        + "); stopping without committing", e);
            }
            inFlight.computeIfAbsent(tp, k -> new ArrayDeque<>()).add(new Pending(r.offset(), 0));
            return;
        }
        Pending pending = new Pending(r.offset(), workers.size());
        inFlight.computeIfAbsent(tp, k -> new ArrayDeque<>()).add(pending);
        Work w = new Work(r, d.value(), pending);
        for (TargetWorker t : workers) {
            t.queue.add(w);
        }
    }

    /** Commits, per partition (all when {@code only} is null), the records every target finished. */
    private void commitCompleted(Collection<TopicPartition> only) {
        if (fatal != null) {
            return; // never commit past a record whose dead letter could not be written
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        long count = 0;
        for (Map.Entry<TopicPartition, ArrayDeque<Pending>> en : inFlight.entrySet()) {
            if (only != null && !only.contains(en.getKey())) {
                continue;
            }
            ArrayDeque<Pending> q = en.getValue();
            Pending last = null;
            while (!q.isEmpty() && q.peekFirst().remaining.get() == 0) {
                last = q.pollFirst();
                count++;
            }
            if (last != null) {
                offsets.put(en.getKey(), new OffsetAndMetadata(last.offset + 1));
            }
        }
        if (!offsets.isEmpty()) {
            consumer.commitSync(offsets);
            committedRecords.addAndGet(count);
            metrics.committed.inc(count);
        }
    }

    private void applyBackpressure() {
        boolean full = workers.stream().anyMatch(w -> w.queue.size() > MAX_QUEUED);
        if (full && consumer.paused().isEmpty() && !consumer.assignment().isEmpty()) {
            LOG.warn("a target's backlog passed {} events; pausing the alerts topic until it drains", MAX_QUEUED);
            consumer.pause(consumer.assignment());
        } else if (!full && !consumer.paused().isEmpty()) {
            consumer.resume(consumer.paused());
        }
    }

    /** Follows partition ownership: commits and forgets revoked partitions, rebuilds firing sets. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // Queued records of these partitions are not started any more; the ones under way
            // are finished (bounded), so they are committed here instead of being sent again by
            // the next owner, and no re-post of their alerts lands after the hand-over.
            Set<Integer> revoked = new HashSet<>();
            for (TopicPartition tp : partitions) {
                revoked.add(tp.partition());
                ArrayDeque<Pending> q = inFlight.get(tp);
                if (q != null) {
                    q.forEach(p -> p.cancelled = true);
                }
            }
            long deadline = System.nanoTime() + REVOKE_WAIT.toNanos();
            for (TargetWorker w : workers) {
                if (!w.awaitIdle(revoked, deadline)) {
                    LOG.warn("{} is still delivering a record of revoked partitions {} after {}; the new owner may send it again",
                            w.target.name(), revoked, REVOKE_WAIT);
                }
            }
            try {
                commitCompleted(partitions);
            } catch (RuntimeException e) {
                LOG.warn("commit on revocation failed (the new owner reads those records again): {}", e.toString());
            }
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            Set<Integer> now = new HashSet<>(assigned);
            partitions.forEach(tp -> now.add(tp.partition()));
            assigned = Set.copyOf(now);
            if (partitions.isEmpty() || targets.stream().noneMatch(Notifier::keepsFiringSet)) {
                return;
            }
            Map<Integer, Map<String, AlertEvent>> firing = rebuildFiring(partitions);
            for (Notifier t : targets) {
                if (t.keepsFiringSet()) {
                    t.partitionsAssigned(firing);
                }
            }
            LOG.info("took over partitions {} with {} firing alerts", now,
                    firing.values().stream().mapToInt(Map::size).sum());
        }

        private void forget(Collection<TopicPartition> partitions) {
            List<Integer> lost = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                ArrayDeque<Pending> q = inFlight.remove(tp);
                if (q != null) {
                    q.forEach(p -> p.cancelled = true);
                }
                lost.add(tp.partition());
            }
            Set<Integer> now = new HashSet<>(assigned);
            now.removeAll(lost);
            assigned = Set.copyOf(now);
            for (Notifier t : targets) {
                t.partitionsRevoked(lost);
            }
        }
    }

    /**
     * The alerts firing in each partition as of the group's committed offset: reads the
     * partitions from their beginning with a group-less consumer and folds the events by
     * fingerprint. Where the group has no offset yet, up to where the group will start.
     */
    private Map<Integer, Map<String, AlertEvent>> rebuildFiring(Collection<TopicPartition> partitions) {
        Map<Integer, Map<String, AlertEvent>> firing = new HashMap<>();
        partitions.forEach(tp -> firing.put(tp.partition(), new HashMap<>()));
        Set<TopicPartition> parts = Set.copyOf(partitions);
        Properties p = new Properties();
        p.putAll(config.kafkaProperties());
        p.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG); // the reader is outside the group
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1000");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "datainsight-notify-rebuild-" + config.groupId());
        long started = System.nanoTime();
        long folded = 0;
        try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            Duration t = Duration.ofSeconds(30);
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(parts, t);
            Map<TopicPartition, Long> beginning = reader.beginningOffsets(parts, t);
            Map<TopicPartition, Long> end = reader.endOffsets(parts, t);
            Map<TopicPartition, Long> upTo = new HashMap<>();
            for (TopicPartition tp : parts) {
                OffsetAndMetadata c = committed.get(tp);
                long target = c != null ? c.offset()
                        : config.startFrom() == StartFrom.LATEST ? end.get(tp) : beginning.get(tp);
                if (target > beginning.get(tp)) {
                    upTo.put(tp, target);
                }
            }
            if (upTo.isEmpty()) {
                return firing;
            }
            reader.assign(upTo.keySet());
            reader.seekToBeginning(upTo.keySet());
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            Set<TopicPartition> open = new HashSet<>(upTo.keySet());
            while (!open.isEmpty() && !stopping) {
                if (System.nanoTime() > deadline) {
                    LOG.error("rebuilding the firing alerts of {} timed out; alerts of those partitions may lapse at their endsAt", open);
                    break;
                }
                for (ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(200))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() >= upTo.get(tp)) {
                        continue;
                    }
                    DecodeResult<AlertEvent> d = codec.decodeAlert(r.value());
                    if (!d.isOk() || d.value().getFingerprint() == null) {
                        continue;
                    }
                    folded++;
                    AlertEvent e = d.value();
                    if (e.getStatus() == AlertStatus.FIRING) {
                        firing.get(r.partition()).put(e.getFingerprint(), e);
                    } else if (e.getStatus() == AlertStatus.RESOLVED) {
                        firing.get(r.partition()).remove(e.getFingerprint());
                    }
                }
                open.removeIf(tp -> reader.position(tp) >= upTo.get(tp));
            }
        } catch (RuntimeException e) {
            LOG.error("rebuilding the firing alerts of {} failed; alerts of those partitions may lapse at their endsAt", parts, e);
        }
        LOG.info("rebuilt the firing alerts of {} from {} events in {} ms", parts, folded,
                (System.nanoTime() - started) / 1_000_000);
        return firing;
    }

    /** One target: its queue, its retries and its thread. */
    private final class TargetWorker implements Runnable {
        final Notifier target;
        final LinkedBlockingQueue<Work> queue = new LinkedBlockingQueue<>();
        final RetryingDelivery delivery;
        final Thread thread;
        /** The partition of the record being delivered, {@link #TICK} or {@link #IDLE}. */
        volatile int busyPartition = IDLE;

        TargetWorker(Notifier target) {
            this.target = target;
            this.delivery = new RetryingDelivery(config.retry(), () -> stopping);
            this.thread = new Thread(this, "notify-" + target.name());
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            try {
                while (!stopping) {
                    Work w;
                    try {
                        w = queue.poll(config.pollTimeout().toMillis(), TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        break;
                    }
                    if (w != null) {
                        // Announce the record before looking at its cancel flag: a revocation
                        // sets the flag, then waits for what is announced (see awaitIdle).
                        busyPartition = w.record().partition();
                        if (!w.pending().cancelled) {
                            if (!handle(w)) {
                                break; // stopping mid-record: it stays uncommitted and is read again
                            }
                            w.pending().remaining.decrementAndGet();
                        }
                        busyPartition = IDLE;
                    }
                    busyPartition = TICK;
                    try {
                        target.tick(System.currentTimeMillis());
                    } catch (RuntimeException e) {
                        LOG.error("{} failed in its periodic work", target.name(), e);
                    } finally {
                        busyPartition = IDLE;
                    }
                }
            } catch (RuntimeException e) {
                fatal = e;
                stopping = true;
                consumer.wakeup();
            }
        }

        /** Delivers one event to this target; false when stopping interrupted it. */
        private boolean handle(Work w) {
            AlertEvent event = w.event();
            ConsumerRecord<byte[], byte[]> r = w.record();
            RetryingDelivery.Outcome o = delivery.deliver(new PartitionTarget(target, r.partition()), event);
            if (o instanceof RetryingDelivery.Interrupted) {
                return false;
            }
            if (o instanceof RetryingDelivery.Delivered d) {
                delivered.computeIfAbsent(target.name(), k -> new AtomicLong()).incrementAndGet();
                metrics.deliveries.labelValues(target.name(), "delivered").inc();
                if (d.attempts() > 1) {
                    metrics.failures.labelValues(target.name()).inc(d.attempts() - 1);
                }
                if (r.timestamp() > 0) {
                    metrics.latency.labelValues(target.name())
                            .observe(Math.max(0, System.currentTimeMillis() - r.timestamp()) / 1000.0);
                }
            } else if (o instanceof RetryingDelivery.GaveUp g) {
                metrics.failures.labelValues(target.name()).inc(g.attempts());
                FailedDelivery f = new FailedDelivery(target.name(), g.attempts(), g.error(), System.currentTimeMillis(),
                        r.topic(), r.partition(), r.offset(), Notifier.dedupKey(event), event);
                try {
                    deadLetters.write(f);
                } catch (IOException e) {
                    if (stopping) {
                        return false; // interrupted by stop(): the record stays uncommitted
                    }
                    throw new UncheckedIOException("cannot write to the dead letter (" + deadLetters.describe()
                            + "); stopping without committing", e);
                }
                deadLettered.computeIfAbsent(target.name(), k -> new AtomicLong()).incrementAndGet();
                metrics.deliveries.labelValues(target.name(), "dead_lettered").inc();
            }
            return true;
        }

        /**
         * Waits (until {@code deadline}, nanoTime) while this target delivers a record of one of
         * {@code partitions} or runs its periodic work; true when it is not doing so.
         */
        boolean awaitIdle(Set<Integer> partitions, long deadline) {
            while (true) {
                int busy = busyPartition;
                if (busy == IDLE || (busy != TICK && !partitions.contains(busy)) || !thread.isAlive()) {
                    return true;
                }
                if (System.nanoTime() > deadline) {
                    return false;
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }

        void stop() {
            delivery.wake();
            thread.interrupt();
        }

        void join(Duration timeout) {
            try {
                thread.join(timeout.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                LOG.warn("{} did not finish its delivery in time; its record stays uncommitted", target.name());
            }
        }
    }

    /** Passes the record's partition to {@link Notifier#deliver(AlertEvent, int)}. */
    private record PartitionTarget(Notifier target, int partition) implements Notifier {
        @Override
        public String name() {
            return target.name();
        }

        @Override
        public void deliver(AlertEvent event) throws DeliveryException {
            target.deliver(event, partition);
        }
    }

    /** Asks the loop to stop after the record in hand; returns at once. */
    public void stop() {
        stopping = true;
        for (TargetWorker w : workers) {
            w.stop();
        }
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

    /** This consumer's metrics (served by {@link NotifierHttpServer}). */
    public NotifierMetrics metrics() {
        return metrics;
    }

    /**
     * Up while {@link #run()} is polling: started, not stopped or failed, and its last poll
     * returned within {@link #HEALTHY_POLL_GAP}.
     */
    public Health health() {
        long now = System.currentTimeMillis();
        long last = lastPollAt;
        long ago = last == 0 ? -1 : now - last;
        String reason;
        boolean up = false;
        if (fatal != null) {
            reason = "failed: " + fatal.getMessage();
        } else if (!running) {
            reason = last == 0 ? "not started" : "stopped";
        } else if (last == 0) {
            reason = "joining the group";
            up = true;
        } else if (ago > HEALTHY_POLL_GAP.toMillis()) {
            reason = "no poll for " + ago + " ms";
        } else {
            reason = "polling";
            up = true;
        }
        return new Health(up, reason, new java.util.TreeSet<>(assigned), ago, queuedByTarget());
    }

    private Map<String, Integer> queuedByTarget() {
        Map<String, Integer> m = new java.util.LinkedHashMap<>();
        for (TargetWorker w : workers) {
            m.put(w.target.name(), w.queue.size());
        }
        return m;
    }

    private Map<String, Long> repostFailuresByTarget() {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (Notifier t : targets) {
            if (t instanceof AlertmanagerNotifier am) {
                m.put(t.name(), am.repostFailures());
            }
        }
        return m;
    }

    private Map<String, Integer> firingByTarget() {
        Map<String, Integer> m = new java.util.LinkedHashMap<>();
        for (Notifier t : targets) {
            if (t instanceof AlertmanagerNotifier am) {
                m.put(t.name(), am.activeCount());
            }
        }
        return m;
    }

    /** Partitions of the alerts topic this consumer owns now. */
    public Set<Integer> assignedPartitions() {
        return assigned;
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
