package dev.datainsight.store;

import java.time.Duration;

/** Rollup resolutions and their tables. */
public enum Resolution {
    MINUTE("metric_rollup_1m", Duration.ofMinutes(1)),
    HOUR("metric_rollup_1h", Duration.ofHours(1)),
    DAY("metric_rollup_1d", Duration.ofDays(1));

    private final String table;
    private final Duration width;

    Resolution(String table, Duration width) {
        this.table = table;
        this.width = width;
    }

    public String table() {
        return table;
    }

    public Duration width() {
        return width;
    }
}
