package dev.datainsight.store;

/**
 * A current finding or recommendation (unused index, sequence near exhaustion, ...), upserted on
 * (instance, kind, subject).
 *
 * @param evidenceJson evidence as a JSON object (stored as jsonb)
 */
public record InsightRow(String instance, String kind, String subject, String severity, String summary,
        String evidenceJson, long observedAt) {}
