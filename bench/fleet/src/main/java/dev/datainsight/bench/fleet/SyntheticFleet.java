package dev.datainsight.bench.fleet;

import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.QueryText;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.StatementsSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A deterministic synthetic fleet: N PostgreSQL servers, each emitting per collection cycle the
 * snapshots a collector would (pg_stat_database and pg_database for its databases, a top-N of
 * tables, pg_stat_activity, checkpointer, bgwriter, WAL, settings, collector health, and
 * pg_stat_statements for its top statements). With the defaults (5 databases, 20 tables with the
 * 8 columns most dashboards use, 10 statements) an instance carries about 490 series.
 *
 * <p>Counters grow by pseudo-random increments seeded by (seed, instance, cycle), so the same
 * parameters always give the same stream. Incidents can be injected: a counter reset of
 * pg_stat_database (values drop, stats_reset changes) and a server restart (pg_settings shows a
 * new start time and every counter restarts near zero). Cycles must be generated in order.
 */
public final class SyntheticFleet {
    /** The table columns the generator fills (a subset of pg_stat_user_tables). */
    public static final String[] TABLE_COLUMNS = {"seq_scan", "idx_scan", "n_tup_ins", "n_tup_upd", "n_tup_del",
        "n_live_tup", "n_dead_tup", "total_size_bytes"};
    private static final boolean[] TABLE_COUNTER = {true, true, true, true, true, false, false, false};
    private static final String[] DB_COUNTERS = {"xact_commit", "xact_rollback", "blks_read", "blks_hit",
        "tup_returned", "tup_fetched", "tup_inserted", "tup_updated", "tup_deleted", "conflicts", "temp_files",
        "temp_bytes", "deadlocks", "blk_read_time", "blk_write_time", "session_time", "active_time",
        "idle_in_transaction_time", "sessions", "sessions_abandoned", "sessions_fatal", "sessions_killed"};
    private static final String[] CKPT = {"num_timed", "num_requested", "num_done", "restartpoints_timed",
        "restartpoints_req", "restartpoints_done", "write_time", "sync_time", "buffers_written"};
    private static final String[] BGW = {"buffers_clean", "maxwritten_clean", "buffers_alloc", "buffers_backend",
        "buffers_backend_fsync"};
    private static final String[] WAL = {"wal_records", "wal_fpi", "wal_bytes", "wal_buffers_full", "wal_write",
        "wal_sync", "wal_write_time", "wal_sync_time"};
    private static final String[] PGSS = {"calls", "total_exec_time", "total_plan_time", "rows", "shared_blks_hit",
        "shared_blks_read", "shared_blks_dirtied", "shared_blks_written", "temp_blks_read", "temp_blks_written",
        "shared_blk_read_time", "shared_blk_write_time", "wal_records", "wal_bytes"};
    /**
     * The pg_stat_statements columns the generator fills, in the order it fills them (the job's
     * savepoint fixture fills the same ones: frozen with it).
     */
    public static final List<String> STATEMENT_COLUMNS = List.of(PGSS);

    private final int instances;
    private final int databases;
    private final int tables;
    private final int statements;
    private final long start;
    private final long interval;
    private final long seed;
    private final Map<Long, int[]> resets = new LinkedHashMap<>();
    private final Map<Long, int[]> restarts = new LinkedHashMap<>();
    /** Per instance: every cumulative counter, in generation order. */
    private final double[][] counters;
    private final long[] serverStart;
    private final long[] dbStatsReset;
    private int nextCycle;
    private String instancePrefix = "pg-";

    /**
     * @param start collection time of cycle 0, epoch ms
     * @param interval collection interval, ms
     */
    public SyntheticFleet(int instances, int databases, int tables, int statements, long start, long interval, long seed) {
        this.instances = instances;
        this.databases = databases;
        this.tables = tables;
        this.statements = statements;
        this.start = start;
        this.interval = interval;
        this.seed = seed;
        int n = databases * DB_COUNTERS.length + tables * TABLE_COLUMNS.length + CKPT.length + BGW.length + WAL.length
                + statements * PGSS.length;
        counters = new double[instances][n];
        serverStart = new long[instances];
        dbStatsReset = new long[instances];
        for (int i = 0; i < instances; i++) {
            serverStart[i] = (start - 86_400_000L) / 1000;
            dbStatsReset[i] = start - 86_400_000L;
            SplittableRandom r = new SplittableRandom(seed * 31 + i);
            for (int k = 0; k < n; k++) {
                counters[i][k] = 1000 + r.nextInt(1_000_000);
            }
        }
    }

    /** Injects a pg_stat_database counter reset for {@code instance} at {@code cycle}. */
    public SyntheticFleet resetAt(int cycle, int... instanceIdx) {
        resets.put((long) cycle, instanceIdx);
        return this;
    }

    /** Injects a server restart for {@code instance} just before {@code cycle}. */
    public SyntheticFleet restartAt(int cycle, int... instanceIdx) {
        restarts.put((long) cycle, instanceIdx);
        return this;
    }

    /**
     * Names this fleet's instances {@code prefix} + five digits instead of {@code pg-}: two
     * fleets with different prefixes never share a series (the benchmark's warm-up pass).
     */
    public SyntheticFleet withInstancePrefix(String prefix) {
        this.instancePrefix = prefix;
        return this;
    }

    /** Instance id of index {@code i}. */
    public static String instanceId(int i) {
        return String.format("pg-%05d", i);
    }

    /** Series per instance with these parameters. */
    public int seriesPerInstance() {
        return databases * (DB_COUNTERS.length + 1) + databases * 4 + tables * TABLE_COLUMNS.length + 15 + CKPT.length
                + BGW.length + WAL.length + 2 + 4 + statements * PGSS.length;
    }

    /** Collection time of a cycle. */
    public long timeOf(int cycle) {
        return start + cycle * interval;
    }

    /** All snapshots of the next cycle, instance by instance (10 per instance). */
    public List<Snapshot> nextCycle() {
        int c = nextCycle++;
        List<Snapshot> out = new ArrayList<>(instances * 10);
        for (int i = 0; i < instances; i++) {
            out.addAll(instanceCycle(i, c));
        }
        return out;
    }

    /** Calls {@code sink} for every snapshot of the next cycle, without building a list. */
    public void nextCycle(java.util.function.Consumer<Snapshot> sink) {
        int c = nextCycle++;
        for (int i = 0; i < instances; i++) {
            for (Snapshot s : instanceCycle(i, c)) {
                sink.accept(s);
            }
        }
    }

    private static boolean contains(int[] a, int v) {
        if (a == null) {
            return false;
        }
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    private List<Snapshot> instanceCycle(int i, int c) {
        long ts = timeOf(c);
        String id = instancePrefix + String.format("%05d", i);
        double[] k = counters[i];
        SplittableRandom r = new SplittableRandom((seed * 1_000_003L + i) * 1_000_033L + c);
        boolean restart = contains(restarts.get((long) c), i);
        boolean reset = restart || contains(resets.get((long) c), i);
        if (restart) {
            serverStart[i] = (ts - interval / 2) / 1000;
            for (int j = 0; j < k.length; j++) {
                k[j] = r.nextInt(50);
            }
        }
        if (reset) {
            dbStatsReset[i] = ts - interval / 2;
            for (int j = 0; j < databases * DB_COUNTERS.length; j++) {
                k[j] = r.nextInt(20);
            }
        }
        for (int j = 0; j < k.length; j++) {
            k[j] += r.nextInt(200);
        }
        Map<String, String> instLabels = new LinkedHashMap<>();
        instLabels.put("env", i % 2 == 0 ? "prod" : "staging");
        instLabels.put("cluster", "c" + (i % 7));
        List<Snapshot> out = new ArrayList<>(10);
        int p = 0;

        MetricsSnapshot db = metrics(id, ts, "pg_stat_database", instLabels);
        MetricsSnapshot dbs = metrics(id, ts, "pg_database", instLabels);
        for (int d = 0; d < databases; d++) {
            SnapshotRow row = new SnapshotRow().label("datname", "db" + d);
            row.value("numbackends", (double) r.nextInt(50));
            for (String col : DB_COUNTERS) {
                row.value(col, k[p++]);
            }
            row.setStatsReset(dbStatsReset[i]);
            db.getRows().add(row);
            dbs.getRows().add(new SnapshotRow().label("datname", "db" + d)
                    .value("size_bytes", 1e9 + d * 1e7 + c * 8192.0)
                    .value("xid_age", 1_000_000.0 + c * 100 + d)
                    .value("mxid_age", 5000.0 + c)
                    .value("datconnlimit", -1.0));
        }
        out.add(db);
        out.add(dbs);

        MetricsSnapshot tbl = metrics(id, ts, "pg_stat_user_tables", instLabels);
        for (int t = 0; t < tables; t++) {
            SnapshotRow row = new SnapshotRow().label("datname", "db" + (t % Math.max(1, databases)))
                    .label("schemaname", "public").label("relname", "t" + t);
            for (int j = 0; j < TABLE_COLUMNS.length; j++) {
                double v = TABLE_COUNTER[j] ? k[p++] : (double) (r.nextInt(100_000) + (j == 7 ? 8192L * c : 0));
                row.value(TABLE_COLUMNS[j], v);
            }
            tbl.getRows().add(row);
        }
        out.add(tbl);

        MetricsSnapshot act = metrics(id, ts, "pg_stat_activity", instLabels);
        SnapshotRow a = new SnapshotRow();
        for (String col : List.of("connections_total", "connections_active", "connections_idle",
                "connections_idle_in_transaction", "connections_idle_in_transaction_aborted",
                "connections_waiting_lock", "connections_waiting_other", "autovacuum_workers")) {
            a.value(col, (double) r.nextInt(40));
        }
        a.value("max_connections", 100.0).value("reserved_connections", 3.0)
                .value("oldest_xact_age_seconds", (double) r.nextInt(600))
                .value("oldest_autovacuum_xact_age_seconds", null)
                .value("oldest_idle_in_transaction_seconds", (double) r.nextInt(60))
                .value("longest_lock_wait_seconds", 0.0)
                .value("longest_running_query_seconds", (double) r.nextInt(30));
        act.getRows().add(a);
        out.add(act);

        out.add(single(id, ts, "pg_stat_checkpointer", instLabels, CKPT, k, p, dbStatsReset[i]));
        p += CKPT.length;
        out.add(single(id, ts, "pg_stat_bgwriter", instLabels, BGW, k, p, dbStatsReset[i]));
        p += BGW.length;
        out.add(single(id, ts, "pg_stat_wal", instLabels, WAL, k, p, dbStatsReset[i]));
        p += WAL.length;

        MetricsSnapshot set = metrics(id, ts, "pg_settings", instLabels);
        set.getRows().add(new SnapshotRow().value("max_connections", 100.0)
                .value("server_start_epoch", (double) serverStart[i]));
        out.add(set);

        MetricsSnapshot col = metrics(id, ts, "datainsight_collector", instLabels);
        col.getRows().add(new SnapshotRow().label("probe", "").value("up", 1.0).value("duration_ms", (double) r.nextInt(20))
                .value("rows", 0.0).value("error", 0.0));
        out.add(col);

        StatementsSnapshot st = statements(id, ts, instLabels);
        for (int q = 0; q < statements; q++) {
            String qid = Long.toString(1_000_000_000L + q * 7919L);
            SnapshotRow row = new SnapshotRow().label("queryid", qid).label("datname", "db" + (q % Math.max(1, databases)))
                    .label("rolname", "app").label("toplevel", "true");
            for (String colName : PGSS) {
                row.value(colName, k[p++]);
            }
            st.getRows().add(row);
            if (c == 0) {
                st.getTexts().add(new QueryText(qid, "SELECT * FROM t" + q + " WHERE id = $1", false));
            }
        }
        out.add(st);
        return out;
    }

    /**
     * A metrics snapshot of {@code view} without rows, as the collector of a PostgreSQL 17.0.11
     * server writes it at {@code ts}: the fleet's snapshots start here, and other deterministic
     * fixtures build theirs the same way. The job's committed savepoint fixture ({@code
     * SavepointStream} in the job's tests) is built with it: changing what it sets invalidates that
     * fixture (its digest check fails).
     *
     * @param labels the instance labels (kept, not copied)
     */
    public static MetricsSnapshot metrics(String id, long ts, String view, Map<String, String> labels) {
        MetricsSnapshot s = new MetricsSnapshot();
        s.setInstance(id);
        s.setServerVersionNum(170011);
        s.setCollectedAt(ts);
        s.setView(view);
        s.setLabels(labels);
        return s;
    }

    /**
     * A pg_stat_statements snapshot without rows or texts, as the collector of a PostgreSQL 17.0.11
     * server with pg_stat_statements 1.11 writes it at {@code ts} (frozen with the job's savepoint
     * fixture, like {@link #metrics}).
     *
     * @param labels the instance labels (kept, not copied)
     */
    public static StatementsSnapshot statements(String id, long ts, Map<String, String> labels) {
        StatementsSnapshot st = new StatementsSnapshot();
        st.setInstance(id);
        st.setServerVersionNum(170011);
        st.setCollectedAt(ts);
        st.setLabels(labels);
        st.setExtensionVersion("1.11");
        return st;
    }

    private static MetricsSnapshot single(String id, long ts, String view, Map<String, String> labels, String[] cols,
            double[] k, int p, long statsReset) {
        MetricsSnapshot s = metrics(id, ts, view, labels);
        s.setStatsReset(statsReset);
        SnapshotRow row = new SnapshotRow();
        for (int j = 0; j < cols.length; j++) {
            row.value(cols[j], k[p + j]);
        }
        s.getRows().add(row);
        return s;
    }
}
