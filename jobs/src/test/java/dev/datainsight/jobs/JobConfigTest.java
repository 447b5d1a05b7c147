package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        assertEquals("localhost:9092", c.kafka.bootstrapServers);
        assertEquals("datainsight.metrics", c.kafka.metricsTopic);
        assertEquals(Duration.ofSeconds(30), JobConfig.duration(c.time.watermarkBound));
        assertEquals(Duration.ofMinutes(2), JobConfig.duration(c.time.allowedLateness));
        assertEquals("hashmap", c.runtime.stateBackend);
        assertFalse(c.rules.enabled);
    }

    @Test
    void commandLineOverridesWin() {
        JobConfig c = JobConfig.load(EXAMPLE, List.of("kafka.bootstrapServers=broker:9093", "runtime.parallelism=4",
                "runtime.stateBackend=rocksdb", "rules.enabled=true", "time.allowedLateness=5m"));
        assertEquals("broker:9093", c.kafka.bootstrapServers);
        assertEquals(4, c.runtime.parallelism);
        assertEquals("rocksdb", c.runtime.stateBackend);
        assertTrue(c.rules.enabled);
        assertEquals(Duration.ofMinutes(5), JobConfig.duration(c.time.allowedLateness));
    }

    @Test
    void noFileMeansDefaults() {
        JobConfig c = JobConfig.load(null, List.of());
        assertEquals(2, c.runtime.parallelism);
        assertEquals("committed", c.kafka.startingOffsets);
    }

    @Test
    void durationsInEveryAcceptedSpelling() {
        assertEquals(Duration.ofMillis(500), JobConfig.duration("500ms"));
        assertEquals(Duration.ofSeconds(30), JobConfig.duration("30s"));
        assertEquals(Duration.ofHours(1), JobConfig.duration("1h"));
        assertEquals(Duration.ofDays(2), JobConfig.duration("2d"));
        assertEquals(Duration.ofSeconds(30), JobConfig.duration("PT30S"));
    }

    @Test
    void badValuesFailWithTheKeyInTheMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JobConfig.load(EXAMPLE, List.of("time.watermarkBound=soon")));
        assertTrue(e.getMessage().contains("time.watermarkBound"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> JobConfig.load(EXAMPLE, List.of("runtime.stateBackend=memory")));
        assertTrue(e.getMessage().contains("runtime.stateBackend"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> JobConfig.load(EXAMPLE, List.of("kafka.nope=1")));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }
}
