package dev.datainsight.bench.store;

import dev.datainsight.store.JdbcStoreWriter;
import dev.datainsight.store.Migrations;
import dev.datainsight.store.PartitionMaintenance;
import dev.datainsight.store.PartitionPolicy;
import dev.datainsight.store.Resolution;
import dev.datainsight.store.RollupRow;
import dev.datainsight.store.SeriesKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
     * @param optimisticRowsPerSec the default writer (optimistic COPY), new rows
     * @param replayRowsPerSec the default writer writing the same rows again (every batch conflicts
     *     and is merged through the staging table)
     * @param stagingRowsPerSec COPY into staging + INSERT..SELECT..ON CONFLICT, new rows
     * @param batchedRowsPerSec batched INSERT..ON CONFLICT with reWriteBatchedInserts, new rows
     * @param totalRows rows in metric_rollup_1m when the query ran
     * @param queryMillis median time of the one-day query for one instance and metric
     * @param queryRows rows that query returned
     * @param instanceDayMillis median time of the one-day query for one instance, all its series
     * @param instanceDayRows rows that query returned
     * @param explain EXPLAIN (ANALYZE) of the one-metric query
     */
    public record Result(double copyRowsPerSec, double optimisticRowsPerSec, double replayRowsPerSec,
            double stagingRowsPerSec, double batchedRowsPerSec, long totalRows, double queryMillis, long queryRows,
            double instanceDayMillis, long instanceDayRows, List<String> explain) {
        /** The default writer's rate for new rows over plain COPY of the same rows. */
        public double ratio() {
            return optimisticRowsPerSec / copyRowsPerSec;
        }
    }

    private final String url;
    private final long totalRows;
    private final long compareRows;
    private final int batchSize;
    private final int rounds;
    private final PrintWriter out;
    private final LocalDate day0;
    private final List<Map<String, String>> labels = new ArrayList<>();
    private final List<String> metrics = new ArrayList<>();

    /**
     * @param url superuser or owner JDBC URL of an empty database (migrated here)
     * @param totalRows rows stored before the query is measured
     * @param compareRows rows written by each strategy for the throughput comparison
     * @param batchSize rows per write call (one sink flush)
     * @param rounds rounds of the comparison; in each, every variant writes every row once, the
     *     variants alternating batch by batch (the machine may be shared)
     */
    public StoreBenchmark(String url, long totalRows, long compareRows, int batchSize, int rounds, PrintWriter out) {
        this.rounds = Math.max(1, rounds);
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
                + " strategies compared on %,d rows in batches of %,d, %d round(s) interleaved batch by batch%n", totalRows, instances(),
                SERIES_PER_INSTANCE, day0, compareRows, batchSize, rounds);
        Migrations.migrate(url, null, null);
        new PartitionMaintenance(url, null, null, PartitionPolicy.defaults(), Clock.systemUTC()).run();

        double copy;
        double optimistic;
        double replay;
        double staging;
        double batched;
        try (Connection c = JdbcStoreWriter.open(url, null, null)) {
            JdbcStoreWriter writer = new JdbcStoreWriter(c, JdbcStoreWriter.UpsertStrategy.OPTIMISTIC_COPY);
            JdbcStoreWriter staged = new JdbcStoreWriter(c, JdbcStoreWriter.UpsertStrategy.COPY_STAGING);
            JdbcStoreWriter batchedWriter = new JdbcStoreWriter(c, JdbcStoreWriter.UpsertStrategy.BATCHED_INSERT);
            // The compared rows are generated and their series created before any timing, so
            // each figure is the database work plus what the writer itself does per row: one row
            // of every series goes through each writer (which puts its id in that writer's cache),
            // then the table is emptied again; the ids feed the COPY baseline.
            List<List<RollupRow>> batches = new ArrayList<>();
            for (long from = 0; from < compareRows; from += batchSize) {
                batches.add(batch(from, Math.min(from + batchSize, compareRows), from));
            }
            Map<SeriesKey, RollupRow> oneRowPerSeries = new LinkedHashMap<>();
            for (List<RollupRow> b : batches) {
                for (RollupRow r : b) {
                    oneRowPerSeries.putIfAbsent(keyOf(r), r);
                }
            }
            List<RollupRow> seriesRows = new ArrayList<>(oneRowPerSeries.values());
            for (JdbcStoreWriter w : List.of(writer, staged, batchedWriter)) {
                w.upsertRollups(Resolution.MINUTE, seriesRows);
            }
            truncate(c);
            List<SeriesKey> keys = new ArrayList<>(oneRowPerSeries.keySet());
            long[] known = writer.seriesIds(keys);
            Map<SeriesKey, Long> idOf = new HashMap<>(keys.size() * 2);
            for (int i = 0; i < known.length; i++) {
                idOf.put(keys.get(i), known[i]);
            }
            List<long[]> ids = new ArrayList<>();
            for (List<RollupRow> b : batches) {
                long[] a = new long[b.size()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = idOf.get(keyOf(b.get(i)));
                }
                ids.add(a);
            }

            // Warm-up of every path on the first batch.
            List<List<RollupRow>> first = batches.subList(0, 1);
            CopyText fmt = new CopyText();
            timeCopy(c, fmt, first, ids);
            truncate(c);
            timeWrites(writer, first);
            timeWrites(writer, first);
            truncate(c);
            timeWrites(staged, first);
            truncate(c);
            timeWrites(batchedWriter, first);
            truncate(c);

            // Variants alternate batch by batch (batch i goes to variant (i + pass) % 4, four
            // passes per round), so every variant writes every row once per round into the same
            // table, and load from other processes on a shared machine hits all of them alike.
            JdbcStoreWriter[] writers = {null, writer, staged, batchedWriter};
            long[] nanos = new long[4];
            long[] written = new long[4];
            long replayNanos = 0;
            long replayRows = 0;
            for (int round = 0; round < rounds; round++) {
                for (int pass = 0; pass < 4; pass++) {
                    truncate(c);
                    for (int i = 0; i < batches.size(); i++) {
                        int v = (i + pass) % 4;
                        List<List<RollupRow>> one = batches.subList(i, i + 1);
                        nanos[v] += v == 0 ? timeCopy(c, fmt, one, ids.subList(i, i + 1)) : timeWrites(writers[v], one);
                        written[v] += one.get(0).size();
                    }
                    if (pass % 2 == 0) {
                        // Replay: the default writer writes the same rows again; every batch conflicts.
                        replayNanos += timeWrites(writer, batches);
                        replayRows += compareRows;
                    }
                }
                out.printf("  round %d done: COPY %,.0f | optimistic COPY upsert %,.0f | staging upsert %,.0f"
                        + " | batched INSERT upsert %,.0f | replay %,.0f rows/s (cumulative)%n", round + 1,
                        rate(written[0], nanos[0]), rate(written[1], nanos[1]), rate(written[2], nanos[2]),
                        rate(written[3], nanos[3]), rate(replayRows, replayNanos));
                out.flush();
            }
            truncate(c);
            copy = rate(written[0], nanos[0]);
            optimistic = rate(written[1], nanos[1]);
            replay = rate(replayRows, replayNanos);
            staging = rate(written[2], nanos[2]);
            batched = rate(written[3], nanos[3]);
            out.printf("  COPY (baseline)                                 %,12.0f rows/s%n", copy);
            out.printf("  upsert, default writer (optimistic COPY), new   %,12.0f rows/s  (%.2f x COPY)%n", optimistic, optimistic / copy);
            out.printf("  upsert, default writer, replay (all conflicts)  %,12.0f rows/s  (%.2f x COPY)%n", replay, replay / copy);
            out.printf("  upsert, COPY to staging + INSERT..ON CONFLICT   %,12.0f rows/s  (%.2f x COPY)%n", staging, staging / copy);
            out.printf("  upsert, batched INSERT..ON CONFLICT             %,12.0f rows/s  (%.2f x COPY)%n", batched, batched / copy);
            out.printf("  ratio default upsert / COPY = %.2f (target >= 0.5): %s%n", optimistic / copy,
                    optimistic / copy >= 0.5 ? "met" : "NOT met");
            out.flush();
            batches = null;
            ids = null;

            long t0 = System.nanoTime();
            long lastReport = t0;
            for (long from = 0; from < totalRows; from += batchSize) {
                writer.upsertRollups(Resolution.MINUTE, batch(from, Math.min(from + batchSize, totalRows), from));
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
            return query(c, copy, optimistic, replay, staging, batched);
        }
    }

    private Result query(Connection c, double copy, double optimistic, double replay, double staging, double batched)
            throws SQLException {
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
        return new Result(copy, optimistic, replay, staging, batched, total, q1[0] / 1e6, q1[1], q2[0] / 1e6, q2[1], explain);
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

    private long timeCopy(Connection c, CopyText fmt, List<List<RollupRow>> batches, List<long[]> ids)
            throws SQLException {
        long t0 = System.nanoTime();
        for (int n = 0; n < batches.size(); n++) {
            List<RollupRow> rows = batches.get(n);
            long[] seriesIds = ids.get(n);
            StringBuilder sb = new StringBuilder(rows.size() * 80);
            for (int i = 0; i < seriesIds.length; i++) {
                RollupRow r = rows.get(i);
                sb.append(seriesIds[i]).append('\t').append(fmt.bucket(r.bucketStart())).append('\t')
                        .append(r.count()).append('\t').append(CopyText.num(r.min())).append('\t')
                        .append(CopyText.num(r.max())).append('\t').append(CopyText.num(r.sum())).append('\t')
                        .append(CopyText.num(r.last())).append('\n');
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

    /** Writes the batches through the writer (its strategy decides the path). */
    private static long timeWrites(JdbcStoreWriter w, List<List<RollupRow>> batches) throws SQLException {
        long t0 = System.nanoTime();
        for (List<RollupRow> b : batches) {
            w.upsertRollups(Resolution.MINUTE, b);
        }
        return System.nanoTime() - t0;
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

    private static SeriesKey keyOf(RollupRow r) {
        return new SeriesKey(r.instance(), r.metric(), r.labels());
    }

    /** COPY's text format for the baseline's timestamps and doubles. */
    private static final class CopyText {
        private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSxxx")
                .withZone(ZoneOffset.UTC);
        private final Map<Long, String> bucketText = new HashMap<>();
        private long lastBucketMs;
        private String lastBucketText;

        /** Bucket start as COPY text, cached: a batch has few distinct buckets. */
        String bucket(long epochMs) {
            if (epochMs == lastBucketMs && lastBucketText != null) {
                return lastBucketText;
            }
            String s = bucketText.get(epochMs);
            if (s == null) {
                if (bucketText.size() > 100_000) {
                    bucketText.clear();
                }
                s = TS.format(Instant.ofEpochMilli(epochMs));
                bucketText.put(epochMs, s);
            }
            lastBucketMs = epochMs;
            lastBucketText = s;
            return s;
        }

        static String num(double d) {
            if (Double.isNaN(d)) {
                return "NaN";
            }
            if (Double.isInfinite(d)) {
                return d > 0 ? "Infinity" : "-Infinity";
            }
            return Double.toString(d);
        }
    }
}
