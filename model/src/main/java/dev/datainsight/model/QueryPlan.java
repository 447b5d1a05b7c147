package dev.datainsight.model;

/**
 * What the plans probe found for one statement in one cycle: a captured plan, or why there is none.
 *
 * @param queryid pg_stat_statements queryid (decimal)
 * @param datname database the statement ran in (and was explained in)
 * @param rolname role that ran it
 * @param status {@link #CAPTURED}, {@link #NO_PRIVILEGE}, {@link #SKIPPED} or {@link #FAILED}
 * @param detail why it was skipped or failed (a reason in plain words, with the SQLSTATE), null when captured
 * @param fingerprint hex hash of the plan's shape (node types, relations, indexes, tree structure), null without plan
 * @param summary the plan's shape in one line, e.g. {@code Nested Loop(Index Scan using a_pkey on a, Seq Scan on b)}, cut to 500 characters
 * @param plan the {@code EXPLAIN (FORMAT JSON)} output as text, cut to {@link WireFormat#MAX_PLAN_BYTES}; null without plan
 * @param truncated whether {@code plan} was cut (then it is not valid JSON; {@code fingerprint} and {@code summary} are of the whole plan)
 * @param planBytes UTF-8 size of the whole plan text (0 without plan)
 * @param totalCost the root node's estimated total cost, null without plan
 */
public record QueryPlan(String queryid, String datname, String rolname, String status, String detail,
        String fingerprint, String summary, String plan, boolean truncated, int planBytes, Double totalCost) {

    public static final String CAPTURED = "captured";
    public static final String NO_PRIVILEGE = "no_privilege";
    public static final String SKIPPED = "skipped";
    public static final String FAILED = "failed";

    /** A statement without a plan: skipped, no privilege, or failed. */
    public static QueryPlan without(String queryid, String datname, String rolname, String status, String detail) {
        return new QueryPlan(queryid, datname, rolname, status, detail, null, null, null, false, 0, null);
    }
}
