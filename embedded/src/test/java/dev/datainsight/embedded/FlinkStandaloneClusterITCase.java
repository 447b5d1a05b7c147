package dev.datainsight.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Starts a real standalone session cluster (two JVMs) and checks, through its REST API, that the
 * TaskManager registered with the configured slots and the web submission endpoints exist; then
 * that closing it ends both JVMs.
 */
class FlinkStandaloneClusterITCase {

    @Test
    void startsJobManagerAndTaskManagerAsTwoJvms_withSlotsAndJarUploadEndpoint() throws Exception {
        Path dir = KafkaExtension.tmpBase().resolve("flink-" + UUID.randomUUID());
        List<ProcessHandle> handles;
        try (FlinkStandaloneCluster c = FlinkStandaloneCluster.start(dir)) {
            JsonNode overview = c.get("/overview");
            assertEquals(1, overview.path("taskmanagers").asInt(), overview.toString());
            assertEquals(2, overview.path("slots-total").asInt(), overview.toString());
            assertEquals("2.2.1", overview.path("flink-version").asText(), overview.toString());
            assertEquals(2, c.pids().size());
            assertEquals(0, c.get("/jars").path("files").size(), "the web submission handler is there (flink-runtime-web)");
            assertTrue(Files.readString(dir.resolve("conf/config.yaml")).contains("taskmanager.numberOfTaskSlots: 2"));
            handles = c.pids().stream().map(p -> ProcessHandle.of(p).orElseThrow()).toList();
            assertTrue(handles.stream().allMatch(ProcessHandle::isAlive));
        }
        for (ProcessHandle h : handles) {
            assertFalse(h.isAlive(), "JVM " + h.pid() + " still running after close()");
        }
    }
}
