package dev.datainsight.bench.collector;

import dev.datainsight.collector.Collector;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.StatementsSnapshot;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The collector's cost on the monitored server ({@code ./datainsight bench collector}): on a
 * database with many tables and distinct statements, full collection cycles run as a pg_monitor
 * role, and the server time of every probe (execution + planning, read from pg_stat_statements
 * of the collector's own marked queries) is printed against the budget, next to a
 * {@code SELECT 1} baseline measured the same way in the same run.
 *
 * <p>The server must run with {@link #serverSettings(int)}; the caller starts it (the CLI starts
 * an embedded PostgreSQL) and hands over a fresh database.
 */
public final class CollectorBenchmark {
    private static final Pattern PROBE = Pattern.compile("/\\* probe=([a-z_0-9]+) \\*/");
    private static final String ROLE = "di_bench";
    private static final String PASSWORD = "bench";
    private static final String INSTANCE = "bench";

    /**
     * @param tables tables to create
     * @param statements distinct statements to run before measuring
     * @param cycles full cycles measured after the first
     * @param budgetMs server-time budget of one cycle
     */
    public record Params(int tables, int statements, int cycles, double budgetMs) {}

    /** Server time of the steady cycles, in ms. */
    public record Result(double meanMs, double maxMs, double meanWithoutSizesMs, double budgetMs) {
        public boolean withinBudget() {
            return maxMs <= budgetMs;
        }
    }

    private final Params p;
    private final PrintWriter out;

    public CollectorBenchmark(Params p, PrintWriter out) {
        this.p = p;
        this.out = out;
    }

    /** The server settings the measurement needs: room for every statement, planning time tracked. */
    public static Map<String, String> serverSettings(int statements) {
        return Map.of("pg_stat_statements.max", String.valueOf(Math.max(10_000, statements * 2)),
                "pg_stat_statements.track_planning", "on");
    }

    /**
     * Sets up the database and measures.
     *
     * @param superuserUrl a superuser JDBC URL (credentials included) of a fresh database
     * @param monitoredUrl the same database's URL without credentials, for the collector's role
     */
    public Result run(String superuserUrl, String monitoredUrl) throws Exception {
        long t0 = System.nanoTime();
        try (Connection su = DriverManager.getConnection(superuserUrl); Statement st = su.createStatement()) {
            setUp(st, t0);
        }
        FleetConfig cfg = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder(INSTANCE).url(monitoredUrl).user(ROLE).password(PASSWORD).build())
                .build();
        try (Collector c = new Collector(cfg, s -> { }); Connection su = DriverManager.getConnection(superuserUrl)) {
            baseline(su, monitoredUrl);
            report("first cycle (new connections, query texts of 100 new query ids)", c, su);
            double sum = 0;
            double max = 0;
            double sumNoSizes = 0;
            for (int i = 0; i < p.cycles(); i++) {
                double[] total = report("steady cycle " + (i + 1), c, su);
                sum += total[0];
                max = Math.max(max, total[0]);
                sumNoSizes += total[1];
            }
            Result r = new Result(sum / p.cycles(), max, sumNoSizes / p.cycles(), p.budgetMs());
            out.printf("%nsteady full cycles (all probes): mean %.1f ms, max %.1f ms of server time; budget %.0f ms: %s%n",
                    r.meanMs(), r.maxMs(), p.budgetMs(), r.withinBudget() ? "within budget" : "OVER BUDGET");
            out.printf("without the sizes group (pg_database, scheduled every %d s): mean %.1f ms per fast+slow cycle%n",
                    cfg.sizesInterval().toSeconds(), r.meanWithoutSizesMs());
            return r;
        }
    }

    /** The extension, the collector's role, the tables and the workload's statements. */
    private void setUp(Statement st, long t0) throws SQLException {
        st.execute("CREATE EXTENSION pg_stat_statements");
        st.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD '" + PASSWORD + "' IN ROLE pg_monitor");
        st.execute("DO $$ BEGIN FOR i IN 0.." + (p.tables() - 1) + " LOOP EXECUTE format("
                + "'CREATE TABLE t_%s (id int PRIMARY KEY, v text); INSERT INTO t_%s SELECT g, ''x'' FROM generate_series(1, 20) g', i, i);"
                + " END LOOP; END $$");
        st.execute("ANALYZE");
        // Count only the workload's statements, not the setup's utility statements.
        st.execute("SELECT pg_stat_statements_reset()");
        for (int i = 0; i < p.statements(); i++) {
            int t = i % p.tables();
            switch ((i / p.tables()) % 3) {
                case 0 -> st.execute("SELECT count(*) FROM t_" + t + " WHERE id > 1");
                case 1 -> st.execute("SELECT v FROM t_" + t + " WHERE id = 1");
                default -> st.execute("UPDATE t_" + t + " SET v = 'y' WHERE id = 1");
            }
        }
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_statements")) {
            rs.next();
            out.printf("setup: %d tables, %d statements run, pg_stat_statements holds %d entries (%.1f s)%n",
                    p.tables(), p.statements(), rs.getLong(1), (System.nanoTime() - t0) / 1e9);
        }
    }

    /** The cheapest possible probe, measured the same way. */
    private void baseline(Connection su, String monitoredUrl) throws SQLException {
        try (Connection mon = DriverManager.getConnection(monitoredUrl, ROLE, PASSWORD);
                PreparedStatement ps = mon.prepareStatement("/* datainsight-collector */ /* probe=baseline_select_1 */ SELECT 1")) {
            Map<String, double[]> before = serverTime(su);
            long b0 = System.nanoTime();
            int n = 200;
            for (int i = 0; i < n; i++) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                }
            }
            double clientMs = (System.nanoTime() - b0) / 1e6 / n;
            double[] d = delta(before, serverTime(su)).getOrDefault("baseline_select_1", new double[2]);
            out.printf("%nbaseline: SELECT 1 round trip %.3f ms client, %.4f ms server per call (%d calls)%n",
                    clientMs, d[0] / Math.max(1, d[1]), (long) d[1]);
        }
    }

    /** One cycle, printed probe by probe: its total server time, and that total without the sizes group. */
    private double[] report(String title, Collector c, Connection su) throws SQLException {
        Map<String, double[]> before = serverTime(su);
        List<Snapshot> snaps = c.collectOnce(INSTANCE);
        Map<String, double[]> d = delta(before, serverTime(su));
        Map<String, double[]> client = new TreeMap<>();
        int texts = 0;
        for (Snapshot s : snaps) {
            if (s instanceof StatementsSnapshot st) {
                texts = st.getTexts().size();
                if (Boolean.getBoolean("datainsight.bench.debug")) {
                    st.getTexts().forEach(t -> out.println("    new text " + t.queryid() + ": " + t.text().replaceAll("\\s+", " ")));
                }
            }
            if (s.getView().equals(MetricCatalog.COLLECTOR_VIEW)) {
                for (SnapshotRow r : s.getRows()) {
                    client.put(r.getLabels().get("probe"), new double[] {r.getValues().get("duration_ms"), r.getValues().get("rows")});
                }
            }
        }
        out.printf("%n%s (query texts sent: %d)%n", title, texts);
        out.printf("  %-24s %10s %7s %10s %7s%n", "probe", "server ms", "calls", "client ms", "rows");
        double total = 0;
        TreeMap<String, double[]> probes = new TreeMap<>(d);
        for (String probe : client.keySet()) {
            if (!probe.isEmpty()) {
                probes.putIfAbsent(probe, new double[2]);
            }
        }
        for (Map.Entry<String, double[]> e : probes.entrySet()) {
            double[] cl = client.getOrDefault(e.getKey(), new double[] {Double.NaN, Double.NaN});
            out.printf("  %-24s %10.2f %7d %10.1f %7.0f%n", e.getKey(), e.getValue()[0], (long) e.getValue()[1], cl[0], cl[1]);
            total += e.getValue()[0];
        }
        double[] whole = client.get("");
        out.printf("  %-24s %10.2f %7s %10.1f %7.0f   (budget %.0f ms)%n", "TOTAL", total, "", whole[0], whole[1], p.budgetMs());
        double sizes = d.getOrDefault("pg_database", new double[2])[0];
        return new double[] {total, total - sizes};
    }

    /** Server time (exec + plan, ms) and calls of the collector's queries, by probe name. */
    private static Map<String, double[]> serverTime(Connection su) throws SQLException {
        Map<String, double[]> m = new HashMap<>();
        try (Statement st = su.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT query, total_exec_time + total_plan_time, calls FROM pg_stat_statements(true) s"
                        + " JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = '" + ROLE + "'")) {
            while (rs.next()) {
                Matcher mt = PROBE.matcher(rs.getString(1));
                String probe = mt.find() ? mt.group(1) : "(unmarked)";
                double[] v = m.computeIfAbsent(probe, k -> new double[2]);
                v[0] += rs.getDouble(2);
                v[1] += rs.getLong(3);
            }
        }
        return m;
    }

    private static Map<String, double[]> delta(Map<String, double[]> before, Map<String, double[]> after) {
        Map<String, double[]> d = new TreeMap<>();
        after.forEach((k, v) -> {
            double[] b = before.getOrDefault(k, new double[2]);
            if (v[1] - b[1] > 0) {
                d.put(k, new double[] {v[0] - b[0], v[1] - b[1]});
            }
        });
        return d;
    }
}
