package dev.datainsight.collector;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** Helpers shared by the collector tests: roles, direct catalog queries, snapshot lookups. */
final class TestSupport {
    private static final AtomicInteger ROLES = new AtomicInteger();

    private TestSupport() {}

    /** Creates a LOGIN role with a password, optionally granted pg_monitor; returns its name. */
    static String createRole(EmbeddedPostgresServer pg, String prefix, boolean monitor) {
        String name = prefix + "_" + ROLES.incrementAndGet() + "_" + ProcessHandle.current().pid();
        exec(pg, "postgres", "CREATE ROLE " + name + " LOGIN PASSWORD 'secret'"
                + (monitor ? " IN ROLE pg_monitor" : ""));
        return name;
    }

    static void exec(EmbeddedPostgresServer pg, String db, String... sql) {
        try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(String.join("; ", sql) + ": " + e.getMessage(), e);
        }
    }

    /** Rows of a direct query as column → value maps. */
    static List<Map<String, Object>> query(EmbeddedPostgresServer pg, String db, String sql) {
        try (Connection c = pg.connect(db); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rows(rs);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    static List<Map<String, Object>> rows(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        List<Map<String, Object>> out = new ArrayList<>();
        while (rs.next()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                m.put(md.getColumnLabel(i), rs.getObject(i));
            }
            out.add(m);
        }
        return out;
    }

    static Snapshot view(List<Snapshot> snaps, String view) {
        for (Snapshot s : snaps) {
            if (s.getView().equals(view)) {
                return s;
            }
        }
        return null;
    }

    static SnapshotRow row(Snapshot s, Map<String, String> labels) {
        for (SnapshotRow r : s.getRows()) {
            boolean all = true;
            for (Map.Entry<String, String> e : labels.entrySet()) {
                if (!e.getValue().equals(r.getLabels().get(e.getKey()))) {
                    all = false;
                    break;
                }
            }
            if (all) {
                return r;
            }
        }
        return null;
    }

    static Double num(Object o) {
        if (o == null) {
            return null;
        }
        if (o instanceof Boolean b) {
            return b ? 1.0 : 0.0;
        }
        return ((Number) o).doubleValue();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
