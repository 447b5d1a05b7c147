package dev.datainsight.jobs.sinks;

import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.RejectReason;
import dev.datainsight.store.StoreWriter;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store calls of one sink subtask, as its buffers make them: each call is retried on a
 * transient error ({@link SqlErrors#isTransient}) on a fresh connection, with exponential backoff,
 * at most {@link Retry#attempts} times, before it fails the task; a call the store refuses because
 * of a row ({@link SqlErrors#isRowError}: CHECK, NOT NULL, invalid input...) is split in halves
 * until the refused rows are alone, each of which becomes a dead letter (reason
 * {@code store_rejected}, the SQLSTATE and the server's message in {@code detail}, the row as JSON in
 * {@code payload}); every other row is written. Every call is its own transaction (the
 * {@link StoreWriter} contract) and every write an idempotent upsert, so a split or a retry writes
 * nothing twice.
 *
 * <p>Used by the sink's writer thread only.
 */
public final class StoreCalls implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StoreCalls.class);

    /**
     * Bounded retry of transient errors: at most {@code attempts} retries after the first failure,
     * waiting {@code backoff}, then twice as long each time, at most {@code maxBackoff}.
     */
    public record Retry(int attempts, Duration backoff, Duration maxBackoff) implements java.io.Serializable {
        public static final Retry NONE = new Retry(0, Duration.ZERO, Duration.ZERO);

        /** The wait before retry number {@code n} (1-based). */
        long delayMs(int n) {
            long ms = backoff.toMillis();
            for (int i = 1; i < n && ms < maxBackoff.toMillis(); i++) {
                ms *= 2;
            }
            return Math.min(ms, maxBackoff.toMillis());
        }
    }

    /** Writes rows {@code [from, to)} of what is being flushed, in one call of the writer. */
    @FunctionalInterface
    public interface RangeWrite {
        void write(StoreWriter writer, int from, int to) throws SQLException;
    }

    /** What row {@code index} is, for its dead letter: its instance (may be null) and the row as JSON. */
    public record Row(String instance, String json) {}

    /** Describes row {@code index} of what is being flushed. */
    @FunctionalInterface
    public interface Describe {
        Row row(int index);
    }

    /** One call of the writer returning a value. */
    @FunctionalInterface
    public interface Call<T> {
        T run(StoreWriter writer) throws SQLException;
    }

    /** Opens a writer (on a task manager: the password is read here). */
    @FunctionalInterface
    public interface Opener {
        StoreWriter open() throws Exception;
    }

    /** Waits between retries (tests pass their own). */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(long ms) throws InterruptedException;
    }

    private final Opener opener;
    private final boolean ownsWriter;
    private final Retry retry;
    private final StoreSinkMetrics metrics;
    private final Consumer<DeadLetterRecord> rejected;
    private final Sleeper sleeper;
    private StoreWriter writer;

    public StoreCalls(Opener opener, Retry retry, StoreSinkMetrics metrics, Consumer<DeadLetterRecord> rejected,
            Sleeper sleeper) {
        this(opener, true, retry, metrics, rejected, sleeper);
    }

    private StoreCalls(Opener opener, boolean owns, Retry retry, StoreSinkMetrics metrics,
            Consumer<DeadLetterRecord> rejected, Sleeper sleeper) {
        this.opener = opener;
        this.ownsWriter = owns;
        this.retry = retry;
        this.metrics = metrics;
        this.rejected = rejected;
        this.sleeper = sleeper;
    }

    /**
     * Calls on a writer the caller owns (not closed, never reopened): no retry; refused rows are
     * split out and added to {@code rejected}. For tests and tools.
     */
    public static StoreCalls over(StoreWriter writer, List<DeadLetterRecord> rejected) {
        StoreCalls c = new StoreCalls(() -> writer, false, Retry.NONE, new StoreSinkMetrics(), rejected::add,
                Thread::sleep);
        c.writer = writer;
        return c;
    }

    /** {@link #over(StoreWriter, List)} dropping the dead letters. */
    public static StoreCalls over(StoreWriter writer) {
        return over(writer, new ArrayList<>());
    }

    public StoreSinkMetrics metrics() {
        return metrics;
    }

    /** Opens the writer now (to fail fast at start-up), retrying a transient failure. */
    public void open() throws Exception {
        call(w -> null, false);
    }

    /**
     * Writes {@code rows} rows of {@code table} with {@code write}; refused rows are isolated and
     * dead-lettered (described by {@code describe}), the others written.
     */
    public void write(String table, int rows, RangeWrite write, Describe describe) throws Exception {
        if (rows > 0) {
            bisect(table, 0, rows, write, describe);
        }
    }

    /** {@link #write} of a list, each part a sub-list. */
    public <E> void write(String table, List<E> rows, ListWrite<E> write, java.util.function.Function<E, Row> describe)
            throws Exception {
        write(table, rows.size(), (w, from, to) -> write.write(w, from == 0 && to == rows.size() ? rows
                : rows.subList(from, to)), i -> describe.apply(rows.get(i)));
    }

    /** Writes a part of a list in one call. */
    @FunctionalInterface
    public interface ListWrite<E> {
        void write(StoreWriter writer, List<E> part) throws SQLException;
    }

    private void bisect(String table, int from, int to, RangeWrite write, Describe describe) throws Exception {
        try {
            call(w -> {
                write.write(w, from, to);
                return null;
            }, true);
            metrics.rowsWritten.inc(to - from);
        } catch (SQLException e) {
            if (!SqlErrors.isRowError(e)) {
                throw e;
            }
            if (to - from == 1) {
                deadLetter(table, describe.row(from), e);
                return;
            }
            metrics.splits.inc();
            int mid = (from + to) >>> 1;
            bisect(table, from, mid, write, describe);
            bisect(table, mid, to, write, describe);
        }
    }

    /** Sends one refused row to the dead letters. */
    public void deadLetter(String table, Row row, SQLException e) {
        DeadLetterRecord d = new DeadLetterRecord();
        d.setReason(RejectReason.STORE_REJECTED.code());
        d.setDetail(table + ": SQLSTATE " + SqlErrors.sqlState(e) + ": " + SqlErrors.message(e));
        d.setInstance(row.instance());
        d.setPayload(row.json());
        d.setFailedAt(System.currentTimeMillis());
        metrics.rowsDeadLettered.inc();
        LOG.warn("the store refused a row of {} ({}), sent to the dead letters: {}", table, d.getDetail(), row.json());
        rejected.accept(d);
    }

    /** One call of the writer, retried on transient errors. */
    public <T> T call(Call<T> call) throws Exception {
        return call(call, true);
    }

    private <T> T call(Call<T> call, boolean timed) throws Exception {
        int failures = 0;
        while (true) {
            long t0 = System.nanoTime();
            try {
                if (writer == null) {
                    writer = opener.open();
                }
                T result = call.run(writer);
                if (timed) {
                    metrics.wrote((System.nanoTime() - t0) / 1_000_000L);
                }
                return result;
            } catch (SQLException e) {
                if (!SqlErrors.isTransient(e) || !ownsWriter || failures >= retry.attempts()) {
                    if (SqlErrors.isTransient(e) && failures > 0) {
                        LOG.error("store still failing after {} retries, failing the task: SQLSTATE {}: {}", failures,
                                SqlErrors.sqlState(e), SqlErrors.message(e));
                    }
                    throw e;
                }
                failures++;
                metrics.retries.inc();
                long delay = retry.delayMs(failures);
                LOG.warn("transient store error (SQLSTATE {}: {}), retry {} of {} in {} ms on a new connection",
                        SqlErrors.sqlState(e), SqlErrors.message(e), failures, retry.attempts(), delay);
                closeWriter();
                sleeper.sleep(delay);
            }
        }
    }

    private void closeWriter() {
        StoreWriter w = writer;
        writer = null;
        if (w != null) {
            try {
                w.close();
            } catch (Exception ignored) {
                // the connection is gone already; the next attempt opens a new one
            }
        }
    }

    @Override
    public void close() {
        if (ownsWriter) {
            closeWriter();
        }
    }
}
