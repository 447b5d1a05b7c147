package dev.datainsight.rules.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A series whose condition held recently. While it clears, the evaluator keeps sending false
 * evaluations for it (also when a later snapshot no longer carries the row: the blocker went
 * away, the table was dropped) until {@code resolve_for} has passed, so the lifecycle resolves on
 * data rather than waiting for a timer or for the series to go stale. A Flink POJO, stored in the
 * evaluator's {@code rule-active-series} map state ({@link RuleEvaluatorFunction#ACTIVE_STATE}).
 *
 * <p><b>The name is frozen by savepoints</b>, like {@link InstanceInfo}'s (see there why): only
 * add fields with defaults; a rename or move needs a state migration (new descriptor, read the old
 * one once).
 */
public class ActiveSeries {
    public String rule;
    public String view;
    public Map<String, String> labels = new LinkedHashMap<>();
    /** When the condition turned false (event time); -1 while it holds. */
    public long clearSince = -1;

    public ActiveSeries() {}
}
