package dev.datainsight.collector.probe;

import dev.datainsight.model.SnapshotRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * {@code pg_stat_statements_info} (extension 1.9+, so PostgreSQL 14+): one row, {@code dealloc}
 * (how many times entries were evicted because the table was full, a counter that pg_stat_statements_reset() zeroes;
 * its {@code stats_reset} is the snapshot's) and {@code max_entries} (the
 * {@code pg_stat_statements.max} setting). Two catalog reads of a few bytes; no read of the
 * statements themselves.
 *
 * <p>Where it cannot be read the probe is skipped, never an error: without the extension in the
 * instance's database (the statements probe already says so), and with an extension older than
 * 1.9 (PostgreSQL 13, or a server upgraded without {@code ALTER EXTENSION pg_stat_statements
 * UPDATE}), logged once per server with what to do.
 */
public final class StatementsInfoProbe implements Probe {
    private static final String EXTENSION = SqlVariants.tag("pg_stat_statements_info", """
            SELECT e.extversion, n.nspname
            FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname = ?""");
    private static final String INFO = """
            SELECT i.dealloc, i.stats_reset, pg_catalog.current_setting('pg_stat_statements.max')::int
            FROM %s.pg_stat_statements_info i""";

    @Override
    public String name() {
        return "pg_stat_statements_info";
    }

    @Override
    public ProbeGroup group() {
        return ProbeGroup.SLOW;
    }

    /** PostgreSQL 13 ships extension 1.8, which has no pg_stat_statements_info. */
    @Override
    public int minServerVersion() {
        return 140000;
    }

    /** The info query for a schema (for docs and tests). */
    public static String infoSql(String schema) {
        return SqlVariants.tag("pg_stat_statements_info", INFO.formatted(StatementsProbe.quoteIdent(schema)));
    }

    @Override
    public ProbeOutput collect(ProbeContext ctx) throws SQLException {
        Connection c = ctx.connection();
        String extVersion;
        String schema;
        try (PreparedStatement ps = c.prepareStatement(EXTENSION)) {
            ps.setString(1, "pg_stat_statements");
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return ProbeOutput.skipped("pg_stat_statements is not installed in database " + c.getCatalog());
                }
                extVersion = rs.getString(1);
                schema = rs.getString(2);
            }
        }
        if (StatementsProbe.version(extVersion) < 109) {
            ctx.warnOnce("pgss-info-old", "pg_stat_statements " + extVersion + " has no pg_stat_statements_info"
                    + " (1.9+, PostgreSQL 14+): evicted entries (dealloc) are not watched; on PostgreSQL 14+"
                    + " run ALTER EXTENSION pg_stat_statements UPDATE");
            return ProbeOutput.skipped("pg_stat_statements " + extVersion + " has no pg_stat_statements_info (1.9+)");
        }
        SnapshotRow row = ResultRows.empty(ResultRows.def("pg_stat_statements_info"));
        Long statsReset;
        try (PreparedStatement ps = c.prepareStatement(infoSql(schema)); ResultSet rs = ps.executeQuery()) {
            rs.next();
            row.getValues().put("dealloc", ResultRows.number(rs.getObject(1)));
            statsReset = ResultRows.epochMillis(rs.getObject(2, java.time.OffsetDateTime.class));
            row.getValues().put("max_entries", ResultRows.number(rs.getObject(3)));
        }
        return new ProbeOutput(List.of(row), statsReset, extVersion, List.of(), null);
    }
}
