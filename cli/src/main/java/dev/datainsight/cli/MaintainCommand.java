package dev.datainsight.cli;

import dev.datainsight.store.MaintenanceScheduler;
import dev.datainsight.store.PartitionMaintenance;
import dev.datainsight.store.PartitionPolicy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code datainsight maintain}: creates partitions ahead, moves rows out of default partitions
 * and drops partitions past retention, printing each action. Once by default; with
 * {@code --every} it keeps running on that schedule until interrupted.
 */
@Command(name = "maintain", mixinStandardHelpOptions = true,
        description = {"Create store partitions ahead, move rows out of default partitions, drop partitions past retention.",
            "Defaults: metric_rollup_1m daily, 7 ahead, kept 14 days; metric_rollup_1h and statement_rollup_1h monthly,",
            "3 ahead, 90 days; metric_rollup_1d and statement_rollup_1d monthly, 2 years; alert_event monthly, 1 year.",
            "Then rolls the closed days of statement_rollup_1h into statement_rollup_1d."})
public final class MaintainCommand implements Callable<Integer> {

    @Mixin
    StoreOptions store;

    @Option(names = "--retention", paramLabel = "TABLE=DURATION",
            description = "Override a table's retention (a duration), e.g. --retention metric_rollup_1m=30d (repeatable).")
    Map<String, Duration> retention = new LinkedHashMap<>();

    @Option(names = "--ahead", paramLabel = "TABLE=N",
            description = "Override how many partitions after the current one must exist (repeatable).")
    Map<String, Integer> ahead = new LinkedHashMap<>();

    @Option(names = "--every", paramLabel = "DURATION",
            description = "Keep running, once per DURATION (a duration, e.g. 1h), until interrupted.")
    Duration every;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String url = store.requireUrl();
        PartitionMaintenance m = new PartitionMaintenance(url, store.user, store.password(), policies(), Clock.systemUTC());
        var out = spec.commandLine().getOut();
        if (every == null) {
            for (String line : m.run().lines()) {
                out.println(line);
            }
            return 0;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
        try (MaintenanceScheduler s = MaintenanceScheduler.start(m, every)) {
            out.println("maintaining every " + every + " (Ctrl-C stops); actions are logged");
            stop.await();
        }
        return 0;
    }

    List<PartitionPolicy> policies() {
        List<PartitionPolicy> out = new ArrayList<>();
        Map<String, Duration> r = new LinkedHashMap<>(retention);
        Map<String, Integer> a = new LinkedHashMap<>(ahead);
        for (PartitionPolicy p : PartitionPolicy.defaults()) {
            PartitionPolicy q = p;
            Duration d = r.remove(p.table());
            if (d != null) {
                q = q.withRetention(d);
            }
            Integer n = a.remove(p.table());
            if (n != null) {
                q = q.withAhead(n);
            }
            out.add(q);
        }
        if (!r.isEmpty() || !a.isEmpty()) {
            List<String> known = PartitionPolicy.defaults().stream().map(PartitionPolicy::table).toList();
            throw new IllegalArgumentException("unknown table(s) " + (r.isEmpty() ? a.keySet() : r.keySet())
                    + "; partitioned tables are " + known);
        }
        return out;
    }
}
