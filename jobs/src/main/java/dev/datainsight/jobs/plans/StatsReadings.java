package dev.datainsight.jobs.plans;

import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.StatsReading;
import dev.datainsight.model.MetricCatalog;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * From the routed snapshots, what {@link RecommendationFunction} reads besides the plans: per
 * {@code pg_stat_statements} snapshot the statements that wrote temp blocks (cumulative calls and
 * temp_blks_written summed over roles and top-level flags per database and query id), and per
 * {@code pg_stat_user_tables} snapshot every relation's n_live_tup, table_size_bytes and
 * n_mod_since_analyze (the tables probe's top relations). Other views give nothing. Stateless,
 * chained to the snapshot route.
 */
public class StatsReadings implements FlatMapFunction<CompactSnapshot, StatsReading> {
    private static final long serialVersionUID = 1L;
    static final String STATEMENTS = "pg_stat_statements";
    static final String TABLES = "pg_stat_user_tables";

    @Override
    public void flatMap(CompactSnapshot s, Collector<StatsReading> out) {
        for (StatsReading t : extract(s)) {
            out.collect(t);
        }
    }

    static List<StatsReading> extract(CompactSnapshot s) {
        if (s.columns == null || s.rowKeys == null || s.values == null) {
            return List.of();
        }
        if (STATEMENTS.equals(s.view)) {
            return statements(s);
        }
        if (TABLES.equals(s.view)) {
            return relations(s);
        }
        return List.of();
    }

    /** Position of each named column in {@code s.columns}, -1 when absent. */
    private static int[] positions(CompactSnapshot s, String... names) {
        List<String> catalog = new ArrayList<>(MetricCatalog.view(s.view).columns().keySet());
        int[] at = new int[names.length];
        java.util.Arrays.fill(at, -1);
        for (int k = 0; k < s.columns.length; k++) {
            String name = catalog.get(s.columns[k]);
            for (int i = 0; i < names.length; i++) {
                if (name.equals(names[i])) {
                    at[i] = k;
                }
            }
        }
        return at;
    }

    private static String[] labels(CompactSnapshot s, int row) {
        return s.rowKeys[row].split(String.valueOf(CompactSnapshot.LABEL_SEPARATOR), -1);
    }

    private static String label(String v) {
        return v.equals(CompactSnapshot.NULL_LABEL) ? null : v;
    }

    private static List<StatsReading> statements(CompactSnapshot s) {
        int[] at = positions(s, "calls", "temp_blks_written");
        if (at[0] < 0 || at[1] < 0) {
            return List.of();
        }
        int nc = s.columns.length;
        Map<String, StatsReading> byQuery = new LinkedHashMap<>();
        for (int r = 0; r < s.rowKeys.length; r++) {
            double c = s.values[r * nc + at[0]];
            double t = s.values[r * nc + at[1]];
            if (!(t > 0) || !(c > 0)) {
                continue;
            }
            // label order of the view: queryid, datname, rolname, toplevel
            String[] l = labels(s, r);
            if (l.length < 2 || label(l[0]) == null || l[0].isEmpty()) {
                continue;
            }
            String datname = label(l[1]) == null ? "" : l[1];
            StatsReading st = byQuery.computeIfAbsent(datname + '\u0000' + l[0], x -> {
                StatsReading n = new StatsReading();
                n.instance = s.instance;
                n.datname = datname;
                n.kind = StatsReading.STATEMENT;
                n.queryid = l[0];
                n.collectedAt = s.collectedAt;
                return n;
            });
            st.calls += c;
            st.tempBlksWritten += t;
        }
        return new ArrayList<>(byQuery.values());
    }

    private static List<StatsReading> relations(CompactSnapshot s) {
        int[] at = positions(s, "n_live_tup", "table_size_bytes", "n_mod_since_analyze");
        int nc = s.columns.length;
        List<StatsReading> out = new ArrayList<>();
        for (int r = 0; r < s.rowKeys.length; r++) {
            // label order of the view: datname, schemaname, relname
            String[] l = labels(s, r);
            if (l.length < 3 || label(l[1]) == null || label(l[2]) == null) {
                continue;
            }
            StatsReading t = new StatsReading();
            t.instance = s.instance;
            t.datname = label(l[0]) == null ? "" : l[0];
            t.kind = StatsReading.RELATION;
            t.relation = l[1] + "." + l[2];
            t.liveTuples = value(s, r, nc, at[0]);
            t.tableBytes = value(s, r, nc, at[1]);
            t.modsSinceAnalyze = value(s, r, nc, at[2]);
            t.collectedAt = s.collectedAt;
            out.add(t);
        }
        return out;
    }

    private static Double value(CompactSnapshot s, int row, int nc, int pos) {
        if (pos < 0) {
            return null;
        }
        double v = s.values[row * nc + pos];
        return Double.isNaN(v) ? null : v;
    }
}
