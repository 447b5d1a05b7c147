package dev.datainsight.advisor;

import java.util.function.LongSupplier;

/**
 * A token bucket of {@code perMinute} tokens refilled continuously at {@code perMinute} per
 * minute. {@link #tryAcquire()} never blocks: a caller without a token is answered
 * {@code RATE_LIMITED} instead of waiting.
 */
final class TokenBucket {
  private final double capacity;
  private final double tokensPerNano;
  private final LongSupplier nanoClock;
  private double tokens;
  private long last;

  TokenBucket(int perMinute, LongSupplier nanoClock) {
    this.capacity = perMinute;
    this.tokensPerNano = perMinute / 60e9;
    this.nanoClock = nanoClock;
    this.tokens = perMinute;
    this.last = nanoClock.getAsLong();
  }

  synchronized boolean tryAcquire() {
    refill();
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  /** The server said 429: spend what is left so the next calls wait for the refill. */
  synchronized void drain() {
    refill();
    tokens = 0;
  }

  private void refill() {
    long now = nanoClock.getAsLong();
    tokens = Math.min(capacity, tokens + (now - last) * tokensPerNano);
    last = now;
  }
}
