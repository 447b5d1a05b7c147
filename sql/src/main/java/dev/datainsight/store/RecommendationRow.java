package dev.datainsight.store;

/**
 * One evaluation of a recommendation, for {@code recommendation} (one row per instance and dedup
 * key; see {@link StoreWriter#upsertRecommendations}): the finding as the latest capture made it
 * ({@code open}), or its closing ({@code open = false}, with the reason).
 *
 * @param dedupKey the finding's stable identity (kind, database, relation, columns or statement)
 * @param queryid the statement the finding came from, null for a finding about a relation alone
 * @param firstSeen when the finding was first made (epoch ms)
 * @param seenAt the capture this evaluation comes from (epoch ms): the closing time when closed
 * @param confidence in [0, 1], computed by the analyzer from the evidence
 * @param evidenceJson the evidence as a JSON object
 * @param closedReason why it was closed (null while open)
 */
public record RecommendationRow(String instance, String dedupKey, String kind, String datname, String queryid,
        String target, boolean open, long firstSeen, long seenAt, double confidence, String summary, String action,
        String evidenceJson, String validated, String closedReason) {}
