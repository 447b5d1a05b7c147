package dev.datainsight.console.api;

import java.time.Instant;
import java.util.List;

/** The row types the API reads from the store, and the pages they come in. */
final class Rows {
    private Rows() {}

    /** A name/value pair (labels, context fields, evidence). */
    record Label(String name, String value) {}

    /** One page of rows and whether more follow; {@code cursors} are aligned with {@code rows}. */
    record Page<T>(List<T> rows, List<String> cursors, boolean hasNext) {
        static <T> Page<T> empty() {
            return new Page<>(List.of(), List.of(), false);
        }
    }

    record Instance(String name, List<Label> labels, int serverVersionNum, String state, Boolean collectorUp, Boolean inRecovery,
                    Instant firstSeen, Instant lastSeen, Double connections, Double maxConnections,
                    int critical, int warning, int info, int pending) {}

    record ContextItem(String kind, List<Label> fields) {}

    record Alert(String fingerprint, String rule, String severity, String status, String instance, List<Label> labels,
                 Double value, Double threshold, Instant startedAt, Instant resolvedAt, Instant eventAt, String summary,
                 String description, String runbook, List<ContextItem> context) {}

    record Series(long id, String instance, String metric, List<Label> labels) {}

    record Point(Instant bucket, long count, double min, double max, double avg, double sum, double last) {}

    record Statement(String instance, String queryid, String database, String user, double calls, double totalTimeMs,
                     Double meanTimeMs, double rows, double sharedBlksHit, double sharedBlksRead, String text, Boolean textTruncated,
                     Double stddevTimeMs, Double maxTimeMs, String spread, Double baselineMeanTimeMs, Double regression) {}

    record Insight(String instance, String kind, String subject, String severity, String summary, List<Label> evidence,
                   Instant firstSeen, Instant observedAt) {}
}
