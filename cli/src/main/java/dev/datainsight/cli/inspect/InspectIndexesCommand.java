package dev.datainsight.cli.inspect;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inspect indexes}: indexes of the connected database that cost writes and space for
 * nothing, with their sizes and the total waste.
 * <ul>
 *   <li><b>unused</b>: {@code pg_stat_user_indexes.idx_scan = 0} since the statistics were reset,
 *       excluding unique and primary-key indexes and any index backing a constraint (they enforce
 *       something even when never scanned). Scans on a standby are not counted here: check the
 *       replicas before dropping.</li>
 *   <li><b>duplicate</b>: the same definition as another index of the table (access method,
 *       columns, operator classes, collations, order, expressions, predicate; the one kept is the
 *       constraint or unique one, else the more scanned, else the older), or its key columns are the leading columns of
 *       another btree index with the same predicate (not unique, no expressions, no INCLUDE).</li>
 *   <li><b>invalid</b>: {@code indisvalid = false}, usually a failed {@code CREATE INDEX
 *       CONCURRENTLY}; it is still maintained on every write. One being built now is flagged.</li>
 * </ul>
 * An index in several categories counts once in the total. Sizes: {@code pg_relation_size}, only
 * for the indexes listed.
 */
@Command(name = "indexes", mixinStandardHelpOptions = true,
        description = "Unused, duplicate and invalid indexes of the database with their sizes and the total waste"
                + " (unique, primary-key and constraint indexes are never called unused).")
public final class InspectIndexesCommand extends LiveInspectCommand<InspectIndexesCommand.Report> {
    @Option(names = "--limit", paramLabel = "N", defaultValue = "50",
            description = "Indexes listed, largest first (default ${DEFAULT-VALUE}); the totals count all.")
    int limit;

    /** One wasteful index. */
    public record Index(long oid, String schema, String name, String table, long bytes, Long scans, boolean unused,
            String duplicate, String duplicateOf, boolean invalid, boolean beingBuilt, String definition) {
    }

    /** Totals per category, the grand total (each index once), and the largest indexes. */
    public record Report(String database, String statsReset, int unusedCount, long unusedBytes, int duplicateCount,
            long duplicateBytes, int invalidCount, long invalidBytes, int totalCount, long totalBytes, String headline,
            List<Index> indexes) {
    }

    private static final String SQL = """
            WITH idx AS MATERIALIZED (
                SELECT i.indexrelid, i.indrelid, i.indisunique, i.indisprimary, i.indisvalid, i.indnkeyatts, c.relam,
                       pg_catalog.string_to_array(i.indkey::text, ' ')::int2[] AS cols,
                       pg_catalog.string_to_array(i.indclass::text, ' ')::oid[] AS opclasses,
                       pg_catalog.string_to_array(i.indcollation::text, ' ')::oid[] AS colls,
                       pg_catalog.string_to_array(i.indoption::text, ' ')::int2[] AS opts,
                       i.indexprs::text AS exprs, i.indpred::text AS pred,
                       EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid
                               AND k.conrelid = i.indrelid) AS backs_constraint,
                       COALESCE(s.idx_scan, 0) AS scans
                FROM pg_catalog.pg_index i
                JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
                LEFT JOIN pg_catalog.pg_stat_user_indexes s ON s.indexrelid = i.indexrelid
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind = 'i' AND n.nspname <> ALL (ARRAY['pg_catalog', 'information_schema'])
                  AND n.nspname NOT LIKE 'pg\\_toast%'
            ), dup AS (
                SELECT DISTINCT ON (a.indexrelid) a.indexrelid, b.indexrelid AS kept,
                       CASE WHEN a.cols = b.cols THEN 'same definition as' ELSE 'leading columns of' END AS kind
                FROM idx a
                JOIN idx b ON b.indrelid = a.indrelid AND b.indexrelid <> a.indexrelid AND b.relam = a.relam
                WHERE a.indisvalid AND b.indisvalid
                  AND a.exprs IS NOT DISTINCT FROM b.exprs AND a.pred IS NOT DISTINCT FROM b.pred
                  AND ((a.cols = b.cols AND a.opclasses = b.opclasses AND a.colls = b.colls AND a.opts = b.opts
                        AND a.indnkeyatts = b.indnkeyatts
                        AND NOT a.backs_constraint
                        AND ROW(b.backs_constraint, b.indisunique, b.scans, -b.indexrelid::int8)
                            > ROW(a.backs_constraint, a.indisunique, a.scans, -a.indexrelid::int8))
                    OR (NOT a.indisunique AND NOT a.backs_constraint AND a.exprs IS NULL
                        AND a.relam = (SELECT am.oid FROM pg_catalog.pg_am am WHERE am.amname = 'btree')
                        AND pg_catalog.cardinality(a.cols) = a.indnkeyatts AND a.indnkeyatts < b.indnkeyatts
                        AND a.cols = b.cols[1:a.indnkeyatts] AND a.opclasses = b.opclasses[1:a.indnkeyatts]
                        AND a.colls = b.colls[1:a.indnkeyatts] AND a.opts = b.opts[1:a.indnkeyatts]))
                ORDER BY a.indexrelid, b.backs_constraint DESC, b.indisunique DESC, b.scans DESC, b.indexrelid
            ), building AS MATERIALIZED (
                SELECT p.index_relid FROM pg_catalog.pg_stat_progress_create_index p
            ), found AS (
                SELECT x.indexrelid, x.indrelid, x.indisvalid, x.scans AS idx_scan, d.kind, d.kept,
                       (x.scans = 0 AND x.indisvalid AND NOT x.indisunique AND NOT x.indisprimary
                        AND NOT x.backs_constraint) AS unused
                FROM idx x
                LEFT JOIN dup d ON d.indexrelid = x.indexrelid
            )
            SELECT n.nspname::text, ci.relname::text, ct.relname::text, pg_catalog.pg_relation_size(f.indexrelid),
                   f.idx_scan, f.unused, f.kind, f.kept::pg_catalog.regclass::text, NOT f.indisvalid,
                   EXISTS (SELECT 1 FROM building b WHERE b.index_relid = f.indexrelid), f.indexrelid
            FROM found f
            JOIN pg_catalog.pg_class ci ON ci.oid = f.indexrelid
            JOIN pg_catalog.pg_class ct ON ct.oid = f.indrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = ci.relnamespace
            WHERE f.unused OR f.kind IS NOT NULL OR NOT f.indisvalid
            """;

    private static final String DEFINITIONS = """
            SELECT o, pg_catalog.pg_get_indexdef(o) FROM pg_catalog.unnest(?::oid[]) AS t(o)
            """;

    private static final String RESET = """
            SELECT pg_catalog.to_char(d.stats_reset, 'YYYY-MM-DD HH24:MI:SS TZ')
            FROM pg_catalog.pg_stat_database d WHERE d.datname = pg_catalog.current_database()
            """;

    @Override
    void validate() {
        range("--limit", limit, 1, 100_000);
    }

    @Override
    Report read(InspectSession s) {
        List<Index> all = s.query("indexes", SQL, null, rs -> {
            long scans = rs.getLong(5);
            Long sc = rs.wasNull() ? null : scans;
            return new Index(rs.getLong(11), rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), sc,
                    rs.getBoolean(6), rs.getString(7), rs.getString(8), rs.getBoolean(9), rs.getBoolean(10), null);
        });
        List<String> reset = s.query("indexes", RESET, null, rs -> rs.getString(1));
        Report r = report(s.database(), reset.isEmpty() ? null : reset.get(0), all, limit);
        // Definitions only for the indexes listed: deparsing thousands costs more than the rest.
        java.util.Map<Long, String> defs = new java.util.HashMap<>();
        Long[] oids = r.indexes().stream().map(Index::oid).toArray(Long[]::new);
        if (oids.length > 0) {
            s.query("indexes", DEFINITIONS, ps -> ps.setArray(1, ps.getConnection().createArrayOf("oid", oids)),
                    rs -> defs.put(rs.getLong(1), rs.getString(2)));
        }
        List<Index> listed = r.indexes().stream().map(i -> new Index(i.oid(), i.schema(), i.name(), i.table(), i.bytes(),
                i.scans(), i.unused(), i.duplicate(), i.duplicateOf(), i.invalid(), i.beingBuilt(), defs.get(i.oid())))
                .toList();
        return new Report(r.database(), r.statsReset(), r.unusedCount(), r.unusedBytes(), r.duplicateCount(),
                r.duplicateBytes(), r.invalidCount(), r.invalidBytes(), r.totalCount(), r.totalBytes(), r.headline(), listed);
    }

    static Report report(String db, String statsReset, List<Index> all, int limit) {
        int uc = 0;
        int dc = 0;
        int ic = 0;
        long ub = 0;
        long dbytes = 0;
        long ib = 0;
        long total = 0;
        for (Index i : all) {
            total += i.bytes();
            if (i.unused()) {
                uc++;
                ub += i.bytes();
            }
            if (i.duplicate() != null) {
                dc++;
                dbytes += i.bytes();
            }
            if (i.invalid()) {
                ic++;
                ib += i.bytes();
            }
        }
        List<Index> sorted = new ArrayList<>(all);
        sorted.sort((a, b) -> a.bytes() != b.bytes() ? Long.compare(b.bytes(), a.bytes())
                : (a.schema() + "." + a.name()).compareTo(b.schema() + "." + b.name()));
        List<String> parts = new ArrayList<>();
        if (uc > 0) {
            parts.add(part(uc, "unused", ub));
        }
        if (dc > 0) {
            parts.add(part(dc, "duplicate", dbytes));
        }
        if (ic > 0) {
            parts.add(part(ic, "invalid", ib));
        }
        String headline;
        if (parts.isEmpty()) {
            headline = "No unused, duplicate or invalid index in database " + Terminal.safe(db) + ".";
        } else {
            headline = String.join("; ", parts) + (parts.size() > 1 || uc + dc + ic > all.size()
                    ? "; total waste " + Terminal.bytes(total) + " (" + all.size() + " index" + (all.size() == 1 ? "" : "es") + ")" : "");
        }
        return new Report(db, statsReset, uc, ub, dc, dbytes, ic, ib, all.size(), total, headline,
                sorted.subList(0, Math.min(limit, sorted.size())));
    }

    private static String part(int n, String what, long bytes) {
        return n + " " + what + (n == 1 ? " index wastes " : " indexes waste ") + Terminal.bytes(bytes);
    }

    @Override
    void print(Report r, Terminal t) {
        t.println(r.totalCount() == 0 ? t.bold(r.headline()) : t.red(t.bold(r.headline())));
        t.println(t.dim("database " + Terminal.safe(r.database()) + "; scans counted since "
                + (r.statsReset() == null ? "the statistics were last reset (never)" : r.statsReset())
                + "; a standby's scans are not counted here"));
        if (r.indexes().isEmpty()) {
            return;
        }
        t.println();
        Table table = new Table("INDEX", "TABLE", "SIZE>", "SCANS>", "WHY", "DEFINITION");
        for (Index i : r.indexes()) {
            List<String> why = new ArrayList<>();
            if (i.unused()) {
                why.add("unused");
            }
            if (i.duplicate() != null) {
                why.add(i.duplicate() + " " + Terminal.safe(i.duplicateOf(), 60));
            }
            if (i.invalid()) {
                why.add(i.beingBuilt() ? "invalid (being built now)" : "invalid");
            }
            table.row(Terminal.safe(i.schema(), 30) + "." + Terminal.safe(i.name(), 60), Terminal.safe(i.table(), 60),
                    Terminal.bytes(i.bytes()), i.scans() == null ? null : Terminal.count(i.scans()), String.join(", ", why),
                    Terminal.safe(i.definition(), 90));
        }
        table.print(t);
        if (r.totalCount() > r.indexes().size()) {
            t.println(t.dim("... " + (r.totalCount() - r.indexes().size()) + " more (--limit)"));
        }
    }
}
