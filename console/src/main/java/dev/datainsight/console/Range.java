package dev.datainsight.console;

import java.time.Duration;

/**
 * The time ranges of the instance page and the rollup resolution each one reads: 1-minute rollups
 * up to a day (at most 1,440 points), hourly for a week (168), daily for 30 days (30).
 */
public enum Range {
    H1("1h", Duration.ofHours(1), Resolution.MINUTE),
    H6("6h", Duration.ofHours(6), Resolution.MINUTE),
    H24("24h", Duration.ofHours(24), Resolution.MINUTE),
    D7("7d", Duration.ofDays(7), Resolution.HOUR),
    D30("30d", Duration.ofDays(30), Resolution.DAY);

    /** Rollup tables; the only identifiers ever put into SQL text, and they are constants. */
    enum Resolution {
        MINUTE("1m", "metric_rollup_1m", 60), HOUR("1h", "metric_rollup_1h", 3600), DAY("1d", "metric_rollup_1d", 86400);

        final String label;
        final String table;
        final int seconds;

        Resolution(String label, String table, int seconds) {
            this.label = label;
            this.table = table;
            this.seconds = seconds;
        }
    }

    static final Range DEFAULT = H6;

    final String param;
    /** The range's length. */
    public final Duration length;
    final Resolution resolution;

    Range(String param, Duration length, Resolution resolution) {
        this.param = param;
        this.length = length;
        this.resolution = resolution;
    }

    /** The shortest range that still shows a moment {@code ago} before now, with some margin. */
    static Range covering(Duration ago) {
        for (Range r : values()) {
            if (r.length.compareTo(ago.multipliedBy(5).dividedBy(4).plusMinutes(5)) >= 0) {
                return r;
            }
        }
        return D30;
    }

    /** The range named by a query parameter; unknown or missing names give the default. */
    public static Range parse(String param) {
        for (Range r : values()) {
            if (r.param.equals(param)) {
                return r;
            }
        }
        return DEFAULT;
    }
}
