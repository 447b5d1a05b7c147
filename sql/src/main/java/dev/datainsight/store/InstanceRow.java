package dev.datainsight.store;

import java.util.Map;

/** Inventory entry of a monitored server, upserted as snapshots arrive. */
public record InstanceRow(String instance, Map<String, String> labels, int serverVersionNum, long seenAt) {}
