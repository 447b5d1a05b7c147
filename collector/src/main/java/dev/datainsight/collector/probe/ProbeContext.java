package dev.datainsight.collector.probe;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What a probe may use while it runs against one server in one cycle. */
public interface ProbeContext {

    /** Instance id from the fleet file. */
    String instanceId();

    /** {@code server_version_num} of the server, e.g. 170011. */
    int serverVersionNum();

    /** The connection to the instance's configured database (read-only, with timeouts). */
    Connection connection();

    /** Limits from the configuration. */
    ProbeLimits limits();

    /**
     * The databases per-database probes visit this cycle: connectable, non-template databases,
     * the configured one first, then by activity, at most {@link ProbeLimits#maxDatabases()}.
     */
    List<String> databases() throws SQLException;

    /** A connection to another database of the same server, opened on first use and reused. */
    Connection connection(String database) throws SQLException;

    /**
     * Query ids whose text reached Kafka for this instance (bounded; the collector adds an id once
     * the snapshot carrying its text was acknowledged, so a dropped snapshot's texts are read again).
     */
    Set<String> seenQueryIds();

    /** The instance's plans probe settings (off by default). */
    default PlansSettings plans() {
        return PlansSettings.defaults();
    }

    /** Bounds of the per-session detail probes. */
    default SessionLimits sessionLimits() {
        return SessionLimits.defaults();
    }

    /**
     * Scratch space that lives for one collection cycle of this instance, so probes of the same
     * cycle can share one read (the lock graph is read once for pg_locks and the session detail).
     * The default gives a fresh map on every call: nothing is shared.
     */
    default Map<String, Object> cycleScratch() {
        return new HashMap<>();
    }

    /**
     * State a probe keeps for this instance between cycles, created on first use and kept for
     * the life of the instance's session (across reconnects). The probe documents its bound.
     */
    default <T> T state(Class<T> type, java.util.function.Supplier<T> create) {
        throw new UnsupportedOperationException("this context keeps no probe state");
    }

    /** Logs a warning the first time {@code key} is seen for this instance; later calls are silent. */
    void warnOnce(String key, String message);
}
