package dev.datainsight.collector.probe;

import dev.datainsight.model.QueryText;
import dev.datainsight.model.SnapshotRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code pg_stat_statements}, read with {@code showtext => false}: the top-N entries by
 * {@code total_exec_time} plus one remainder row ({@code queryid = "other"}, other labels empty)
 * summing everything else (including entries whose queryid the role may not see). Texts are read
 * only for query ids this collector has not sent before, cut to a bound, and travel in the same
 * statements snapshot.
 *
 * <p>The SQL is keyed by the installed extension version (not the server version: an upgraded
 * server may keep an old extension): 1.8 (PG13) has no {@code toplevel} and names the I/O times
 * {@code blk_read_time}/{@code blk_write_time}; 1.9/1.10 add toplevel; 1.11+ (PG17) renames them
 * {@code shared_blk_read_time}/{@code shared_blk_write_time}. Older than 1.8 (total_time) is not
 * supported (PostgreSQL 12 and older).
 *
 * <p>When the extension is not created in the instance's database the probe is skipped, logged
 * once, and the rest of the cycle goes on.
 */
public final class StatementsProbe implements Probe {

    private static final String EXTENSION = SqlVariants.tag("pg_stat_statements", """
            SELECT e.extversion, n.nspname
            FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname = ?""");

    // One pass over pg_stat_statements(false) (its cost grows with the number of entries): the
    // CTE is materialised once, the top N come from a bounded sort, and one more row carries the
    // totals over all entries; the "other" row is totals minus the top N, computed here.
    private static final String TOP = """
            WITH s AS MATERIALIZED (
              SELECT s.queryid, s.dbid, s.userid, %1$s AS toplevel, s.calls, s.total_exec_time, s.total_plan_time,
                s.rows, s.shared_blks_hit, s.shared_blks_read, s.shared_blks_dirtied, s.shared_blks_written,
                s.temp_blks_read, s.temp_blks_written, s.%2$s AS shared_blk_read_time, s.%3$s AS shared_blk_write_time,
                s.wal_records, s.wal_bytes
              FROM %4$s.pg_stat_statements(false) s
            ), top AS (
              SELECT * FROM s WHERE s.queryid IS NOT NULL ORDER BY s.total_exec_time DESC, s.queryid LIMIT ?
            )
            SELECT t.queryid::text AS queryid, d.datname, r.rolname, t.toplevel::text AS toplevel,
              t.calls, t.total_exec_time, t.total_plan_time, t.rows, t.shared_blks_hit, t.shared_blks_read,
              t.shared_blks_dirtied, t.shared_blks_written, t.temp_blks_read, t.temp_blks_written,
              t.shared_blk_read_time, t.shared_blk_write_time, t.wal_records, t.wal_bytes
            FROM top t
            LEFT JOIN pg_catalog.pg_database d ON d.oid = t.dbid
            LEFT JOIN pg_catalog.pg_roles r ON r.oid = t.userid
            UNION ALL
            SELECT 'total', '', '', '',
              COALESCE(pg_catalog.sum(s.calls), 0), COALESCE(pg_catalog.sum(s.total_exec_time), 0),
              COALESCE(pg_catalog.sum(s.total_plan_time), 0), COALESCE(pg_catalog.sum(s.rows), 0),
              COALESCE(pg_catalog.sum(s.shared_blks_hit), 0), COALESCE(pg_catalog.sum(s.shared_blks_read), 0),
              COALESCE(pg_catalog.sum(s.shared_blks_dirtied), 0), COALESCE(pg_catalog.sum(s.shared_blks_written), 0),
              COALESCE(pg_catalog.sum(s.temp_blks_read), 0), COALESCE(pg_catalog.sum(s.temp_blks_written), 0),
              COALESCE(pg_catalog.sum(s.shared_blk_read_time), 0), COALESCE(pg_catalog.sum(s.shared_blk_write_time), 0),
              COALESCE(pg_catalog.sum(s.wal_records), 0), COALESCE(pg_catalog.sum(s.wal_bytes), 0)
            FROM s""";

    private static final String TEXTS = """
            SELECT DISTINCT ON (s.queryid) s.queryid::text, pg_catalog.left(s.query, ?), pg_catalog.length(s.query) > ?
            FROM %s.pg_stat_statements(true) s
            WHERE s.queryid = ANY (?)
            ORDER BY s.queryid""";

    @Override
    public String name() {
        return "pg_stat_statements";
    }

    @Override
    public ProbeGroup group() {
        return ProbeGroup.SLOW;
    }

    /** The main query for an extension version, schema-qualified (for docs and tests). */
    public static String topSql(String extVersion, String schema) {
        int v = version(extVersion);
        String toplevel = v >= 109 ? "s.toplevel" : "NULL::boolean";
        String read = v >= 111 ? "shared_blk_read_time" : "blk_read_time";
        String write = v >= 111 ? "shared_blk_write_time" : "blk_write_time";
        return SqlVariants.tag("pg_stat_statements", TOP.formatted(toplevel, read, write, quoteIdent(schema)));
    }

    /** "1.10" → 110, "1.8" → 108: comparable as integers (1.10 is newer than 1.9). */
    static int version(String extVersion) {
        String[] p = extVersion.split("\\.");
        return Integer.parseInt(p[0].trim()) * 100 + (p.length > 1 ? Integer.parseInt(p[1].trim()) : 0);
    }

    static String quoteIdent(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
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
                    String db = c.getCatalog();
                    ctx.warnOnce("pgss-missing", "pg_stat_statements is not installed in database " + db
                            + ": statements are not collected (run CREATE EXTENSION pg_stat_statements there;"
                            + " the rest of the collection goes on)");
                    return ProbeOutput.skipped("pg_stat_statements is not installed in database " + db);
                }
                extVersion = rs.getString(1);
                schema = rs.getString(2);
            }
        }
        if (version(extVersion) < 108) {
            ctx.warnOnce("pgss-old", "pg_stat_statements " + extVersion + " is older than 1.8; not supported");
            return ProbeOutput.skipped("pg_stat_statements " + extVersion + " is older than 1.8");
        }
        int top = ctx.limits().topStatements();
        List<SnapshotRow> rows;
        try (PreparedStatement ps = c.prepareStatement(topSql(extVersion, schema))) {
            ps.setInt(1, top);
            try (ResultSet rs = ps.executeQuery()) {
                rows = ResultRows.read(rs, ResultRows.def("pg_stat_statements"));
            }
        }
        // The last row holds the totals; "other" = totals - top N (never below 0: entries can be
        // evicted or reset between the two sums only in theory, the CTE is one snapshot).
        SnapshotRow other = rows.remove(rows.size() - 1);
        other.getLabels().put("queryid", "other");
        for (SnapshotRow r : rows) {
            for (var e : r.getValues().entrySet()) {
                if (e.getValue() != null) {
                    other.getValues().merge(e.getKey(), -e.getValue(), (a, b) -> a == null ? null : Math.max(0.0, a + b));
                }
            }
        }
        rows.add(other);
        Set<String> seen = ctx.seenQueryIds();
        Set<Long> fresh = new LinkedHashSet<>();
        for (SnapshotRow r : rows) {
            String id = r.getLabels().get("queryid");
            if (!"other".equals(id) && !seen.contains(id)) {
                fresh.add(Long.parseLong(id));
            }
        }
        List<QueryText> texts = new ArrayList<>();
        SQLException textError = null;
        if (!fresh.isEmpty()) {
            try {
                texts = readTexts(c, schema, fresh, ctx.limits().queryTextMaxChars());
            } catch (SQLException e) {
                // The counters are still good; texts are retried next cycle (the ids stay unseen).
                textError = e;
            }
            for (QueryText t : texts) {
                seen.add(t.queryid());
            }
        }
        ProbeOutput out = new ProbeOutput(rows, null, extVersion, texts, null);
        if (textError != null) {
            throw new PartialResultException(out, new SQLException("reading query texts: " + textError.getMessage(), null, textError));
        }
        return out;
    }

    private static List<QueryText> readTexts(Connection c, String schema, Set<Long> ids, int max) throws SQLException {
        List<QueryText> texts = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(SqlVariants.tag("pg_stat_statements", TEXTS.formatted(quoteIdent(schema))))) {
            ps.setInt(1, max);
            ps.setInt(2, max);
            ps.setArray(3, c.createArrayOf("int8", ids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    texts.add(new QueryText(rs.getString(1), rs.getString(2), rs.getBoolean(3)));
                }
            }
        }
        return texts;
    }
}
