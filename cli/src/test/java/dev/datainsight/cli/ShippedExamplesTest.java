package dev.datainsight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.datainsight.config.Problem;
import dev.datainsight.config.YamlDocument;
import dev.datainsight.jobs.JobConfig;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every configuration file the project ships passes {@code check} with no error and no warning
 * other than unset environment variables: the example files, every *.yaml under src/, the
 * demo's rules, the docker-compose configs and --set overrides, and the yaml blocks of docs/.
 */
class ShippedExamplesTest {
    /** A yaml block that starts a Kubernetes manifest. */
    static final Pattern KUBERNETES = Pattern.compile("\\A(\\s*#.*\\n)*apiVersion: ");
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static void assertClean(ConfigCheck.Result r) {
        assertTrue(r.kind() != null, r.source() + ": kind not recognised");
        assertEquals(List.of(), r.errors(), r.source());
        for (Problem w : r.warnings()) {
            assertTrue(w.message().contains("environment variable") || w.message().contains("cannot read /run/secrets/"),
                    r.source() + ": unexpected warning " + w);
        }
    }

    @Test
    void exampleFilesAndEveryYamlUnderSrc() throws Exception {
        List<Path> files = new ArrayList<>(List.of(ROOT.resolve("collector/fleet.example.yaml"),
                ROOT.resolve("jobs/job.example.yaml"), ROOT.resolve("rules/rules.example.yaml")));
        try (Stream<Path> s = Files.walk(ROOT)) {
            s.filter(p -> p.toString().contains("/src/") && !p.toString().contains("/target/"))
                    .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .forEach(files::add);
        }
        assertTrue(files.stream().anyMatch(p -> p.endsWith("demo-rules.yaml")), files.toString());
        for (Path f : files) {
            ConfigCheck.Result r = ConfigCheck.check(f, null, Map.of());
            assertClean(r);
        }
        assertEquals(ConfigCheck.Kind.FLEET, ConfigCheck.check(files.get(0), null, Map.of()).kind());
        assertEquals(ConfigCheck.Kind.JOB, ConfigCheck.check(files.get(1), null, Map.of()).kind());
        assertEquals(ConfigCheck.Kind.RULES, ConfigCheck.check(files.get(2), null, Map.of()).kind());
    }

    @Test
    void theDemoRulesOnTheClassPath() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/dev/datainsight/cli/demo/demo-rules.yaml")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertClean(ConfigCheck.check(text, "demo-rules.yaml", null, ConfigCheck.Kind.RULES, Map.of()));
        }
    }

    @Test
    void dockerComposeFleetAndJobOverrides() throws Exception {
        JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("docker-compose.yml").toFile());
        String fleet = compose.get("configs").get("fleet").get("content").asText();
        assertClean(ConfigCheck.check(fleet, "docker-compose.yml#configs.fleet", null, null, Map.of()));
        List<String> sets = new ArrayList<>();
        JsonNode cmd = compose.get("services").get("job-submitter").get("command");
        for (int i = 0; i < cmd.size() - 1; i++) {
            if (cmd.get(i).asText().equals("--set")) {
                sets.add(cmd.get(i + 1).asText().replace("${DATAINSIGHT_PARALLELISM:-2}", "2"));
            }
        }
        assertTrue(sets.size() >= 5, sets.toString());
        var problems = JobConfig.check(YamlDocument.empty("docker-compose.yml"), sets);
        assertEquals(List.of(), problems.errors());
        assertEquals(List.of(), problems.warnings(), "the compose file uses the snake_case keys");
    }

    @Test
    void yamlBlocksOfTheDocs() throws Exception {
        Pattern block = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL);
        int n = 0;
        try (Stream<Path> s = Files.list(ROOT.resolve("docs"))) {
            for (Path md : s.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
                Matcher m = block.matcher(Files.readString(md));
                int i = 0;
                while (m.find()) {
                    String where = md.getFileName() + "#yaml" + i++;
                    if (KUBERNETES.matcher(m.group(1)).find()) {
                        // A Kubernetes manifest (operations.md's CronJob), not a DataInsight file:
                        // it must still be valid YAML with its kind.
                        JsonNode k8s = new ObjectMapper(new YAMLFactory()).readTree(m.group(1));
                        assertTrue(k8s.hasNonNull("kind") && k8s.hasNonNull("spec"), where + ": " + k8s);
                        continue;
                    }
                    n++;
                    assertClean(ConfigCheck.check(m.group(1), where, null, null, Map.of()));
                }
            }
        }
        assertTrue(n >= 3, "docs/configuration.md shows one file of each kind; found " + n + " yaml blocks");
    }
}
