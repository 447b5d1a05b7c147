package dev.datainsight.store;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * One sighting of a statement's plan, for {@code query_plan} (one row per instance, database,
 * query id, plan fingerprint and month; see {@link StoreWriter#upsertQueryPlans}).
 *
 * @param plan the {@code EXPLAIN (FORMAT JSON)} text; when {@code truncated} it was cut and is stored as a JSON string
 * @param planBytes UTF-8 size of the whole plan text
 * @param seenAt when the collector captured it (epoch ms)
 */
public record QueryPlanRow(String instance, String datname, String queryid, String rolname, String fingerprint,
        String summary, Double totalCost, String plan, boolean truncated, int planBytes, long seenAt) {

    /** Start of the UTC month of {@code seenAt}: the row's partition period. */
    public long period() {
        ZonedDateTime t = Instant.ofEpochMilli(seenAt).atZone(ZoneOffset.UTC);
        return t.withDayOfMonth(1).toLocalDate().atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }
}
