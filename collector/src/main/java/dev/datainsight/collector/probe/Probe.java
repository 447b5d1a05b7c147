package dev.datainsight.collector.probe;

import java.sql.SQLException;

/**
 * One catalog view read from one server. A probe holds its SQL variants keyed by minimum
 * {@code server_version_num}, maps older column names onto the PostgreSQL 17+ names of
 * {@link dev.datainsight.model.MetricCatalog}, and keeps NULL as null.
 *
 * <p>Implementations are stateless and thread-safe; per-server state (seen query ids, once-only
 * warnings) lives in the {@link ProbeContext}.
 */
public interface Probe {

    /** Probe name as it appears in the collector health rows; the catalog view name. */
    String name();

    /** Catalog view this probe emits (see {@link dev.datainsight.model.MetricCatalog}). */
    default String view() {
        return name();
    }

    /** Which schedule the probe runs on. */
    ProbeGroup group();

    /** Lowest {@code server_version_num} the probe supports; older servers skip it. */
    default int minServerVersion() {
        return 130000;
    }

    /**
     * Whether the probe runs for this instance at all; a probe that does not (the plans probe
     * unless enabled) gets no health row either.
     */
    default boolean enabledFor(ProbeContext ctx) {
        return true;
    }

    /**
     * Reads the view.
     *
     * @return the rows (and view-level extras), or {@link ProbeOutput#skipped(String)} when the
     *     probe does not apply (e.g. the extension is not installed)
     * @throws SQLException on any database error; the collector records it and goes on
     */
    ProbeOutput collect(ProbeContext ctx) throws SQLException;
}
