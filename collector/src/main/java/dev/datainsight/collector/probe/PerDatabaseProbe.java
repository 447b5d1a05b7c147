package dev.datainsight.collector.probe;

import dev.datainsight.model.SnapshotRow;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A query probe run once in each database the context lists (pg_stat_user_tables and friends
 * only show the database they are read in). Rows get the {@code datname} label. A database that
 * fails (no CONNECT privilege, timeout) does not stop the others; the first error is rethrown
 * after all databases were visited, so the health row reports it.
 */
public abstract class PerDatabaseProbe extends QueryProbe {

    protected PerDatabaseProbe(String name, ProbeGroup group, SqlVariants sql) {
        super(name, group, sql);
    }

    @Override
    public ProbeOutput collect(ProbeContext ctx) throws SQLException {
        List<SnapshotRow> all = new ArrayList<>();
        SQLException first = null;
        for (String db : ctx.databases()) {
            try {
                all.addAll(collectIn(ctx, db));
            } catch (SQLException e) {
                if (first == null) {
                    // No SQLSTATE on the wrapper: a broken connection to one database is that
                    // database's problem (it is reopened next cycle), not the instance's.
                    first = new SQLException("database " + db + ": " + e.getMessage(), null, e);
                }
            }
        }
        if (first != null && all.isEmpty()) {
            throw first;
        }
        if (first != null) {
            throw new PartialResultException(ProbeOutput.of(all), first);
        }
        return ProbeOutput.of(all);
    }

    /**
     * The rows of one database, labelled with its {@code datname}. The collector calls this
     * database by database (every per-database probe in one database, then the next), so that it
     * holds one connection to one database at a time.
     */
    public List<SnapshotRow> collectIn(ProbeContext ctx, String db) throws SQLException {
        List<SnapshotRow> rows = run(ctx.connection(db), sql().forVersion(ctx.serverVersionNum()), ctx);
        for (SnapshotRow r : rows) {
            r.getLabels().put("datname", db);
        }
        return rows;
    }
}
