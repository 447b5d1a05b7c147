package dev.datainsight.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.BiPredicate;
import java.util.function.Function;

/**
 * The upsert of one low-volume table (statement rollups and texts, instances, alert events,
 * insights): the rows of a call are reduced to one per key first (one {@code INSERT ... ON
 * CONFLICT DO UPDATE} may not update a row twice), then sent as one batched statement.
 *
 * <p>Of the rows sharing a key, {@code wins} decides which row is the key's own; {@code fold}
 * may carry more from the others (the oldest first-seen time, say). The key's value is sent at
 * the place of the row that won it.
 *
 * @param <T> the rows a caller writes
 * @param <R> what is bound per key (the winning row, or the row with what was folded into it)
 */
final class TableUpsert<T, R> {

    /** Binds one value to the statement's parameters. */
    @FunctionalInterface
    interface Binder<R> {
        void bind(PreparedStatement ps, R value) throws SQLException;
    }

    /** Binds row {@code i} of a batch to the statement's parameters. */
    @FunctionalInterface
    interface IndexBinder {
        void bind(PreparedStatement ps, int i) throws SQLException;
    }

    private static final int BATCH = 1000;

    private final String sql;
    private final Function<? super T, ?> key;
    private final BiPredicate<R, T> wins;
    private final BiFunction<R, T, R> fold;
    private final Binder<R> binder;

    private TableUpsert(String sql, Function<? super T, ?> key, BiPredicate<R, T> wins, BiFunction<R, T, R> fold,
            Binder<R> binder) {
        this.sql = sql;
        this.key = key;
        this.wins = wins;
        this.fold = fold;
        this.binder = binder;
    }

    /** Of the rows sharing a key, the last one is written. */
    static <T> TableUpsert<T, T> lastWins(String sql, Function<? super T, ?> key, Binder<T> binder) {
        return new TableUpsert<>(sql, key, (kept, row) -> true, (kept, row) -> row, binder);
    }

    /**
     * Of the rows sharing a key, {@code fold(kept, row)} gives what is kept ({@code kept} is null
     * for the key's first row); {@code wins(kept, row)} says whether {@code row} now stands for the
     * key (it is then sent at its place).
     */
    static <T, R> TableUpsert<T, R> folding(String sql, Function<? super T, ?> key, BiPredicate<R, T> wins,
            BiFunction<R, T, R> fold, Binder<R> binder) {
        return new TableUpsert<>(sql, key, wins, fold, binder);
    }

    /** One value per key, in the order they are sent. */
    List<R> reduce(Collection<? extends T> rows) {
        Map<Object, R> kept = new LinkedHashMap<>();
        for (T row : rows) {
            Object k = key.apply(row);
            R cur = kept.get(k);
            R next = fold.apply(cur, row);
            if (cur != null && wins.test(cur, row)) {
                kept.remove(k);
            }
            kept.put(k, next);
        }
        return new ArrayList<>(kept.values());
    }

    /** Sends the reduced values on {@code conn}, in the caller's transaction. */
    void send(Connection conn, List<R> values) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            inBatches(ps, values.size(), (p, i) -> binder.bind(p, values.get(i)));
        }
    }

    /** Binds and adds {@code rows} rows to {@code ps}, executing every thousand and at the end. */
    static void inBatches(PreparedStatement ps, int rows, IndexBinder bind) throws SQLException {
        for (int i = 0; i < rows; i++) {
            bind.bind(ps, i);
            ps.addBatch();
            if ((i + 1) % BATCH == 0) {
                ps.executeBatch();
            }
        }
        ps.executeBatch();
    }
}
