package dev.datainsight.cli;

import dev.datainsight.collector.Collector;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code datainsight bench collector}: the collector's cost on the monitored server. Starts an
 * embedded PostgreSQL, creates many tables and distinct statements, runs full collection cycles
 * as a pg_monitor role, and prints the server time of every probe (execution + planning, from
 * pg_stat_statements of the collector's own marked queries) against the budget, next to a
 * {@code SELECT 1} baseline measured the same way in the same run.
 */
@Command(name = "collector", mixinStandardHelpOptions = true,
        description = "Server time of one full collection cycle on a server with many tables and statements.")
public final class CollectorBenchCommand implements Callable<Integer> {
    private static final Pattern PROBE = Pattern.compile("/\\* probe=([a-z_0-9]+) \\*/");

    @Option(names = "--tables", defaultValue = "2000", description = "Tables to create (default: ${DEFAULT-VALUE}).")
    int tables;

    @Option(names = "--statements", defaultValue = "5000", description = "Distinct statements to run (default: ${DEFAULT-VALUE}).")
    int statements;

    @Option(names = "--cycles", defaultValue = "3", description = "Full cycles to measure after the first (default: ${DEFAULT-VALUE}).")
    int cycles;

    @Option(names = "--budget-ms", defaultValue = "200", description = "Server-time budget of one cycle (default: ${DEFAULT-VALUE}).")
    double budgetMs;

    @Option(names = "--pg-version", defaultValue = "17",
            description = "PostgreSQL major version (13..17; 18's pg_stat_statements strips the probe comments; default: ${DEFAULT-VALUE}).")
    int major;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String home = System.getProperty("datainsight.home");
        Path base = home != null ? Paths.get(home, "target", "bench-collector") : Paths.get(System.getProperty("java.io.tmpdir"), "datainsight-bench-collector");
        Files.createDirectories(base);
        out.printf("starting PostgreSQL %d (data under %s) ...%n", major, base);
        out.flush();
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(major, base, 0,
                Map.of("pg_stat_statements.max", String.valueOf(Math.max(10_000, statements * 2)),
                        "pg_stat_statements.track_planning", "on"))) {
            long t0 = System.nanoTime();
            String db = pg.createDatabase("bench");
            try (Connection su = pg.connect(db); Statement st = su.createStatement()) {
                st.execute("CREATE EXTENSION pg_stat_statements");
                st.execute("CREATE ROLE di_bench LOGIN PASSWORD 'bench' IN ROLE pg_monitor");
                st.execute("DO $$ BEGIN FOR i IN 0.." + (tables - 1) + " LOOP EXECUTE format("
                        + "'CREATE TABLE t_%s (id int PRIMARY KEY, v text); INSERT INTO t_%s SELECT g, ''x'' FROM generate_series(1, 20) g', i, i);"
                        + " END LOOP; END $$");
                st.execute("ANALYZE");
                // Count only the workload's statements, not the setup's utility statements.
                st.execute("SELECT pg_stat_statements_reset()");
                for (int i = 0; i < statements; i++) {
                    int t = i % tables;
                    switch ((i / tables) % 3) {
                        case 0 -> st.execute("SELECT count(*) FROM t_" + t + " WHERE id > 1");
                        case 1 -> st.execute("SELECT v FROM t_" + t + " WHERE id = 1");
                        default -> st.execute("UPDATE t_" + t + " SET v = 'y' WHERE id = 1");
                    }
                }
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_statements")) {
                    rs.next();
                    out.printf("setup: %d tables, %d statements run, pg_stat_statements holds %d entries (%.1f s)%n",
                            tables, statements, rs.getLong(1), (System.nanoTime() - t0) / 1e9);
                }
            }
            FleetConfig cfg = FleetConfig.builder()
                    .instance(FleetConfig.Instance.builder("bench").url(pg.jdbcUrlNoUser(db)).user("di_bench").password("bench").build())
                    .build();
            try (Collector c = new Collector(cfg, s -> { }); Connection su = pg.connect(db)) {
                // Baseline: the cheapest possible probe, measured the same way.
                try (Connection mon = java.sql.DriverManager.getConnection(pg.jdbcUrlNoUser(db), "di_bench", "bench");
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
                report(out, "first cycle (new connections, query texts of 100 new query ids)", c, su);
                double sum = 0;
                double max = 0;
                double sumNoSizes = 0;
                for (int i = 0; i < cycles; i++) {
                    double[] total = report(out, "steady cycle " + (i + 1), c, su);
                    sum += total[0];
                    max = Math.max(max, total[0]);
                    sumNoSizes += total[1];
                }
                out.printf("%nsteady full cycles (all probes): mean %.1f ms, max %.1f ms of server time; budget %.0f ms: %s%n",
                        sum / cycles, max, budgetMs, max <= budgetMs ? "within budget" : "OVER BUDGET");
                out.printf("without the sizes group (pg_database, scheduled every %d s): mean %.1f ms per fast+slow cycle%n",
                        cfg.sizesInterval().toSeconds(), sumNoSizes / cycles);
                return max <= budgetMs ? 0 : 2;
            }
        }
    }

    private double[] report(PrintWriter out, String title, Collector c, Connection su) throws SQLException {
        Map<String, double[]> before = serverTime(su);
        List<Snapshot> snaps = c.collectOnce("bench");
        Map<String, double[]> d = delta(before, serverTime(su));
        Map<String, double[]> client = new TreeMap<>();
        int texts = 0;
        for (Snapshot s : snaps) {
            if (s instanceof dev.datainsight.model.StatementsSnapshot st) {
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
        for (String p : client.keySet()) {
            if (!p.isEmpty()) {
                probes.putIfAbsent(p, new double[2]);
            }
        }
        for (Map.Entry<String, double[]> e : probes.entrySet()) {
            double[] cl = client.getOrDefault(e.getKey(), new double[] {Double.NaN, Double.NaN});
            out.printf("  %-24s %10.2f %7d %10.1f %7.0f%n", e.getKey(), e.getValue()[0], (long) e.getValue()[1], cl[0], cl[1]);
            total += e.getValue()[0];
        }
        double[] whole = client.get("");
        out.printf("  %-24s %10.2f %7s %10.1f %7.0f   (budget %.0f ms)%n", "TOTAL", total, "", whole[0], whole[1], budgetMs);
        double sizes = d.getOrDefault("pg_database", new double[2])[0];
        return new double[] {total, total - sizes};
    }

    /** Server time (exec + plan, ms) and calls of the collector's queries, by probe name. */
    private static Map<String, double[]> serverTime(Connection su) throws SQLException {
        Map<String, double[]> m = new HashMap<>();
        try (Statement st = su.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT query, total_exec_time + total_plan_time, calls FROM pg_stat_statements(true) s"
                        + " JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'di_bench'")) {
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
