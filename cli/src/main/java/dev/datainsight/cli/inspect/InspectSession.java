package dev.datainsight.cli.inspect;

import dev.datainsight.config.DurationSyntax;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The one connection of an {@code inspect} run, with the collector's safety settings in the
 * startup packet: every statement in a read-only transaction ({@code default_transaction_read_only}),
 * {@code statement_timeout} and {@code lock_timeout} (the collector's defaults, 5 s and 1 s),
 * {@code idle_in_transaction_session_timeout}, {@code jit=off}, and the driver's {@code readOnly}. Every query
 * carries the marker comment {@value #MARKER} and the subcommand's name, and the session's
 * {@code application_name} is {@value #APPLICATION_NAME}, so a DBA sees at once what it is.
 */
public final class InspectSession implements AutoCloseable {
    public static final String APPLICATION_NAME = "datainsight-inspect";
    public static final String MARKER = "/* datainsight-inspect */";

    private final Connection connection;
    private final TargetOptions.Resolved target;
    private final int serverVersionNum;
    private final String database;

    private InspectSession(Connection c, TargetOptions.Resolved target, int version, String database) {
        this.connection = c;
        this.target = target;
        this.serverVersionNum = version;
        this.database = database;
    }

    /** Connects; a failure is an {@link InspectException} naming the server and the role. */
    public static InspectSession open(TargetOptions.Resolved t) {
        Properties p = new Properties();
        p.setProperty("user", t.user());
        if (t.password() != null) {
            p.setProperty("password", t.password());
        }
        p.setProperty("ApplicationName", APPLICATION_NAME);
        long st = t.statementTimeout().toMillis();
        p.setProperty("options", "-c statement_timeout=" + st + " -c lock_timeout=" + t.lockTimeout().toMillis()
                + " -c default_transaction_read_only=on"
                + " -c idle_in_transaction_session_timeout=" + Math.max(10_000, st * 2)
                // Catalog queries over thousands of relations look expensive to the planner; compiling
                // them with JIT would cost more than running them.
                + " -c jit=off");
        long connectSecs = Math.max(1, t.connectTimeout().toSeconds());
        p.setProperty("connectTimeout", Long.toString(connectSecs));
        p.setProperty("loginTimeout", Long.toString(connectSecs));
        p.setProperty("socketTimeout", Long.toString(t.statementTimeout().toSeconds() + 10));
        p.setProperty("readOnly", "true");
        p.setProperty("assumeMinServerVersion", "13");
        String where = t.url().hosts() + "/" + t.url().database() + " as " + t.user();
        Connection c;
        try {
            c = DriverManager.getConnection(t.url().jdbcUrl(t.url().database()), p);
        } catch (SQLException e) {
            throw new InspectException("cannot connect to " + where + ": " + e.getMessage(), e);
        }
        try {
            c.setAutoCommit(true);
            int version;
            String db;
            try (PreparedStatement ps = c.prepareStatement(tag("connect",
                    "SELECT pg_catalog.current_setting('server_version_num')::int, pg_catalog.current_database()"));
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                version = rs.getInt(1);
                db = rs.getString(2);
            }
            if (version < 130000) {
                throw new InspectException(where + ": PostgreSQL " + version / 10000 + " is not supported (13 or newer)");
            }
            return new InspectSession(c, t, version, db);
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already failing
            }
            if (e instanceof InspectException ie) {
                throw ie;
            }
            throw new InspectException(where + ": " + e.getMessage(), e);
        }
    }

    /** The marker comment and the subcommand name in front of a query. */
    public static String tag(String what, String sql) {
        return MARKER + " /* inspect=" + what + " */ " + sql.strip();
    }

    public Connection connection() {
        return connection;
    }

    public int serverVersionNum() {
        return serverVersionNum;
    }

    /** The database connected to (per-database views such as pg_stat_user_tables describe this one). */
    public String database() {
        return database;
    }

    /** Binds parameters of a prepared statement. */
    @FunctionalInterface
    public interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    /** Reads one row. */
    @FunctionalInterface
    public interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /** Runs a tagged query with bind parameters; errors become {@link InspectException}s that say why. */
    public <T> List<T> query(String what, String sql, Binder binder, RowMapper<T> mapper) {
        try (PreparedStatement ps = connection.prepareStatement(tag(what, sql))) {
            if (binder != null) {
                binder.bind(ps);
            }
            List<T> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(mapper.map(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw explain(what, e);
        }
    }

    /** One row (the query must return one). */
    public <T> T one(String what, String sql, Binder binder, RowMapper<T> mapper) {
        List<T> r = query(what, sql, binder, mapper);
        if (r.isEmpty()) {
            throw new InspectException("inspect " + what + ": the server returned no row");
        }
        return r.get(0);
    }

    InspectException explain(String what, SQLException e) {
        String state = e.getSQLState();
        String msg = e.getMessage();
        if ("57014".equals(state)) {
            msg = "cancelled by statement_timeout (" + DurationSyntax.format(target.statementTimeout())
                    + "): the server is slow to answer; retry with a longer --statement-timeout";
        } else if ("55P03".equals(state)) {
            msg = "waited longer than lock_timeout (" + DurationSyntax.format(target.lockTimeout())
                    + ") for a catalog lock: something holds an exclusive lock; retry with a longer --lock-timeout";
        } else if ("42501".equals(state)) {
            msg = msg + " (grant pg_monitor to " + target.user() + ")";
        }
        return new InspectException("inspect " + what + ": " + msg + (state == null ? "" : " [SQLSTATE " + state + "]"), e);
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // nothing to do: the run is over
        }
    }
}
