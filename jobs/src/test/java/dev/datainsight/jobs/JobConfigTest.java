package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.config.ConfigException;
import dev.datainsight.config.DurationSyntax;
import dev.datainsight.config.Problems;
import dev.datainsight.config.YamlDocument;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The job configuration: the example file, overrides, durations and errors that name the key. */
class JobConfigTest {
    static final Path EXAMPLE = Path.of("job.example.yaml");

    @Test
    void exampleFileLoads_withTheDocumentedDefaults() {
        JobConfig c = JobConfig.load(EXAMPLE, List.of());
        assertEquals("localhost:9092", c.kafka().bootstrapServers());
        assertEquals(List.of("datainsight.metrics", "datainsight.statements"), c.kafka().sourceTopics());
        assertEquals(Duration.ofSeconds(30), c.time().watermarkBound());
        assertEquals(Duration.ofMinutes(2), c.time().allowedLateness());
        assertEquals(null, c.runtime().stateBackend()); // the cluster's
        assertEquals(0, c.runtime().parallelism()); // flink run -p or the cluster's default
        assertEquals(128, c.runtime().maxParallelism());
        assertFalse(c.rules().enabled());
    }

    @Test
    void commandLineOverridesWin() {
        JobConfig c = JobConfig.load(EXAMPLE, List.of("kafka.bootstrapServers=broker:9093", "runtime.parallelism=4",
                "runtime.stateBackend=rocksdb", "rules.enabled=true", "time.allowedLateness=5m"));
        assertEquals("broker:9093", c.kafka().bootstrapServers());
        assertEquals(4, c.runtime().parallelism());
        assertEquals(JobConfig.StateBackend.ROCKSDB, c.runtime().stateBackend());
        assertTrue(c.rules().enabled());
        assertEquals(Duration.ofMinutes(5), c.time().allowedLateness());
    }

    @Test
    void noFileMeansDefaults() {
        JobConfig c = JobConfig.load(null, List.of());
        assertEquals(0, c.runtime().parallelism());
        assertEquals(2, c.runtime().parallelismOr(JobConfig.Runtime.EMBEDDED_PARALLELISM));
        assertEquals(128, c.runtime().maxParallelism());
        assertEquals(null, c.runtime().stateBackend());
        assertEquals(null, c.runtime().checkpointDir());
        assertEquals(JobConfig.StartingOffsets.COMMITTED, c.kafka().startingOffsets());
    }

    @Test
    void durationsInEveryAcceptedSpelling() {
        assertEquals(Duration.ofMillis(500), DurationSyntax.parse("500ms"));
        assertEquals(Duration.ofSeconds(30), DurationSyntax.parse("30s"));
        assertEquals(Duration.ofHours(1), DurationSyntax.parse("1h"));
        assertEquals(Duration.ofDays(2), DurationSyntax.parse("2d"));
        assertEquals(Duration.ofSeconds(30), DurationSyntax.parse("PT30S"));
    }

    @Test
    void badValuesFailWithTheKeyInTheMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JobConfig.load(EXAMPLE, List.of("time.watermark_bound=soon")));
        assertTrue(e.getMessage().contains("time.watermark_bound"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> JobConfig.load(EXAMPLE, List.of("runtime.state_backend=memory")));
        assertTrue(e.getMessage().contains("runtime.state_backend"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> JobConfig.load(EXAMPLE, List.of("kafka.nope=1")));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }

    @Test
    void camelCaseKeysStillWork_withOneDeprecationWarningPerKey() {
        YamlDocument doc = YamlDocument.parse("""
                kafka:
                  bootstrapServers: k:9092
                  properties: {max.poll.records: "500"}
                time: {maxGap: 10m}
                """, "job.yaml", null);
        Problems p = JobConfig.check(doc, List.of("store.batchRows=7"));
        assertTrue(p.errors().isEmpty(), p.errors().toString());
        assertEquals(List.of(
                "job.yaml:2:3: kafka.bootstrapServers: deprecated camelCase key, write kafka.bootstrap_servers"
                        + " (camelCase keys are accepted for one release)",
                "job.yaml:4:8: time.maxGap: deprecated camelCase key, write time.max_gap"
                        + " (camelCase keys are accepted for one release)",
                "--set store.batchRows=7: store.batchRows: deprecated camelCase key, write store.batch_rows"
                        + " (camelCase keys are accepted for one release)"),
                p.warnings().stream().map(Object::toString).toList());
    }

    @Test
    void aFileWithSixDifferentMistakes_reportsThemAllInOneRun_withLineAndColumn() {
        YamlDocument doc = YamlDocument.parse("""
                kafka:
                  bootstrap_servers: k:9092
                  starting_offset: earliest
                  max_record_bytes: huge
                store:
                  batch_rows: 0
                runtime:
                  state_backend: memory
                  checkpoint_interval: every now and then
                time:
                  idleness: -5s
                """, "job.yaml", null);
        String all = JobConfig.check(doc, List.of("runtime.parallelism=zero")).errors().toString();
        for (String expected : new String[] {
            "job.yaml:3:3: kafka.starting_offset: unknown key (valid keys: alerts_topic, bootstrap_servers, bounded,",
            "job.yaml:4:3: kafka.max_record_bytes: 'huge' is not a size",
            "job.yaml:6:3: store.batch_rows: must be at least 1, got 0",
            "job.yaml:8:3: runtime.state_backend: expected one of hashmap, rocksdb, got 'memory'",
            "job.yaml:9:3: runtime.checkpoint_interval: 'every now and then' is not a duration",
            "job.yaml:11:3: time.idleness: a duration must not be negative",
            "--set runtime.parallelism=zero: runtime.parallelism: expected a whole number, got 'zero'",
        }) {
            assertTrue(all.contains(expected), expected + "\n in: " + all);
        }
        ConfigException e = assertThrows(ConfigException.class, () -> JobConfig.load(null, List.of("time.max_gap=soon",
                "store.batch_rows=-1")));
        assertEquals(2, e.problems().size(), e.getMessage());
    }

    @Test
    void relativePathsResolveAgainstTheJobFile(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path sub = Files.createDirectories(dir.resolve("etc"));
        Files.writeString(sub.resolve("pw"), "secret\n");
        Path job = Files.writeString(sub.resolve("job.yaml"), "store: {password_file: pw}\nrules: {file: rules.yaml}\n");
        JobConfig c = JobConfig.load(job, List.of());
        assertEquals(sub.resolve("rules.yaml").toString(), c.rules().file());
        assertEquals("secret", c.store().password());
        assertEquals("x.yaml", JobConfig.load(job, List.of("rules.file=x.yaml")).rules().file(), "a --set path is the caller's");
    }

    @Test
    void anEmptySectionMeansItsDefaults(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        JobConfig c = JobConfig.load(Files.writeString(dir.resolve("job.yaml"), "kafka:\ntime:\n"), List.of());
        assertEquals(Duration.ofMinutes(5), c.time().maxGap());
        assertEquals("localhost:9092", c.kafka().bootstrapServers());
    }

    @Test
    void sourceTopicsAreAList_inTheFileAndOnTheCommandLine() {
        YamlDocument doc = YamlDocument.parse("kafka:\n  source_topics: [m1, s1, extra]\n", "job.yaml", null);
        assertTrue(JobConfig.check(doc, List.of()).warnings().isEmpty());
        JobConfig c = JobConfig.load(null, List.of("kafka.source_topics=[a, b]"));
        assertEquals(List.of("a", "b"), c.kafka().sourceTopics());
    }

    @Test
    void aCommaSeparatedTopicString_stillWorks_withOneDeprecationWarning() {
        YamlDocument doc = YamlDocument.parse("kafka:\n  source_topics: m1, s1\n", "job.yaml", null);
        Problems p = JobConfig.check(doc, List.of("kafka.alerts_topic=al"));
        assertTrue(p.errors().isEmpty(), p.errors().toString());
        assertEquals(List.of("job.yaml:2:3: kafka.source_topics: a comma-separated string is deprecated, write a list: [m1, s1]"),
                p.warnings().stream().map(Object::toString).toList());
        assertEquals(List.of("x", "y"), JobConfig.load(null, List.of("kafka.source_topics=x,y")).kafka().sourceTopics());
    }

    @Test
    void theFormerTopicKeys_becomeTheSourceTopics_withOneWarningEach() {
        YamlDocument doc = YamlDocument.parse("kafka:\n  metricsTopic: m1\n  statements_topic: s1\n", "job.yaml", null);
        Problems p = JobConfig.check(doc, List.of());
        assertTrue(p.errors().isEmpty(), p.errors().toString());
        assertEquals(List.of(
                "job.yaml:2:3: kafka.metricsTopic: deprecated camelCase key, write kafka.metrics_topic"
                        + " (camelCase keys are accepted for one release)",
                "job.yaml:2:3: kafka.metrics_topic: deprecated key, write kafka.source_topics: [metrics topic, statements topic]"
                        + " (accepted for one release)",
                "job.yaml:3:3: kafka.statements_topic: deprecated key, write kafka.source_topics: [metrics topic, statements topic]"
                        + " (accepted for one release)"),
                p.warnings().stream().map(Object::toString).toList());
        JobConfig c = JobConfig.load(null, List.of("kafka.statements_topic=s2"));
        assertEquals(List.of("datainsight.metrics", "s2"), c.kafka().sourceTopics());
    }

    @Test
    void sourceTopicMistakes_areReportedWithTheirPlace() {
        YamlDocument doc = YamlDocument.parse("""
                kafka:
                  metrics_topic: m1
                  source_topics: [m1]
                """, "job.yaml", null);
        assertEquals(List.of("job.yaml:2:3: kafka.metrics_topic: both kafka.metrics_topic and kafka.source_topics are set"
                        + " (keep kafka.source_topics)"),
                JobConfig.check(doc, List.of()).errors().stream().map(Object::toString).toList());
        doc = YamlDocument.parse("kafka:\n  source_topics: [a, '', a]\n", "job.yaml", null);
        assertEquals(List.of("job.yaml:2:22: kafka.source_topics[1]: a topic name must not be empty",
                        "job.yaml:2:26: kafka.source_topics[2]: topic a is listed twice"),
                JobConfig.check(doc, List.of()).errors().stream().map(Object::toString).toList());
        doc = YamlDocument.parse("kafka:\n  source_topics: []\n", "job.yaml", null);
        assertEquals(List.of("job.yaml:2:3: kafka.source_topics: must name at least one topic"
                        + " (e.g. [datainsight.metrics, datainsight.statements])"),
                JobConfig.check(doc, List.of()).errors().stream().map(Object::toString).toList());
    }

    @Test
    void aConfigurationIsImmutable_andEditedThroughCopies() {
        JobConfig a = JobConfig.defaults();
        JobConfig b = a.toBuilder().kafka(k -> k.bounded(true)).runtime(r -> r.parallelism(3)).build();
        assertFalse(a.kafka().bounded());
        assertEquals(0, a.runtime().parallelism());
        assertTrue(b.kafka().bounded());
        assertEquals(3, b.runtime().parallelism());
        assertEquals(a.time(), b.time());
        assertThrows(UnsupportedOperationException.class, () -> b.kafka().sourceTopics().add("x"));
        ConfigException e = assertThrows(ConfigException.class,
                () -> JobConfig.builder().store(s -> s.batchRows(0)).build().validate());
        assertTrue(e.getMessage().contains("store.batch_rows: must be at least 1, got 0"), e.getMessage());
    }

    @Test
    void maxFutureBeyondTheWatermarkBound_isRefusedAtLoad_withTheKeyAndTheBound() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> JobConfig.load(null, List.of("time.max_future=5m")));
        assertTrue(e.getMessage().contains("time.max_future: must not exceed time.watermark_bound (PT30S), got PT5M"),
                e.getMessage());
        assertTrue(e.getMessage().contains("raise time.watermark_bound to at least PT5M"), e.getMessage());
        // Equal is fine, and so is a wider bound.
        assertEquals(Duration.ofSeconds(30), JobConfig.load(null, List.of("time.max_future=30s")).time().maxFuture());
        assertEquals(Duration.ofMinutes(5), JobConfig.load(null, List.of("time.max_future=5m",
                "time.watermark_bound=5m")).time().maxFuture());
        // The defaults and the example file satisfy it.
        assertTrue(JobConfig.defaults().time().maxFuture().compareTo(JobConfig.defaults().time().watermarkBound()) <= 0);
        JobConfig.defaults().validate();
        assertEquals(Duration.ofSeconds(30), JobConfig.load(EXAMPLE, List.of()).time().maxFuture());
        // Unset, it follows the bound (the demo's 2 s bound needs no max_future of its own).
        assertEquals(Duration.ofSeconds(2), JobConfig.load(null, List.of("time.watermark_bound=2s")).time().maxFuture());
        // Code-built configurations are checked the same way.
        assertThrows(ConfigException.class, () -> JobConfig.builder().time(t -> t.maxFuture(Duration.ofMinutes(1)))
                .build().validate());
    }

    @Test
    void storeRetrySettings_haveDefaults_andBounds() {
        JobConfig c = JobConfig.load(EXAMPLE, List.of());
        assertEquals(5, c.store().retryAttempts());
        assertEquals(Duration.ofSeconds(1), c.store().retryBackoff());
        JobConfig o = JobConfig.load(null, List.of("store.retry_attempts=0", "store.retry_backoff=250ms"));
        assertEquals(0, o.store().retryAttempts());
        assertEquals(Duration.ofMillis(250), o.store().retryBackoff());
        ConfigException e = assertThrows(ConfigException.class,
                () -> JobConfig.load(null, List.of("store.retry_attempts=-1", "store.retry_backoff=1m")));
        assertTrue(e.getMessage().contains("store.retry_attempts: must be 0 (no retry) or more, got -1"), e.getMessage());
        assertTrue(e.getMessage().contains("store.retry_backoff: must be 0s to 30s, got PT1M"), e.getMessage());
    }

    @Test
    void kafkaPropertyOverrides_keepTheDotsOfThePropertyName() {
        JobConfig c = JobConfig.load(EXAMPLE, List.of("kafka.properties.security.protocol=SASL_SSL",
                "kafka.properties.sasl.mechanism=SCRAM-SHA-512", "kafka.properties.max.poll.records=0"));
        assertEquals("SASL_SSL", c.kafka().properties().get("security.protocol"));
        assertEquals("SCRAM-SHA-512", c.kafka().properties().get("sasl.mechanism"));
        assertEquals("0", c.kafka().properties().get("max.poll.records"));
    }
}
