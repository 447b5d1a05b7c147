package dev.datainsight.notify;

import java.time.Duration;

/**
 * How often and how patiently a delivery is retried: exponential backoff from
 * {@code initialBackoff}, multiplied by {@code multiplier} per attempt, capped at
 * {@code maxBackoff}; after {@code maxAttempts} attempts the event goes to the dead letter.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier) {

    /** 5 attempts, 500 ms doubling up to 30 s (about 8 s of waiting in all). */
    public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofMillis(500), Duration.ofSeconds(30), 2.0);

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1, got " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.isNegative()) {
            throw new IllegalArgumentException("backoff must not be negative");
        }
        if (multiplier < 1.0) {
            throw new IllegalArgumentException("multiplier must be >= 1, got " + multiplier);
        }
    }

    /** Wait before attempt {@code attempt + 1}, where {@code attempt} (1-based) just failed. */
    public Duration backoffAfter(int attempt) {
        double ms = initialBackoff.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
        return Duration.ofMillis((long) Math.min(ms, maxBackoff.toMillis()));
    }
}
