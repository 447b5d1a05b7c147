package dev.datainsight.collector.probe;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * {@code pg_database}: size ({@code pg_database_size}), {@code age(datfrozenxid)},
 * {@code mxid_age(datminmxid)} and the connection limit per database. The size needs CONNECT on
 * the database or {@code pg_read_all_stats} (part of pg_monitor); without either it is null
 * rather than an error. Same SQL on 13..18. Runs in the {@link ProbeGroup#SIZES} group (default
 * every 5 minutes): the size stats every file of every database.
 */
public final class DatabaseSizeProbe extends QueryProbe {

    public DatabaseSizeProbe() {
        super("pg_database", ProbeGroup.SIZES, SqlVariants.single("pg_database", """
                SELECT d.datname,
                  CASE WHEN pg_catalog.has_database_privilege(d.oid, 'CONNECT')
                         OR pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE')
                       THEN pg_catalog.pg_database_size(d.oid) END AS size_bytes,
                  pg_catalog.age(d.datfrozenxid) AS xid_age,
                  pg_catalog.mxid_age(d.datminmxid) AS mxid_age,
                  d.datconnlimit
                FROM pg_catalog.pg_database d
                ORDER BY d.datname
                LIMIT ?"""));
    }

    @Override
    protected void bind(PreparedStatement ps, ProbeContext ctx) throws SQLException {
        ps.setInt(1, ctx.limits().maxDatabaseRows());
    }
}
