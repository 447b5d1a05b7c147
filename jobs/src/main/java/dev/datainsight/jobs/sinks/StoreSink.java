package dev.datainsight.jobs.sinks;

import dev.datainsight.store.StoreWriter;
import java.io.IOException;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * A Sink V2 writing into the store through a {@link StoreWriter}, in batches. It flushes when a
 * batch is full and on every checkpoint (Flink calls {@link SinkWriter#flush} before the barrier
 * goes downstream), so everything before a completed checkpoint is in the store; what a restart
 * replays from the checkpointed Kafka offsets is upserted again with the same keys. At-least-once
 * delivery plus idempotent upserts is an exactly-once effect in the store.
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
            return new Writer<>(factory.open(), prototype.fresh(), batchRows);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot open the store writer", e);
        }
    }

    private static final class Writer<T> implements SinkWriter<T> {
        private final StoreWriter store;
        private final StoreBuffer<T> buffer;
        private final int batchRows;

        Writer(StoreWriter store, StoreBuffer<T> buffer, int batchRows) {
            this.store = store;
            this.buffer = buffer;
            this.batchRows = batchRows;
        }

        @Override
        public void write(T element, Context context) throws IOException {
            if (buffer.add(element) >= batchRows) {
                flush(false);
            }
        }

        @Override
        public void flush(boolean endOfInput) throws IOException {
            try {
                buffer.flush(store);
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException("store write failed", e);
            }
        }

        @Override
        public void close() throws Exception {
            store.close();
        }
    }
}
