package dev.datainsight.jobs.plans;

import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.StatementTemp;
import dev.datainsight.model.MetricCatalog;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * From each {@code pg_stat_statements} snapshot, the statements that wrote temp blocks: their
 * cumulative calls and temp_blks_written summed over roles and top-level flags per (database,
 * query id), for {@link RecommendationFunction}'s work_mem finding. Other views pass nothing.
 * Stateless, chained to the snapshot route.
 */
public class StatementTemps implements FlatMapFunction<CompactSnapshot, StatementTemp> {
    private static final long serialVersionUID = 1L;
    static final String VIEW = "pg_stat_statements";

    @Override
    public void flatMap(CompactSnapshot s, Collector<StatementTemp> out) {
        for (StatementTemp t : extract(s)) {
            out.collect(t);
        }
    }

    static List<StatementTemp> extract(CompactSnapshot s) {
        if (!VIEW.equals(s.view) || s.columns == null || s.rowKeys == null) {
            return List.of();
        }
        List<String> names = new ArrayList<>(MetricCatalog.view(VIEW).columns().keySet());
        int calls = -1;
        int temp = -1;
        for (int k = 0; k < s.columns.length; k++) {
            String name = names.get(s.columns[k]);
            if (name.equals("calls")) {
                calls = k;
            } else if (name.equals("temp_blks_written")) {
                temp = k;
            }
        }
        if (calls < 0 || temp < 0) {
            return List.of();
        }
        int nc = s.columns.length;
        Map<String, StatementTemp> byQuery = new LinkedHashMap<>();
        for (int r = 0; r < s.rowKeys.length; r++) {
            double t = s.values[r * nc + temp];
            double c = s.values[r * nc + calls];
            if (!(t > 0) || !(c > 0)) {
                continue;
            }
            // label order of the view: queryid, datname, rolname, toplevel
            String[] labels = s.rowKeys[r].split(String.valueOf(CompactSnapshot.LABEL_SEPARATOR), -1);
            if (labels.length < 2 || labels[0].equals(CompactSnapshot.NULL_LABEL) || labels[0].isEmpty()) {
                continue;
            }
            String datname = labels[1].equals(CompactSnapshot.NULL_LABEL) ? "" : labels[1];
            StatementTemp st = byQuery.computeIfAbsent(datname + '\u0000' + labels[0], x -> {
                StatementTemp n = new StatementTemp();
                n.instance = s.instance;
                n.datname = datname;
                n.queryid = labels[0];
                n.collectedAt = s.collectedAt;
                return n;
            });
            st.calls += c;
            st.tempBlksWritten += t;
        }
        return new ArrayList<>(byQuery.values());
    }
}
