package dev.datainsight.hosts;

import java.util.List;
import java.util.Map;

/**
 * A parsed exposition: every sample in the order of the text, and the {@code # TYPE} and
 * {@code # HELP} lines by metric family name.
 */
public record PromScrape(List<PromSample> samples, Map<String, String> types, Map<String, String> help) {
  public PromScrape {
    samples = List.copyOf(samples);
    types = Map.copyOf(types);
    help = Map.copyOf(help);
  }

  /** The samples of one metric name, in text order. */
  public List<PromSample> named(String name) {
    return samples.stream().filter(s -> s.name().equals(name)).toList();
  }

  /** The value of the first sample of a metric name, or null when there is none. */
  public Double first(String name) {
    for (PromSample s : samples) {
      if (s.name().equals(name)) {
        return s.value();
      }
    }
    return null;
  }
}
