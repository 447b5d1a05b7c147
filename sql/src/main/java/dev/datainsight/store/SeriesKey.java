package dev.datainsight.store;

import java.util.Map;
import java.util.Objects;

/**
 * The identity of one series in the {@code series} table: instance, metric ({@code view.column})
 * and row labels. Labels compare as maps, whatever their order; a null labels map is the empty one.
 */
public record SeriesKey(String instance, String metric, Map<String, String> labels) {
    public SeriesKey {
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(metric, "metric");
        labels = labels == null ? Map.of() : labels;
    }

    /**
     * Same equality as the record's, with the components mixed by large odd multipliers instead
     * of 31, so the small hash differences of similar instance names and label values are less
     * likely to cancel out (a precaution; not measured on its own).
     */
    @Override
    public int hashCode() {
        int h = instance.hashCode() * 0x9E3779B1 + metric.hashCode();
        h = h * 0x85EBCA6B + labels.hashCode();
        h *= 0xC2B2AE35;
        return h ^ (h >>> 15);
    }
}
