package dev.datainsight.collector.probe;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A conservative reading of a statement's text, enough to decide what may be explained without
 * a round trip: the text is split into tokens (comments, string literals, quoted identifiers and
 * dollar-quoted bodies are recognised and never mistaken for keywords), and the checks look at the
 * words. It is deliberately stricter than PostgreSQL's grammar: a column named {@code update}
 * makes a SELECT refused, which is the safe mistake. The text is untrusted (it comes from the
 * monitored server or the command line); nothing here executes it. Strings are read with
 * {@code standard_conforming_strings = on} (a backslash escapes only in {@code E'...'}); the
 * callers set it for the transaction that sends the text, so the server reads the text the same
 * way.
 */
public final class StatementText {

    private static final Set<String> QUERY_START = Set.of("SELECT", "WITH", "VALUES", "TABLE");
    private static final Set<String> DML = Set.of("INSERT", "UPDATE", "DELETE", "MERGE");
    private static final Set<String> DDL = Set.of("CREATE", "ALTER", "DROP", "TRUNCATE", "GRANT", "REVOKE", "COMMENT",
            "REINDEX", "CLUSTER", "REFRESH", "SECURITY", "IMPORT", "REASSIGN");
    /** Locking clauses: FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE take RowShareLock. */
    private static final Set<String> AFTER_FOR = Set.of("UPDATE", "NO", "SHARE", "KEY");
    /**
     * Functions an EXPLAIN ANALYZE must not run even in a read-only transaction: they signal or
     * kill backends, take advisory locks, sleep, change settings, reach other servers or files,
     * reset statistics, or write WAL outside the transaction.
     */
    private static final List<String> FORBIDDEN_FUNCTION_PREFIXES = List.of("PG_TERMINATE_BACKEND", "PG_CANCEL_BACKEND",
            "PG_RELOAD_CONF", "PG_ROTATE_LOGFILE", "PG_ADVISORY", "PG_TRY_ADVISORY", "SET_CONFIG", "PG_SLEEP", "DBLINK",
            "LO_", "PG_FILE_", "PG_READ_FILE", "PG_READ_BINARY_FILE", "PG_LS_", "PG_SWITCH_WAL", "PG_CREATE_",
            "PG_DROP_REPLICATION_SLOT", "PG_PROMOTE", "PG_LOGICAL_", "PG_REPLICATION_", "PG_NOTIFY", "PG_STAT_RESET",
            "PG_STAT_STATEMENTS_RESET", "PG_LOG_BACKEND_MEMORY_CONTEXTS", "PG_WAL_REPLAY_", "PG_BACKUP_", "PG_START_BACKUP",
            "PG_STOP_BACKUP", "PG_IMPORT_SYSTEM_COLLATIONS", "TXID_CURRENT", "PG_CURRENT_XACT_ID", "NEXTVAL", "SETVAL",
            "PG_TERMINATE", "QUERY_TO_XML", "PG_EXPORT_SNAPSHOT");

    private enum T { WORD, QUOTED_IDENT, STRING, PARAM, PUNCT }

    private record Token(T type, String text) {}

    private final List<Token> tokens;
    private final String unterminated;

    private StatementText(List<Token> tokens, String unterminated) {
        this.tokens = tokens;
        this.unterminated = unterminated;
    }

    /** Splits a text into tokens. Never throws. */
    public static StatementText of(String sql) {
        List<Token> out = new ArrayList<>();
        String open = null;
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                // PostgreSQL ends a -- comment at \n or \r: so must we, or "--\r; DROP" would hide a statement
                int j = i + 2;
                while (j < n && sql.charAt(j) != '\n' && sql.charAt(j) != '\r') {
                    j++;
                }
                i = Math.min(n, j + 1);
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int depth = 1;
                i += 2;
                while (i < n && depth > 0) {
                    if (sql.startsWith("/*", i)) {
                        depth++;
                        i += 2;
                    } else if (sql.startsWith("*/", i)) {
                        depth--;
                        i += 2;
                    } else {
                        i++;
                    }
                }
                if (depth > 0) {
                    open = "a comment";
                }
            } else if (c == '\'') {
                boolean backslash = !out.isEmpty() && out.get(out.size() - 1).type == T.WORD
                        && out.get(out.size() - 1).text.equals("E") && i > 0 && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e');
                int j = i + 1;
                boolean closed = false;
                while (j < n) {
                    char d = sql.charAt(j);
                    if (backslash && d == '\\') {
                        j += 2;
                    } else if (d == '\'') {
                        if (j + 1 < n && sql.charAt(j + 1) == '\'') {
                            j += 2;
                        } else {
                            closed = true;
                            j++;
                            break;
                        }
                    } else {
                        j++;
                    }
                }
                if (!closed) {
                    open = "a string literal";
                }
                out.add(new Token(T.STRING, ""));
                i = Math.min(j, n);
            } else if (c == '"') {
                int j = i + 1;
                StringBuilder id = new StringBuilder();
                boolean closed = false;
                while (j < n) {
                    char d = sql.charAt(j);
                    if (d == '"') {
                        if (j + 1 < n && sql.charAt(j + 1) == '"') {
                            id.append('"');
                            j += 2;
                        } else {
                            closed = true;
                            j++;
                            break;
                        }
                    } else {
                        id.append(d);
                        j++;
                    }
                }
                if (!closed) {
                    open = "a quoted identifier";
                }
                out.add(new Token(T.QUOTED_IDENT, id.toString()));
                i = j;
            } else if (c == '$' && i + 1 < n && Character.isDigit(sql.charAt(i + 1))) {
                int j = i + 1;
                while (j < n && Character.isDigit(sql.charAt(j))) {
                    j++;
                }
                out.add(new Token(T.PARAM, sql.substring(i, j)));
                i = j;
            } else if (c == '$') {
                int j = i + 1;
                while (j < n && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
                    j++;
                }
                if (j < n && sql.charAt(j) == '$') {
                    String tag = sql.substring(i, j + 1);
                    int end = sql.indexOf(tag, j + 1);
                    if (end < 0) {
                        open = "a dollar-quoted string";
                        i = n;
                    } else {
                        i = end + tag.length();
                    }
                    out.add(new Token(T.STRING, ""));
                } else {
                    out.add(new Token(T.PUNCT, "$"));
                    i++;
                }
            } else if (Character.isLetter(c) || c == '_') {
                int j = i + 1;
                while (j < n && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_' || sql.charAt(j) == '$')) {
                    j++;
                }
                out.add(new Token(T.WORD, sql.substring(i, j).toUpperCase(Locale.ROOT)));
                i = j;
            } else if (Character.isDigit(c)) {
                int j = i + 1;
                while (j < n && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '.')) {
                    j++;
                }
                out.add(new Token(T.PUNCT, "0"));
                i = j;
            } else {
                out.add(new Token(T.PUNCT, String.valueOf(c)));
                i++;
            }
        }
        return new StatementText(out, open);
    }

    /** The first keyword (upper case), skipping leading parentheses; "" when there is none. */
    public String firstWord() {
        for (Token t : tokens) {
            if (t.type == T.PUNCT && t.text.equals("(")) {
                continue;
            }
            return t.type == T.WORD ? t.text : "";
        }
        return "";
    }

    /** The highest {@code $n} parameter in the text (0: none). */
    public int maxParam() {
        int max = 0;
        for (Token t : tokens) {
            if (t.type == T.PARAM) {
                try {
                    max = Math.max(max, Integer.parseInt(t.text.substring(1)));
                } catch (NumberFormatException e) {
                    return Integer.MAX_VALUE;
                }
            }
        }
        return max;
    }

    /**
     * Why EXPLAIN (without ANALYZE) of this text could take more than AccessShareLock or is not a
     * plannable query, or null when it is a single SELECT / WITH ... SELECT / VALUES / TABLE
     * statement without data-modifying parts, locking clauses or INTO.
     */
    public String whyNotExplainable() {
        if (unterminated != null) {
            return "the text ends inside " + unterminated + " (truncated?)";
        }
        if (tokens.isEmpty()) {
            return "empty statement";
        }
        int last = tokens.size() - 1;
        while (last >= 0 && tokens.get(last).type == T.PUNCT && tokens.get(last).text.equals(";")) {
            last--;
        }
        for (int i = 0; i <= last; i++) {
            if (tokens.get(i).type == T.PUNCT && tokens.get(i).text.equals(";")) {
                return "more than one statement";
            }
        }
        String first = firstWord();
        if (DML.contains(first)) {
            return "data-modifying statement (" + first + "): EXPLAIN would take a RowExclusiveLock on its target";
        }
        if (DDL.contains(first)) {
            return "DDL (" + first + ")";
        }
        if (!QUERY_START.contains(first)) {
            return "utility statement (" + (first.isEmpty() ? "no keyword" : first) + ")";
        }
        for (int i = 0; i <= last; i++) {
            Token t = tokens.get(i);
            if (t.type != T.WORD) {
                continue;
            }
            if (DML.contains(t.text)) {
                return "contains " + t.text + " (a data-modifying WITH or a locking clause)";
            }
            if (t.text.equals("FOR") && i + 1 <= last && tokens.get(i + 1).type == T.WORD
                    && AFTER_FOR.contains(tokens.get(i + 1).text)) {
                return "locking clause (FOR " + tokens.get(i + 1).text + "): takes a RowShareLock";
            }
            if (t.text.equals("INTO")) {
                return "SELECT INTO creates a table";
            }
        }
        return null;
    }

    /**
     * As {@link #whyNotExplainable()}, and also refuses calls of functions with effects outside
     * the transaction (killing backends, advisory locks, sleeping, files, other servers,
     * sequences): for EXPLAIN ANALYZE, which runs the statement. A read-only transaction is the
     * second fence; functions of the application run as they are written.
     */
    public String whyNotAnalyzable() {
        String why = whyNotExplainable();
        if (why != null) {
            return why;
        }
        for (int i = 0; i + 1 < tokens.size(); i++) {
            Token t = tokens.get(i);
            Token next = tokens.get(i + 1);
            boolean call = next.type == T.PUNCT && next.text.equals("(");
            String name = t.type == T.WORD || t.type == T.QUOTED_IDENT ? t.text.toUpperCase(Locale.ROOT) : null;
            if (name != null && call) {
                for (String p : FORBIDDEN_FUNCTION_PREFIXES) {
                    if (name.startsWith(p)) {
                        return "calls " + t.text.toLowerCase(Locale.ROOT) + "(), which has effects outside the transaction";
                    }
                }
            }
        }
        return null;
    }
}
