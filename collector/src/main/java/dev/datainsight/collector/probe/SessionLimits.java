package dev.datainsight.collector.probe;

/**
 * Bounds of the per-session detail ({@code pg_stat_activity_sessions},
 * {@code pg_stat_activity_connections}): what the rules may name, and no more.
 *
 * @param maxSessionRows session rows per cycle (root blockers first, then their waiters, then
 *     sessions idle in transaction past the floor, then the oldest transactions); default 20
 * @param oldestTransactions the N oldest open transactions listed; default 5
 * @param idleInTransactionFloorSeconds sessions idle in transaction at least this long are listed;
 *     default 30 s
 * @param topConnectionGroups (usename, application_name, client_addr, state) groups listed, the
 *     rest summed into one "(other)" row; default 10
 * @param queryText whether the start of {@code pg_stat_activity.query} is sent; that text is not
 *     normalized (literals included), so a fleet may turn it off; default on
 * @param queryTextMaxChars how much of it; default 200
 */
public record SessionLimits(int maxSessionRows, int oldestTransactions, int idleInTransactionFloorSeconds,
        int topConnectionGroups, boolean queryText, int queryTextMaxChars) {

    /** Hard bound on session rows, whatever the configuration says. */
    public static final int MAX_SESSION_ROWS = 20;

    public SessionLimits {
        maxSessionRows = Math.max(1, Math.min(MAX_SESSION_ROWS, maxSessionRows));
        oldestTransactions = Math.max(0, oldestTransactions);
        idleInTransactionFloorSeconds = Math.max(0, idleInTransactionFloorSeconds);
        topConnectionGroups = Math.max(1, topConnectionGroups);
        queryTextMaxChars = Math.max(0, queryTextMaxChars);
    }

    /** The documented defaults. */
    public static SessionLimits defaults() {
        return new SessionLimits(MAX_SESSION_ROWS, 5, 30, 10, true, 200);
    }

    /** The same limits with session query text on or off. */
    public SessionLimits withQueryText(boolean on, int maxChars) {
        return new SessionLimits(maxSessionRows, oldestTransactions, idleInTransactionFloorSeconds, topConnectionGroups,
                on, maxChars);
    }
}
