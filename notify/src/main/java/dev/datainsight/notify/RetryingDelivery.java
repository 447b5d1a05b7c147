package dev.datainsight.notify;

import dev.datainsight.model.AlertEvent;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one event to one notifier under a {@link RetryPolicy}: retryable failures are tried
 * again after a growing backoff, a non-retryable one ends the attempts at once.
 */
public final class RetryingDelivery {
    private static final Logger LOG = LoggerFactory.getLogger(RetryingDelivery.class);

    /** How one delivery ended. */
    public sealed interface Outcome {}

    /** Delivered after {@code attempts} attempts. */
    public record Delivered(int attempts) implements Outcome {}

    /** Given up after {@code attempts} attempts; {@code error} is the last failure. */
    public record GaveUp(int attempts, String error) implements Outcome {}

    /** The consumer is stopping: neither delivered nor given up; the record will be read again. */
    public record Interrupted(int attempts) implements Outcome {}

    private final RetryPolicy policy;
    private final BooleanSupplier stopping;
    private final Object sleepLock = new Object();

    public RetryingDelivery(RetryPolicy policy, BooleanSupplier stopping) {
        this.policy = policy;
        this.stopping = stopping;
    }

    public Outcome deliver(Notifier target, AlertEvent event) {
        String lastError = null;
        for (int attempt = 1; attempt <= policy.maxAttempts(); attempt++) {
            if (stopping.getAsBoolean()) {
                return new Interrupted(attempt - 1);
            }
            try {
                target.deliver(event);
                if (attempt > 1) {
                    LOG.info("delivered {} to {} on attempt {}", event.getFingerprint(), target.name(), attempt);
                }
                return new Delivered(attempt);
            } catch (DeliveryException e) {
                lastError = e.getMessage();
                if (!e.retryable()) {
                    LOG.warn("{} refused {} for good: {}", target.name(), event.getFingerprint(), lastError);
                    return new GaveUp(attempt, lastError);
                }
                if (attempt < policy.maxAttempts()) {
                    long wait = policy.backoffAfter(attempt).toMillis();
                    LOG.warn("delivering {} to {} failed (attempt {}/{}), retrying in {} ms: {}", event.getFingerprint(),
                            target.name(), attempt, policy.maxAttempts(), wait, lastError);
                    if (!pause(wait)) {
                        return new Interrupted(attempt);
                    }
                }
            } catch (RuntimeException e) {
                // A bug in a target must not kill the loop; treat it as a permanent refusal.
                lastError = e.toString();
                LOG.error("{} threw while delivering {}", target.name(), event.getFingerprint(), e);
                return new GaveUp(attempt, lastError);
            }
        }
        return new GaveUp(policy.maxAttempts(), lastError);
    }

    /** Wakes a backoff wait (called when stopping). */
    public void wake() {
        synchronized (sleepLock) {
            sleepLock.notifyAll();
        }
    }

    private boolean pause(long ms) {
        long end = System.currentTimeMillis() + ms;
        synchronized (sleepLock) {
            while (!stopping.getAsBoolean()) {
                long left = end - System.currentTimeMillis();
                if (left <= 0) {
                    return true;
                }
                try {
                    sleepLock.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }
}
