package dev.datainsight.notify;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Severity;
import java.util.LinkedHashMap;
import java.util.Map;

/** Alert events for tests. */
final class Alerts {
    private Alerts() {}

    static AlertEvent firing(String fingerprint, String rule, Severity severity, long startedAt) {
        AlertEvent e = new AlertEvent();
        e.setFingerprint(fingerprint);
        e.setRule(rule);
        e.setSeverity(severity);
        e.setStatus(AlertStatus.FIRING);
        e.setInstance("pg-orders-1");
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("datname", "orders");
        e.setLabels(labels);
        e.setValue(4.0);
        e.setThreshold(3.0);
        e.setStartedAt(startedAt);
        e.setEventAt(startedAt + 60_000);
        e.setSummary("4 sessions wait on locks held by pid 4242");
        e.setDescription("Blocking pid 4242 (queryid 99) holds a lock 4 sessions wait for.");
        e.setRunbook("docs/rules.md#lock_contention");
        return e;
    }

    static AlertEvent resolved(AlertEvent firing, long resolvedAt) {
        AlertEvent e = firing(firing.getFingerprint(), firing.getRule(), firing.getSeverity(), firing.getStartedAt());
        e.setStatus(AlertStatus.RESOLVED);
        e.setResolvedAt(resolvedAt);
        e.setEventAt(resolvedAt);
        e.setValue(0.0);
        return e;
    }
}
