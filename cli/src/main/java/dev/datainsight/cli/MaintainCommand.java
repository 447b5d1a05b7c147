package dev.datainsight.cli;

import dev.datainsight.store.MaintenanceScheduler;
import dev.datainsight.store.PartitionMaintenance;
import dev.datainsight.store.PartitionPolicy;
import java.time.Clock;
import java.nio.file.Path;
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
 * {@code datainsight maintain}: creates partitions ahead, moves rows out of default partitions,
 * archives (with {@code --archive}) and drops partitions past retention, printing each action and
 * each table that is not healthy (also written to {@code store_health}). Once by default, exiting
 * 1 when a table failed or is unhealthy; with {@code --every} it keeps running on that schedule
 * until interrupted (the deployment's maintenance service, docs/operations.md).
 */
@Command(name = "maintain", mixinStandardHelpOptions = true,
        description = {"Create store partitions ahead, move rows out of default partitions, drop partitions past retention.",
            "Defaults: metric_rollup_1m daily, 7 ahead, kept 14 days; metric_rollup_1h and statement_rollup_1h monthly,",
            "3 ahead, 90 days; metric_rollup_1d and statement_rollup_1d monthly, 2 years; alert_event and query_plan",
            "monthly, 1 year. Then rolls the closed days of statement_rollup_1h into statement_rollup_1d.",
            "Runs as an owner login (member of datainsight_owner). Exit status 1 when a table failed or its default",
            "partition holds rows or partitions ahead are missing (see the store_health table)."})
public final class MaintainCommand implements Callable<Integer> {

    @Mixin
    StoreOptions store;

    @Option(names = "--retention", paramLabel = "TABLE=DURATION",
            description = "Override a table's retention (a duration), e.g. --retention metric_rollup_1m=30d (repeatable).")
    Map<String, Duration> retention = new LinkedHashMap<>();

    @Option(names = "--ahead", paramLabel = "TABLE=N",
            description = "Override how many partitions after the current one must exist (repeatable).")
    Map<String, Integer> ahead = new LinkedHashMap<>();

    @Option(names = "--archive", paramLabel = "TABLE=DIR",
            description = "Archive a table's expired partitions under DIR (binary COPY, gzip, manifest with row count and"
                    + " SHA-256; verified) before dropping them (repeatable). Restore with 'datainsight restore-archive'.")
    Map<String, Path> archive = new LinkedHashMap<>();

    @Option(names = "--lock-timeout", paramLabel = "DURATION", defaultValue = "800ms",
            description = "How long one step waits for a table lock before it is rolled back and retried (5 tries). Keep it"
                    + " below the writer's lock_timeout and deadlock_timeout. Default: ${DEFAULT-VALUE}")
    Duration lockTimeout;

    @Option(names = "--every", paramLabel = "DURATION",
            description = "Keep running, once per DURATION (a duration, e.g. 1h), until interrupted.")
    Duration every;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String url = store.requireUrl();
        PartitionMaintenance m = new PartitionMaintenance(url, store.user, store.password(), policies(), Clock.systemUTC(),
                lockTimeout);
        var out = spec.commandLine().getOut();
        if (every == null) {
            PartitionMaintenance.Report r = m.run();
            for (String line : r.lines()) {
                out.println(line);
            }
            return r.ok() ? 0 : 1;
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
        Map<String, Path> arch = new LinkedHashMap<>(archive);
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
            Path dir = arch.remove(p.table());
            if (dir != null) {
                q = q.withArchive(dir);
            }
            out.add(q);
        }
        if (!r.isEmpty() || !a.isEmpty() || !arch.isEmpty()) {
            List<String> known = PartitionPolicy.defaults().stream().map(PartitionPolicy::table).toList();
            throw new IllegalArgumentException("unknown table(s) " + (!r.isEmpty() ? r.keySet() : !a.isEmpty() ? a.keySet() : arch.keySet())
                    + "; partitioned tables are " + known);
        }
        return out;
    }
}
