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

    /**
     * A firing lock_contention event with a context as the rules build it (a blocker session with
     * untrusted text: a newline, an escape, a password literal; its statement) and fleet labels.
     */
    static AlertEvent withContext(String fingerprint, long startedAt) {
        AlertEvent e = firing(fingerprint, "lock_contention", Severity.CRITICAL, startedAt);
        e.setSummary("pid 4242 (svc_billing@10.0.0.5, app billing-api, idle in transaction 75 s) holds RowExclusiveLock"
                + " on public.accounts — last statement `UPDATE accounts SET balance = …`; 4 sessions wait");
        dev.datainsight.model.AlertContext c = dev.datainsight.model.AlertContext.create();
        c.item("session").put("pid", "4242").put("usename", "svc_billing").put("application_name", "billing-api")
                .put("client_addr", "10.0.0.5").put("state", "idle in transaction")
                .put("query", "UPDATE accounts\n SET balance = 0, note = '\u001b[2J' WHERE password = 'hunter2'");
        c.item("statement").put("queryid", "-27498").put("text", "UPDATE accounts SET balance = balance - $1 WHERE id = $2");
        e.setContext(c.bounded());
        Map<String, String> fleet = new LinkedHashMap<>();
        fleet.put("env", "prod");
        fleet.put("team", "billing");
        fleet.put("datname", "not-this-one"); // an event label of the same name wins
        e.setInstanceLabels(fleet);
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
