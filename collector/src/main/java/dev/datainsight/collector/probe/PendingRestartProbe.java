package dev.datainsight.collector.probe;

/**
 * {@code pg_settings_pending_restart}: the settings changed in the configuration files and
 * reloaded that take effect only at the next restart ({@code pg_settings.pending_restart}), one
 * row per setting ({@code pending_restart = 1}), no rows when there is none; at most
 * {@link #MAX_ROWS}. {@code pg_settings.pending_restart_settings} carries the count. Same SQL on
 * 13..18; pg_settings is readable by every role.
 */
public final class PendingRestartProbe extends QueryProbe {
    /** Rows per snapshot at most (PostgreSQL has about 80 settings that need a restart). */
    public static final int MAX_ROWS = 100;

    public PendingRestartProbe() {
        super("pg_settings_pending_restart", ProbeGroup.SLOW, SqlVariants.single("pg_settings_pending_restart", """
                SELECT s.name, s.pending_restart
                FROM pg_catalog.pg_settings s
                WHERE s.pending_restart
                ORDER BY s.name
                LIMIT %d""".formatted(MAX_ROWS)));
    }
}
