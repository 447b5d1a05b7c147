package dev.datainsight.cli.demo;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.notify.Notifier;
import dev.datainsight.notify.SeenEvents;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The demo's notifier: prints one line per alert transition as it arrives on the alerts topic
 * and counts fired and resolved alerts per rule for the summary. A transition already printed
 * (same dedup key: the job replays the events since its last checkpoint after every restart) is
 * neither printed nor counted again.
 */
public final class AlertTally implements Notifier {
    private final Console console;
    private final Map<String, AtomicInteger> fired = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> resolved = new ConcurrentHashMap<>();
    private final SeenEvents seen = new SeenEvents(SeenEvents.DEFAULT_CAPACITY);

    public AlertTally(Console console) {
        this.console = console;
    }

    @Override
    public String name() {
        return "demo console";
    }

    @Override
    public void deliver(AlertEvent e) {
        if (!seen.firstTime(e)) {
            return;
        }
        boolean isResolved = e.getStatus() == AlertStatus.RESOLVED;
        (isResolved ? resolved : fired).computeIfAbsent(e.getRule(), k -> new AtomicInteger()).incrementAndGet();
        String labels = e.getLabels() == null || e.getLabels().isEmpty() ? "" : " " + e.getLabels().toString().replace(", ", ",");
        console.line("ALERT %-8s %-8s %-22s %s%s — %s", isResolved ? "RESOLVED" : e.getStatus().name(),
                e.getSeverity() == null ? "" : e.getSeverity().wire(), e.getRule(), e.getInstance(), labels,
                e.getSummary() == null ? "" : e.getSummary());
    }

    /** Fired (firing transitions, escalations and re-notifications included) per rule. */
    public Map<String, Integer> fired() {
        return snapshot(fired);
    }

    /** Resolved per rule. */
    public Map<String, Integer> resolved() {
        return snapshot(resolved);
    }

    /** Replayed or redelivered events that were dropped. */
    public long duplicatesDropped() {
        return seen.dropped();
    }

    public int totalFired() {
        return fired.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    private static Map<String, Integer> snapshot(Map<String, AtomicInteger> m) {
        Map<String, Integer> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }
}
