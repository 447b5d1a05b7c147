package dev.datainsight.notify;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A notifier in a JVM of its own, so that a test can kill it for real ({@code SIGKILL}: no
 * shutdown hook, no final commit, no leave-group; the group notices at its session timeout).
 * Started by {@link ChildNotifier}. Arguments {@code key=value}: {@code bootstrap}, {@code topic},
 * {@code group}, {@code dlq} (file), {@code session} (ms), {@code webhook} and/or
 * {@code alertmanager} (URLs), {@code ttl} and {@code resend} (ms, Alertmanager), {@code console}
 * (URL). Prints {@code assigned [p, ...]} on stdout each time its partitions change.
 */
public final class NotifierProcess {
    private NotifierProcess() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            a.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        URI console = a.containsKey("console") ? URI.create(a.get("console")) : null;
        List<Notifier> targets = new ArrayList<>();
        if (a.containsKey("webhook")) {
            targets.add(new WebhookNotifier(URI.create(a.get("webhook")), Duration.ofSeconds(5), Map.of(), console));
        }
        if (a.containsKey("alertmanager")) {
            targets.add(new AlertmanagerNotifier(URI.create(a.get("alertmanager")), Duration.ofSeconds(5),
                    Duration.ofMillis(Long.parseLong(a.get("ttl"))), Duration.ofMillis(Long.parseLong(a.get("resend"))),
                    Map.of(), System::currentTimeMillis, console));
        }
        AlertConsumer c = new AlertConsumer(new AlertConsumer.Config(a.get("bootstrap"), a.get("topic"), a.get("group"),
                AlertConsumer.StartFrom.EARLIEST, new RetryPolicy(3, Duration.ofMillis(50), Duration.ofMillis(200), 2.0),
                Duration.ofMillis(100), sessionSettings(Long.parseLong(a.getOrDefault("session", "6000")))),
                targets, new FileDeadLetterSink(Path.of(a.get("dlq"))));
        Thread watcher = new Thread(() -> {
            Set<Integer> last = null;
            while (true) {
                Set<Integer> now = new TreeSet<>(c.assignedPartitions());
                if (!now.equals(last)) {
                    System.out.println("assigned " + now);
                    System.out.flush();
                    last = now;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "assignment-watcher");
        watcher.setDaemon(true);
        watcher.start();
        c.run();
    }

    /** A short session timeout (the broker's minimum is 6 s) so a killed member leaves quickly. */
    static Map<String, String> sessionSettings(long sessionMillis) {
        return Map.of("session.timeout.ms", Long.toString(sessionMillis),
                "heartbeat.interval.ms", Long.toString(Math.max(200, sessionMillis / 6)));
    }
}
