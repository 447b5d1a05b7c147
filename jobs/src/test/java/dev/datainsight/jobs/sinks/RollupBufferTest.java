package dev.datainsight.jobs.sinks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.RollupBatch;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.QueryText;
import dev.datainsight.store.InsightRow;
import dev.datainsight.store.InstanceRow;
import dev.datainsight.store.JdbcStoreWriter;
import dev.datainsight.store.Migrations;
import dev.datainsight.store.Resolution;
import dev.datainsight.store.RollupColumns;
import dev.datainsight.store.RollupRow;
import dev.datainsight.store.SeriesKey;
import dev.datainsight.store.StatementRollupRow;
import dev.datainsight.store.StoreWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sink's rollup buffer writes by series id through its own id cache: the rows in the store are
 * exactly those the plain row path ({@link RollupBuffer#toRows} + {@code upsertRollups}) writes,
 * known series cost no trip to the series table, and a failed series creation leaves nothing
 * half-resolved in the cache.
 */
class RollupBufferTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension();

    private static final long T = 1_780_000_000_000L / 3_600_000L * 3_600_000L;
    private static final String VIEW = "pg_stat_user_tables";

    /** A batch of two tables; the second row has no sample in its first column (count 0). */
    private static RollupBatch batch(String instance, int resolution, long bucket, double base) {
        RollupBatch b = new RollupBatch();
        b.instance = instance;
        b.view = VIEW;
        b.resolution = resolution;
        b.bucketStart = bucket;
        String sep = String.valueOf(CompactSnapshot.LABEL_SEPARATOR);
        b.rowKeys = new String[] {String.join(sep, "app", "public", "orders"), String.join(sep, "app", "public", "items")};
        List<String> cols = new ArrayList<>(MetricCatalog.view(VIEW).columns().keySet());
        b.columns = new int[] {cols.indexOf("n_live_tup"), cols.indexOf("n_dead_tup"), cols.indexOf("seq_scan")};
        int n = b.rowKeys.length * b.columns.length;
        b.count = new int[n];
        b.min = new double[n];
        b.max = new double[n];
        b.sum = new double[n];
        b.last = new double[n];
        for (int i = 0; i < n; i++) {
            b.count[i] = i == 3 ? 0 : 6;
            b.min[i] = base + i;
            b.max[i] = base + i + 2;
            b.sum[i] = 6 * (base + i + 1);
            b.last[i] = base + i + 1;
        }
        return b;
    }

    private static String store(String name) throws Exception {
        String url = PG.server().jdbcUrl(PG.freshDatabase(name));
        Migrations.migrate(url, null, null);
        return url;
    }

    private static List<List<Object>> dump(String url, String table) throws Exception {
        List<List<Object>> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT s.instance, s.metric, s.labels::text, r.bucket, r.count, r.min, r.max,"
                        + " r.sum, r.last FROM " + table + " r JOIN series s ON s.id = r.series_id ORDER BY 1, 2, 3, 4")) {
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= 9; i++) {
                    row.add(rs.getObject(i));
                }
                out.add(row);
            }
        }
        return out;
    }

    @Test
    void writesById_theSameRowsAsThePlainRowPath_andKnownSeriesSkipTheSeriesTable() throws Exception {
        String byId = store("buffer_by_id");
        String byRow = store("buffer_by_row");
        List<RollupBatch> first = List.of(batch("db-1", RollupBatch.MINUTE, T, 1), batch("db-2", RollupBatch.MINUTE, T, 10),
                batch("db-1", RollupBatch.HOUR, T, 100));
        List<RollupBatch> second = List.of(batch("db-1", RollupBatch.MINUTE, T + 60_000, 2),
                batch("db-2", RollupBatch.MINUTE, T + 60_000, 20),
                batch("db-1", RollupBatch.MINUTE, T, 5)); // a late update of the first minute

        try (CountingWriter w = new CountingWriter(new JdbcStoreWriter(byId, null, null))) {
            RollupBuffer prototype = new RollupBuffer();
            StoreBuffer<RollupBatch> buf = prototype.fresh();
            first.forEach(buf::add);
            buf.flush(StoreCalls.over(w));
            assertEquals(1, w.seriesCalls, "one call creates the first flush's new series");
            assertEquals(10, w.seriesAsked, "2 instances x 5 series with samples (the hour shares db-1's ids)");
            buf = prototype.fresh();
            second.forEach(buf::add);
            buf.flush(StoreCalls.over(w));
            assertEquals(1, w.seriesCalls, "the second flush finds every id in the cache");
        }
        try (JdbcStoreWriter w = new JdbcStoreWriter(byRow, null, null)) {
            for (List<RollupBatch> flush : List.of(first, second)) {
                for (RollupBatch b : flush) {
                    List<RollupRow> rows = new ArrayList<>();
                    RollupBuffer.toRows(b, rows);
                    w.upsertRollups(b.resolution == RollupBatch.HOUR ? Resolution.HOUR : Resolution.MINUTE, rows);
                }
            }
        }
        for (String table : List.of("metric_rollup_1m", "metric_rollup_1h")) {
            List<List<Object>> expected = dump(byRow, table);
            assertEquals(table.endsWith("1m") ? 20 : 5, expected.size(), table);
            assertEquals(expected, dump(byId, table), table);
        }
    }

    @Test
    void aFailedSeriesCreation_leavesNothingPending_andTheNextFlushWritesEverything() throws Exception {
        String url = store("buffer_failure");
        RollupBuffer prototype = new RollupBuffer();
        try (CountingWriter w = new CountingWriter(new JdbcStoreWriter(url, null, null))) {
            w.failNextSeriesCall = true;
            StoreBuffer<RollupBatch> buf = prototype.fresh();
            buf.add(batch("db-1", RollupBatch.MINUTE, T, 1));
            assertThrows(SQLException.class, () -> buf.flush(StoreCalls.over(w)));
            StoreBuffer<RollupBatch> retry = prototype.fresh();
            retry.add(batch("db-1", RollupBatch.MINUTE, T, 1));
            retry.flush(StoreCalls.over(w));
            assertEquals(5, w.seriesAsked, "the retry asks for all 5 series again: none was left pending");
        }
        assertEquals(5, dump(url, "metric_rollup_1m").size());
    }

    /** A real writer that counts series requests and can fail one (a lost connection, say). */
    private static final class CountingWriter implements StoreWriter {
        private final StoreWriter delegate;
        int seriesCalls;
        int seriesAsked;
        boolean failNextSeriesCall;

        CountingWriter(StoreWriter delegate) {
            this.delegate = delegate;
        }

        @Override
        public long[] seriesIds(List<SeriesKey> keys) throws SQLException {
            if (failNextSeriesCall) {
                failNextSeriesCall = false;
                throw new SQLException("connection lost (injected)");
            }
            seriesCalls++;
            seriesAsked += keys.size();
            return delegate.seriesIds(keys);
        }

        @Override
        public void upsertRollupsById(Resolution resolution, RollupColumns rows) throws SQLException {
            delegate.upsertRollupsById(resolution, rows);
        }

        @Override
        public void upsertRollups(Resolution resolution, Collection<RollupRow> rows) throws SQLException {
            delegate.upsertRollups(resolution, rows);
        }

        @Override
        public void upsertStatementRollups(Collection<StatementRollupRow> rows) throws SQLException {
            delegate.upsertStatementRollups(rows);
        }

        @Override
        public void upsertStatementTexts(String instance, Collection<QueryText> texts, long seenAt) throws SQLException {
            delegate.upsertStatementTexts(instance, texts, seenAt);
        }

        @Override
        public void upsertInstances(Collection<InstanceRow> rows) throws SQLException {
            delegate.upsertInstances(rows);
        }

        @Override
        public void insertAlertEvents(Collection<AlertEvent> events) throws SQLException {
            delegate.insertAlertEvents(events);
        }

        @Override
        public void upsertInsights(Collection<InsightRow> rows) throws SQLException {
            delegate.upsertInsights(rows);
        }

        @Override
        public void upsertQueryPlans(Collection<dev.datainsight.store.QueryPlanRow> rows) throws SQLException {
            delegate.upsertQueryPlans(rows);
        }

        @Override
        public void close() throws SQLException {
            delegate.close();
        }
    }

    @Test
    void statementRows_sumTheSquaresOverToplevel_andKeepTheLargestMaxSeen() {
        List<String> cols = new ArrayList<>(MetricCatalog.view("pg_stat_statements").columns().keySet());
        RollupBatch b = new RollupBatch();
        b.instance = "db-1";
        b.view = "pg_stat_statements";
        b.resolution = RollupBatch.STATEMENTS;
        b.bucketStart = 3_600_000L;
        char sep = CompactSnapshot.LABEL_SEPARATOR;
        b.rowKeys = new String[] {"42" + sep + "app" + sep + "web" + sep + "true", "42" + sep + "app" + sep + "web" + sep + "false",
            "7" + sep + "app" + sep + "web" + sep + "true"};
        int nc = cols.size();
        b.columns = new int[nc];
        for (int j = 0; j < nc; j++) {
            b.columns[j] = j;
        }
        b.count = new int[3 * nc];
        b.min = new double[3 * nc];
        b.max = new double[3 * nc];
        b.sum = new double[3 * nc];
        b.last = new double[3 * nc];
        // rows 0 and 1: the same statement at top level and nested; row 2: an older collector's row
        double[][] v = {{10, 12_000, 1_450_000, 1300}, {2, 100, 5000, 60}, {5, 50, Double.NaN, Double.NaN}};
        String[] names = {"calls", "total_exec_time", "exec_time_sq", "max_exec_time"};
        for (int r = 0; r < 3; r++) {
            for (int k = 0; k < names.length; k++) {
                if (Double.isNaN(v[r][k])) {
                    continue;
                }
                int i = r * nc + cols.indexOf(names[k]);
                b.count[i] = 2;
                b.sum[i] = v[r][k];
                b.min[i] = v[r][k] - 1;
                b.max[i] = v[r][k];
            }
        }
        List<StatementRollupRow> rows = RollupBuffer.statementRows(b);
        assertEquals(2, rows.size());
        StatementRollupRow q42 = rows.get(0);
        assertEquals("42", q42.queryid());
        assertEquals(12.0, q42.calls());
        assertEquals(1_455_000.0, q42.execTimeSqMs2());
        assertEquals(1300.0, q42.maxExecTimeMs());
        StatementRollupRow q7 = rows.get(1);
        assertEquals(null, q7.execTimeSqMs2(), "no exec_time_sq from an older collector");
        assertEquals(null, q7.maxExecTimeMs());
    }
}
