package dev.datainsight.logs;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises the messages PostgreSQL 13..18 writes and turns them into {@link LogEvent}s.
 *
 * <p>The server must log in English ({@code lc_messages = 'C'} or an English locale): messages
 * are matched by their text, as pgBadger also does. With another language only the generic
 * {@link LogEvent.Error} events (from severity and SQLSTATE) come out.
 */
public final class LogEvents {
    private static final Pattern AUTH_FAILED = Pattern.compile("^(\\S+) authentication failed for user \"(.*)\"$");
    private static final Pattern NO_HBA = Pattern.compile(
            "^(no pg_hba\\.conf entry|pg_hba\\.conf rejects connection) for (?:replication connection from )?host \"([^\"]*)\", user \"([^\"]*)\"(?:, database \"([^\"]*)\")?");
    private static final Pattern NO_ROLE = Pattern.compile("^role \"(.*)\" does not exist$");
    private static final Pattern HBA_LINE = Pattern.compile("line \\d+: \"(.*)\"");
    private static final Set<String> HBA_METHODS = Set.of("trust", "reject", "scram-sha-256", "md5", "password", "gss",
            "sspi", "ident", "peer", "ldap", "radius", "cert", "pam", "bsd", "oauth");

    private static final Pattern CONNECTION = Pattern.compile(
            "^connection authorized: user=(\\S+)(?: database=(\\S+))?(?: application_name=(.*?))?(?: SSL enabled.*| GSS .*)?$");
    private static final Pattern TOO_MANY_FOR = Pattern.compile("^too many connections for (role|database) \"(.*)\"$");

    private static final Pattern DEADLOCK_WAIT = Pattern.compile(
            "^Process (\\d+) waits for (\\S+) on (.+?); blocked by process (\\d+)\\.$");
    private static final Pattern DEADLOCK_STATEMENT = Pattern.compile("^Process (\\d+): (.*)$");

    private static final Pattern LOCK_WAIT = Pattern.compile(
            "^process (\\d+) (still waiting for|acquired|avoided deadlock for|detected deadlock while waiting for) (\\S+) on (.+?)(?: by rearranging queue order)? after ([0-9.]+) ms");
    private static final Pattern HOLDERS = Pattern.compile("^Process(?:es)? holding the lock: ([0-9, ]+)\\. Wait queue: ([0-9, ]*)\\.");
    private static final Pattern TARGET_RELATION = Pattern.compile("relation (\\d+) of database");
    private static final Pattern TARGET_TUPLE = Pattern.compile("^tuple (\\(\\d+,\\d+\\)) of relation");
    private static final Pattern TARGET_XID = Pattern.compile("^transaction (\\d+)$");
    private static final Pattern CONTEXT_RELATION = Pattern.compile("relation \"([^\"]+)\"");

    private static final Pattern CKPT_START = Pattern.compile("^(checkpoint|restartpoint) starting:(.*)$");
    private static final Pattern CKPT_DONE = Pattern.compile("^(checkpoint|restartpoint) complete: wrote (\\d+) buffers \\(([0-9.]+)%\\)");
    private static final Pattern CKPT_SLRU = Pattern.compile("wrote (\\d+) SLRU buffers");
    private static final Pattern CKPT_WAL = Pattern.compile("(\\d+) (?:WAL|transaction log) file\\(s\\) added, (\\d+) removed, (\\d+) recycled");
    private static final Pattern CKPT_TIMES = Pattern.compile("write=([0-9.]+) s, sync=([0-9.]+) s, total=([0-9.]+) s");
    private static final Pattern CKPT_SYNC = Pattern.compile("sync files=(\\d+), longest=([0-9.]+) s, average=([0-9.]+) s");
    private static final Pattern CKPT_DISTANCE = Pattern.compile("distance=(\\d+) kB, estimate=(\\d+) kB");
    private static final Pattern CKPT_FREQUENT = Pattern.compile("^checkpoints are occurring too frequently \\((\\d+) seconds? apart\\)");

    private static final Pattern AUTOVACUUM = Pattern.compile(
            "^automatic (aggressive )?vacuum (to prevent wraparound )?of table \"([^\"]+)\": index scans: (\\d+)");
    private static final Pattern AUTOANALYZE = Pattern.compile("^automatic analyze of table \"([^\"]+)\"");
    private static final Pattern AV_PAGES = Pattern.compile("pages: (\\d+) removed, (\\d+) remain");
    private static final Pattern AV_TUPLES = Pattern.compile("tuples: (\\d+) removed, (\\d+) remain, (\\d+) are dead but not yet removable");
    private static final Pattern AV_ELAPSED = Pattern.compile("elapsed: ([0-9.]+) s");
    private static final Pattern SKIPPING = Pattern.compile("^skipping (vacuum|analyze) of \"([^\"]+)\" --- (.*)$");

    private static final Pattern TEMP_FILE = Pattern.compile("^temporary file: path \"([^\"]+)\", size (\\d+)");
    private static final Pattern DURATION = Pattern.compile(
            "^duration: ([0-9.]+) ms  (statement|execute|parse|bind|fastpath function call)( [^:]*)?: (.*)$", Pattern.DOTALL);
    private static final Pattern PLAN = Pattern.compile("^duration: ([0-9.]+) ms  plan:\\n?(.*)$", Pattern.DOTALL);

    private static final Pattern TERMINATED = Pattern.compile("^(.+) \\(PID (\\d+)\\) was terminated by signal (\\d+)");
    private static final Pattern EXITED = Pattern.compile("^(.+) \\(PID (\\d+)\\) exited with exit code (\\d+)");
    private static final String[] REPLICATION = {
        "could not connect to the primary server", "could not receive data from WAL stream",
        "terminating walreceiver due to timeout", "replication terminated by primary server",
        "number of requested standby connections exceeds", "could not start WAL streaming",
        "terminating walsender process due to replication timeout", "requested WAL segment",
        "could not send data to WAL stream", "could not receive timeline history file",
    };
    private static final Pattern SLOT_MISSING = Pattern.compile("^replication slot \"[^\"]*\" does not exist");

    private LogEvents() {}

    /** Every event the entry holds: an error event for ERROR/FATAL/PANIC plus at most one specific event. */
    public static List<LogEvent> classify(LogEntry e) {
        List<LogEvent> out = new ArrayList<>(2);
        if (!e.parsed() || e.message() == null) {
            return out;
        }
        if (e.isError()) {
            out.add(new LogEvent.Error(e, e.severity(), e.sqlstate(), e.sqlstateClass(), e.message()));
        }
        LogEvent specific;
        try {
            specific = specific(e);
        } catch (NumberFormatException | IndexOutOfBoundsException malformed) {
            // a number too long for its field, or text that only looks like a known message
            specific = null;
        }
        if (specific != null) {
            out.add(specific);
        }
        return out;
    }

    private static LogEvent specific(LogEntry e) {
        String msg = e.message();
        String sev = e.severity();
        Matcher m;
        switch (msg.isEmpty() ? ' ' : msg.charAt(0)) {
            case 'd' -> {
                if (msg.startsWith("duration: ")) {
                    if ((m = PLAN.matcher(msg)).matches()) {
                        return plan(e, m);
                    }
                    if ((m = DURATION.matcher(msg)).matches()) {
                        String name = m.group(3) == null ? null : m.group(3).trim();
                        String step = m.group(2).startsWith("fastpath") ? "fastpath" : m.group(2);
                        String params = e.detail() != null && e.detail().startsWith("parameters: ")
                                ? e.detail().substring("parameters: ".length()) : null;
                        return new LogEvent.SlowStatement(e, Double.parseDouble(m.group(1)), step, name, m.group(4), params);
                    }
                    return null;
                }
                if (msg.equals("deadlock detected")) {
                    return deadlock(e);
                }
                if (msg.startsWith("database system ")) {
                    return lifecycle(e);
                }
            }
            case 'p' -> {
                if ((m = LOCK_WAIT.matcher(msg)).find()) {
                    return lockWait(e, m);
                }
            }
            case 'c' -> {
                if ((m = CKPT_START.matcher(msg)).matches()) {
                    return new LogEvent.CheckpointStarting(e, m.group(1).equals("restartpoint"), m.group(2).trim());
                }
                if ((m = CKPT_DONE.matcher(msg)).find()) {
                    return checkpoint(e, m);
                }
                if ((m = CKPT_FREQUENT.matcher(msg)).find()) {
                    return new LogEvent.CheckpointTooFrequent(e, Integer.parseInt(m.group(1)));
                }
                if ((m = CONNECTION.matcher(msg)).find()) {
                    return new LogEvent.Connection(e, m.group(1), m.group(2), m.group(3));
                }
                if (msg.startsWith("could not fork")) {
                    return new LogEvent.ResourceExhaustion(e, LogEvent.ResourceExhaustion.Resource.COULD_NOT_FORK, msg, e.detail());
                }
            }
            case 'a' -> {
                if ((m = AUTOVACUUM.matcher(msg)).find()) {
                    return autovacuum(e, m);
                }
                if ((m = AUTOANALYZE.matcher(msg)).find()) {
                    Matcher el = AV_ELAPSED.matcher(msg);
                    return new LogEvent.Autovacuum(e, true, false, false, m.group(1), null, null, null, null, null, null,
                            el.find() ? Double.valueOf(el.group(1)) : null);
                }
                if (msg.startsWith("all server processes terminated; reinitializing")) {
                    return life(e, LogEvent.ServerLifecycle.Stage.REINITIALIZING, null);
                }
            }
            case 's' -> {
                if ((m = SKIPPING.matcher(msg)).find()) {
                    return new LogEvent.VacuumSkipped(e, m.group(1).equals("analyze"), m.group(2), m.group(3));
                }
                if (msg.startsWith("sorry, too many clients already")) {
                    return new LogEvent.ConnectionLimit(e, LogEvent.ConnectionLimit.Reason.TOO_MANY_CLIENTS, null);
                }
                if (msg.startsWith("starting PostgreSQL ")) {
                    return life(e, LogEvent.ServerLifecycle.Stage.STARTING, null);
                }
            }
            case 't' -> {
                if ((m = TEMP_FILE.matcher(msg)).find()) {
                    return new LogEvent.TempFile(e, m.group(1), Long.parseLong(m.group(2)), e.statement());
                }
                if ((m = TOO_MANY_FOR.matcher(msg)).find()) {
                    return new LogEvent.ConnectionLimit(e, m.group(1).equals("role")
                            ? LogEvent.ConnectionLimit.Reason.ROLE_LIMIT : LogEvent.ConnectionLimit.Reason.DATABASE_LIMIT, m.group(2));
                }
            }
            case 'r' -> {
                if (msg.startsWith("restartpoint ")) {
                    if ((m = CKPT_START.matcher(msg)).matches()) {
                        return new LogEvent.CheckpointStarting(e, true, m.group(2).trim());
                    }
                    if ((m = CKPT_DONE.matcher(msg)).find()) {
                        return checkpoint(e, m);
                    }
                }
                if (msg.startsWith("remaining connection slots are reserved")) {
                    return new LogEvent.ConnectionLimit(e, LogEvent.ConnectionLimit.Reason.RESERVED_SLOTS, null);
                }
                if (msg.startsWith("received ") && msg.contains("shutdown request")) {
                    return life(e, LogEvent.ServerLifecycle.Stage.SHUTDOWN_REQUESTED, null);
                }
                if (msg.startsWith("redo starts at")) {
                    return life(e, LogEvent.ServerLifecycle.Stage.REDO_STARTS, null);
                }
                if (msg.startsWith("redo done at")) {
                    return life(e, LogEvent.ServerLifecycle.Stage.REDO_DONE, null);
                }
                if ((m = NO_ROLE.matcher(msg)).matches() && "FATAL".equals(sev)) {
                    return auth(e, m.group(1), null);
                }
            }
            case 'o' -> {
                if (msg.startsWith("out of memory")) {
                    return new LogEvent.ResourceExhaustion(e, LogEvent.ResourceExhaustion.Resource.OUT_OF_MEMORY, msg, e.detail());
                }
            }
            default -> { }
        }
        if ("FATAL".equals(sev)) {
            if ((m = AUTH_FAILED.matcher(msg)).matches()) {
                return auth(e, m.group(2), m.group(1));
            }
            if ((m = NO_HBA.matcher(msg)).find()) {
                return authNoHba(e, m);
            }
        }
        if ((m = TERMINATED.matcher(msg)).find()) {
            return life(e, LogEvent.ServerLifecycle.Stage.PROCESS_TERMINATED_BY_SIGNAL, Integer.valueOf(m.group(2)));
        }
        if ((m = EXITED.matcher(msg)).find() && !m.group(3).equals("0")) {
            return life(e, LogEvent.ServerLifecycle.Stage.PROCESS_EXITED, Integer.valueOf(m.group(2)));
        }
        for (String r : REPLICATION) {
            if (msg.startsWith(r)) {
                return new LogEvent.ReplicationFailure(e, msg);
            }
        }
        if (SLOT_MISSING.matcher(msg).find() && e.isError()) {
            return new LogEvent.ReplicationFailure(e, msg);
        }
        if ("53200".equals(e.sqlstate())) {
            return new LogEvent.ResourceExhaustion(e, LogEvent.ResourceExhaustion.Resource.OUT_OF_MEMORY, msg, e.detail());
        }
        if ("PANIC".equals(sev)) {
            return life(e, LogEvent.ServerLifecycle.Stage.PANIC, null);
        }
        return null;
    }

    private static LogEvent lifecycle(LogEntry e) {
        String msg = e.message();
        if (msg.startsWith("database system is ready to accept")) {
            return life(e, LogEvent.ServerLifecycle.Stage.READY, null);
        }
        if (msg.startsWith("database system is shut down")) {
            return life(e, LogEvent.ServerLifecycle.Stage.SHUT_DOWN, null);
        }
        if (msg.startsWith("database system was shut down")) {
            return life(e, LogEvent.ServerLifecycle.Stage.WAS_SHUT_DOWN, null);
        }
        if (msg.startsWith("database system was interrupted")) {
            return life(e, LogEvent.ServerLifecycle.Stage.INTERRUPTED, null);
        }
        if (msg.startsWith("database system was not properly shut down")) {
            return life(e, LogEvent.ServerLifecycle.Stage.NOT_PROPERLY_SHUT_DOWN, null);
        }
        return null;
    }

    private static LogEvent life(LogEntry e, LogEvent.ServerLifecycle.Stage stage, Integer pid) {
        return new LogEvent.ServerLifecycle(e, stage, pid, e.message());
    }

    private static LogEvent auth(LogEntry e, String user, String method) {
        String m = method;
        if (e.detail() != null) {
            Matcher h = HBA_LINE.matcher(e.detail());
            if (h.find()) {
                for (String tok : h.group(1).split("\\s+")) {
                    if (HBA_METHODS.contains(tok.toLowerCase(Locale.ROOT))) {
                        m = tok;
                        break;
                    }
                }
            }
        }
        return new LogEvent.AuthenticationFailure(e, user, e.client(), m, e.database(), e.message());
    }

    private static LogEvent authNoHba(LogEntry e, Matcher m) {
        String method = m.group(1).startsWith("no") ? "no_hba_entry" : "reject";
        String client = e.client() != null ? e.client() : m.group(2);
        return new LogEvent.AuthenticationFailure(e, m.group(3), client, method,
                m.group(4) != null ? m.group(4) : e.database(), e.message());
    }

    private static LogEvent deadlock(LogEntry e) {
        List<LogEvent.DeadlockProcess> procs = new ArrayList<>();
        if (e.detail() != null) {
            List<int[]> order = new ArrayList<>();
            List<String[]> waits = new ArrayList<>();
            java.util.Map<Integer, StringBuilder> statements = new java.util.LinkedHashMap<>();
            StringBuilder last = null;
            for (String line : e.detail().split("\n")) {
                String l = line.startsWith("\t") ? line.substring(1) : line;
                Matcher w = DEADLOCK_WAIT.matcher(l);
                Matcher s = DEADLOCK_STATEMENT.matcher(l);
                if (w.matches()) {
                    waits.add(new String[] {w.group(1), w.group(2), w.group(3), w.group(4)});
                    last = null;
                } else if (s.matches()) {
                    last = new StringBuilder(s.group(2));
                    statements.put(Integer.valueOf(s.group(1)), last);
                } else if (last != null) {
                    last.append('\n').append(l);
                }
            }
            for (String[] w : waits) {
                int pid = Integer.parseInt(w[0]);
                StringBuilder st = statements.get(pid);
                procs.add(new LogEvent.DeadlockProcess(pid, w[1], w[2], Integer.valueOf(w[3]),
                        st == null ? null : st.toString()));
            }
        }
        return new LogEvent.Deadlock(e, List.copyOf(procs), e.context());
    }

    private static LogEvent lockWait(LogEntry e, Matcher m) {
        LogEvent.LockWait.Phase phase = switch (m.group(2)) {
            case "still waiting for" -> LogEvent.LockWait.Phase.STILL_WAITING;
            case "acquired" -> LogEvent.LockWait.Phase.ACQUIRED;
            case "avoided deadlock for" -> LogEvent.LockWait.Phase.AVOIDED_DEADLOCK;
            default -> LogEvent.LockWait.Phase.DETECTED_DEADLOCK;
        };
        String target = m.group(4);
        Long rel = null;
        Matcher r = TARGET_RELATION.matcher(target);
        if (r.find()) {
            rel = Long.valueOf(r.group(1));
        }
        Matcher t = TARGET_TUPLE.matcher(target);
        String tuple = t.find() ? t.group(1) : null;
        Matcher x = TARGET_XID.matcher(target);
        Long xid = x.matches() ? Long.valueOf(x.group(1)) : null;
        List<Integer> holders = List.of();
        List<Integer> queue = List.of();
        if (e.detail() != null) {
            Matcher h = HOLDERS.matcher(e.detail());
            if (h.find()) {
                holders = pids(h.group(1));
                queue = pids(h.group(2));
            }
        }
        String relName = null;
        if (e.context() != null) {
            Matcher c = CONTEXT_RELATION.matcher(e.context());
            if (c.find()) {
                relName = c.group(1);
            }
        }
        return new LogEvent.LockWait(e, phase, Integer.parseInt(m.group(1)), m.group(3), target, rel, tuple, xid,
                Double.parseDouble(m.group(5)), holders, queue, relName, e.statement());
    }

    private static List<Integer> pids(String s) {
        List<Integer> out = new ArrayList<>();
        for (String p : s.split(",")) {
            String q = p.trim();
            if (!q.isEmpty()) {
                out.add(Integer.valueOf(q));
            }
        }
        return List.copyOf(out);
    }

    private static LogEvent checkpoint(LogEntry e, Matcher m) {
        String msg = e.message();
        Matcher slru = CKPT_SLRU.matcher(msg);
        Matcher wal = CKPT_WAL.matcher(msg);
        Matcher times = CKPT_TIMES.matcher(msg);
        Matcher sync = CKPT_SYNC.matcher(msg);
        Matcher dist = CKPT_DISTANCE.matcher(msg);
        boolean w = wal.find();
        boolean t = times.find();
        boolean s = sync.find();
        boolean d = dist.find();
        return new LogEvent.CheckpointComplete(e, m.group(1).equals("restartpoint"), Long.parseLong(m.group(2)),
                Double.valueOf(m.group(3)), slru.find() ? Long.valueOf(slru.group(1)) : null,
                w ? Long.valueOf(wal.group(1)) : null, w ? Long.valueOf(wal.group(2)) : null,
                w ? Long.valueOf(wal.group(3)) : null,
                t ? Double.parseDouble(times.group(1)) : 0, t ? Double.parseDouble(times.group(2)) : 0,
                t ? Double.parseDouble(times.group(3)) : 0,
                s ? Long.valueOf(sync.group(1)) : null, s ? Double.valueOf(sync.group(2)) : null,
                s ? Double.valueOf(sync.group(3)) : null,
                d ? Long.valueOf(dist.group(1)) : null, d ? Long.valueOf(dist.group(2)) : null);
    }

    private static LogEvent autovacuum(LogEntry e, Matcher m) {
        String msg = e.message();
        Matcher pages = AV_PAGES.matcher(msg);
        Matcher tuples = AV_TUPLES.matcher(msg);
        Matcher el = AV_ELAPSED.matcher(msg);
        boolean p = pages.find();
        boolean t = tuples.find();
        return new LogEvent.Autovacuum(e, false, m.group(1) != null, m.group(2) != null, m.group(3),
                Long.valueOf(m.group(4)), p ? Long.valueOf(pages.group(1)) : null, p ? Long.valueOf(pages.group(2)) : null,
                t ? Long.valueOf(tuples.group(1)) : null, t ? Long.valueOf(tuples.group(2)) : null,
                t ? Long.valueOf(tuples.group(3)) : null, el.find() ? Double.valueOf(el.group(1)) : null);
    }

    private static LogEvent plan(LogEntry e, Matcher m) {
        String plan = m.group(2);
        String trimmed = plan.strip();
        String format;
        String queryText = null;
        if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
            format = "json";
            queryText = jsonQueryText(plan);
        } else if (trimmed.startsWith("<")) {
            format = "xml";
        } else if (trimmed.startsWith("Query Text:") || trimmed.contains("\n")) {
            format = trimmed.startsWith("- ") || trimmed.startsWith("Query Text: \"") ? "yaml" : "text";
            if (trimmed.startsWith("Query Text: ")) {
                int nl = trimmed.indexOf('\n');
                queryText = (nl < 0 ? trimmed : trimmed.substring(0, nl)).substring("Query Text: ".length());
            }
        } else {
            format = "text";
        }
        return new LogEvent.AutoExplainPlan(e, Double.parseDouble(m.group(1)), format, queryText, plan);
    }

    /** The value of {@code "Query Text"} in a JSON plan (scanned: a regex would recurse per character). */
    static String jsonQueryText(String plan) {
        String key = "\"Query Text\": \"";
        int at = plan.indexOf(key);
        if (at < 0) {
            return null;
        }
        int i = at + key.length();
        int j = i;
        while (j < plan.length()) {
            char c = plan.charAt(j);
            if (c == '\\') {
                j += 2;
                continue;
            }
            if (c == '"') {
                return unescapeJson(plan.substring(i, j));
            }
            j++;
        }
        return unescapeJson(plan.substring(i));
    }

    private static String unescapeJson(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                switch (n) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'u' -> {
                        if (i + 4 < s.length()) {
                            sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                            i += 4;
                        }
                    }
                    default -> sb.append(n);
                }
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
