package dev.datainsight.collector.probe;

import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.ViewDef;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Who holds the connection slots ({@code pg_stat_activity_connections}, a detail view: no
 * rollup series): client backends grouped by (usename, application_name, client_addr, state),
 * the {@link SessionLimits#topConnectionGroups()} largest groups, plus one row with
 * application_name {@code (other)} summing the rest when there is a rest. One read of
 * {@code pg_stat_activity}; the collector's own sessions are excluded (see
 * {@link SessionsProbe}). Unix-socket clients have an empty client_addr.
 */
public final class ConnectionsProbe implements Probe {
    public static final String VIEW = "pg_stat_activity_connections";
    /** application_name of the remainder row. */
    public static final String OTHER = "(other)";

    private static final String SQL = SqlVariants.tag(VIEW, """
            WITH g AS (
              SELECT a.usename::text AS usename, a.application_name, pg_catalog.host(a.client_addr) AS client_addr,
                a.state, pg_catalog.count(*) AS connections,
                EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - pg_catalog.min(a.state_change)) AS oldest_state_age_seconds
              FROM pg_catalog.pg_stat_activity a
              WHERE a.backend_type = 'client backend' AND a.pid <> pg_catalog.pg_backend_pid()
                AND NOT (a.application_name = ? AND a.usename = CURRENT_USER)
              GROUP BY 1, 2, 3, 4
            ), r AS (
              SELECT g.*, pg_catalog.row_number() OVER (ORDER BY g.connections DESC, g.usename, g.application_name,
                g.client_addr, g.state) AS rn
              FROM g
            )
            SELECT r.usename, r.application_name, r.client_addr, r.state, r.connections, r.oldest_state_age_seconds
            FROM r WHERE r.rn <= ?
            UNION ALL
            SELECT '', '(other)', '', '', pg_catalog.sum(r.connections), pg_catalog.max(r.oldest_state_age_seconds)
            FROM r WHERE r.rn > ? HAVING pg_catalog.count(*) > 0""");

    @Override
    public String name() {
        return VIEW;
    }

    @Override
    public ProbeGroup group() {
        return ProbeGroup.FAST;
    }

    /** The SQL (for docs and tests). */
    public static String sql() {
        return SQL;
    }

    @Override
    public ProbeOutput collect(ProbeContext ctx) throws SQLException {
        int top = ctx.sessionLimits().topConnectionGroups();
        ViewDef def = ResultRows.def(VIEW);
        List<SnapshotRow> rows = new ArrayList<>();
        try (PreparedStatement ps = ctx.connection().prepareStatement(SQL)) {
            ps.setString(1, Probes.APPLICATION_NAME);
            ps.setInt(2, top);
            ps.setInt(3, top);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    SnapshotRow r = ResultRows.empty(def);
                    r.label("usename", SessionsProbe.clean(rs.getString(1), 200));
                    r.label("application_name", SessionsProbe.clean(rs.getString(2), 200));
                    r.label("client_addr", SessionsProbe.clean(rs.getString(3), 200));
                    r.label("state", SessionsProbe.clean(rs.getString(4), 200));
                    r.value("connections", ResultRows.number(rs.getObject(5)));
                    Double age = ResultRows.number(rs.getObject(6));
                    r.value("oldest_state_age_seconds", age == null ? null : Math.max(0, age));
                    rows.add(r);
                }
            }
        }
        return ProbeOutput.of(rows);
    }
}
