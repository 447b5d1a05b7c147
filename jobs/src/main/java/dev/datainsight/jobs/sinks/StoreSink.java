package dev.datainsight.jobs.sinks;

import dev.datainsight.model.DeadLetterRecord;
import java.io.IOException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * A Sink V2 writing into the store through a {@link dev.datainsight.store.StoreWriter}, in batches,
 * on a background thread: while one batch is being written the operator keeps filling the next
 * (double buffering), so the rollup work and the database round trips overlap instead of taking
 * turns. Batches are written one at a time, in order (a late update of a bucket never overtakes the
 * first write).
 *
 * <p>Flink calls {@link SinkWriter#flush} before a checkpoint barrier goes downstream; it hands
 * over the current batch and waits until everything is written, so everything before a completed
 * checkpoint is in the store. A restart replays from the checkpointed Kafka offsets and upserts the
 * same keys again: at-least-once delivery plus idempotent upserts is an exactly-once effect.
 *
 * <p>The store calls go through {@link StoreCalls}: a transient error is retried (bounded, with
 * backoff, on a new connection) before it fails the task; a row the store refuses is split out of
 * its batch and sent, with the reason, through a writer of the job's dead-letter sink (created
 * from this sink's own writer context on the first refused row, flushed before every checkpoint),
 * while the rest of the batch is written. Metrics: {@link StoreSinkMetrics}.
 */
public final class StoreSink<T> implements Sink<T> {
    private static final long serialVersionUID = 2L;

    private final StoreWriterFactory factory;
    private final StoreBuffer<T> prototype;
    private final int batchRows;
    private final StoreCalls.Retry retry;
    private final Sink<DeadLetterRecord> deadLetters;

    /**
     * @param deadLetters where refused rows go (the job's dead-letter sink); null: they are only
     *     logged and counted
     */
    public StoreSink(StoreWriterFactory factory, StoreBuffer<T> prototype, int batchRows, StoreCalls.Retry retry,
            Sink<DeadLetterRecord> deadLetters) {
        this.factory = factory;
        this.prototype = prototype;
        this.batchRows = batchRows;
        this.retry = retry;
        this.deadLetters = deadLetters;
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) throws IOException {
        StoreSinkMetrics metrics = new StoreSinkMetrics(context.metricGroup());
        ConcurrentLinkedQueue<DeadLetterRecord> refused = new ConcurrentLinkedQueue<>();
        StoreCalls calls = new StoreCalls(factory::open, retry, metrics, refused::add, Thread::sleep);
        try {
            calls.open();
        } catch (IOException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening the store writer", e);
        } catch (Exception e) {
            throw new IOException("cannot open the store writer: " + e, e);
        }
        return new Writer<>(calls, prototype, batchRows, refused, deadLetters, context,
                "store-writer-" + context.getTaskInfo().getTaskNameWithSubtasks());
    }

    private static final class Writer<T> implements SinkWriter<T> {
        private final StoreCalls calls;
        private final StoreBuffer<T> prototype;
        private final int batchRows;
        private final ExecutorService io;
        private final ConcurrentLinkedQueue<DeadLetterRecord> refused;
        private final Sink<DeadLetterRecord> deadLetterSink;
        private final WriterInitContext context;
        private SinkWriter<DeadLetterRecord> deadLetters;
        private StoreBuffer<T> buffer;
        private Future<?> inFlight;

        Writer(StoreCalls calls, StoreBuffer<T> prototype, int batchRows, ConcurrentLinkedQueue<DeadLetterRecord> refused,
                Sink<DeadLetterRecord> deadLetterSink, WriterInitContext context, String threadName) {
            this.calls = calls;
            this.prototype = prototype;
            this.batchRows = batchRows;
            this.refused = refused;
            this.deadLetterSink = deadLetterSink;
            this.context = context;
            this.buffer = prototype.fresh();
            this.io = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, threadName);
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        public void write(T element, Context context) throws IOException, InterruptedException {
            if (buffer.add(element) >= batchRows) {
                handOver();
                drainRefused();
            }
        }

        private void handOver() throws IOException {
            awaitInFlight();
            StoreBuffer<T> full = buffer;
            buffer = prototype.fresh();
            inFlight = io.submit(() -> {
                full.flush(calls);
                return null;
            });
        }

        private void awaitInFlight() throws IOException {
            if (inFlight == null) {
                return;
            }
            try {
                inFlight.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while writing to the store", e);
            } catch (ExecutionException e) {
                throw new IOException("store write failed: " + e.getCause(), e.getCause());
            } finally {
                inFlight = null;
            }
        }

        /** Hands the refused rows of finished batches to the dead-letter writer (on the task thread). */
        private void drainRefused() throws IOException, InterruptedException {
            DeadLetterRecord d;
            while ((d = refused.poll()) != null) {
                if (deadLetterSink == null) {
                    continue; // logged and counted by StoreCalls
                }
                if (deadLetters == null) {
                    deadLetters = deadLetterSink.createWriter(context);
                }
                deadLetters.write(d, NO_CONTEXT);
            }
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            handOver();
            awaitInFlight();
            drainRefused();
            if (deadLetters != null) {
                deadLetters.flush(endOfInput);
            }
        }

        @Override
        public void close() throws Exception {
            try {
                if (inFlight != null) {
                    inFlight.cancel(false);
                }
            } finally {
                io.shutdownNow();
                try {
                    calls.close();
                } finally {
                    if (deadLetters != null) {
                        deadLetters.close();
                    }
                }
            }
        }
    }

    /** The context of a dead letter: no event timestamp of its own. */
    private static final SinkWriter.Context NO_CONTEXT = new SinkWriter.Context() {
        @Override
        public long currentWatermark() {
            return Long.MIN_VALUE;
        }

        @Override
        public Long timestamp() {
            return null;
        }
    };
}
