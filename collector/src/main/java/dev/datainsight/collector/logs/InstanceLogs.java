package dev.datainsight.collector.logs;

import java.nio.file.Path;

/**
 * Log collection of one instance ({@code instances[].logs}).
 *
 * @param enabled off unless {@code enabled: true}
 * @param logDirectory co-located mode: the server's log directory on the collector's host, read
 *     directly; null for agentless mode ({@code pg_ls_logdir()} + {@code pg_read_binary_file})
 */
public record InstanceLogs(boolean enabled, Path logDirectory) {
    public static InstanceLogs off() {
        return new InstanceLogs(false, null);
    }

    /** Agentless: the files are read through the collector's connection. */
    public static InstanceLogs agentless() {
        return new InstanceLogs(true, null);
    }

    /** Co-located: the files are read from {@code dir} on this host. */
    public static InstanceLogs local(Path dir) {
        return new InstanceLogs(true, dir);
    }

    public boolean agentlessMode() {
        return logDirectory == null;
    }
}
