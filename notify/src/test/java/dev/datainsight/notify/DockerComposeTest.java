package dev.datainsight.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.jobs.JobConfig;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * docker-compose.yml cannot run here (no Docker engine), so this test parses it and checks that
 * it agrees with the build: image versions equal the pom's, the job jar path is the shaded jar's,
 * the job's {@code --set} keys exist, the CLI commands exist, every variable is in
 * {@code .env.example}, no password is written inline, health checks and dependencies hold.
 */
class DockerComposeTest {
    private static final Path ROOT = root();
    private static final YAMLMapper YAML = new YAMLMapper();

    private final JsonNode compose = read(ROOT.resolve("docker-compose.yml"));
    private final JsonNode services = compose.get("services");
    private final Map<String, String> pom = pomProperties(ROOT.resolve("pom.xml"));

    @Test
    void imagesMatchThePomVersions() {
        String flink = "flink:" + pom.get("flink.version") + "-java" + pom.get("maven.compiler.release");
        for (String s : List.of("jobmanager", "taskmanager", "job-submitter")) {
            assertEquals(flink, image(s), s);
        }
        String kafka = "apache/kafka:" + pom.get("kafka.version");
        assertEquals(kafka, image("kafka"));
        assertEquals(kafka, image("kafka-topics"));
        String pgMajor = pom.get("pg.default.version").split("\\.")[0];
        assertEquals("postgres:" + pgMajor, image("store"));
        assertEquals("postgres:" + pgMajor, image("monitored"));
        assertEquals("eclipse-temurin:" + pom.get("maven.compiler.release") + "-jre", image("collector"));
        assertEquals("eclipse-temurin:" + pom.get("maven.compiler.release") + "-jre", image("notifier"));
        assertTrue(image("builder").endsWith("-eclipse-temurin-" + pom.get("maven.compiler.release")), image("builder"));
    }

    @Test
    void monitoredServerPreloadsPgStatStatements_andGrantsPgMonitor() {
        List<String> cmd = strings(services.get("monitored").get("command"));
        assertTrue(cmd.contains("shared_preload_libraries=pg_stat_statements"), cmd.toString());
        String init = compose.get("configs").get("monitored-init").get("content").asText();
        assertTrue(init.contains("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"), init);
        assertTrue(init.contains("IN ROLE pg_monitor"), init);
    }

    @Test
    void jobSubmitterRunsTheShadedJar_withExistingConfigKeys_andParallelismEqualToPartitionsAndSlots() {
        List<String> cmd = strings(services.get("job-submitter").get("command"));
        assertEquals(List.of("flink", "run"), cmd.subList(0, 2));
        String jar = cmd.stream().filter(a -> a.endsWith(".jar")).findFirst().orElseThrow();
        assertEquals("/build/jobs/target/" + shadedJarName() + ".jar", jar);
        assertTrue(volumes("job-submitter").contains("build:/build:ro"));
        assertTrue(volumes("builder").contains("build:/build"), "the builder fills the volume the submitter reads");

        List<String> sets = new ArrayList<>();
        for (int i = 0; i < cmd.size() - 1; i++) {
            if (cmd.get(i).equals("--set")) {
                sets.add(cmd.get(i + 1));
            }
        }
        assertTrue(sets.size() >= 5, sets.toString());
        // The job's own parser accepts every override (unknown keys and bad values fail it).
        JobConfig job = JobConfig.load(null, sets.stream().map(s -> s.replace("${DATAINSIGHT_PARALLELISM:-2}", "2")).toList());
        assertEquals("kafka:9092", job.kafka().bootstrapServers());
        assertEquals(2, job.runtime().parallelism());
        assertTrue(job.rules().enabled());
        // Least privilege: the job holds the writer login; migrations run in the 'migrate' service as the owner login.
        assertFalse(job.store().migrateOnStart());
        assertEquals("datainsight_app", job.store().user());
        assertEquals("DATAINSIGHT_STORE_PASSWORD", job.store().passwordEnv());
        assertTrue(services.get("taskmanager").get("environment").has(job.store().passwordEnv()),
                "the TaskManagers open the store connections, so they need " + job.store().passwordEnv());
        String parallelism = "${DATAINSIGHT_PARALLELISM:-2}";
        assertEquals(parallelism, cmd.get(cmd.indexOf("--parallelism") + 1));
        assertTrue(sets.contains("runtime.parallelism=" + parallelism), sets.toString());
        assertEquals(parallelism, services.get("kafka-topics").get("environment").get("DATAINSIGHT_PARTITIONS").asText());
        assertTrue(services.get("taskmanager").get("environment").get("FLINK_PROPERTIES").asText()
                .contains("taskmanager.numberOfTaskSlots: " + parallelism));
        assertTrue(sets.contains("kafka.bootstrap_servers=kafka:9092"));
        assertTrue(sets.stream().anyMatch(s -> s.startsWith("store.jdbc_url=jdbc:postgresql://store:5432/")));
    }

    @Test
    void topicsCreatedAreTheWireFormatTopics() {
        String script = String.join(" ", strings(services.get("kafka-topics").get("command")));
        for (String t : List.of(dev.datainsight.model.WireFormat.TOPIC_METRICS, dev.datainsight.model.WireFormat.TOPIC_STATEMENTS,
                dev.datainsight.model.WireFormat.TOPIC_ALERTS, dev.datainsight.model.WireFormat.TOPIC_DEADLETTER)) {
            assertTrue(script.contains(t), t);
        }
    }

    @Test
    void cliCommandsUsedExistInTheCli() throws IOException {
        Set<String> names = new HashSet<>();
        Pattern p = Pattern.compile("@Command\\(\\s*name\\s*=\\s*\"([a-z-]+)\"");
        try (Stream<Path> files = Files.walk(ROOT.resolve("cli/src/main/java"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = p.matcher(Files.readString(f));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        for (String s : List.of("collector", "notifier", "migrate", "maintain")) {
            List<String> cmd = strings(services.get(s).get("command"));
            assertEquals("./datainsight", cmd.get(0), s);
            assertTrue(names.contains(cmd.get(1)), "no CLI command '" + cmd.get(1) + "' (used by service " + s + "); have " + names);
            assertEquals("1", services.get(s).get("environment").get("DATAINSIGHT_SKIP_BUILD").asText(),
                    s + " runs what the builder built");
            assertTrue(volumes(s).contains("m2:/root/.m2:ro"), s + " needs the Maven cache the class path points into");
        }
        List<String> maintain = strings(services.get("maintain").get("command"));
        assertEquals("15m", maintain.get(maintain.indexOf("--every") + 1), "maintenance runs in the deployment, every 15 minutes");
        List<String> collect = strings(services.get("collector").get("command"));
        assertEquals("/etc/datainsight/fleet.yaml", collect.get(collect.indexOf("--config") + 1));
        assertEquals("/etc/datainsight/fleet.yaml", services.get("collector").get("configs").get(0).get("target").asText());
        assertTrue(Files.isExecutable(ROOT.resolve("datainsight")));
    }

    @Test
    void fleetFileAddressesTheMonitoredService_withThePasswordFromTheEnvironment() throws IOException {
        JsonNode fleet = YAML.readTree(compose.get("configs").get("fleet").get("content").asText());
        JsonNode inst = fleet.get("instances").get(0);
        assertTrue(inst.get("url").asText().startsWith("jdbc:postgresql://monitored:5432/"), inst.toString());
        String env = inst.get("password_env").asText();
        assertTrue(services.get("collector").get("environment").has(env), "collector gets " + env);
        assertEquals("kafka:9092", fleet.get("kafka").get("bootstrap_servers").asText());
        // ... and the collector's own strict parser accepts it.
        FleetConfig parsed = FleetConfig.parse(new StringReader(compose.get("configs").get("fleet").get("content").asText()),
                "docker-compose.yml#configs.fleet", Map.of(env, "from-env"), null);
        assertEquals("monitored", parsed.instances().get(0).id());
        assertEquals("from-env", parsed.instances().get(0).password());
        assertEquals("kafka:9092", parsed.kafka().bootstrapServers());
    }

    @Test
    void longRunningServicesHaveHealthChecks_andDependenciesAreSatisfiable() {
        Iterator<Map.Entry<String, JsonNode>> it = services.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode svc = e.getValue();
            boolean oneShot = "no".equals(svc.path("restart").asText());
            if (!oneShot) {
                assertTrue(svc.has("healthcheck"), e.getKey() + " runs for good but has no healthcheck");
                assertEquals("unless-stopped", svc.path("restart").asText(), e.getKey());
            }
            Iterator<Map.Entry<String, JsonNode>> deps = svc.path("depends_on").fields();
            while (deps.hasNext()) {
                Map.Entry<String, JsonNode> d = deps.next();
                JsonNode target = services.get(d.getKey());
                assertNotNull(target, e.getKey() + " depends on unknown service " + d.getKey());
                String cond = d.getValue().path("condition").asText();
                if (cond.equals("service_healthy")) {
                    assertTrue(target.has("healthcheck"), d.getKey() + " has no healthcheck but " + e.getKey() + " waits for it");
                } else {
                    assertEquals("service_completed_successfully", cond, e.getKey() + " -> " + d.getKey());
                    assertEquals("no", target.path("restart").asText(), d.getKey() + " must be a one-shot");
                }
            }
        }
    }

    @Test
    void collectorAndNotifierHealthChecksCallTheirHealthEndpoints_andFlinkReportsToPrometheus() {
        for (String s : List.of("collector", "notifier")) {
            List<String> cmd = strings(services.get(s).get("command"));
            String listen = cmd.get(cmd.indexOf("--metrics-listen") + 1);
            String port = listen.substring(listen.lastIndexOf(':') + 1);
            List<String> test = strings(services.get(s).get("healthcheck").get("test"));
            assertEquals("CMD", test.get(0), s);
            assertEquals("java", test.get(1), s + ": the JRE image's own java, no curl or wget needed");
            String cp = test.get(test.indexOf("-cp") + 1);
            assertTrue(cp.startsWith("/build/") && volumes(s).contains("build:/build:ro"), s + " runs the check from the build volume");
            String main = test.get(test.indexOf("-cp") + 2);
            assertTrue(Files.exists(ROOT.resolve(cp.substring("/build/".length()).replace("target/classes", "src/main/java"))
                    .resolve(main.replace('.', '/') + ".java")), main + " is a class of " + cp);
            assertEquals("http://127.0.0.1:" + port + "/health", test.get(test.size() - 1), s);
            assertTrue(strings(services.get(s).path("expose")).contains(port), s + " exposes its metrics port");
        }
        for (String s : List.of("jobmanager", "taskmanager")) {
            String props = services.get(s).get("environment").get("FLINK_PROPERTIES").asText();
            assertTrue(props.contains("metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory"),
                    s + ": " + props);
            assertTrue(props.contains("metrics.reporter.prom.port: 9249"), s);
            assertTrue(strings(services.get(s).path("expose")).contains("9249"), s);
        }
    }

    @Test
    void volumesConfigsAndHostPortsAreConsistent() {
        Set<String> declaredVolumes = fieldNames(compose.get("volumes"));
        Set<String> declaredConfigs = fieldNames(compose.get("configs"));
        Set<String> hostPorts = new HashSet<>();
        Iterator<Map.Entry<String, JsonNode>> it = services.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            for (String v : volumes(e.getKey())) {
                String src = v.split(":")[0];
                if (!src.startsWith(".") && !src.startsWith("/")) {
                    assertTrue(declaredVolumes.contains(src), e.getKey() + " uses undeclared volume " + src);
                }
            }
            for (JsonNode c : e.getValue().path("configs")) {
                assertTrue(declaredConfigs.contains(c.get("source").asText()), e.getKey() + ": " + c);
            }
            for (String p : strings(e.getValue().path("ports"))) {
                String host = p.substring(0, p.lastIndexOf(':'));
                assertTrue(hostPorts.add(host), "host port " + host + " published twice");
            }
        }
        assertEquals(Set.of("29092", "${STORE_PORT:-5433}", "${MONITORED_PORT:-5434}", "8081"), hostPorts);
    }

    @Test
    void noInlineSecrets_andEveryVariableIsInEnvExample() throws IOException {
        String text = Files.readString(ROOT.resolve("docker-compose.yml"));
        Set<String> used = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?<!\\$)\\$\\{([A-Z0-9_]+)").matcher(stripComments(text));
        while (m.find()) {
            used.add(m.group(1));
        }
        Set<String> defined = new HashSet<>();
        for (String line : Files.readAllLines(ROOT.resolve(".env.example"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                defined.add(line.substring(0, line.indexOf('=')).strip());
            }
        }
        assertFalse(used.isEmpty());
        assertEquals(used, defined, "variables used by docker-compose.yml vs defined in .env.example");

        Iterator<Map.Entry<String, JsonNode>> it = services.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            Iterator<Map.Entry<String, JsonNode>> env = e.getValue().path("environment").fields();
            while (env.hasNext()) {
                Map.Entry<String, JsonNode> v = env.next();
                if (v.getKey().contains("PASSWORD")) {
                    assertTrue(v.getValue().asText().startsWith("${") && v.getValue().asText().contains(":?"),
                            e.getKey() + "." + v.getKey() + " must come from .env and be required, not inline");
                }
            }
        }
        assertFalse(Pattern.compile("(?m)^\\s*password\\s*:").matcher(text).find(), "no literal password keys in the file");
    }

    // ------------------------------------------------------------------ helpers

    private String image(String service) {
        JsonNode s = services.get(service);
        assertNotNull(s, "service " + service + " is missing");
        return s.get("image").asText();
    }

    private List<String> volumes(String service) {
        return strings(services.get(service).path("volumes"));
    }

    private static List<String> strings(JsonNode n) {
        List<String> l = new ArrayList<>();
        if (n != null) {
            n.forEach(x -> l.add(x.asText()));
        }
        return l;
    }

    private static Set<String> fieldNames(JsonNode n) {
        Set<String> s = new HashSet<>();
        n.fieldNames().forEachRemaining(s::add);
        return s;
    }

    private static String stripComments(String yaml) {
        StringBuilder sb = new StringBuilder();
        for (String line : yaml.split("\n")) {
            if (!line.stripLeading().startsWith("#")) {
                sb.append(line).append('\n');
            }
        }
        return sb.toString();
    }

    private String shadedJarName() {
        try {
            Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(ROOT.resolve("jobs/pom.xml").toFile());
            NodeList plugins = d.getElementsByTagName("plugin");
            for (int i = 0; i < plugins.getLength(); i++) {
                Element p = (Element) plugins.item(i);
                if (p.getElementsByTagName("artifactId").item(0).getTextContent().equals("maven-shade-plugin")) {
                    return p.getElementsByTagName("finalName").item(0).getTextContent().strip();
                }
            }
        } catch (Exception e) {
            throw new AssertionError("reading jobs/pom.xml", e);
        }
        throw new AssertionError("jobs/pom.xml has no maven-shade-plugin");
    }

    private static Map<String, String> pomProperties(Path pomFile) {
        try {
            Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pomFile.toFile());
            Element props = (Element) d.getElementsByTagName("properties").item(0);
            Map<String, String> m = new java.util.HashMap<>();
            NodeList kids = props.getChildNodes();
            for (int i = 0; i < kids.getLength(); i++) {
                if (kids.item(i) instanceof Element e) {
                    m.put(e.getTagName(), e.getTextContent().strip());
                }
            }
            return m;
        } catch (Exception e) {
            throw new AssertionError("reading " + pomFile, e);
        }
    }

    private static JsonNode read(Path p) {
        try {
            return YAML.readTree(p.toFile());
        } catch (IOException e) {
            throw new AssertionError("docker-compose.yml is not valid YAML: " + e.getMessage(), e);
        }
    }

    private static Path root() {
        Path here = Paths.get(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("docker-compose.yml")) && Files.exists(p.resolve("mvnw"))) {
                return p;
            }
        }
        throw new AssertionError("repository root (with docker-compose.yml) not found above " + here);
    }
}
