package dev.datainsight.jobs.sinks;

import dev.datainsight.store.StoreWriter;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * A Sink V2 writing into the store through a {@link StoreWriter}, in batches, on a background
 * thread: while one batch is being written the operator keeps filling the next (double buffering),
 * so the rollup work and the database round trips overlap instead of taking turns. Batches are
 * written one at a time, in order (a late update of a bucket never overtakes the first write).
 *
 * <p>Flink calls {@link SinkWriter#flush} before a checkpoint barrier goes downstream; it hands
 * over the current batch and waits until everything is written, so everything before a completed
 * checkpoint is in the store. A restart replays from the checkpointed Kafka offsets and upserts the
 * same keys again: at-least-once delivery plus idempotent upserts is an exactly-once effect.
 */
public final class StoreSink<T> implements Sink<T> {
    private static final long serialVersionUID = 1L;

    private final StoreWriterFactory factory;
    private final StoreBuffer<T> prototype;
    private final int batchRows;

    public StoreSink(StoreWriterFactory factory, StoreBuffer<T> prototype, int batchRows) {
        this.factory = factory;
        this.prototype = prototype;
        this.batchRows = batchRows;
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) throws IOException {
        try {
            return new Writer<>(factory.open(), prototype, batchRows,
                    "store-writer-" + context.getTaskInfo().getTaskNameWithSubtasks());
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot open the store writer", e);
        }
    }

    private static final class Writer<T> implements SinkWriter<T> {
        private final StoreWriter store;
        private final StoreBuffer<T> prototype;
        private final int batchRows;
        private final ExecutorService io;
        private StoreBuffer<T> buffer;
        private Future<?> inFlight;

        Writer(StoreWriter store, StoreBuffer<T> prototype, int batchRows, String threadName) {
            this.store = store;
            this.prototype = prototype;
            this.batchRows = batchRows;
            this.buffer = prototype.fresh();
            this.io = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, threadName);
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        public void write(T element, Context context) throws IOException {
            if (buffer.add(element) >= batchRows) {
                handOver();
            }
        }

        private void handOver() throws IOException {
            awaitInFlight();
            StoreBuffer<T> full = buffer;
            buffer = prototype.fresh();
            inFlight = io.submit(() -> {
                full.flush(store);
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

        @Override
        public void flush(boolean endOfInput) throws IOException {
            handOver();
            awaitInFlight();
        }

        @Override
        public void close() throws Exception {
            try {
                if (inFlight != null) {
                    inFlight.cancel(false);
                }
            } finally {
                io.shutdownNow();
                store.close();
            }
        }
    }
}
