package dev.datainsight.collector.probe;

import java.time.Duration;
import java.util.Objects;

/**
 * The plans probe of one instance (fleet file {@code instances[].plans}).
 *
 * @param enabled whether the probe runs at all (default off: it explains statements, which needs
 *     a role that may read the tables)
 * @param perCycle statements explained per slow cycle at most (default 5)
 * @param interval a statement is explained at most once per this interval (default 15 min)
 */
public record PlansSettings(boolean enabled, int perCycle, Duration interval) {
    public static final int DEFAULT_PER_CYCLE = 5;
    public static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(15);

    public PlansSettings {
        Objects.requireNonNull(interval, "interval");
        if (perCycle < 1) {
            throw new IllegalArgumentException("plans.per_cycle must be at least 1, got " + perCycle);
        }
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("plans.interval must be positive");
        }
    }

    /** Off, K = 5, every 15 min. */
    public static PlansSettings defaults() {
        return new PlansSettings(false, DEFAULT_PER_CYCLE, DEFAULT_INTERVAL);
    }

    /** On, with the default bounds. */
    public static PlansSettings on() {
        return new PlansSettings(true, DEFAULT_PER_CYCLE, DEFAULT_INTERVAL);
    }
}
