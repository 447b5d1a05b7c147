package dev.datainsight.collector.probe;

import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.ViewDef;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The N sequences of each database closest to exhaustion (view {@code pg_sequences}).
 *
 * <p>The {@code pg_sequences} view is not read: it calls {@code pg_sequence_last_value} for every
 * sequence of the database in one statement, which locks each of them until the statement ends
 * (thousands of sequences fill the shared lock table) and waits behind any sequence a migration
 * holds in ACCESS EXCLUSIVE (ALTER/DROP SEQUENCE), so the whole probe ends at lock_timeout with
 * nothing. Instead, in two steps:
 * <ol>
 *   <li>candidates from the catalogs only ({@code pg_sequence}, the owning column's type via
 *       {@code pg_depend}; no sequence is opened): the effective bound is the sequence's
 *       max_value (min_value when descending), narrowed to the owning column's type range
 *       (a bigint sequence behind an int4 column fails at 2^31-1). Ranked by the smallest bound, then by
 *       rows inserted into the owning table (a statistics counter, no lock), at most
 *       {@link #MAX_CANDIDATES}; sequences another session holds or waits for in a mode
 *       that conflicts with reading them (Share and stronger, from {@code pg_locks}) are skipped;</li>
 *   <li>last values in chunks of {@link #CHUNK} sequences per statement (autocommit: each chunk's
 *       locks are released before the next). A chunk that still hits lock_timeout (a lock taken
 *       after step 1) is retried once without the sequences locked by then.</li>
 * </ol>
 * For a descending sequence {@code max_value} carries its bound towards which it runs and the
 * ratio is last/min. {@code last_value} is null until the sequence was used, and also when the
 * collector's role lacks SELECT or USAGE on it (pg_monitor does not grant that): the ratio is then
 * null too. Same SQL on 13..18.
 */
public final class SequencesProbe extends PerDatabaseProbe {
    /** Sequences whose last value one statement reads (and so locks at once). */
    public static final int CHUNK = 100;
    /** Sequences read per database and cycle, smallest bound first. */
    public static final int MAX_CANDIDATES = 10_000;

    private static final String LOCKED = """
            SELECT l.relation FROM pg_catalog.pg_locks l
            WHERE l.locktype = 'relation' AND l.pid <> pg_catalog.pg_backend_pid()
              AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
              AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')""";

    private static final String CANDIDATES = SqlVariants.tag("pg_sequences", """
            SELECT c.oid::int8 AS oid, n.nspname, c.relname, s.seqincrement > 0 AS ascending,
              CASE WHEN s.seqincrement > 0
                THEN LEAST(s.seqmax, CASE t.atttypid WHEN 'pg_catalog.int2'::pg_catalog.regtype THEN 32767
                    WHEN 'pg_catalog.int4'::pg_catalog.regtype THEN 2147483647 ELSE s.seqmax END)
                ELSE GREATEST(s.seqmin, CASE t.atttypid WHEN 'pg_catalog.int2'::pg_catalog.regtype THEN -32768
                    WHEN 'pg_catalog.int4'::pg_catalog.regtype THEN -2147483648 ELSE s.seqmin END)
              END AS bound
            FROM pg_catalog.pg_sequence s
            JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN LATERAL (
              SELECT a.atttypid, d.refobjid FROM pg_catalog.pg_depend d
              JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
              WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = s.seqrelid
                AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjsubid > 0
                AND d.deptype IN ('a', 'i')
              LIMIT 1) t ON true
            WHERE NOT pg_catalog.pg_is_other_temp_schema(n.oid)
              AND c.oid NOT IN (""" + LOCKED + """
            )
            ORDER BY pg_catalog.abs(CASE WHEN s.seqincrement > 0
                THEN LEAST(s.seqmax, CASE t.atttypid WHEN 'pg_catalog.int2'::pg_catalog.regtype THEN 32767
                    WHEN 'pg_catalog.int4'::pg_catalog.regtype THEN 2147483647 ELSE s.seqmax END)
                ELSE GREATEST(s.seqmin, CASE t.atttypid WHEN 'pg_catalog.int2'::pg_catalog.regtype THEN -32768
                    WHEN 'pg_catalog.int4'::pg_catalog.regtype THEN -2147483648 ELSE s.seqmin END)
              END::numeric),
              pg_catalog.pg_stat_get_tuples_inserted(t.refobjid) DESC NULLS LAST, n.nspname, c.relname
            LIMIT ?""");

    private static final String LAST_VALUES = SqlVariants.tag("pg_sequences", """
            SELECT u.oid, CASE WHEN pg_catalog.has_sequence_privilege(u.oid::oid, 'SELECT,USAGE')
                THEN pg_catalog.pg_sequence_last_value(u.oid::oid) END AS last_value
            FROM pg_catalog.unnest(?::int8[]) AS u(oid)""");

    private static final String LOCKED_NOW = SqlVariants.tag("pg_sequences", LOCKED);

    public SequencesProbe() {
        super("pg_sequences", ProbeGroup.SLOW, SqlVariants.single("pg_sequences", CANDIDATES));
    }

    private record Candidate(long oid, String schema, String name, boolean ascending, long bound) {}

    @Override
    protected List<SnapshotRow> run(Connection c, String text, ProbeContext ctx) throws SQLException {
        List<Candidate> candidates = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(CANDIDATES)) {
            ps.setInt(1, MAX_CANDIDATES);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    candidates.add(new Candidate(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getBoolean(4),
                            rs.getLong(5)));
                }
            }
        }
        Map<Long, Long> last = new HashMap<>();
        Set<Long> skipped = new HashSet<>();
        SQLException error = null;
        for (int i = 0; i < candidates.size(); i += CHUNK) {
            List<Long> chunk = new ArrayList<>();
            for (Candidate k : candidates.subList(i, Math.min(candidates.size(), i + CHUNK))) {
                chunk.add(k.oid());
            }
            try {
                readChunk(c, chunk, last);
            } catch (SQLException e) {
                if (!"55P03".equals(e.getSQLState())) {
                    throw e;
                }
                // A lock taken after the candidate list was read: drop what is locked now, retry once.
                Set<Long> locked = lockedNow(c);
                chunk.removeIf(locked::contains);
                skipped.addAll(locked);
                try {
                    readChunk(c, chunk, last);
                } catch (SQLException again) {
                    if (!"55P03".equals(again.getSQLState())) {
                        throw again;
                    }
                    skipped.addAll(chunk);
                    if (error == null) {
                        error = again;
                    }
                }
            }
        }
        ViewDef def = ResultRows.def(view());
        List<SnapshotRow> rows = new ArrayList<>();
        for (Candidate k : candidates) {
            if (skipped.contains(k.oid())) {
                continue;
            }
            Long v = last.get(k.oid());
            SnapshotRow r = ResultRows.empty(def);
            r.label("schemaname", k.schema());
            r.label("sequencename", k.name());
            r.value("last_value", v == null ? null : v.doubleValue());
            r.value("max_value", (double) k.bound());
            r.value("used_ratio", v == null || k.bound() == 0 ? null : v.doubleValue() / (double) k.bound());
            rows.add(r);
        }
        rows.sort(Comparator.comparing((SnapshotRow r) -> r.getValues().get("used_ratio"),
                        Comparator.nullsLast(Comparator.reverseOrder()))
                .thenComparing(r -> r.getLabels().get("schemaname"))
                .thenComparing(r -> r.getLabels().get("sequencename")));
        List<SnapshotRow> top = new ArrayList<>(rows.subList(0, Math.min(rows.size(), ctx.limits().topSequences())));
        if (error != null && top.isEmpty()) {
            throw error;
        }
        return top;
    }

    private static void readChunk(Connection c, List<Long> oids, Map<Long, Long> into) throws SQLException {
        if (oids.isEmpty()) {
            return;
        }
        Array arr = c.createArrayOf("int8", oids.toArray());
        try (PreparedStatement ps = c.prepareStatement(LAST_VALUES)) {
            ps.setArray(1, arr);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long v = rs.getLong(2);
                    if (!rs.wasNull()) {
                        into.put(rs.getLong(1), v);
                    }
                }
            }
        } finally {
            arr.free();
        }
    }

    private static Set<Long> lockedNow(Connection c) throws SQLException {
        Set<Long> out = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(LOCKED_NOW); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }
}
