package dev.datainsight.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Flink standalone session cluster: a JobManager ({@code StandaloneSessionClusterEntrypoint})
 * and a TaskManager ({@code TaskManagerRunner}) as two child JVMs, started from the Flink jars on
 * Maven Central (there is no flink-dist there). The class path is the one this module's build
 * resolved for {@code flink-runtime}, {@code flink-streaming-java}, {@code flink-clients} and
 * {@code flink-runtime-web} (the REST jar upload needs the latter), plus log4j.
 *
 * <p>Start-up follows Flink's own scripts: a {@code conf/config.yaml} (Flink 2.x reads only that
 * file), the memory JVM options and dynamic settings that
 * {@code org.apache.flink.runtime.util.bash.BashJavaUtils GET_JM_RESOURCE_PARAMS|GET_TM_RESOURCE_PARAMS}
 * computes from it (without them the TaskManager refuses to start), and the JDK 17
 * {@code --add-opens}/{@code --add-exports} list of Flink's default configuration.
 *
 * <p>Jobs are submitted over the REST API exactly as a user would: {@link #uploadJar(Path)}
 * ({@code POST /jars/upload}), {@link #runJar} ({@code POST /jars/:id/run}, optionally from a
 * savepoint), {@link #savepoint(String, Path, boolean)} ({@code POST /jobs/:id/savepoints}, with
 * cancel) and {@link #cancel(String)}. Everything lives under the given base directory; the
 * JVMs are destroyed by {@link #close()} and, as a last resort, by a shutdown hook.
 */
public final class FlinkStandaloneCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FlinkStandaloneCluster.class);
    private static final String RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";
    /** Flink's default {@code env.java.opts.all} for JDK 17. */
    private static final List<String> JDK17_OPTS = List.of(
            "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
            "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED",
            "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
            "--add-opens=java.sql/java.sql=ALL-UNNAMED");

    /** Sizing and settings of a cluster. */
    public record Options(int slots, String jobManagerProcessMemory, String taskManagerProcessMemory,
            Map<String, String> extraConfig, Duration startupTimeout) {
        /** One TaskManager with 2 slots, JobManager 768 MB, TaskManager 1280 MB process memory. */
        public static Options defaults() {
            return new Options(2, "768m", "1280m", Map.of(), Duration.ofSeconds(120));
        }

        public Options withConfig(Map<String, String> more) {
            Map<String, String> m = new LinkedHashMap<>(extraConfig);
            m.putAll(more);
            return new Options(slots, jobManagerProcessMemory, taskManagerProcessMemory, m, startupTimeout);
        }
    }

    private final Path baseDir;
    private final Path confDir;
    private final Path logDir;
    private final int restPort;
    private final Options options;
    private final String classPath;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final Thread shutdownHook;
    private Process jobManager;
    private Process taskManager;

    private FlinkStandaloneCluster(Path baseDir, int restPort, Options options, String classPath) {
        this.baseDir = baseDir;
        this.confDir = baseDir.resolve("conf");
        this.logDir = baseDir.resolve("log");
        this.restPort = restPort;
        this.options = options;
        this.classPath = classPath;
        this.shutdownHook = new Thread(this::destroyProcesses, "flink-cluster-shutdown");
    }

    /**
     * Starts a cluster with its configuration, logs, checkpoints and savepoints under
     * {@code baseDir}, and waits until the TaskManager has registered its slots.
     *
     * @throws IllegalStateException with the tail of the failing process's log when it does not come up
     */
    public static FlinkStandaloneCluster start(Path baseDir, Options options) {
        FlinkStandaloneCluster c = new FlinkStandaloneCluster(baseDir.toAbsolutePath(), FreePorts.next(), options,
                clusterClassPath());
        Runtime.getRuntime().addShutdownHook(c.shutdownHook);
        try {
            c.startProcesses();
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    public static FlinkStandaloneCluster start(Path baseDir) {
        return start(baseDir, Options.defaults());
    }

    /** Base URL of the REST API and web UI. */
    public URI restUri() {
        return URI.create("http://127.0.0.1:" + restPort);
    }

    public Path baseDir() {
        return baseDir;
    }

    /** Default directory for savepoints of this cluster. */
    public Path savepointDir() {
        return baseDir.resolve("savepoints");
    }

    /** Process ids of the JobManager and TaskManager JVMs (for RSS measurements and checks). */
    public List<Long> pids() {
        List<Long> l = new ArrayList<>();
        if (jobManager != null) {
            l.add(jobManager.pid());
        }
        if (taskManager != null) {
            l.add(taskManager.pid());
        }
        return l;
    }

    // ------------------------------------------------------------------ start-up

    private void startProcesses() {
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(confDir);
            Files.createDirectories(logDir);
            Files.createDirectories(baseDir.resolve("tmp"));
            Files.createDirectories(baseDir.resolve("web-upload"));
            writeConfig();
            writeLog4j();
        } catch (IOException e) {
            throw new UncheckedIOException("preparing Flink cluster dir " + baseDir, e);
        }
        List<String> jm = bashJavaUtils("GET_JM_RESOURCE_PARAMS");
        jobManager = launch("jobmanager", "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", jm);
        List<String> tm = bashJavaUtils("GET_TM_RESOURCE_PARAMS");
        taskManager = launch("taskmanager", "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", tm);
        awaitSlots(options.startupTimeout());
        LOG.info("Flink standalone cluster up at {} in {} ms (JobManager pid {}, TaskManager pid {}, {} slots)", restUri(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), jobManager.pid(), taskManager.pid(), options.slots());
    }

    private void writeConfig() throws IOException {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("jobmanager.rpc.address", "127.0.0.1");
        c.put("jobmanager.rpc.port", String.valueOf(FreePorts.next()));
        c.put("jobmanager.bind-host", "127.0.0.1");
        c.put("jobmanager.memory.process.size", options.jobManagerProcessMemory());
        c.put("taskmanager.bind-host", "127.0.0.1");
        c.put("taskmanager.host", "127.0.0.1");
        c.put("taskmanager.rpc.port", String.valueOf(FreePorts.next()));
        c.put("taskmanager.memory.process.size", options.taskManagerProcessMemory());
        c.put("taskmanager.numberOfTaskSlots", String.valueOf(options.slots()));
        c.put("rest.address", "127.0.0.1");
        c.put("rest.bind-address", "127.0.0.1");
        c.put("rest.port", String.valueOf(restPort));
        c.put("blob.server.port", String.valueOf(FreePorts.next()));
        c.put("parallelism.default", "1");
        c.put("high-availability.type", "NONE");
        c.put("io.tmp.dirs", baseDir.resolve("tmp").toString());
        c.put("web.upload.dir", baseDir.resolve("web-upload").toString());
        c.put("web.tmpdir", baseDir.resolve("web-tmp").toString());
        c.put("execution.checkpointing.dir", baseDir.resolve("checkpoints").toUri().toString());
        c.put("execution.checkpointing.savepoint-dir", savepointDir().toUri().toString());
        c.put("heartbeat.timeout", "30000");
        c.putAll(options.extraConfig());
        StringBuilder sb = new StringBuilder("# Written by DataInsight's FlinkStandaloneCluster\n");
        c.forEach((k, v) -> sb.append(k).append(": ").append(yamlScalar(v)).append('\n'));
        Files.writeString(confDir.resolve("config.yaml"), sb.toString());
    }

    private static String yamlScalar(String v) {
        return v.matches("[A-Za-z0-9_./:-]+") && !v.contains(": ") ? v : "'" + v.replace("'", "''") + "'";
    }

    private void writeLog4j() throws IOException {
        Files.writeString(confDir.resolve("log4j.properties"), String.join("\n",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.file.ref = MainAppender",
                "appender.main.name = MainAppender",
                "appender.main.type = File",
                "appender.main.append = true",
                "appender.main.fileName = ${sys:log.file}",
                "appender.main.layout.type = PatternLayout",
                "appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n",
                "logger.kafka.name = org.apache.kafka",
                "logger.kafka.level = WARN",
                ""));
    }

    /** Runs BashJavaUtils as Flink's scripts do and returns JVM options followed by dynamic settings. */
    private List<String> bashJavaUtils(String command) {
        List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-Xmx128m", "-cp", classPath,
                "-Dlog4j.configurationFile=" + confDir.resolve("log4j.properties").toUri(),
                "-Dlog.file=" + logDir.resolve("bash-java-utils.log"),
                "org.apache.flink.runtime.util.bash.BashJavaUtils", command, "--configDir", confDir.toString()));
        String out;
        int rc;
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            rc = p.waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException("running BashJavaUtils " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        List<String> results = out.lines().filter(l -> l.startsWith(RESULT_PREFIX))
                .map(l -> l.substring(RESULT_PREFIX.length()).strip()).toList();
        if (rc != 0 || results.size() < 2) {
            throw new IllegalStateException("BashJavaUtils " + command + " failed (exit " + rc + "): " + tail(out, 2000));
        }
        List<String> args = new ArrayList<>();
        for (String s : results.get(0).split("\\s+")) {
            if (!s.isBlank()) {
                args.add(s);
            }
        }
        args.add("|"); // separator: JVM options before it, program arguments after
        for (String s : results.get(1).split("\\s+")) {
            if (!s.isBlank()) {
                args.add(s);
            }
        }
        return args;
    }

    private Process launch(String role, String mainClass, List<String> resourceParams) {
        int sep = resourceParams.indexOf("|");
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(resourceParams.subList(0, sep));
        cmd.addAll(JDK17_OPTS);
        cmd.add("-Djava.io.tmpdir=" + baseDir.resolve("tmp"));
        cmd.add("-Dlog.file=" + logDir.resolve(role + ".log"));
        cmd.add("-Dlog4j.configurationFile=" + confDir.resolve("log4j.properties").toUri());
        cmd.add("-Dlog4j2.formatMsgNoLookups=true");
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(mainClass);
        cmd.add("--configDir");
        cmd.add(confDir.toString());
        cmd.addAll(resourceParams.subList(sep + 1, resourceParams.size()));
        try {
            Files.writeString(logDir.resolve(role + ".cmd"), String.join(" ", cmd) + "\n");
            return new ProcessBuilder(cmd).directory(baseDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(logDir.resolve(role + ".out").toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting the Flink " + role, e);
        }
    }

    private void awaitSlots(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            checkAlive();
            try {
                JsonNode o = get("/overview");
                if (o.path("taskmanagers").asInt() >= 1 && o.path("slots-total").asInt() >= options.slots()) {
                    return;
                }
                last = o.toString();
            } catch (IllegalStateException e) {
                last = e.getMessage();
            }
            sleep(250);
        }
        throw new IllegalStateException("Flink cluster not ready after " + timeout + " (" + last + "); TaskManager log: "
                + tailOf(logDir.resolve("taskmanager.log")) + tailOf(logDir.resolve("taskmanager.out")));
    }

    private void checkAlive() {
        for (Map.Entry<String, Process> e : Map.of("jobmanager", jobManager, "taskmanager", taskManager).entrySet()) {
            if (e.getValue() != null && !e.getValue().isAlive()) {
                throw new IllegalStateException("the Flink " + e.getKey() + " exited with code " + e.getValue().exitValue()
                        + ": " + tailOf(logDir.resolve(e.getKey() + ".out")) + tailOf(logDir.resolve(e.getKey() + ".log")));
            }
        }
    }

    // ------------------------------------------------------------------ REST

    /** Uploads a job jar ({@code POST /jars/upload}) and returns its jar id. */
    public String uploadJar(Path jar) {
        String boundary = "----datainsight" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                    + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.write(Files.readAllBytes(jar));
            body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + jar, e);
        }
        HttpRequest req = HttpRequest.newBuilder(restUri().resolve("/jars/upload")).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
        JsonNode rsp = send(req);
        String file = rsp.path("filename").asText("");
        if (!"success".equals(rsp.path("status").asText()) || file.isEmpty()) {
            throw new IllegalStateException("jar upload failed: " + rsp);
        }
        return Paths.get(file).getFileName().toString();
    }

    /**
     * Runs an uploaded jar ({@code POST /jars/:id/run}) and returns the job id.
     *
     * @param savepointPath a savepoint to restore from, or null for a fresh start
     */
    public String runJar(String jarId, List<String> programArgs, int parallelism, String savepointPath) {
        ObjectNode body = json.createObjectNode();
        body.putArray("programArgsList").addAll(programArgs.stream().map(json.getNodeFactory()::textNode).toList());
        body.put("parallelism", parallelism);
        if (savepointPath != null) {
            body.put("savepointPath", savepointPath);
            body.put("allowNonRestoredState", false);
        }
        JsonNode rsp = send(post("/jars/" + jarId + "/run", body, Duration.ofMinutes(2)));
        String id = rsp.path("jobid").asText("");
        if (id.isEmpty()) {
            throw new IllegalStateException("running jar " + jarId + " returned no job id: " + rsp);
        }
        return id;
    }

    /** The job's state ({@code RUNNING}, {@code CANCELED}, {@code FAILED}, ...). */
    public String jobState(String jobId) {
        return get("/jobs/" + jobId).path("state").asText();
    }

    /** The job's details ({@code GET /jobs/:id}). */
    public JsonNode jobDetails(String jobId) {
        return get("/jobs/" + jobId);
    }

    /** Waits until the job reaches {@code state}; fails early when it fails. */
    public void awaitJobState(String jobId, String state, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String s = "?";
        while (System.nanoTime() < deadline) {
            checkAlive();
            s = jobState(jobId);
            if (s.equals(state)) {
                return;
            }
            if (s.equals("FAILED") && !state.equals("FAILED")) {
                throw new IllegalStateException("job " + jobId + " FAILED: " + get("/jobs/" + jobId + "/exceptions").path("root-exception").asText());
            }
            sleep(200);
        }
        throw new IllegalStateException("job " + jobId + " is " + s + ", not " + state + ", after " + timeout);
    }

    /** Waits until every task of the job is RUNNING (the job state alone turns RUNNING earlier). */
    public void awaitAllTasksRunning(String jobId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            checkAlive();
            JsonNode d = jobDetails(jobId);
            if ("FAILED".equals(d.path("state").asText())) {
                awaitJobState(jobId, "RUNNING", Duration.ZERO);
            }
            boolean all = d.path("vertices").size() > 0;
            for (JsonNode v : d.path("vertices")) {
                all &= "RUNNING".equals(v.path("status").asText());
            }
            if (all) {
                return;
            }
            sleep(200);
        }
        throw new IllegalStateException("job " + jobId + " tasks not all running after " + timeout + ": " + jobDetails(jobId));
    }

    /** Number of completed checkpoints of a job. */
    public int completedCheckpoints(String jobId) {
        return get("/jobs/" + jobId + "/checkpoints").path("counts").path("completed").asInt();
    }

    /**
     * Triggers a savepoint ({@code POST /jobs/:id/savepoints}), optionally cancelling the job once
     * it is taken, waits for it and returns its location.
     */
    public String savepoint(String jobId, Path targetDir, boolean cancelJob) {
        ObjectNode body = json.createObjectNode();
        body.put("target-directory", targetDir.toUri().toString());
        body.put("cancel-job", cancelJob);
        body.put("formatType", "CANONICAL");
        String trigger = send(post("/jobs/" + jobId + "/savepoints", body, Duration.ofSeconds(30))).path("request-id").asText();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            JsonNode st = get("/jobs/" + jobId + "/savepoints/" + trigger);
            if ("COMPLETED".equals(st.path("status").path("id").asText())) {
                JsonNode op = st.path("operation");
                if (op.has("failure-cause")) {
                    throw new IllegalStateException("savepoint of job " + jobId + " failed: "
                            + op.path("failure-cause").path("stack-trace").asText(op.toString()).lines().findFirst().orElse(""));
                }
                return op.path("location").asText();
            }
            sleep(200);
        }
        throw new IllegalStateException("savepoint of job " + jobId + " did not complete within 2 minutes");
    }

    /** Cancels a job ({@code PATCH /jobs/:id?mode=cancel}) and waits until it is CANCELED. */
    public void cancel(String jobId) {
        HttpRequest req = HttpRequest.newBuilder(restUri().resolve("/jobs/" + jobId + "?mode=cancel"))
                .timeout(Duration.ofSeconds(30)).method("PATCH", HttpRequest.BodyPublishers.noBody()).build();
        send(req);
        awaitJobState(jobId, "CANCELED", Duration.ofMinutes(1));
    }

    /** {@code GET} a REST path and parse the JSON answer. */
    public JsonNode get(String path) {
        return send(HttpRequest.newBuilder(restUri().resolve(path)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    private HttpRequest post(String path, JsonNode body, Duration timeout) {
        try {
            return HttpRequest.newBuilder(restUri().resolve(path)).timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body))).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode send(HttpRequest req) {
        HttpResponse<String> rsp;
        try {
            rsp = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(req.method() + " " + req.uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (rsp.statusCode() / 100 != 2) {
            throw new IllegalStateException(req.method() + " " + req.uri() + " answered HTTP " + rsp.statusCode() + ": "
                    + tail(rsp.body(), 3000));
        }
        try {
            String b = rsp.body();
            return b == null || b.isBlank() ? json.createObjectNode() : json.readTree(b);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON from " + req.uri() + ": " + tail(rsp.body(), 300), e);
        }
    }

    // ------------------------------------------------------------------ shutdown

    @Override
    public void close() {
        destroyProcesses();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }

    private synchronized void destroyProcesses() {
        // TaskManager first, so the JobManager does not spend the shutdown restarting tasks.
        for (Process p : new Process[] {taskManager, jobManager}) {
            if (p == null) {
                continue;
            }
            p.destroy();
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        taskManager = null;
        jobManager = null;
    }

    // ------------------------------------------------------------------ helpers

    /** The cluster class path: what this module's build resolved, plus log4j next to log4j-api. */
    static String clusterClassPath() {
        String cp;
        try (InputStream in = FlinkStandaloneCluster.class.getResourceAsStream("flink-cluster-classpath.txt")) {
            if (in == null) {
                throw new IllegalStateException("flink-cluster-classpath.txt is missing from the embedded module; rebuild it with ./mvnw -pl embedded install");
            }
            cp = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> entries = new ArrayList<>(List.of(cp.split(java.io.File.pathSeparator)));
        for (String e : entries) {
            if (!Files.isRegularFile(Paths.get(e))) {
                throw new IllegalStateException("Flink cluster jar " + e + " is missing; run ./mvnw -pl embedded install");
            }
        }
        String api = entries.stream().filter(e -> e.contains("log4j-api-")).findFirst().orElse(null);
        if (api != null) {
            for (String a : List.of("log4j-core", "log4j-slf4j-impl")) {
                Path jar = Paths.get(api.replace("log4j-api", a));
                if (Files.isRegularFile(jar)) {
                    entries.add(jar.toString());
                }
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    private static String javaBinary() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String tailOf(Path f) {
        try {
            return Files.exists(f) ? "\n--- " + f.getFileName() + " ---\n" + tail(Files.readString(f), 3000) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(String s, int n) {
        if (s == null) {
            return "";
        }
        return s.length() <= n ? s : "..." + s.substring(s.length() - n);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
