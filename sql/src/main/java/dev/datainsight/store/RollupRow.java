package dev.datainsight.store;

import java.util.Map;

/**
 * One rollup of one series over one bucket. Writing the same (instance, metric, labels, bucket)
 * again overwrites the row: that is what makes replays and late updates idempotent.
 *
 * @param instance instance id
 * @param metric {@code view.column}, e.g. {@code pg_stat_database.xact_commit} (counters carry
 *     their per-second rate, named {@code view.column} as well; see docs/job.md)
 * @param labels row labels (datname, relname, ...); empty map for single-row views
 * @param bucketStart bucket start, epoch ms, aligned to the resolution
 * @param count number of samples
 * @param min minimum
 * @param max maximum
 * @param sum sum
 * @param last value of the latest sample in the bucket
 */
public record RollupRow(String instance, String metric, Map<String, String> labels, long bucketStart,
        long count, double min, double max, double sum, double last) {}
