package dev.datainsight.collector;

import java.util.Map;

/**
 * What the collector knows about one instance after its latest cycle.
 *
 * @param id instance id
 * @param up whether the last cycle reached the server
 * @param serverVersionNum server_version_num, 0 before the first connection
 * @param lastError the last connection error (null when connected)
 * @param probeErrors probe name → error message of that probe in its latest run
 * @param cycles fast-group cycles run so far
 * @param lastSqlState SQLSTATE of the last connection failure ({@code 53300} too many connections,
 *     {@code 57P03} starting up, {@code 28P01} authentication, {@code 3D000} no such database,
 *     {@code 08xxx} network), null when connected
 */
public record InstanceStatus(String id, boolean up, int serverVersionNum, String lastError,
        Map<String, String> probeErrors, long cycles, String lastSqlState) {}
