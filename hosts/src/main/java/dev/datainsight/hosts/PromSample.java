package dev.datainsight.hosts;

import java.util.Map;
import java.util.Objects;

/**
 * One sample line of the Prometheus text exposition format: a metric name, its labels (in the
 * order written), a value (NaN and ±Inf allowed) and an optional timestamp in milliseconds since
 * the epoch. Histogram and summary series ({@code _bucket}, {@code _sum}, {@code _count}) are plain
 * samples too.
 */
public record PromSample(String name, Map<String, String> labels, double value, Long timestampMs) {
  public PromSample {
    Objects.requireNonNull(name, "name");
    labels = Map.copyOf(labels);
  }

  /** The value of a label, or null. */
  public String label(String labelName) {
    return labels.get(labelName);
  }
}
