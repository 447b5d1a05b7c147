package dev.datainsight.rules.engine;

import dev.datainsight.model.Severity;
import java.util.LinkedHashMap;
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
