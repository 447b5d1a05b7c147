package dev.datainsight.rules.defs;

import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.RuleContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wording from the session detail views ({@code pg_stat_activity_sessions},
 * {@code pg_stat_activity_connections}) that the collector sends in the same cycle as the
 * aggregates. Every string from the wire is untrusted: control characters are dropped and each
 * piece is cut ({@link #text}), so a summary stays one bounded line.
 */
final class Sessions {
    static final String SESSIONS = "pg_stat_activity_sessions";
    static final String CONNECTIONS = "pg_stat_activity_connections";
    /** Bound on a statement quoted in a summary. */
    static final int STATEMENT_CHARS = 80;
    /** Bound on a name (user, application, relation) quoted in a summary. */
    static final int NAME_CHARS = 64;

    private Sessions() {}

    /** The session row of that pid, or null. */
    static SnapshotRow byPid(RuleContext ctx, String pid) {
        for (SnapshotRow r : ctx.detail(SESSIONS)) {
            if (pid.equals(Rows.label(r, "pid"))) {
                return r;
            }
        }
        return null;
    }

    /** The listed session with that reason and the largest value of {@code column}, or null. */
    static SnapshotRow top(RuleContext ctx, String reason, String column) {
        SnapshotRow best = null;
        for (SnapshotRow r : ctx.detail(SESSIONS)) {
            if (!hasReason(r, reason)) {
                continue;
            }
            if (best == null || Rows.valOr(r, column, -1) > Rows.valOr(best, column, -1)) {
                best = r;
            }
        }
        return best;
    }

    static boolean hasReason(SnapshotRow r, String reason) {
        for (String s : Rows.label(r, "reasons").split(",")) {
            if (s.equals(reason)) {
                return true;
            }
        }
        return false;
    }

    /**
     * "pid 12340 (svc_billing@10.0.0.5, app billing-api, idle in transaction 75 s, query id 42)":
     * who the session is and what it is doing. The query id only when the server has one. A
     * prepared transaction (pid 0) has no session: it is named as such.
     */
    static String who(SnapshotRow r) {
        if ("prepared".equals(Rows.label(r, "state")) && "0".equals(Rows.label(r, "pid"))) {
            return "a prepared transaction (pid 0; see pg_prepared_xacts)";
        }
        StringBuilder b = new StringBuilder("pid ").append(text(Rows.label(r, "pid"), 12)).append(" (");
        String user = text(Rows.label(r, "usename"), NAME_CHARS);
        String addr = text(Rows.label(r, "client_addr"), NAME_CHARS);
        b.append(user.isEmpty() ? "?" : user).append('@').append(addr.isEmpty() ? "local" : addr);
        String app = text(Rows.label(r, "application_name"), NAME_CHARS);
        if (!app.isEmpty()) {
            b.append(", app ").append(app);
        }
        String state = text(Rows.label(r, "state"), NAME_CHARS);
        if (!state.isEmpty()) {
            b.append(", ").append(state);
            Double age = Rows.val(r, "state_age_seconds");
            if (age != null) {
                b.append(' ').append(Fmt.secs(age));
            }
        }
        String qid = text(Rows.label(r, "query_id"), 24);
        if (!qid.isEmpty()) {
            b.append(", query id ").append(qid);
        }
        return b.append(')').toString();
    }

    /**
     * "last statement `UPDATE accounts …`" (or "running `…`" while active), or "" when the
     * collector sends no session text.
     */
    static String statement(SnapshotRow r) {
        String q = text(Rows.label(r, "query"), STATEMENT_CHARS);
        if (q.isEmpty()) {
            return "";
        }
        return ("active".equals(Rows.label(r, "state")) ? "running `" : "last statement `") + q.replace('`', '\'') + "`";
    }

    /**
     * "billing-api holds 31 of 37 usable slots, 29 idle; svc_report holds 4" — the applications
     * (or users, when an application has no name) holding most connections, at most {@code n}.
     */
    static String holders(RuleContext ctx, double usable, int n) {
        Map<String, double[]> byApp = new LinkedHashMap<>();
        for (SnapshotRow r : ctx.detail(CONNECTIONS)) {
            String app = text(Rows.label(r, "application_name"), NAME_CHARS);
            String key = !app.isEmpty() ? app : "user " + text(Rows.label(r, "usename"), NAME_CHARS);
            double[] v = byApp.computeIfAbsent(key, k -> new double[2]);
            double c = Rows.valOr(r, "connections", 0);
            v[0] += c;
            if ("idle".equals(Rows.label(r, "state"))) {
                v[1] += c;
            }
        }
        List<Map.Entry<String, double[]>> sorted = new ArrayList<>(byApp.entrySet());
        sorted.removeIf(e -> e.getKey().equals("(other)"));
        sorted.sort(Comparator.comparingDouble((Map.Entry<String, double[]> e) -> -e.getValue()[0])
                .thenComparing(Map.Entry::getKey));
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, double[]> e : sorted) {
            if (parts.size() >= n) {
                break;
            }
            String s = e.getKey() + " holds " + Fmt.num(e.getValue()[0]);
            if (parts.isEmpty()) {
                s += " of " + Fmt.num(usable) + " usable slots";
            }
            if (e.getValue()[1] > 0) {
                s += ", " + Fmt.num(e.getValue()[1]) + " idle";
            }
            parts.add(s);
        }
        return String.join("; ", parts);
    }

    /**
     * Untrusted text made safe for a one-line summary: control and format characters dropped,
     * whitespace runs collapsed to one space, cut to {@code max} characters with an ellipsis.
     */
    static String text(String s, int max) {
        if (s == null || s.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        boolean space = false;
        int i = 0;
        while (i < s.length() && b.length() < max) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp) || Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT
                    || cp == 0x2028 || cp == 0x2029) {
                if (!space && b.length() > 0) {
                    b.append(' ');
                }
                space = true;
            } else {
                b.appendCodePoint(cp);
                space = false;
            }
        }
        String out = b.toString().strip();
        return !s.substring(i).isBlank() ? out + "…" : out;
    }

    /**
     * Adds one {@code session} item for a session detail row: its {@code role} in the alert
     * (blocker, waiter, oldest transaction, idle in transaction), who it is, what it waits for and
     * holds, its ages and the start of its current or last statement (pg_stat_activity text, not
     * normalised: cut by the collector and again by the context bounds). A prepared transaction
     * (pid 0) is named as such.
     */
    static void item(dev.datainsight.model.AlertContext c, SnapshotRow r, String role) {
        dev.datainsight.model.AlertContextItem it = c.item(dev.datainsight.model.AlertContext.KIND_SESSION)
                .put("role", role);
        for (String k : List.of("pid", "usename", "application_name", "client_addr", "datname", "state")) {
            String v = Rows.label(r, k);
            if (!v.isEmpty()) {
                it.put(k, v);
            }
        }
        putSecs(it, "state_age", Rows.val(r, "state_age_seconds"));
        putSecs(it, "xact_age", Rows.val(r, "xact_age_seconds"));
        String wait = Rows.label(r, "wait_event_type");
        if (!wait.isEmpty()) {
            it.put("wait_event", wait + "/" + Rows.label(r, "wait_event"));
        }
        for (String k : List.of("lock_mode", "relation", "blocked_by")) {
            String v = Rows.label(r, k);
            if (!v.isEmpty()) {
                it.put(k, v);
            }
        }
        putSecs(it, "lock_wait", Rows.val(r, "lock_wait_seconds"));
        Double xmin = Rows.val(r, "backend_xmin_age");
        if (xmin != null) {
            it.put("backend_xmin_age", Fmt.num(xmin) + " xids");
        }
        if (!Rows.label(r, "query_id").isEmpty()) {
            it.put("query_id", Rows.label(r, "query_id"));
        }
        if (!Rows.label(r, "query").isEmpty()) {
            it.put("query", Rows.label(r, "query"));
        }
    }

    /**
     * The same, plus the statement's normalised text from pg_stat_statements ({@code statement_text},
     * through the rule's {@link dev.datainsight.rules.engine.QueryTexts}; "text not yet seen" when
     * the query id's text has not reached the job) for a session with a query id.
     */
    static void item(dev.datainsight.model.AlertContext c, SnapshotRow r, String role, RuleContext ctx)
            throws Exception {
        item(c, r, role);
        String qid = Rows.label(r, "query_id");
        if (!qid.isEmpty()) {
            java.util.List<dev.datainsight.model.AlertContextItem> items = c.items();
            items.get(items.size() - 1).put("statement_text", dev.datainsight.rules.engine.QueryTexts.orNotSeen(
                    dev.datainsight.rules.engine.QueryTexts.lookup(ctx, qid)));
        }
    }

    private static void putSecs(dev.datainsight.model.AlertContextItem it, String name, Double secs) {
        if (secs != null) {
            it.put(name, Fmt.secs(secs));
        }
    }

    /** Adds one {@code connections} item per connection group of the cycle (largest first, at most {@code n}). */
    static void connectionItems(dev.datainsight.model.AlertContext c, RuleContext ctx, int n) {
        List<SnapshotRow> rows = new ArrayList<>(ctx.detail(CONNECTIONS));
        rows.sort(Comparator.comparingDouble((SnapshotRow r) -> -Rows.valOr(r, "connections", 0)));
        for (SnapshotRow r : rows.subList(0, Math.min(n, rows.size()))) {
            dev.datainsight.model.AlertContextItem it = c.item("connections");
            for (String k : List.of("application_name", "usename", "client_addr", "state")) {
                it.put(k, Rows.label(r, k));
            }
            it.put("connections", Fmt.num(Rows.valOr(r, "connections", 0)));
            putSecs(it, "oldest_state_age", Rows.val(r, "oldest_state_age_seconds"));
        }
    }
}
