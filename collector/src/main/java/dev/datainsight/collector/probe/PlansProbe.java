package dev.datainsight.collector.probe;

import dev.datainsight.model.PlansSnapshot;
import dev.datainsight.model.QueryPlan;
import dev.datainsight.model.WireFormat;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plans of the statements that matter, captured without executing them (off unless the
 * instance's {@code plans.enabled}). Each slow cycle, after {@link StatementsProbe}, it takes that
 * probe's ranking of the cycle (top statements by change of total_exec_time, {@link TopStatement})
 * and explains, best first, the entries not explained within {@link PlansSettings#interval()}, at
 * most {@link PlansSettings#perCycle()} of them:
 *
 * <pre>EXPLAIN (GENERIC_PLAN, FORMAT JSON, VERBOSE, SETTINGS) &lt;normalised text&gt;</pre>
 *
 * <p>in the statement's database, in its own read-only transaction (the collector's sessions are
 * {@code default_transaction_read_only} with its statement_timeout and lock_timeout), rolled
 * back. {@code GENERIC_PLAN} (PostgreSQL 16+) plans the text with its {@code $n} parameters
 * unbound and never runs it. Only a single SELECT / WITH / VALUES / TABLE statement without
 * data-modifying parts, locking clause or INTO is explained ({@link StatementText}): planning one
 * takes AccessShareLock only. INSERT / UPDATE / DELETE / MERGE would take RowExclusiveLock on
 * their target at parse time, so they are skipped with the reason, like utility statements, DDL,
 * and texts that are cut or end inside a literal. A statement the role may not read gets
 * {@code no_privilege} (SQLSTATE 42501); a timeout or another error {@code failed} with the
 * SQLSTATE — one entry per statement per interval, never an error of the probe.
 *
 * <p>On PostgreSQL 13-15 there is no GENERIC_PLAN: the probe sends one plans snapshot with the
 * status {@value #NEEDS_16} (and logs it once), then nothing.
 *
 * <p>State: per instance, when each (queryid, database, role) was last explained, at most
 * {@value #MEMORY} entries (the oldest forgotten first).
 */
public final class PlansProbe implements Probe {

    /** The probe status on servers older than 16. */
    public static final String NEEDS_16 = "generic plans need PostgreSQL 16+";
    /** Longest statement text explained, in characters; longer texts are skipped. */
    public static final int MAX_TEXT_CHARS = 100_000;
    static final int MEMORY = 10_000;

    private static final String TEXTS = """
            SELECT DISTINCT ON (s.queryid) s.queryid, pg_catalog.left(s.query, ?), pg_catalog.length(s.query) > ?
            FROM %s.pg_stat_statements(true) s
            WHERE s.queryid = ANY (?) AND pg_catalog.left(s.query, ?) <> ?
            ORDER BY s.queryid""";

    /** What the probe remembers per instance. */
    static final class Memory {
        boolean statusSent;
        final Map<String, Long> explainedAt = new LinkedHashMap<>(64, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> e) {
                return size() > MEMORY;
            }
        };
    }

    @Override
    public String name() {
        return PlansSnapshot.VIEW;
    }

    @Override
    public ProbeGroup group() {
        return ProbeGroup.SLOW;
    }

    @Override
    public boolean enabledFor(ProbeContext ctx) {
        return ctx.plans().enabled();
    }

    /** The EXPLAIN sent for a statement text. */
    public static String explainSql(String text) {
        return SqlVariants.MARKER + " EXPLAIN (GENERIC_PLAN, FORMAT JSON, VERBOSE, SETTINGS) " + text;
    }

    @Override
    public ProbeOutput collect(ProbeContext ctx) throws SQLException {
        Memory mem = ctx.state(Memory.class, Memory::new);
        if (ctx.serverVersionNum() < 160000) {
            if (mem.statusSent) {
                return ProbeOutput.skipped(NEEDS_16);
            }
            mem.statusSent = true;
            ctx.warnOnce("plans-16", "plans probe: " + NEEDS_16 + " (EXPLAIN GENERIC_PLAN); this server is "
                    + ctx.serverVersionNum() + ": no plans are captured");
            PlansSnapshot s = new PlansSnapshot();
            s.setStatus(NEEDS_16 + " (server_version_num " + ctx.serverVersionNum() + ")");
            return ProbeOutput.of(s);
        }
        Object r = ctx.cycleScratch().get(TopStatement.SCRATCH_KEY);
        if (!(r instanceof TopStatement.Ranking ranking)) {
            return ProbeOutput.skipped("no pg_stat_statements ranking in this cycle");
        }
        PlansSettings cfg = ctx.plans();
        long now = System.currentTimeMillis();
        String self = ctx.connection().getMetaData().getUserName();
        List<TopStatement> due = new ArrayList<>();
        for (TopStatement t : ranking.top()) {
            if (t.rolname().equals(self)) {
                continue; // the collector's own statements (its EXPLAINs share the explained queryid)
            }
            Long last = mem.explainedAt.get(key(t));
            if ((last == null || now - last >= cfg.interval().toMillis()) && due.size() < 3 * cfg.perCycle()) {
                due.add(t);
            }
        }
        PlansSnapshot out = new PlansSnapshot();
        if (due.isEmpty()) {
            return ProbeOutput.skipped("nothing due");
        }
        Map<Long, String[]> texts = readTexts(ctx.connection(), ranking.schema(), due);

        // Choose: skipped entries are reported (and remembered) without costing an EXPLAIN.
        List<TopStatement> explain = new ArrayList<>();
        Map<TopStatement, String> textOf = new HashMap<>();
        for (TopStatement t : due) {
            if (explain.size() >= cfg.perCycle()) {
                break;
            }
            String[] tx = texts.get(t.queryid());
            if (tx != null && tx[0].startsWith(SqlVariants.MARKER)) {
                mem.explainedAt.put(key(t), now);
                continue; // the collector's own queries
            }
            String why;
            if (tx == null) {
                why = "text not in pg_stat_statements any more";
            } else if ("t".equals(tx[1])) {
                why = "text longer than " + MAX_TEXT_CHARS + " characters";
            } else {
                why = StatementText.of(tx[0]).whyNotExplainable();
            }
            mem.explainedAt.put(key(t), now);
            if (why != null) {
                out.getPlans().add(QueryPlan.without(Long.toString(t.queryid()), t.datname(), t.rolname(), QueryPlan.SKIPPED, why));
            } else {
                explain.add(t);
                textOf.put(t, tx[0]);
            }
        }
        // The configured database first (the lane's connection is already there), then database by database.
        String home = ctx.connection().getCatalog();
        explain.sort((a, b) -> Boolean.compare(!home.equals(a.datname()), !home.equals(b.datname())) != 0
                ? Boolean.compare(!home.equals(a.datname()), !home.equals(b.datname())) : a.datname().compareTo(b.datname()));
        for (TopStatement t : explain) {
            out.getPlans().add(explainOne(ctx, home, t, textOf.get(t)));
        }
        return ProbeOutput.of(out);
    }

    private static String key(TopStatement t) {
        return t.queryid() + "|" + t.dbid() + "|" + t.userid();
    }

    private static Map<Long, String[]> readTexts(Connection c, String schema, List<TopStatement> due) throws SQLException {
        Map<Long, String[]> out = new HashMap<>();
        Long[] ids = due.stream().map(TopStatement::queryid).distinct().toArray(Long[]::new);
        try (PreparedStatement ps = c.prepareStatement(SqlVariants.tag("query_plans_texts",
                TEXTS.formatted(StatementsProbe.quoteIdent(schema))))) {
            ps.setInt(1, MAX_TEXT_CHARS);
            ps.setInt(2, MAX_TEXT_CHARS);
            ps.setArray(3, c.createArrayOf("int8", ids));
            // The collector's own EXPLAIN entries share the explained statement's queryid.
            ps.setInt(4, SqlVariants.MARKER.length());
            ps.setString(5, SqlVariants.MARKER);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getLong(1), new String[] {rs.getString(2), rs.getBoolean(3) ? "t" : "f"});
                }
            }
        }
        return out;
    }

    private static QueryPlan explainOne(ProbeContext ctx, String home, TopStatement t, String text) {
        String qid = Long.toString(t.queryid());
        Connection c;
        try {
            c = home.equals(t.datname()) ? ctx.connection() : ctx.connection(t.datname());
        } catch (SQLException | RuntimeException e) {
            return QueryPlan.without(qid, t.datname(), t.rolname(), QueryPlan.FAILED,
                    "cannot connect to database " + t.datname() + ": " + firstLine(e.getMessage()));
        }
        String json;
        try {
            json = explain(c, text);
        } catch (SQLException e) {
            String state = e.getSQLState();
            if ("42501".equals(state)) {
                return QueryPlan.without(qid, t.datname(), t.rolname(), QueryPlan.NO_PRIVILEGE,
                        "no privilege (SQLSTATE 42501): " + firstLine(e.getMessage())
                                + "; grant pg_read_all_data (14+) or SELECT on the tables to the collector's role");
            }
            String what = switch (state == null ? "" : state) {
                case "57014" -> "statement_timeout while planning";
                case "55P03" -> "lock_timeout: a conflicting lock is held on a table of the statement";
                default -> firstLine(e.getMessage());
            };
            return QueryPlan.without(qid, t.datname(), t.rolname(), QueryPlan.FAILED, what + " (SQLSTATE " + state + ")");
        }
        PlanShape shape;
        try {
            shape = PlanShape.of(json);
        } catch (java.io.IOException | RuntimeException e) {
            return QueryPlan.without(qid, t.datname(), t.rolname(), QueryPlan.FAILED, "unreadable EXPLAIN output: " + e.getMessage());
        }
        byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
        boolean cut = utf8.length > WireFormat.MAX_PLAN_BYTES;
        String plan = cut ? cut(json, WireFormat.MAX_PLAN_BYTES) : json;
        return new QueryPlan(qid, t.datname(), t.rolname(), QueryPlan.CAPTURED, null, shape.fingerprint(), shape.summary(),
                plan, cut, utf8.length, shape.totalCost());
    }

    /**
     * EXPLAIN of one text in its own read-only transaction, rolled back (also on error, so the
     * session is clean for the next statement and probe).
     */
    static String explain(Connection c, String text) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SET TRANSACTION READ ONLY");
            // The server must read string literals as StatementText did (a backslash is no escape
            // outside E''), so a text cannot hide a second statement from the check.
            st.execute("SET LOCAL standard_conforming_strings = on");
            try (ResultSet rs = simpleQuery(st, explainSql(text))) {
                StringBuilder b = new StringBuilder();
                while (rs.next()) {
                    b.append(rs.getString(1));
                }
                return b.toString();
            }
        } finally {
            try {
                c.rollback();
            } finally {
                c.setAutoCommit(auto);
            }
        }
    }

    /**
     * Runs one query over the simple query protocol: with the extended protocol the server would
     * take the text's {@code $n} for parameters to bind, which GENERIC_PLAN leaves unbound; the
     * driver substitutes no {@code ?} either (an operator in jsonb texts). The text was checked to
     * be one statement.
     */
    public static ResultSet simpleQuery(Statement st, String sql) throws SQLException {
        org.postgresql.core.BaseStatement b = st.unwrap(org.postgresql.core.BaseStatement.class);
        if (!b.executeWithFlags(sql, org.postgresql.core.QueryExecutor.QUERY_EXECUTE_AS_SIMPLE)) {
            throw new SQLException("EXPLAIN returned no result");
        }
        return st.getResultSet();
    }

    /** As {@link #simpleQuery}, for a statement without a result (PREPARE). */
    public static void simpleUpdate(Statement st, String sql) throws SQLException {
        st.unwrap(org.postgresql.core.BaseStatement.class).executeWithFlags(sql,
                org.postgresql.core.QueryExecutor.QUERY_EXECUTE_AS_SIMPLE);
    }

    /** The longest prefix of {@code s} whose UTF-8 encoding fits {@code maxBytes}. */
    static String cut(String s, int maxBytes) {
        int bytes = 0;
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            int len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + len > maxBytes) {
                break;
            }
            bytes += len;
            i += Character.charCount(cp);
        }
        return s.substring(0, i);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String l = nl < 0 ? s : s.substring(0, nl);
        return l.length() > 300 ? l.substring(0, 300) + "…" : l;
    }
}
