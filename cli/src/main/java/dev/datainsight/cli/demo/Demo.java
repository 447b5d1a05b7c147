package dev.datainsight.cli.demo;

import dev.datainsight.collector.Collector;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.collector.KafkaSnapshotSink;
import dev.datainsight.embedded.EmbeddedKafka;
import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.FreePorts;
import dev.datainsight.jobs.DataInsightJob;
import dev.datainsight.jobs.JobHealth;
import dev.datainsight.jobs.JobConfig;
import dev.datainsight.jobs.KafkaIO;
import dev.datainsight.model.WireFormat;
import dev.datainsight.notify.AlertConsumer;
import dev.datainsight.notify.FileDeadLetterSink;
import dev.datainsight.notify.RetryPolicy;
import dev.datainsight.rules.RulesConfig;
import dev.datainsight.console.ConsoleServer;
import dev.datainsight.console.ConsoleSettings;
import dev.datainsight.store.MaintenanceScheduler;
import dev.datainsight.store.PartitionMaintenance;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The one-command demo: in this process tree, a real PostgreSQL (the monitored server and the
 * store), a real Kafka broker, the collector, the Flink job on a local runtime with the rules on,
 * a workload that induces incidents, and a console that prints each alert as it fires and
 * resolves. See {@code ./datainsight demo --help} and docs/index.md.
 *
 * <p>Lifecycle: {@link #start()} brings everything up (failing with a clear message when a port
 * is taken, the target is unreachable or lacks pg_monitor, or the disk is full);
 * {@link #runFor(Duration, boolean)} plays the workload and waits; {@link #close()} prints the
 * summary and stops everything in reverse order, also from the Ctrl-C shutdown hook.
 */
public final class Demo implements AutoCloseable {
    /** The demo's settings (the command's options). */
    public record Settings(Duration duration, Path dataDir, boolean keep, String target, Path rulesFile,
            int pgPort, int kafkaPort, Duration collectInterval, List<String> jobOverrides) {
        public Settings {
            jobOverrides = jobOverrides == null ? List.of() : List.copyOf(jobOverrides);
        }

        public Settings(Duration duration, Path dataDir, boolean keep, String target, Path rulesFile,
                int pgPort, int kafkaPort, Duration collectInterval) {
            this(duration, dataDir, keep, target, rulesFile, pgPort, kafkaPort, collectInterval, List.of());
        }
    }

    /**
     * How long a stop may take from Ctrl-C / SIGTERM until the process is gone, whatever the job
     * is doing (failing, restarting): past it the watchdog stops PostgreSQL itself and halts.
     */
    public static final Duration STOP_DEADLINE = Duration.ofSeconds(25);

    static final String STORE_DB = "datainsight";
    static final String APP_DB = "app";
    static final String INSTANCE = "demo-pg";
    static final int CONSOLE_PORT = 8080;
    /** Bytes a demo run needs on the data disk (PostgreSQL, Kafka, Flink state), with margin. */
    static final long MIN_FREE_BYTES = 1L << 30;

    private final Settings settings;
    private final Console console;
    private final Path dataDir;
    private final boolean ownsDataDir;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private EmbeddedPostgresServer pg;
    private EmbeddedKafka kafka;
    private MaintenanceScheduler maintenance;
    private Collector collector;
    private CountingSink sink;
    private JobClient job;
    private JobHealth jobHealth;
    private volatile JobHealth.Status lastHealth;
    private AlertConsumer alerts;
    private Thread alertThread;
    private AlertTally tally;
    private Workload workload;
    private Thread workloadThread;
    private String monitoredDescription;
    private boolean closed;
    private final java.util.concurrent.locks.ReentrantLock closing = new java.util.concurrent.locks.ReentrantLock();
    private ConsoleServer webConsole;
    private volatile boolean keepData;

    public Demo(Settings settings, Console console) throws IOException {
        this.settings = settings;
        this.console = console;
        if (settings.dataDir() != null) {
            this.dataDir = Files.createDirectories(settings.dataDir().toAbsolutePath());
            this.ownsDataDir = false;
        } else {
            this.dataDir = Files.createTempDirectory("datainsight-demo-");
            this.ownsDataDir = true;
        }
    }

    /** Where the demo keeps its data and its log. */
    public Path dataDir() {
        return dataDir;
    }

    // ------------------------------------------------------------------ start

    /** Starts every component; throws {@link DemoException} with a message a person can act on. */
    public void start() throws Exception {
        Preflight.javaVersion();
        Preflight.diskSpace(dataDir, MIN_FREE_BYTES);
        Preflight.portFree("PostgreSQL", settings.pgPort(), "--pg-port");
        Preflight.portFree("Kafka", settings.kafkaPort(), "--kafka-port");
        FleetConfig.Instance target = null;
        if (settings.target() != null) {
            target = Preflight.target(settings.target(), settings.collectInterval());
        }
        RulesConfig rules = settings.rulesFile() != null ? RulesConfig.load(settings.rulesFile())
                : RulesConfig.parse(demoRulesText(), "demo-rules.yaml");
        Path rulesPath = settings.rulesFile() != null ? settings.rulesFile().toAbsolutePath() : writeDemoRules();
        rules.toString(); // validated above: a bad file stops the demo before anything starts

        Path logFile = dataDir.resolve("demo.log");
        DemoLogging.toFile(logFile);
        console.line("DataInsight demo — data and logs in %s (log: %s)", dataDir, logFile.getFileName());

        console.line("starting PostgreSQL %d (embedded binaries, pg_stat_statements on) ...", EmbeddedPostgresServer.defaultMajor());
        Map<String, String> pgSettings = new LinkedHashMap<>();
        pgSettings.put("max_connections", "40");
        pgSettings.put("autovacuum_naptime", "10s");
        pgSettings.put("checkpoint_timeout", "30min");
        pg = EmbeddedPostgresServer.start(EmbeddedPostgresServer.defaultMajor(), dataDir.resolve("postgres"), settings.pgPort(), pgSettings);
        createDatabase(STORE_DB);
        String storeJdbc = pg.jdbcUrlNoUser(STORE_DB);
        console.line("  store     %s?user=postgres   |   psql -h 127.0.0.1 -p %d -U postgres %s", storeJdbc, pg.port(), STORE_DB);

        console.line("starting Kafka (KRaft) ...");
        kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), settings.kafkaPort());
        kafka.createTopics(List.of(WireFormat.TOPIC_METRICS, WireFormat.TOPIC_STATEMENTS, WireFormat.TOPIC_ALERTS,
                WireFormat.TOPIC_DEADLETTER), 1);
        console.line("  kafka     %s (topics %s, %s, %s, %s)", kafka.bootstrapServers(), WireFormat.TOPIC_METRICS,
                WireFormat.TOPIC_STATEMENTS, WireFormat.TOPIC_ALERTS, WireFormat.TOPIC_DEADLETTER);

        if (target == null) {
            createDatabase(APP_DB);
            workload = new Workload(pg.jdbcUrl(APP_DB), console);
            workload.setup();
            target = FleetConfig.Instance.builder(INSTANCE).url(pg.jdbcUrlNoUser(APP_DB)).user("postgres")
                    .labels(Map.of("env", "demo")).intervals(settings.collectInterval(), settings.collectInterval().multipliedBy(2))
                    .build();
            monitoredDescription = "the embedded server's database '" + APP_DB + "' (instance " + INSTANCE + ")";
        } else {
            monitoredDescription = target.jdbcUrl() + " (instance " + target.id() + "; no workload is run against it)";
        }

        startJob(storeJdbc, rulesPath);
        startAlertConsumer();
        startConsole(storeJdbc);

        console.line("starting the collector: %s every %ds (fast probes) / %ds (slow probes) ...", monitoredDescription,
                target.intervals().fast().toSeconds(), target.intervals().slow().toSeconds());
        sink = new CountingSink(new KafkaSnapshotSink(kafka.bootstrapServers()));
        collector = new Collector(FleetConfig.builder().instance(target).build(), sink);
        collector.start();
        console.line("everything is up. Ctrl-C stops%s.", settings.keep() ? "" : " early");
    }

    /** The web console on loopback, reading the store the job just migrated (port 8080, or any free one if taken). */
    private void startConsole(String storeJdbc) throws SQLException {
        try {
            webConsole = ConsoleServer.start(new ConsoleSettings("127.0.0.1", CONSOLE_PORT, storeJdbc, "postgres", null, null));
        } catch (RuntimeException e) {
            // Port taken (e.g. another demo or a real console): any free port does for a demo.
            webConsole = ConsoleServer.start(new ConsoleSettings("127.0.0.1", 0, storeJdbc, "postgres", null, null));
        }
        console.line("  console   %s/fleet (read-only, as datainsight_reader)", webConsole.url());
    }

    /** The console's URL while the demo runs, or null before start-up. */
    public String consoleUrl() {
        return webConsole == null ? null : webConsole.url();
    }

    private void startJob(String storeJdbc, Path rulesPath) throws Exception {
        List<String> overrides = new ArrayList<>(List.of(
                "kafka.bootstrap_servers=" + kafka.bootstrapServers(),
                "kafka.starting_offsets=earliest",
                "kafka.create_topics_partitions=1",
                "store.jdbc_url=" + storeJdbc,
                "store.user=postgres",
                "store.migrate_on_start=true",
                "store.batch_rows=2000",
                "runtime.parallelism=1",
                "runtime.checkpoint_interval=5s",
                "runtime.checkpoint_dir=" + dataDir.resolve("flink-checkpoints").toUri(),
                "time.watermark_bound=2s",
                "time.idleness=5s",
                "rules.enabled=true",
                "rules.file=" + rulesPath));
        overrides.addAll(settings.jobOverrides());
        console.line("starting the Flink job on a local runtime (parallelism 1, checkpoints every 5 s, rules on) ...");
        JobConfig c = JobConfig.load(null, overrides);
        DataInsightJob.prepare(c);
        // Partitions ahead of time and retention, as in production: once now, then hourly.
        maintenance = MaintenanceScheduler.start(new PartitionMaintenance(storeJdbc, "postgres", null),
                MaintenanceScheduler.DEFAULT_INTERVAL);
        int restPort = FreePorts.next();
        StreamExecutionEnvironment env = localEnv(c, restPort);
        DataInsightJob.defineWorkflow(env, new KafkaIO(), new KafkaIO(), c);
        job = env.executeAsync("DataInsight (demo)");
        jobHealth = new JobHealth("http://127.0.0.1:" + restPort);
        console.line("  job       %s running; store migrated (%s)", job.getJobID(), storeJdbc);
    }

    private static StreamExecutionEnvironment localEnv(JobConfig c, int restPort) {
        org.apache.flink.configuration.Configuration f = DataInsightJob.flinkConfiguration(c);
        // The local runtime's REST API on a known port: the demo reads restarts and the last failure from it.
        f.set(org.apache.flink.configuration.RestOptions.BIND_ADDRESS, "127.0.0.1");
        f.set(org.apache.flink.configuration.RestOptions.ADDRESS, "127.0.0.1");
        f.set(org.apache.flink.configuration.RestOptions.BIND_PORT, String.valueOf(restPort));
        f.set(org.apache.flink.configuration.RestOptions.PORT, restPort);
        f.setString("taskmanager.memory.network.min", "64mb");
        f.setString("taskmanager.memory.network.max", "64mb");
        f.setString("taskmanager.memory.managed.size", "64mb");
        return StreamExecutionEnvironment.createLocalEnvironment(1, f);
    }

    private void startAlertConsumer() throws IOException {
        tally = new AlertTally(console);
        alerts = new AlertConsumer(new AlertConsumer.Config(kafka.bootstrapServers(), WireFormat.TOPIC_ALERTS, "datainsight-demo",
                AlertConsumer.StartFrom.EARLIEST, new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(1), 2.0),
                Duration.ofMillis(300)), List.of(tally), new FileDeadLetterSink(dataDir.resolve("notify-deadletter.jsonl")));
        alertThread = new Thread(alerts, "demo-alerts");
        alertThread.setDaemon(true);
        alertThread.start();
    }

    // ------------------------------------------------------------------ run

    /**
     * Plays the workload (embedded mode) over {@code duration}, printing progress, then waits
     * until the duration is over, or until Ctrl-C when {@code keep} is set.
     */
    public void runFor(Duration duration, boolean keep) throws InterruptedException {
        long end = System.nanoTime() + duration.toNanos();
        if (workload != null) {
            // Normal load first, the incidents evenly over the rest, and time at the end for the last alerts to resolve.
            long total = duration.toSeconds();
            long normal = Math.max(10, total / 12);
            long tail = Math.max(25, total / 6);
            int n = workload.incidents().size();
            long slot = Math.max(15, (total - normal - tail) / n);
            long gap = Math.min(5, slot / 5);
            Duration each = Duration.ofSeconds(slot - gap);
            workloadThread = new Thread(() -> workload.play(Duration.ofSeconds(normal), each, Duration.ofSeconds(gap)), "demo-workload-main");
            workloadThread.setDaemon(true);
            workloadThread.start();
        } else {
            console.line("monitoring %s for %ds", monitoredDescription, duration.toSeconds());
        }
        long nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (keep || System.nanoTime() < end) {
            if (stopped.await(250, TimeUnit.MILLISECONDS)) {
                return;
            }
            if (System.nanoTime() >= nextProgress) {
                nextProgress += TimeUnit.SECONDS.toNanos(20);
                progress();
            }
            if (keep && System.nanoTime() >= end && end != Long.MAX_VALUE) {
                end = Long.MAX_VALUE;
                console.line("--duration reached; --keep: everything keeps running until Ctrl-C (psql -h 127.0.0.1 -p %d -U postgres %s)",
                        pg.port(), STORE_DB);
            }
        }
    }

    private void progress() {
        String rollups;
        try {
            rollups = String.format("%,d rows in metric_rollup_1m", count("SELECT count(*) FROM metric_rollup_1m"));
        } catch (SQLException e) {
            rollups = "store not readable yet";
        }
        String jobState = jobState();
        console.line("progress: %,d snapshots (%,d samples) collected; %s; alerts fired %d%s%s", sink.snapshots(), sink.samples(),
                rollups, tally.totalFired(), workload == null ? "" : "; workload: " + workload.phase(), jobState);
    }

    /**
     * "" while the job runs and never restarted since the last line; otherwise what is wrong:
     * {@code job restarting (N times): <cause>} from the local runtime's REST API.
     */
    private String jobState() {
        org.apache.flink.api.common.JobStatus st;
        try {
            st = job.getJobStatus().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return "; job status unknown: " + e.getMessage();
        }
        JobHealth.Status h = pollHealth();
        long before = lastReported;
        if (h != null) {
            lastReported = h.restarts();
        }
        if (h != null && (h.restarts() > before || st != org.apache.flink.api.common.JobStatus.RUNNING)) {
            return String.format(java.util.Locale.ROOT, "; job restarting (%d times): %s (see %s)", h.restarts(),
                    h.lastFailure() == null ? "cause not reported yet" : h.lastFailure(), dataDir.resolve("demo.log"));
        }
        return st == org.apache.flink.api.common.JobStatus.RUNNING ? ""
                : "; JOB " + st + " (see " + dataDir.resolve("demo.log") + ")";
    }

    private long lastReported;

    private JobHealth.Status pollHealth() {
        if (jobHealth == null || job == null) {
            return lastHealth;
        }
        try {
            lastHealth = jobHealth.query(job.getJobID().toHexString());
        } catch (java.io.IOException e) {
            // REST not answering (starting, stopping): keep the last answer
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return lastHealth;
    }

    /** Keeps the data folder (and demo.log) even when it is a temporary one, e.g. after a failed start. */
    public void keepData() {
        keepData = true;
    }

    /** Asks {@link #runFor} to return (Ctrl-C). */
    public void requestStop() {
        stopped.countDown();
    }

    // ------------------------------------------------------------------ summary and shutdown

    /** Stops the workload and the collector, lets the job write its last checkpoint, prints the summary, stops the rest. */
    @Override
    public void close() {
        closing.lock();
        try {
            closeLocked();
        } finally {
            closing.unlock();
        }
    }

    /**
     * For the JVM's shutdown hook: closes normally when no other thread is closing already; when
     * one is (the main thread after Ctrl-C, maybe stuck on a job that is restarting), it does not
     * wait for it — which would hold the JVM up with the hooks — but stops the embedded
     * PostgreSQL itself, the one component that outlives this process (a server process of its
     * own; the broker and the Flink runtime live in this JVM).
     */
    public void closeFromShutdownHook() {
        boolean mine;
        try {
            mine = closing.tryLock(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            mine = false;
        }
        if (!mine) {
            stopPostgresNow();
            return;
        }
        try {
            closeLocked();
        } finally {
            closing.unlock();
        }
    }

    /**
     * Stops the embedded PostgreSQL at once, from any thread, waiting at most 10 s; for the stop
     * watchdog and the shutdown hook when the ordered stop did not finish in time.
     */
    public void stopPostgresNow() {
        EmbeddedPostgresServer server = pg;
        if (server == null) {
            return;
        }
        Thread t = new Thread(server::stop, "demo-stop-postgres");
        t.setDaemon(true);
        t.start();
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeLocked() {
        if (closed) {
            return;
        }
        closed = true;
        requestStop();
        quietly("workload", () -> {
            if (workload != null) {
                workload.close();
            }
        });
        quietly("collector", () -> {
            if (collector != null) {
                collector.close();
            }
            if (sink != null) {
                sink.close();
            }
        });
        if (job != null && pg != null && jobRunning()) {
            sleep(6000); // one more checkpoint: the job's store sinks write their last rows
        }
        quietly("summary", this::summary);
        quietly("console", () -> {
            if (webConsole != null) {
                webConsole.close();
            }
        });
        quietly("alerts consumer", () -> {
            if (alerts != null) {
                alerts.stop();
                alerts.awaitStopped(Duration.ofSeconds(5));
            }
        });
        quietly("job", () -> {
            if (job != null) {
                job.cancel().get(10, TimeUnit.SECONDS);
            }
        });
        quietly("partition maintenance", () -> {
            if (maintenance != null) {
                maintenance.close();
            }
        });
        quietly("kafka", () -> {
            if (kafka != null) {
                kafka.close();
            }
        });
        quietly("postgres", () -> {
            if (pg != null) {
                pg.close();
            }
        });
        boolean started = sink != null;
        if (ownsDataDir && !keepData) {
            quietly("data dir", () -> deleteTree(dataDir));
            if (started) {
                console.plain("Stopped; the temporary data in %s was removed.", dataDir);
            }
        } else if (started) {
            console.plain("Stopped; data kept in %s.", dataDir);
        }
    }

    /** The job is RUNNING (not failing, restarting or gone), answered within 2 s. */
    private boolean jobRunning() {
        try {
            return job.getJobStatus().get(2, TimeUnit.SECONDS) == org.apache.flink.api.common.JobStatus.RUNNING;
        } catch (Exception e) {
            return false;
        }
    }

    private void summary() throws SQLException {
        if (sink == null) {
            return; // start-up failed before anything ran: the error says why, there is nothing to sum up
        }
        console.plain("");
        console.plain("=== DataInsight demo summary ===");
        if (sink != null) {
            console.plain("snapshots collected      %,d (%,d samples)", sink.snapshots(), sink.samples());
        }
        if (pg == null) {
            return;
        }
        console.plain("samples rolled up (job)  %,d (sum of count in metric_rollup_1m: closed minutes only)",
                count("SELECT coalesce(sum(count), 0)::bigint FROM metric_rollup_1m"));
        console.plain("rollup rows:");
        for (String t : List.of("metric_rollup_1m", "metric_rollup_1h", "metric_rollup_1d", "statement_rollup_1h", "alert_event", "insight")) {
            console.plain("  %-22s %,d", t, count("SELECT count(*) FROM " + t));
        }
        JobHealth.Status h = pollHealth();
        if (h == null) {
            console.plain("job restarts             unknown (the job's REST API did not answer)");
        } else {
            console.plain("job restarts             %d%s", h.restarts(),
                    h.lastFailure() == null ? "" : " (last failure: " + h.lastFailure() + ")");
        }
        if (tally.duplicatesDropped() > 0) {
            console.plain("replayed alert events    %d dropped (already printed)", tally.duplicatesDropped());
        }
        console.plain("alerts by rule (fired / resolved):");
        TreeSet<String> names = new TreeSet<>(tally.fired().keySet());
        names.addAll(tally.resolved().keySet());
        if (names.isEmpty()) {
            console.plain("  none");
        }
        for (String r : names) {
            console.plain("  %-22s %d / %d", r, tally.fired().getOrDefault(r, 0), tally.resolved().getOrDefault(r, 0));
        }
        console.plain("query the store while it runs (./datainsight demo --keep):");
        console.plain("  psql -h 127.0.0.1 -p %d -U postgres %s", pg.port(), STORE_DB);
        if (webConsole != null) {
            console.plain("  or in a browser: %s/fleet", webConsole.url());
        }
        console.plain("  e.g. SELECT * FROM open_alert;  SELECT * FROM alert_history;  SELECT * FROM metric_1m LIMIT 20;");
    }

    private void createDatabase(String name) throws SQLException {
        try (Connection c = pg.connect("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
    }

    private long count(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(STORE_DB)); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    private void quietly(String what, Step s) {
        try {
            s.run();
        } catch (Exception e) {
            console.plain("(stopping %s: %s)", what, e.getMessage());
        }
    }

    static String demoRulesText() {
        try (InputStream in = Demo.class.getResourceAsStream("demo-rules.yaml")) {
            if (in == null) {
                throw new IllegalStateException("demo-rules.yaml is missing from the build");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path writeDemoRules() throws IOException {
        Path p = dataDir.resolve("demo-rules.yaml");
        Files.writeString(p, demoRulesText());
        return p;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
