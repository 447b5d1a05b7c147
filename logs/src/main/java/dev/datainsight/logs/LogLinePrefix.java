package dev.datainsight.logs;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server's {@code log_line_prefix} (as {@code pg_settings} shows it), compiled into a matcher
 * for the lines of a stderr log.
 *
 * <p>Escapes understood: {@code %a} application, {@code %u} user, {@code %d} database,
 * {@code %r} host(port), {@code %h} host, {@code %L} local address (18+), {@code %b} backend type
 * (13+), {@code %p} pid, {@code %P} parallel leader pid (14+), {@code %t} {@code %m}
 * {@code %n} timestamp (seconds, milliseconds, epoch), {@code %i} command tag, {@code %e}
 * SQLSTATE, {@code %c} session id, {@code %l} line number, {@code %s} session start,
 * {@code %v} virtual xid, {@code %x} xid, {@code %Q} query id (14+), {@code %q} (what follows is
 * absent for processes that are not sessions) and {@code %%}. Padding such as {@code %-10u} or
 * {@code %10p} is allowed on any of them. An escape PostgreSQL does not know prints nothing, and
 * so matches nothing here.
 *
 * <p>A line matches when it starts with the prefix followed by a severity and two spaces
 * ({@code LOG:  }, {@code DETAIL:  }, ...). Values are taken as the shortest text that lets the
 * rest of the line match, so a prefix needs a literal between two free-text escapes
 * ({@code %u@%d}) for them to be told apart, as pgBadger also requires.
 */
public final class LogLinePrefix {
    static final String SEVERITIES = "DEBUG[1-5]|LOG|INFO|NOTICE|WARNING|ERROR|FATAL|PANIC|DETAIL|HINT|CONTEXT|STATEMENT|QUERY|LOCATION";

    private static final String TS_MS = "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}(?: [A-Za-z0-9+:_/\\-]+)?";
    private static final String TS_S = "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?: [A-Za-z0-9+:_/\\-]+)?";

    private final String source;
    private final Pattern pattern;
    private final char[] groups;
    private final List<Character> escapes;

    private LogLinePrefix(String source, Pattern pattern, char[] groups, List<Character> escapes) {
        this.source = source;
        this.pattern = pattern;
        this.groups = groups;
        this.escapes = escapes;
    }

    /** Compiles a prefix; null or empty means lines start with the severity. */
    public static LogLinePrefix parse(String prefix) {
        String p = prefix == null ? "" : prefix;
        StringBuilder re = new StringBuilder("^");
        List<Character> groupList = new ArrayList<>();
        List<Character> used = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int optionalOpen = 0;
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c != '%' || i + 1 >= p.length()) {
                literal.append(c);
                continue;
            }
            int j = i + 1;
            boolean padded = false;
            if (p.charAt(j) == '-') {
                j++;
                padded = true;
            }
            while (j < p.length() && Character.isDigit(p.charAt(j))) {
                j++;
                padded = true;
            }
            if (j >= p.length()) {
                literal.append(p, i, p.length());
                break;
            }
            char e = p.charAt(j);
            i = j;
            if (e == '%') {
                literal.append('%');
                continue;
            }
            flushLiteral(re, literal);
            if (e == 'q') {
                re.append("(?:");
                optionalOpen++;
                used.add('q');
                continue;
            }
            String g = groupPattern(e);
            if (g == null) {
                // PostgreSQL prints nothing for an escape it does not know (padding included).
                continue;
            }
            used.add(e);
            groupList.add(e);
            if (padded) {
                re.append(" *(").append(g).append(") *");
            } else {
                re.append('(').append(g).append(')');
            }
        }
        flushLiteral(re, literal);
        re.append(")?".repeat(optionalOpen));
        re.append("(").append(SEVERITIES).append("):  ");
        char[] gs = new char[groupList.size()];
        for (int k = 0; k < gs.length; k++) {
            gs[k] = groupList.get(k);
        }
        return new LogLinePrefix(p, Pattern.compile(re.toString()), gs, Collections.unmodifiableList(used));
    }

    private static void flushLiteral(StringBuilder re, StringBuilder literal) {
        if (literal.length() > 0) {
            re.append(Pattern.quote(literal.toString()));
            literal.setLength(0);
        }
    }

    private static String groupPattern(char e) {
        return switch (e) {
            case 'm' -> TS_MS;
            case 't', 's' -> TS_S;
            case 'n' -> "\\d+\\.\\d+";
            case 'p', 'l' -> "\\d+";
            case 'P', 'x' -> "\\d*";
            case 'Q' -> "-?\\d*";
            case 'c' -> "[0-9a-f]+\\.[0-9a-f]+";
            case 'e' -> "[0-9A-Z]{5}";
            case 'v' -> "(?:\\d+/\\d+)?";
            case 'a', 'u', 'd', 'h', 'r', 'i', 'b', 'L' -> ".*?";
            default -> null;
        };
    }

    /** The prefix as given. */
    public String source() {
        return source;
    }

    /** The escapes the prefix uses, in order (without {@code %%}). */
    public List<Character> escapes() {
        return escapes;
    }

    /** The regular expression lines are matched with (for diagnostics). */
    public String regex() {
        return pattern.pattern();
    }

    /** The prefix's values and the severity of a line, or null when the line does not match. */
    public Match match(String line) {
        Matcher m = pattern.matcher(line);
        if (!m.lookingAt()) {
            return null;
        }
        Match r = new Match();
        for (int k = 0; k < groups.length; k++) {
            String v = m.group(k + 1);
            if (v == null) {
                continue;
            }
            v = v.trim();
            if (v.isEmpty()) {
                continue;
            }
            switch (groups[k]) {
                case 'm', 't', 'n' -> r.timestamp = v;
                case 's' -> r.sessionStart = v;
                case 'p' -> r.pid = parseInt(v);
                case 'P' -> r.leaderPid = parseInt(v);
                case 'l' -> r.lineNumber = parseLong(v);
                case 'x' -> r.xid = v;
                case 'v' -> r.vxid = v;
                case 'Q' -> r.queryId = v;
                case 'c' -> r.sessionId = v;
                case 'e' -> r.sqlstate = v;
                case 'a' -> r.application = v;
                case 'u' -> r.user = v;
                case 'd' -> r.database = v;
                case 'h' -> {
                    if (r.client == null) {
                        r.client = v;
                    }
                }
                case 'r' -> r.client = v;
                case 'L' -> r.localAddress = v;
                case 'i' -> r.commandTag = v;
                case 'b' -> r.backendType = v;
                default -> { }
            }
        }
        r.severity = m.group(groups.length + 1);
        r.messageStart = m.end();
        return r;
    }

    private static Long parseLong(String v) {
        try {
            return Long.valueOf(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Integer parseInt(String v) {
        try {
            return Integer.valueOf(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** What one line's prefix says; fields the prefix lacks (or printed empty) are null. */
    public static final class Match {
        String timestamp;
        String sessionStart;
        Integer pid;
        Integer leaderPid;
        Long lineNumber;
        String xid;
        String vxid;
        String queryId;
        String sessionId;
        String sqlstate;
        String application;
        String user;
        String database;
        String client;
        String localAddress;
        String commandTag;
        String backendType;
        String severity;
        int messageStart;

        public String timestamp() { return timestamp; }
        public String sessionStart() { return sessionStart; }
        public Integer pid() { return pid; }
        public Integer leaderPid() { return leaderPid; }
        public Long lineNumber() { return lineNumber; }
        public String xid() { return xid; }
        public String vxid() { return vxid; }
        public String queryId() { return queryId; }
        public String sessionId() { return sessionId; }
        public String sqlstate() { return sqlstate; }
        public String application() { return application; }
        public String user() { return user; }
        public String database() { return database; }
        public String client() { return client; }
        public String localAddress() { return localAddress; }
        public String commandTag() { return commandTag; }
        public String backendType() { return backendType; }
        public String severity() { return severity; }
        /** Index in the line where the message text (after {@code SEVERITY:  }) starts. */
        public int messageStart() { return messageStart; }
    }
}
