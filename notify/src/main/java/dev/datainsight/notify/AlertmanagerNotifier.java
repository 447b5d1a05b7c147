package dev.datainsight.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.datainsight.model.AlertContext;
import dev.datainsight.model.AlertContextItem;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bridges alert events to Alertmanager's API v2 ({@code POST /api/v2/alerts}), so teams keep
 * their routing, grouping, silences and receivers.
 *
 * <p>Mapping of one {@link AlertEvent} to a postable alert:
 * <ul>
 *   <li>labels: {@code alertname} = rule, {@code instance}, {@code severity}, every event label
 *       (names sanitised to {@code [a-zA-Z_][a-zA-Z0-9_]*}), and {@code datainsight_fingerprint}
 *       = the event's fingerprint, then the instance's fleet labels ({@code instance_labels}:
 *       env, team, cluster, ...) where no label of that name is set, so routes can match
 *       {@code team}. Alertmanager identifies an alert by its label set, so the same DataInsight
 *       alert maps to the same Alertmanager alert as long as the fleet file keeps its labels.</li>
 *   <li>annotations: {@code summary}, {@code description}, {@code runbook_url}, {@code value},
 *       {@code threshold}, and the context: {@code context} as readable text (one line per item,
 *       {@code kind: name=value, ...}) and {@code context_json} (the items as JSON) for templates.</li>
 *   <li>{@code startsAt} = startedAt. Firing: {@code endsAt} = now + {@code firingTtl}, refreshed
 *       by a re-post of every active alert each {@code resendInterval} (as Prometheus does), so an
 *       alert whose resolution was lost still ends by itself. Resolved: {@code endsAt} =
 *       resolvedAt, which Alertmanager shows as resolved.</li>
 *   <li>{@code generatorURL} = the console's page of the alert ({@code CONSOLE/alerts/FINGERPRINT})
 *       when a console URL is set, so the "Source" link of Alertmanager's UI and of its
 *       notification templates ({@code .GeneratorURL}) opens the alert in the console.</li>
 *   <li>An escalation (same fingerprint, new severity) ends the alert of the old severity in the
 *       same request, so a page never stays open under a stale severity.</li>
 * </ul>
 * <b>Firing set and partition ownership.</b> The set of alerts re-posted each resend holds only
 * the alerts of the alerts-topic partitions this consumer owns: on assignment the consumer
 * rebuilds it from the topic ({@link #partitionsAssigned}), on revocation their entries are
 * dropped ({@link #partitionsRevoked}), and a RESOLVED event always removes its alert, even when
 * its delivery failed. So after a rebalance the old owner stops re-posting what the new owner
 * may resolve, and after a restart or a takeover the firing alerts are re-posted, not left to
 * lapse at their endsAt.
 *
 * <p>Posting the same alert twice is harmless: Alertmanager merges alerts with equal labels, which
 * makes redeliveries after a notifier restart idempotent.
 */
public final class AlertmanagerNotifier implements Notifier {
    private static final Logger LOG = LoggerFactory.getLogger(AlertmanagerNotifier.class);

    private final URI alertsUri;
    private final HttpJsonPoster poster;
    private final Duration firingTtl;
    private final Duration resendInterval;
    private final LongSupplier clock;
    /** Where {@code generatorURL} points (the console's alert page); null: not set. */
    private final ConsoleLinks console;
    private final ObjectMapper json = new ObjectMapper();
    /**
     * Alerts firing now, by DataInsight fingerprint, with the alerts-topic partition they came
     * from: what the periodic re-post refreshes. Only alerts of partitions this consumer owns are
     * kept (see {@link #partitionsAssigned}); guarded by {@code this}.
     */
    private final Map<String, Firing> active = new HashMap<>();
    /** Partitions of the alerts topic this consumer owns; guarded by {@code this}. */
    private final Set<Integer> owned = new HashSet<>();

    private record Firing(AlertEvent event, int partition) {}

    private volatile long lastResend;
    private final java.util.concurrent.atomic.AtomicLong repostFailures = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param baseUrl Alertmanager's base URL, e.g. {@code http://alertmanager:9093}
     * @param timeout connect and request timeout
     * @param firingTtl how far ahead a firing alert's endsAt is set
     * @param resendInterval how often active alerts are re-posted (must be well under firingTtl)
     */
    public AlertmanagerNotifier(URI baseUrl, Duration timeout, Duration firingTtl, Duration resendInterval,
            Map<String, String> headers, LongSupplier clock) {
        this(baseUrl, timeout, firingTtl, resendInterval, headers, clock, null);
    }

    /**
     * @param consoleUrl the console's external base URL: each alert's {@code generatorURL} is
     *     its page there ({@code consoleUrl/alerts/FINGERPRINT}); null leaves generatorURL unset
     */
    public AlertmanagerNotifier(URI baseUrl, Duration timeout, Duration firingTtl, Duration resendInterval,
            Map<String, String> headers, LongSupplier clock, URI consoleUrl) {
        this.console = consoleUrl == null ? null : ConsoleLinks.of(consoleUrl);
        String base = baseUrl.toString().replaceAll("/+$", "");
        this.alertsUri = URI.create(base + "/api/v2/alerts");
        this.poster = new HttpJsonPoster(timeout, headers);
        if (resendInterval.compareTo(firingTtl) >= 0) {
            throw new IllegalArgumentException("the resend interval (" + resendInterval
                    + ") must be shorter than the firing TTL (" + firingTtl + ")");
        }
        this.firingTtl = firingTtl;
        this.resendInterval = resendInterval;
        this.clock = clock;
        this.lastResend = clock.getAsLong();
    }

    public AlertmanagerNotifier(URI baseUrl) {
        this(baseUrl, Duration.ofSeconds(10), Duration.ofHours(1), Duration.ofMinutes(5), Map.of(), System::currentTimeMillis);
    }

    @Override
    public String name() {
        return "alertmanager " + alertsUri;
    }

    /** Delivers an event not read from the topic (tests, tools): always kept in the firing set. */
    @Override
    public void deliver(AlertEvent e) throws DeliveryException {
        deliver(e, -1);
    }

    @Override
    public void deliver(AlertEvent e, int partition) throws DeliveryException {
        long now = clock.getAsLong();
        List<ObjectNode> batch = new ArrayList<>(2);
        Firing previous;
        synchronized (this) {
            previous = active.get(e.getFingerprint());
        }
        if (previous != null && previous.event().getSeverity() != e.getSeverity()) {
            // Escalation or de-escalation: end the alert of the old severity now.
            batch.add(toPostable(previous.event(), now, now));
        }
        batch.add(toPostable(e, now, endsAt(e, now)));
        if (e.getStatus() == AlertStatus.RESOLVED) {
            try {
                post(batch);
            } finally {
                // Even when the resolution cannot be delivered (it goes to the dead letter), the
                // alert must not be re-posted as firing: it then ends at its last endsAt.
                synchronized (this) {
                    active.remove(e.getFingerprint());
                }
            }
            return;
        }
        post(batch);
        synchronized (this) {
            if (partition < 0 || owned.contains(partition)) {
                active.put(e.getFingerprint(), new Firing(e, partition));
            }
        }
    }

    @Override
    public boolean keepsFiringSet() {
        return true;
    }

    /**
     * Takes over the firing alerts of newly owned partitions (rebuilt by the consumer from the
     * topic) and re-posts them all on the next tick, so an alert that a previous owner kept alive
     * does not lapse at its endsAt.
     */
    @Override
    public synchronized void partitionsAssigned(Map<Integer, Map<String, AlertEvent>> firing) {
        owned.addAll(firing.keySet());
        active.values().removeIf(f -> firing.containsKey(f.partition()));
        firing.forEach((partition, alerts) -> alerts.forEach((fp, e) -> active.put(fp, new Firing(e, partition))));
        if (firing.values().stream().anyMatch(m -> !m.isEmpty())) {
            lastResend = Long.MIN_VALUE / 2; // re-post at the next tick
        }
    }

    /** Forgets the alerts of partitions now owned by another consumer, which re-posts them. */
    @Override
    public synchronized void partitionsRevoked(Collection<Integer> partitions) {
        owned.removeAll(partitions);
        active.values().removeIf(f -> partitions.contains(f.partition()));
    }

    /** Re-posts every active alert once per resend interval, pushing its endsAt ahead. */
    @Override
    public void tick(long now) {
        List<AlertEvent> firing;
        synchronized (this) {
            if (now - lastResend < resendInterval.toMillis() || active.isEmpty()) {
                return;
            }
            lastResend = now;
            firing = active.values().stream().map(Firing::event).toList();
        }
        List<ObjectNode> batch = new ArrayList<>();
        for (AlertEvent e : firing) {
            batch.add(toPostable(e, now, now + firingTtl.toMillis()));
        }
        try {
            post(batch);
        } catch (DeliveryException ex) {
            repostFailures.incrementAndGet();
            // The alerts stay active here and in Alertmanager until their endsAt; next tick retries.
            LOG.warn("re-posting {} active alerts to {} failed: {}", batch.size(), alertsUri, ex.getMessage());
        }
    }

    /** Periodic re-posts that failed (each one risks the alerts lapsing at their endsAt). */
    public long repostFailures() {
        return repostFailures.get();
    }

    /** Number of alerts currently held as firing (re-posted on each resend). */
    public synchronized int activeCount() {
        return active.size();
    }

    /** Fingerprints currently held as firing. */
    public synchronized Set<String> activeFingerprints() {
        return Set.copyOf(active.keySet());
    }

    private long endsAt(AlertEvent e, long now) {
        if (e.getStatus() == AlertStatus.RESOLVED) {
            return e.getResolvedAt() != null ? e.getResolvedAt() : e.getEventAt();
        }
        return now + firingTtl.toMillis();
    }

    private void post(List<ObjectNode> alerts) throws DeliveryException {
        ArrayNode arr = json.createArrayNode();
        alerts.forEach(arr::add);
        byte[] body;
        try {
            body = json.writeValueAsBytes(arr);
        } catch (JsonProcessingException ex) {
            throw new DeliveryException("encoding alerts: " + ex.getMessage(), false, ex);
        }
        poster.post(alertsUri, body, Map.of());
    }

    /** The postable alert (API v2 schema {@code postableAlert}) for one event. */
    ObjectNode toPostable(AlertEvent e, long now, long endsAtMillis) {
        ObjectNode a = json.createObjectNode();
        ObjectNode labels = a.putObject("labels");
        labels(e).forEach(labels::put);
        ObjectNode ann = a.putObject("annotations");
        putIfPresent(ann, "summary", e.getSummary() == null ? null : AlertContext.text(e.getSummary(), StdoutNotifier.SUMMARY_CHARS));
        putIfPresent(ann, "description", e.getDescription());
        putIfPresent(ann, "runbook_url", e.getRunbook());
        if (e.getValue() != null) {
            ann.put("value", StdoutNotifier.number(e.getValue()));
        }
        if (e.getThreshold() != null) {
            ann.put("threshold", StdoutNotifier.number(e.getThreshold()));
        }
        List<AlertContextItem> context = AlertContext.bound(e.getContext());
        if (!context.isEmpty()) {
            ann.put("context", contextText(context));
            ArrayNode items = json.createArrayNode();
            for (AlertContextItem item : context) {
                ObjectNode o = items.addObject();
                o.put("kind", item.getKind());
                ObjectNode f = o.putObject("fields");
                item.fields().forEach(f::put);
            }
            ann.put("context_json", items.toString());
        }
        if (console != null && e.getFingerprint() != null) {
            a.put("generatorURL", console.alertPage(e.getFingerprint()));
        }
        a.put("startsAt", Instant.ofEpochMilli(e.getStartedAt()).toString());
        a.put("endsAt", Instant.ofEpochMilli(Math.max(endsAtMillis, e.getStartedAt())).toString());
        return a;
    }

    /** The Alertmanager label set of an event (its identity in Alertmanager). */
    static Map<String, String> labels(AlertEvent e) {
        Map<String, String> m = new LinkedHashMap<>();
        if (e.getLabels() != null) {
            e.getLabels().forEach((k, v) -> {
                if (v != null && !v.isEmpty()) {
                    m.put(labelName(k), v);
                }
            });
        }
        if (e.getInstanceLabels() != null) {
            e.getInstanceLabels().forEach((k, v) -> {
                if (v != null && !v.isEmpty()) {
                    m.putIfAbsent(labelName(k), AlertContext.text(v, AlertContext.MAX_VALUE_CHARS));
                }
            });
        }
        // The fixed labels win over event and instance labels of the same name.
        m.put("alertname", e.getRule());
        m.put("instance", e.getInstance());
        if (e.getSeverity() != null) {
            m.put("severity", e.getSeverity().wire());
        }
        m.put("datainsight_fingerprint", e.getFingerprint());
        return m;
    }

    /** The context as readable text: one line per item, {@code kind: name=value, name=value}. */
    static String contextText(List<AlertContextItem> context) {
        StringBuilder sb = new StringBuilder();
        for (AlertContextItem item : context) {
            if (sb.length() > 0) {
                sb.append('\n');
            }
            sb.append(item.getKind()).append(':');
            for (int i = 0; i < item.getNames().size(); i++) {
                sb.append(i == 0 ? " " : ", ").append(item.getNames().get(i)).append('=').append(item.getValues().get(i));
            }
        }
        return sb.toString();
    }

    static String labelName(String k) {
        StringBuilder sb = new StringBuilder(k.length());
        for (int i = 0; i < k.length(); i++) {
            char c = k.charAt(i);
            boolean ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
            sb.append(ok ? c : '_');
        }
        return sb.length() == 0 ? "_" : sb.toString();
    }

    private static void putIfPresent(ObjectNode n, String k, String v) {
        if (v != null && !v.isBlank()) {
            n.put(k, v);
        }
    }
}
