package dev.datainsight.rules.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A series whose condition held at its last evaluation. When a later snapshot of the same view
 * no longer carries that row (the blocker went away, the table was dropped), the evaluator sends
 * a false evaluation for it, so the alert resolves instead of waiting to go stale. A Flink POJO.
 */
public class ActiveSeries {
    public String rule;
    public String view;
    public Map<String, String> labels = new LinkedHashMap<>();

    public ActiveSeries() {}
}
