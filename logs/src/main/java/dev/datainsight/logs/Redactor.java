package dev.datainsight.logs;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The privacy options of {@link LogOptions}, applied to each entry before it leaves a reader:
 * password literals of role statements are masked, and with statement text off every SQL text is
 * dropped.
 */
final class Redactor {
    /** Replaces a masked password literal. */
    static final String MASK = "'********'";
    /** Replaces SQL text when statement text is off. */
    static final String OFF = "[statement text off]";

    // CREATE/ALTER ROLE|USER|GROUP; the PASSWORD keyword after it is found by scanning (a regex
    // alternation repeated over a long statement would recurse once per character)
    private static final Pattern ROLE_COMMAND = Pattern.compile("\\b(?:CREATE|ALTER)\\s+(?:ROLE|USER|GROUP)\\b",
            Pattern.CASE_INSENSITIVE);

    private static final Pattern SQL_MESSAGE = Pattern.compile(
            "^((?:duration: [0-9.]+ ms  )?(?:statement|execute [^:]*|parse [^:]*|bind [^:]*|fastpath function call|plan)):(?: |\n|$).*",
            Pattern.DOTALL);
    private static final Pattern DEADLOCK_STATEMENT = Pattern.compile("(?m)^(\\s*Process \\d+): .*$");

    private final LogOptions options;

    Redactor(LogOptions options) {
        this.options = options;
    }

    LogEntry.Builder apply(LogEntry.Builder b) {
        if (options.maskPasswords()) {
            maskPasswords(b);
        }
        if (!options.statementText()) {
            dropStatements(b);
        }
        return b;
    }

    private static void maskPasswords(LogEntry.Builder b) {
        if (b.raw == null || !mentionsPassword(b.raw)) {
            return;
        }
        List<String> secrets = new ArrayList<>();
        b.message = mask(b.message, secrets);
        b.detail = mask(b.detail, secrets);
        b.hint = mask(b.hint, secrets);
        b.context = mask(b.context, secrets);
        b.statement = mask(b.statement, secrets);
        b.internalQuery = mask(b.internalQuery, secrets);
        List<String> inRaw = new ArrayList<>();
        String raw = mask(b.raw, inRaw);
        if (!b.parsed) {
            b.raw = raw;
            return;
        }
        boolean leaks = inRaw.size() < secrets.size();
        for (String s : secrets) {
            if (!s.isEmpty() && raw.contains(s)) {
                leaks = true;
            }
        }
        // The raw text of csvlog/jsonlog is escaped (""/\\n): when masking it missed a password
        // the fields had, the raw text is withheld rather than leaked.
        b.raw = leaks ? "[raw text withheld: it held a password]" : raw;
    }

    /** A cheap first test (a case-insensitive regex scan costs more than the whole parse). */
    static boolean mentionsPassword(String s) {
        int n = s.length() - 8;
        for (int i = 0; i <= n; i++) {
            char c = s.charAt(i);
            if ((c == 'p' || c == 'P') && s.regionMatches(true, i + 1, "assword", 0, 7)) {
                return true;
            }
        }
        return false;
    }

    /** Masks every role-password literal of {@code s}, collecting the literals' contents. */
    static String mask(String s, List<String> secrets) {
        if (s == null || !mentionsPassword(s)) {
            return s;
        }
        Matcher m = ROLE_COMMAND.matcher(s);
        StringBuilder out = null;
        int copied = 0;
        int from = 0;
        while (from < s.length() && m.find(from)) {
            int start = passwordLiteralStart(s, m.end());
            if (start < 0) {
                from = m.end();
                continue;
            }
            int end = literalEnd(s, start);
            if (end < 0) {
                from = start;
                continue;
            }
            if (out == null) {
                out = new StringBuilder(s.length());
            }
            secrets.add(literalBody(s, start, end));
            out.append(s, copied, start).append(MASK);
            copied = end;
            from = end;
        }
        if (out == null) {
            return s;
        }
        out.append(s, copied, s.length());
        return out.toString();
    }

    /**
     * Where the literal after the {@code PASSWORD} keyword of the role command starts, scanning
     * from {@code i} up to the end of the statement (a {@code ;} outside quotes), skipping quoted
     * identifiers and strings; -1 when the command has no PASSWORD.
     */
    static int passwordLiteralStart(String s, int i) {
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == ';') {
                return -1;
            }
            if (c == '"' || c == '\'') {
                int close = i + 1;
                while (true) {
                    close = s.indexOf(c, close);
                    if (close < 0) {
                        return -1;
                    }
                    if (close + 1 < n && s.charAt(close + 1) == c) {
                        close += 2;
                        continue;
                    }
                    break;
                }
                i = close + 1;
                continue;
            }
            if ((c == 'p' || c == 'P') && s.regionMatches(true, i, "password", 0, 8)
                    && (i == 0 || !isIdent(s.charAt(i - 1))) && (i + 8 >= n || !isIdent(s.charAt(i + 8)))) {
                int j = i + 8;
                if (j < n && Character.isWhitespace(s.charAt(j))) {
                    while (j < n && Character.isWhitespace(s.charAt(j))) {
                        j++;
                    }
                    return j;
                }
            }
            i++;
        }
        return -1;
    }

    private static boolean isIdent(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    /**
     * End (exclusive) of the SQL literal at {@code i}: {@code '...'} (with {@code ''}),
     * {@code E'...'} (with backslash escapes too), {@code U&'...'}, {@code $tag$...$tag$}; an
     * unterminated literal runs to the end of the text. -1 when no literal starts there (NULL).
     */
    static int literalEnd(String s, int i) {
        int n = s.length();
        if (i >= n) {
            return -1;
        }
        char c = s.charAt(i);
        boolean backslash = false;
        int q = i;
        if ((c == 'E' || c == 'e') && i + 1 < n && s.charAt(i + 1) == '\'') {
            backslash = true;
            q = i + 1;
        } else if ((c == 'U' || c == 'u') && i + 2 < n && s.charAt(i + 1) == '&' && s.charAt(i + 2) == '\'') {
            q = i + 2;
        } else if (c == '$') {
            int j = i + 1;
            while (j < n && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
                j++;
            }
            if (j < n && s.charAt(j) == '$') {
                String tag = s.substring(i, j + 1);
                int close = s.indexOf(tag, j + 1);
                return close < 0 ? n : close + tag.length();
            }
            return -1;
        } else if (c != '\'') {
            return -1;
        }
        int j = q + 1;
        while (j < n) {
            char d = s.charAt(j);
            if (backslash && d == '\\') {
                j += 2;
                continue;
            }
            if (d == '\'') {
                if (j + 1 < n && s.charAt(j + 1) == '\'') {
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            j++;
        }
        return n;
    }

    private static String literalBody(String s, int start, int end) {
        int a = s.indexOf(s.charAt(start) == '$' ? '$' : '\'', start);
        a = s.charAt(start) == '$' ? s.indexOf('$', a + 1) + 1 : a + 1;
        int b = end;
        if (s.charAt(start) == '$') {
            int tagLen = a - start;
            b = Math.max(a, end - tagLen);
        } else if (end > a && s.charAt(end - 1) == '\'') {
            b = end - 1;
        }
        return a <= b ? s.substring(a, b) : "";
    }

    /** {@code SQL statement "..."} (quotes doubled inside) becomes {@code SQL statement [statement text off]}. */
    static String dropContextSql(String c) {
        String key = "SQL statement \"";
        int at = c.indexOf(key);
        if (at < 0) {
            return c;
        }
        StringBuilder out = new StringBuilder(c.length());
        int copied = 0;
        while (at >= 0) {
            int i = at + key.length();
            int end = c.length();
            while (i < c.length()) {
                int q = c.indexOf('"', i);
                if (q < 0) {
                    break;
                }
                if (q + 1 < c.length() && c.charAt(q + 1) == '"') {
                    i = q + 2;
                    continue;
                }
                end = q + 1;
                break;
            }
            out.append(c, copied, at).append("SQL statement ").append(OFF);
            copied = end;
            at = c.indexOf(key, end);
        }
        out.append(c, copied, c.length());
        return out.toString();
    }

    private static void dropStatements(LogEntry.Builder b) {
        b.statement = b.statement == null ? null : OFF;
        b.internalQuery = b.internalQuery == null ? null : OFF;
        if (b.message != null) {
            Matcher m = SQL_MESSAGE.matcher(b.message);
            if (m.matches()) {
                b.message = m.group(1) + ": " + OFF;
            }
        }
        if (b.detail != null) {
            if (b.detail.startsWith("parameters: ")) {
                b.detail = "parameters: " + OFF;
            } else if (b.detail.contains("Process ")) {
                b.detail = DEADLOCK_STATEMENT.matcher(b.detail).replaceAll("$1: " + OFF);
            }
        }
        if (b.context != null) {
            b.context = dropContextSql(b.context);
            if (b.context.contains("portal") && b.context.contains("parameter")) {
                b.context = OFF;
            }
        }
        if (b.parsed) {
            b.raw = null;
        }
    }
}
