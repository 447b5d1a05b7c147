package dev.datainsight.collector;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The fleet file exactly as written (snake_case keys, every field optional), bound by the shared
 * {@link dev.datainsight.config.Binder}. {@link FleetConfigLoader} checks it and turns it into a
 * {@link FleetConfig}; nothing else reads it.
 *
 * @param defaults settings of every instance and session
 * @param kafka where to publish
 * @param workers worker threads (null: derived from the fleet size)
 * @param instances the servers
 * @param logs fleet-wide log collection settings
 * @param metricsListen where to serve {@code /metrics} and {@code /health} ({@code PORT} or
 *     {@code HOST:PORT}; null: off)
 */
public record FleetFile(Defaults defaults, Kafka kafka, Integer workers, List<Instance> instances, Logs logs,
        String metricsListen) {

    /** The {@code logs} section: fleet-wide log collection settings. */
    public record Logs(String stateFile, Integer maxBytesPerCycle, Boolean statementText, Integer maxEntryChars) {}

    /** {@code instances[].logs}: log collection of one server (off unless {@code enabled: true}). */
    public record InstanceLogs(Boolean enabled, String logDirectory) {}

    /** The {@code defaults} section. */
    public record Defaults(Intervals intervals, Duration sizesInterval, Duration statementTimeout, Duration lockTimeout,
            Duration connectTimeout, Duration maxBackoff, Integer maxDatabases, Integer topTables, Integer topIndexes,
            Integer topSequences, Integer topStatements, Integer queryTextMaxChars, Integer maxDatabaseRows,
            Boolean sessionQueryText, Integer sessionQueryTextMaxChars, String sslmode, String sslrootcert) {}

    /** {@code fast} / {@code slow} collection intervals. */
    public record Intervals(Duration fast, Duration slow) {}

    /** The {@code kafka} section. */
    public record Kafka(String bootstrapServers, String metricsTopic, String statementsTopic, Integer bufferRecords,
            String plansTopic, String logsTopic, Map<String, String> properties) {}

    /** One entry of {@code instances}: either {@code url} or {@code host}/{@code port}/{@code dbname}. */
    public record Instance(String id, String url, String host, Integer port, String dbname, String user, String password,
            String passwordEnv, String passwordFile, Map<String, String> labels, Intervals intervals, Plans plans, InstanceLogs logs) {}

    /** {@code instances[].plans}: the plans probe (off unless {@code enabled: true}). */
    public record Plans(Boolean enabled, Integer perCycle, Duration interval) {}
}
