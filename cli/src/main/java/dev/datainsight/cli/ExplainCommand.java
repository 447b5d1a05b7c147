package dev.datainsight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.collector.PostgresUrl;
import dev.datainsight.collector.probe.StatementText;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code datainsight explain --target URL (--query-id ID | --sql TEXT) [--analyze] [--param V]...}:
 * the plan of one statement as a readable tree with the hot nodes marked (docs/plans.md).
 *
 * <p>Safety: one connection, every statement in a {@code READ ONLY} transaction with a
 * statement_timeout and a lock_timeout, rolled back. Without {@code --analyze} nothing is
 * executed. {@code --analyze} runs the statement, so it is allowed for a single SELECT only
 * ({@link StatementText#whyNotAnalyzable()}): a {@code --sql} text is checked <em>before any
 * connection is opened</em>; a {@code --query-id} text right after it is read, before anything is
 * explained. The read-only transaction is the second fence.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Print the plan of one statement as an indented tree with the hot nodes marked (largest share"
                + " of cost, or of actual time with --analyze). Without --analyze nothing runs: PostgreSQL 16+ plans a"
                + " text with $1.. unbound (GENERIC_PLAN); with --param values the plan is the one for those values.",
            "--analyze runs the statement: only a single SELECT (refused otherwise before connecting), in a READ ONLY"
                + " transaction with a statement_timeout, rolled back. Docs: docs/plans.md."})
public final class ExplainCommand implements Callable<Integer> {
    static final String APPLICATION_NAME = "datainsight-explain";
    private static final String PREPARED = "datainsight_explain";

    @Option(names = "--target", required = true, paramLabel = "URL",
            description = "The server: postgresql://user[:password]@host:port/db or a jdbc:postgresql:// URL.")
    String target;

    @Option(names = "--query-id", paramLabel = "ID", description = "A pg_stat_statements queryid: explain its normalised text.")
    Long queryId;

    @Option(names = "--sql", paramLabel = "TEXT", description = "The statement to explain.")
    String sql;

    @Option(names = "--analyze", description = "Run the statement (a SELECT only) and show actual times and rows.")
    boolean analyze;

    @Option(names = "--param", paramLabel = "VALUE", description = "Value of $1, $2, ... in order (repeat the option).")
    List<String> params = new ArrayList<>();

    @Option(names = "--statement-timeout", paramLabel = "DURATION", defaultValue = "5s",
            description = "statement_timeout of the session (default ${DEFAULT-VALUE}).")
    Duration statementTimeout;

    @Option(names = "--lock-timeout", paramLabel = "DURATION", defaultValue = "1s",
            description = "lock_timeout of the session (default ${DEFAULT-VALUE}).")
    Duration lockTimeout;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if ((queryId == null) == (sql == null)) {
            err.println("error: give exactly one of --query-id and --sql");
            err.flush();
            return 2;
        }
        if (sql != null) {
            String why = refusal(sql, analyze);
            if (why != null) {
                err.println("refused (nothing was sent to the server): " + why);
                err.flush();
                return 2;
            }
        }
        PostgresUrl url = PostgresUrl.parse(target);
        try (Connection c = connect(url)) {
            String text = sql;
            if (queryId != null) {
                text = readText(c, queryId);
                if (text == null) {
                    err.println("error: no pg_stat_statements entry with queryid " + queryId + " in database " + url.database());
                    err.flush();
                    return 1;
                }
                String why = refusal(text, analyze);
                if (why != null) {
                    err.println("refused (not explained): " + why);
                    err.flush();
                    return 2;
                }
            }
            int n = StatementText.of(text).maxParam();
            if (!params.isEmpty() && params.size() != n) {
                err.println("error: the statement has " + n + " parameter(s) ($1..$" + n + "), " + params.size() + " --param given");
                err.flush();
                return 2;
            }
            if (n > 0 && params.isEmpty() && (analyze || serverVersion(c) < 160000)) {
                err.println("error: the statement has parameters $1..$" + n + ": give --param for each"
                        + (analyze ? " (--analyze runs it)" : " (generic plans need PostgreSQL 16+)"));
                err.flush();
                return 2;
            }
            JsonNode plan = new ObjectMapper().readTree(explain(c, text, n));
            out.print(PlanPrinter.print(plan, analyze));
            out.flush();
            return 0;
        }
    }

    /** Why a text is not explained (null: it is), decided without a connection. */
    static String refusal(String text, boolean analyze) {
        StatementText t = StatementText.of(text);
        if (analyze) {
            String why = t.whyNotAnalyzable();
            return why == null ? null : "--analyze runs only a single SELECT: " + why;
        }
        String why = t.whyNotExplainable();
        if (why == null || why.startsWith("data-modifying statement")) {
            return null; // EXPLAIN of INSERT/UPDATE/DELETE/MERGE plans it without running it
        }
        return why;
    }

    private Connection connect(PostgresUrl url) throws SQLException {
        Properties p = new Properties();
        if (url.user() != null) {
            p.setProperty("user", url.user());
        }
        if (url.password() != null) {
            p.setProperty("password", url.password());
        }
        p.setProperty("ApplicationName", APPLICATION_NAME);
        p.setProperty("options", "-c statement_timeout=" + statementTimeout.toMillis() + " -c lock_timeout="
                + lockTimeout.toMillis() + " -c default_transaction_read_only=on");
        p.setProperty("connectTimeout", "5");
        p.setProperty("readOnly", "true");
        p.setProperty("assumeMinServerVersion", "13");
        return DriverManager.getConnection(url.jdbcUrl(url.database()), p);
    }

    private static int serverVersion(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_catalog.current_setting('server_version_num')::int")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static String readText(Connection c, long id) throws SQLException {
        String schema = null;
        try (PreparedStatement ps = c.prepareStatement("SELECT n.nspname FROM pg_catalog.pg_extension e"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'");
                ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
                schema = rs.getString(1);
            }
        }
        if (schema == null) {
            throw new SQLException("pg_stat_statements is not installed in this database");
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT s.query FROM \"" + schema.replace("\"", "\"\"")
                + "\".pg_stat_statements(true) s WHERE s.queryid = ? LIMIT 1")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** EXPLAIN in a read-only transaction, rolled back; with parameters through PREPARE / EXECUTE. */
    private String explain(Connection c, String text, int n) throws SQLException {
        String opts = "FORMAT JSON, VERBOSE, SETTINGS" + (analyze ? ", ANALYZE, BUFFERS" : "");
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SET TRANSACTION READ ONLY");
            // String literals read as StatementText read them (no backslash escapes outside E'').
            st.execute("SET LOCAL standard_conforming_strings = on");
            String explain;
            if (params.isEmpty()) {
                explain = "EXPLAIN (" + (n > 0 ? "GENERIC_PLAN, " : "") + opts + ") " + text;
            } else {
                dev.datainsight.collector.probe.PlansProbe.simpleUpdate(st, "PREPARE " + PREPARED + " AS " + text);
                List<String> lits = new ArrayList<>();
                for (String v : params) {
                    lits.add("'" + v.replace("'", "''") + "'");
                }
                explain = "EXPLAIN (" + opts + ") EXECUTE " + PREPARED + "(" + String.join(", ", lits) + ")";
            }
            try (ResultSet rs = dev.datainsight.collector.probe.PlansProbe.simpleQuery(st, explain)) {
                StringBuilder b = new StringBuilder();
                while (rs.next()) {
                    b.append(rs.getString(1));
                }
                return b.toString();
            }
        } finally {
            c.rollback();
        }
    }
}
