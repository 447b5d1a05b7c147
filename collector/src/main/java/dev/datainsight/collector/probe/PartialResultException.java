package dev.datainsight.collector.probe;

import java.sql.SQLException;

/**
 * Thrown by a probe that read part of its data (e.g. some databases failed): the collector
 * publishes {@link #partial()} and still reports the error in the health rows.
 */
public final class PartialResultException extends SQLException {
    private static final long serialVersionUID = 1L;
    private final transient ProbeOutput partial;

    public PartialResultException(ProbeOutput partial, SQLException cause) {
        super(cause.getMessage(), cause.getSQLState(), cause);
        this.partial = partial;
    }

    public ProbeOutput partial() {
        return partial;
    }
}
