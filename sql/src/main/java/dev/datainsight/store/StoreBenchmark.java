package dev.datainsight.store;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.postgresql.PGConnection;

/**
 * The store benchmark behind {@code datainsight bench store}: upserts of 1-minute rollups into
 * the partitioned table against plain COPY of the same rows into the same table (the baseline,
 * same run, same batches), both upsert strategies, and the one-day, one-instance query once the
 * table holds {@code rows} rows. Prints as it goes; returns the figures for tests and docs.
 */
public final class StoreBenchmark {

    /** Series per synthetic instance: 50 single-row metrics and 450 per-table ones. */
    public static final int SERIES_PER_INSTANCE = 500;

    /**
     * Measured figures.
     *
     * @param copyRowsPerSec plain COPY into metric_rollup_1m
     * @param stagingRowsPerSec COPY into staging + INSERT..SELECT..ON CONFLICT, new rows
     * @param stagingReplayRowsPerSec the same, writing the same rows again (all conflicts)
     * @param batchedRowsPerSec batched INSERT..ON CONFLICT with reWriteBatchedInserts, new rows
     * @param totalRows rows in metric_rollup_1m when the query ran
     * @param queryMillis median time of the one-day query for one instance and metric
     * @param queryRows rows that query returned
     * @param instanceDayMillis median time of the one-day query for one instance, all its series
     * @param instanceDayRows rows that query returned
     * @param explain EXPLAIN (ANALYZE) of the one-metric query
     */
    public record Result(double copyRowsPerSec, double stagingRowsPerSec, double stagingReplayRowsPerSec,
            double batchedRowsPerSec, long totalRows, double queryMillis, long queryRows, double instanceDayMillis,
            long instanceDayRows, List<String> explain) {
        public double ratio() {
            return stagingRowsPerSec / copyRowsPerSec;
        }
    }

    private final String url;
    private final long totalRows;
    private final long compareRows;
    private final int batchSize;
    private final PrintWriter out;
    private final LocalDate day0;
    private final List<Map<String, String>> labels = new ArrayList<>();
    private final List<String> metrics = new ArrayList<>();

    /**
     * @param url superuser or owner JDBC URL of an empty database (migrated here)
     * @param totalRows rows stored before the query is measured
     * @param compareRows rows written by each strategy for the throughput comparison
     * @param batchSize rows per write call (one sink flush)
     */
    public StoreBenchmark(String url, long totalRows, long compareRows, int batchSize, PrintWriter out) {
        this.url = url;
        this.totalRows = totalRows;
        this.compareRows = Math.min(compareRows, totalRows);
        this.batchSize = batchSize;
        this.out = out;
        this.day0 = LocalDate.now(ZoneOffset.UTC);
        for (int s = 0; s < SERIES_PER_INSTANCE; s++) {
            if (s < 50) {
                metrics.add(s < 20 ? "pg_stat_database." + new String[] {"xact_commit", "xact_rollback", "blks_read", "blks_hit",
                        "tup_returned", "tup_fetched", "tup_inserted", "tup_updated", "tup_deleted", "temp_bytes"}[s % 10]
                        : "pg_stat_activity.gauge_" + s);
                labels.add(s < 20 ? Map.of("datname", s < 10 ? "app" : "reporting") : Map.of());
            } else {
                metrics.add("pg_stat_user_tables." + new String[] {"n_dead_tup", "n_live_tup", "seq_scan", "idx_scan",
                        "n_tup_upd", "n_tup_ins", "heap_blks_read", "heap_blks_hit", "table_size_bytes"}[s % 9]);
                labels.add(Map.of("datname", "app", "schemaname", "public", "relname", "table_" + (s / 9)));
            }
        }
    }

    /** Row number {@code i} of the synthetic stream: minute-major, like a live feed. */
    RollupRow row(long i, SplittableRandom rnd) {
        long perMinute = instances() * (long) SERIES_PER_INSTANCE;
        long minute = i / perMinute;
        int inst = (int) ((i % perMinute) / SERIES_PER_INSTANCE);
        int s = (int) (i % SERIES_PER_INSTANCE);
        long bucket = day0.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli() + minute * 60_000L;
        double min = rnd.nextDouble() * 1000;
        double max = min + rnd.nextDouble() * 100;
        return new RollupRow("bench-" + inst, metrics.get(s), labels.get(s), bucket, 6, min, max, (min + max) * 3, max);
    }

    /** Instances so that the rows span about two days of minutes. */
    int instances() {
        return (int) Math.max(1, (totalRows + 2L * 1440 * SERIES_PER_INSTANCE - 1) / (2L * 1440 * SERIES_PER_INSTANCE));
    }

    private List<RollupRow> batch(long from, long to, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<RollupRow> b = new ArrayList<>((int) (to - from));
        for (long i = from; i < to; i++) {
            b.add(row(i, rnd));
        }
        return b;
    }

    public Result run() throws SQLException {
        out.printf("store benchmark: %,d rows in metric_rollup_1m (%d instances x %d series, minute buckets from %s),"
                + " strategies compared on %,d rows in batches of %,d%n", totalRows, instances(), SERIES_PER_INSTANCE, day0,
                compareRows, batchSize);
        Migrations.migrate(url, null, null);
        new PartitionMaintenance(url, null, null, PartitionPolicy.defaults(), Clock.systemUTC()).run();

        double copy;
        double staging;
        double replay;
        double batched;
        try (Connection c = JdbcStoreWriter.open(url, null, null)) {
            JdbcStoreWriter staged = new JdbcStoreWriter(c, JdbcStoreWriter.UpsertStrategy.COPY_STAGING);
            JdbcStoreWriter batchedWriter = new JdbcStoreWriter(c, JdbcStoreWriter.UpsertStrategy.BATCHED_INSERT);
            // Series ids first (not timed), so every variant writes into the same table state.
            for (long from = 0; from < Math.min(compareRows, (long) instances() * SERIES_PER_INSTANCE); from += batchSize) {
                staged.resolveSeries(batch(from, Math.min(from + batchSize, compareRows), from));
            }
            batchedWriter.resolveSeries(batch(0, Math.min(compareRows, (long) instances() * SERIES_PER_INSTANCE), 0));

            // Warm-up of both paths on a small slice, then clean.
            timeStaging(staged, Math.min(compareRows, 20_000));
            timeBatched(batchedWriter, Math.min(compareRows, 20_000));
            truncate(c);

            copy = rate(compareRows, timeCopy(c, staged, compareRows));
            out.printf("  COPY (baseline)                          %,12.0f rows/s%n", copy);
            truncate(c);
            staging = rate(compareRows, timeStaging(staged, compareRows));
            out.printf("  upsert: COPY to staging + INSERT..SELECT %,12.0f rows/s  (%.2f x COPY)%n", staging, staging / copy);
            replay = rate(compareRows, timeStaging(staged, compareRows));
            out.printf("  upsert replay (same rows again)          %,12.0f rows/s  (%.2f x COPY)%n", replay, replay / copy);
            truncate(c);
            batched = rate(compareRows, timeBatched(batchedWriter, compareRows));
            out.printf("  upsert: batched INSERT..ON CONFLICT      %,12.0f rows/s  (%.2f x COPY)%n", batched, batched / copy);
            truncate(c);
            out.printf("  ratio upsert (staging) / COPY = %.2f (target >= 0.5): %s%n", staging / copy,
                    staging / copy >= 0.5 ? "met" : "NOT met");
            out.flush();

            long t0 = System.nanoTime();
            long lastReport = t0;
            for (long from = 0; from < totalRows; from += batchSize) {
                staged.upsertRollups(Resolution.MINUTE, batch(from, Math.min(from + batchSize, totalRows), from));
                if (System.nanoTime() - lastReport > 15_000_000_000L) {
                    lastReport = System.nanoTime();
                    out.printf("  filling: %,d rows%n", from + batchSize);
                    out.flush();
                }
            }
            double fillSecs = (System.nanoTime() - t0) / 1e9;
            out.printf("  filled %,d rows in %.1f s (%,.0f rows/s through the writer)%n", totalRows, fillSecs, totalRows / fillSecs);
            try (Statement st = c.createStatement()) {
                c.setAutoCommit(true);
                st.execute("VACUUM ANALYZE metric_rollup_1m");
                st.execute("ANALYZE series");
            }
            return query(c, copy, staging, replay, batched);
        }
    }

    private Result query(Connection c, double copy, double staging, double replay, double batched) throws SQLException {
        String from = day0 + " 00:00:00+00";
        String to = day0.plusDays(1) + " 00:00:00+00";
        String oneMetric = "SELECT labels ->> 'datname' AS datname, bucket, avg FROM metric_1m WHERE instance = 'bench-0'"
                + " AND metric = 'pg_stat_database.blks_hit' AND bucket >= '" + from + "' AND bucket < '" + to + "'";
        String allMetrics = "SELECT metric, labels, bucket, last FROM metric_1m WHERE instance = 'bench-0'"
                + " AND bucket >= '" + from + "' AND bucket < '" + to + "'";
        long total;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM metric_rollup_1m")) {
            rs.next();
            total = rs.getLong(1);
        }
        List<String> explain = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("EXPLAIN (ANALYZE, COSTS OFF, BUFFERS) " + oneMetric)) {
            while (rs.next()) {
                explain.add(rs.getString(1));
            }
        }
        long[] q1 = timeQuery(c, oneMetric);
        long[] q2 = timeQuery(c, allMetrics);
        out.printf("  table holds %,d rows; one instance, one metric, one day: %,d rows in %.1f ms (median of 7)%n",
                total, q1[1], q1[0] / 1e6);
        out.printf("  one instance, all %d series, one day: %,d rows in %.1f ms (median of 7)%n", SERIES_PER_INSTANCE,
                q2[1], q2[0] / 1e6);
        out.println("  EXPLAIN (ANALYZE, COSTS OFF, BUFFERS) " + oneMetric);
        for (String line : explain) {
            out.println("    " + line);
        }
        return new Result(copy, staging, replay, batched, total, q1[0] / 1e6, q1[1], q2[0] / 1e6, q2[1], explain);
    }

    /** Median nanos over 7 runs (after one warm-up) and the row count. */
    private static long[] timeQuery(Connection c, String sql) throws SQLException {
        long[] times = new long[7];
        long rows = 0;
        for (int i = -1; i < times.length; i++) {
            long t0 = System.nanoTime();
            long n = 0;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                while (rs.next()) {
                    n++;
                }
            }
            if (i >= 0) {
                times[i] = System.nanoTime() - t0;
            }
            rows = n;
        }
        Arrays.sort(times);
        return new long[] {times[times.length / 2], rows};
    }

    private long timeCopy(Connection c, JdbcStoreWriter ids, long n) throws SQLException {
        long t0 = System.nanoTime();
        for (long from = 0; from < n; from += batchSize) {
            List<RollupRow> rows = batch(from, Math.min(from + batchSize, n), from);
            Map<JdbcStoreWriter.SeriesKey, Long> seriesIds = ids.resolveSeries(rows);
            StringBuilder sb = new StringBuilder(rows.size() * 80);
            for (RollupRow r : rows) {
                sb.append(seriesIds.get(JdbcStoreWriter.keyOf(r))).append('\t').append(ids.bucket(r.bucketStart())).append('\t')
                        .append(r.count()).append('\t').append(JdbcStoreWriter.num(r.min())).append('\t')
                        .append(JdbcStoreWriter.num(r.max())).append('\t').append(JdbcStoreWriter.num(r.sum())).append('\t')
                        .append(JdbcStoreWriter.num(r.last())).append('\n');
            }
            try {
                c.unwrap(PGConnection.class).getCopyAPI().copyIn(
                        "COPY metric_rollup_1m (series_id, bucket, count, min, max, sum, last) FROM STDIN",
                        new StringReader(sb.toString()));
            } catch (IOException e) {
                throw new SQLException(e);
            }
            c.commit();
        }
        return System.nanoTime() - t0;
    }

    private long timeStaging(JdbcStoreWriter w, long n) throws SQLException {
        long t0 = System.nanoTime();
        for (long from = 0; from < n; from += batchSize) {
            w.upsertRollups(Resolution.MINUTE, batch(from, Math.min(from + batchSize, n), from));
        }
        return System.nanoTime() - t0;
    }

    private long timeBatched(JdbcStoreWriter w, long n) throws SQLException {
        return timeStaging(w, n); // the writer's strategy decides the path
    }

    private static void truncate(Connection c) throws SQLException {
        boolean auto = c.getAutoCommit();
        try (Statement st = c.createStatement()) {
            st.execute("TRUNCATE metric_rollup_1m");
            if (!auto) {
                c.commit();
            }
        }
    }

    private static double rate(long rows, long nanos) {
        return rows / (nanos / 1e9);
    }
}
