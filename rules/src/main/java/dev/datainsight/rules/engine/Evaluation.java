package dev.datainsight.rules.engine;

import dev.datainsight.model.AlertContextItem;
import dev.datainsight.model.Severity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One rule evaluation for one series (fingerprint): which severity's condition holds now
 * ({@code null} = condition false), the numbers, and the lifecycle settings in force, so the
 * {@link AlertLifecycleFunction} stays generic. A Flink POJO.
 */
public class Evaluation {
    public String rule;
    public String fingerprint;
    public String instance;
    public Map<String, String> labels = new LinkedHashMap<>();
    /** Highest severity whose condition holds; null when the condition is false. */
    public Severity level;
    public Double value;
    public Double infoThreshold;
    public Double warningThreshold;
    public Double criticalThreshold;
    /** Event time of the evaluation (the snapshot's collection time), epoch ms. */
    public long at;
    public long forMs;
    public long resolveForMs;
    public long renotifyMs;
    public long staleAfterMs;
    public String summary;
    public String description;
    public String runbook;
    /**
     * Who, what and why, already bounded ({@link dev.datainsight.model.AlertContext#bound}); empty when
     * the rule gave none. Added with alert schema 2 (a restored older state has it empty).
     */
    public List<AlertContextItem> context = new ArrayList<>();
    /** The instance's fleet labels (from the snapshot), outside the fingerprint. Added with alert schema 2. */
    public Map<String, String> instanceLabels = new LinkedHashMap<>();

    /**
     * A hold, not an evaluation: the instance is down (instance_down's condition), so its rules
     * cannot evaluate this series; the lifecycle keeps a firing alert as it is instead of
     * resolving it as stale. Level, numbers and texts are not used. Added with issue 18 (false in
     * older state).
     */
    public boolean hold;

    public Evaluation() {}

    /** The threshold of a severity, or null. */
    public Double threshold(Severity s) {
        if (s == null) {
            return null;
        }
        return switch (s) {
            case INFO -> infoThreshold;
            case WARNING -> warningThreshold;
            case CRITICAL -> criticalThreshold;
        };
    }

    @Override
    public String toString() {
        return "Evaluation{" + rule + " " + instance + " " + labels + " level=" + level + " value=" + value + " at=" + at
                + "}";
    }
}
