package dev.datainsight.collector.probe;

import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.ViewDef;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps result sets onto catalog rows by column name: label keys become labels (NULL becomes ""),
 * {@code stats_reset} becomes the row's reset time, catalog columns become values (NULL stays
 * null, booleans become 1/0). Every catalog column is present in every row, null where the server
 * version has no such column. A result column the catalog does not know is a programming error.
 */
public final class ResultRows {
    private ResultRows() {}

    /** The catalog definition of a view; fails loudly when a probe names an unknown view. */
    public static ViewDef def(String view) {
        ViewDef d = MetricCatalog.view(view);
        if (d == null) {
            throw new IllegalStateException("view " + view + " is not in MetricCatalog");
        }
        return d;
    }

    /** A row with every catalog column set to null and no labels. */
    public static SnapshotRow empty(ViewDef def) {
        Map<String, Double> values = new LinkedHashMap<>();
        for (String c : def.columns().keySet()) {
            values.put(c, null);
        }
        return new SnapshotRow(new LinkedHashMap<>(), values, null);
    }

    /** Reads every row of the result set. */
    public static List<SnapshotRow> read(ResultSet rs, ViewDef def) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        String[] names = new String[n + 1];
        for (int i = 1; i <= n; i++) {
            String name = md.getColumnLabel(i);
            if (!def.labelKeys().contains(name) && !name.equals("stats_reset") && def.column(name) == null) {
                throw new IllegalStateException("probe of " + def.name() + " returns column " + name
                        + " which is neither a label nor a catalog column");
            }
            names[i] = name;
        }
        List<SnapshotRow> out = new ArrayList<>();
        while (rs.next()) {
            SnapshotRow row = empty(def);
            for (String k : def.labelKeys()) {
                row.getLabels().put(k, "");
            }
            for (int i = 1; i <= n; i++) {
                String name = names[i];
                Object o = rs.getObject(i);
                if (def.labelKeys().contains(name)) {
                    row.getLabels().put(name, o == null ? "" : o.toString());
                } else if (name.equals("stats_reset")) {
                    row.setStatsReset(epochMillis(o));
                } else {
                    row.getValues().put(name, number(o));
                }
            }
            out.add(row);
        }
        return out;
    }

    /** A JDBC value as a double; null stays null. */
    public static Double number(Object o) {
        if (o == null) {
            return null;
        }
        if (o instanceof Boolean b) {
            return b ? 1.0 : 0.0;
        }
        if (o instanceof BigDecimal bd) {
            return bd.doubleValue();
        }
        if (o instanceof Number num) {
            return num.doubleValue();
        }
        if (o instanceof String s) {
            return Double.parseDouble(s);
        }
        throw new IllegalStateException("not a number: " + o.getClass().getName() + " " + o);
    }

    /** A timestamp (or epoch-ms number) as epoch ms; null stays null. */
    public static Long epochMillis(Object o) {
        if (o == null) {
            return null;
        }
        if (o instanceof Timestamp t) {
            return t.getTime();
        }
        if (o instanceof java.time.OffsetDateTime odt) {
            return odt.toInstant().toEpochMilli();
        }
        if (o instanceof Number num) {
            return num.longValue();
        }
        throw new IllegalStateException("not a timestamp: " + o.getClass().getName());
    }

    /**
     * Moves the reset time of a single-row view from the row to the snapshot and returns it.
     */
    public static Long liftStatsReset(List<SnapshotRow> rows) {
        Long reset = null;
        for (SnapshotRow r : rows) {
            if (r.getStatsReset() != null) {
                reset = r.getStatsReset();
            }
            r.setStatsReset(null);
        }
        return reset;
    }
}
