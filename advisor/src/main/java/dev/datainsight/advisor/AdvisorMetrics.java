package dev.datainsight.advisor;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts outcomes by {@link AdvisorOutcome#label()} ({@code accepted}, {@code timeout},
 * {@code rejected:unknown_identifier}, ...), plus {@code requests} sent to the endpoint and
 * {@code cache_hits}.
 */
public final class AdvisorMetrics {
  private final ConcurrentHashMap<String, LongAdder> counts = new ConcurrentHashMap<>();

  void increment(String label) {
    counts.computeIfAbsent(label, k -> new LongAdder()).increment();
  }

  public long count(String label) {
    LongAdder a = counts.get(label);
    return a == null ? 0 : a.sum();
  }

  /** A sorted copy of every counter. */
  public Map<String, Long> snapshot() {
    Map<String, Long> m = new TreeMap<>();
    counts.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }
}
