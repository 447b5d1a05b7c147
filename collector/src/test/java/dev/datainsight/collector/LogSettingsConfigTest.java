package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.logs.InstanceLogs;
import dev.datainsight.collector.logs.LogSettings;
import dev.datainsight.collector.logs.LogsProbe;
import dev.datainsight.logs.LogFormat;
import dev.datainsight.model.WireFormat;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fleet file's log settings, their defaults and checks, and the format choice. */
class LogSettingsConfigTest {

    @Test
    void logsAreOffByDefault_andConfiguredPerInstance_agentlessOrCoLocated() {
        FleetConfig c = FleetConfigTest.parse("""
                kafka: {logs_topic: my.logs}
                logs: {state_file: /var/lib/di/offsets.json, max_bytes_per_cycle: 262144, statement_text: false, max_entry_chars: 4096}
                instances:
                  - {id: a, url: "postgresql://h/app", user: mon}
                  - {id: b, url: "postgresql://h/app", user: mon, logs: {enabled: true}}
                  - {id: c, url: "postgresql://h/app", user: mon, logs: {enabled: true, log_directory: /var/log/postgresql}}
                """, Map.of());
        assertEquals(InstanceLogs.off(), c.instance("a").logs());
        assertEquals(InstanceLogs.agentless(), c.instance("b").logs());
        assertEquals(InstanceLogs.local(Path.of("/var/log/postgresql")), c.instance("c").logs());
        assertEquals(new LogSettings(Path.of("/var/lib/di/offsets.json"), 262_144, false, 4096), c.logs());
        assertEquals("my.logs", c.kafka().logsTopic());
    }

    @Test
    void defaults_andTheEnvironmentOverride() {
        FleetConfig c = FleetConfigTest.parse("""
                instances:
                  - {id: a, url: "postgresql://h/app", user: mon, logs: {enabled: true}}
                """, Map.of("DATAINSIGHT_LOGS_TOPIC", "env.logs"));
        assertEquals(LogSettings.DEFAULT_MAX_BYTES_PER_CYCLE, c.logs().maxBytesPerCycle());
        assertTrue(c.logs().statementText());
        assertEquals(Path.of(LogSettings.DEFAULT_STATE_FILE), c.logs().stateFile());
        assertEquals("env.logs", c.kafka().logsTopic());
        assertEquals(WireFormat.TOPIC_LOGS, FleetConfig.Kafka.defaults().logsTopic());
    }

    @Test
    void badValues_areErrorsAtTheirKey() {
        assertTrue(FleetConfigTest.error("""
                logs: {max_bytes_per_cycle: 10}
                instances:
                  - {id: a, url: "postgresql://h/app", user: mon}
                """).contains("logs.max_bytes_per_cycle: must be at least 1024"));
        assertTrue(FleetConfigTest.error("""
                instances:
                  - {id: a, url: "postgresql://h/app", user: mon, logs: {log_directory: /x}}
                """).contains("instances[0].logs.enabled: missing"));
    }

    @Test
    void theProbeIsAddedOnlyWhenAnInstanceCollectsItsLog_andTheSinkTakesBatches() {
        FleetConfig off = FleetConfigTest.parse("""
                instances:
                  - {id: a, url: "postgresql://h/app", user: mon}
                """, Map.of());
        FleetConfig on = FleetConfigTest.parse("""
                instances:
                  - {id: a, url: "postgresql://h/app", user: mon, logs: {enabled: true}}
                """, Map.of("X", "y"));
        SnapshotSink plain = s -> { };
        LogCollectionTest.Captured both = new LogCollectionTest.Captured();
        assertTrue(Collector.withLogs(List.of(), off, both).isEmpty());
        assertTrue(Collector.withLogs(List.of(), on, plain).isEmpty());
        assertEquals(LogsProbe.NAME, Collector.withLogs(List.of(), on, both).get(0).name());
    }

    @Test
    void theStructuredFormatIsPreferred_jsonlogFrom15() {
        assertEquals(LogFormat.STDERR, LogsProbe.format("stderr", 17));
        assertEquals(LogFormat.CSVLOG, LogsProbe.format("stderr,csvlog", 17));
        assertEquals(LogFormat.JSONLOG, LogsProbe.format("stderr,csvlog,jsonlog", 15));
        assertEquals(LogFormat.CSVLOG, LogsProbe.format("csvlog,jsonlog", 14));
        assertEquals(LogFormat.STDERR, LogsProbe.format("syslog", 17), "syslog: the stderr files, if any");
    }
}
