package dev.datainsight.advisor;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the advisor. The advisor is off unless {@code enabled} is set.
 *
 * @param enabled off by default; when off, {@link LlmAdvisor#advise} answers {@code DISABLED}
 *     without any request
 * @param baseUrl the OpenAI-compatible API root, e.g. {@code https://api.openai.com/v1},
 *     {@code http://localhost:11434/v1} (Ollama) or {@code http://vllm:8000/v1}
 * @param model the model name sent in each request
 * @param apiKey the key ({@link ApiKey#fromEnv}, {@link ApiKey#fromFile}); never printed
 * @param timeout the whole request, from submission to the validated answer
 * @param maxConcurrent requests in flight at once; more wait in a queue of {@code queueCapacity}
 * @param queueCapacity waiting requests beyond which a call is answered {@code RATE_LIMITED}
 * @param requestsPerMinute token-bucket rate (burst = the same number)
 * @param cacheTtl how long an answer (accepted or rejected) is reused for the same key
 * @param minConfidence the gate: a combined confidence below it is not shown as advice
 * @param maxPlanChars the plan is cut to this many characters in the prompt
 */
public record AdvisorConfig(
    boolean enabled,
    String baseUrl,
    String model,
    ApiKey apiKey,
    Duration timeout,
    int maxConcurrent,
    int queueCapacity,
    int requestsPerMinute,
    Duration cacheTtl,
    double minConfidence,
    int maxPlanChars) {

  public AdvisorConfig {
    Objects.requireNonNull(baseUrl, "baseUrl");
    Objects.requireNonNull(model, "model");
    apiKey = apiKey == null ? ApiKey.none() : apiKey;
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(cacheTtl, "cacheTtl");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("advisor timeout must be positive: " + timeout);
    }
    if (maxConcurrent < 1 || queueCapacity < 0 || requestsPerMinute < 1 || maxPlanChars < 0) {
      throw new IllegalArgumentException(
          "advisor limits must be positive (maxConcurrent, requestsPerMinute) or non-negative (queueCapacity, maxPlanChars)");
    }
    if (!(minConfidence >= 0 && minConfidence <= 1)) {
      throw new IllegalArgumentException("advisor minConfidence must be in [0,1]: " + minConfidence);
    }
  }

  /** Defaults: off, 20 s timeout, 2 in flight, 16 queued, 20 requests/min, 24 h cache, gate 0.6. */
  public static AdvisorConfig defaults(String baseUrl, String model, ApiKey key) {
    return new AdvisorConfig(false, baseUrl, model, key, Duration.ofSeconds(20), 2, 16, 20,
        Duration.ofHours(24), 0.6, 20_000);
  }

  public AdvisorConfig withEnabled(boolean on) {
    return new AdvisorConfig(on, baseUrl, model, apiKey, timeout, maxConcurrent, queueCapacity,
        requestsPerMinute, cacheTtl, minConfidence, maxPlanChars);
  }

  public AdvisorConfig withTimeout(Duration t) {
    return new AdvisorConfig(enabled, baseUrl, model, apiKey, t, maxConcurrent, queueCapacity,
        requestsPerMinute, cacheTtl, minConfidence, maxPlanChars);
  }

  public AdvisorConfig withRequestsPerMinute(int rpm) {
    return new AdvisorConfig(enabled, baseUrl, model, apiKey, timeout, maxConcurrent, queueCapacity,
        rpm, cacheTtl, minConfidence, maxPlanChars);
  }

  public AdvisorConfig withCacheTtl(Duration ttl) {
    return new AdvisorConfig(enabled, baseUrl, model, apiKey, timeout, maxConcurrent, queueCapacity,
        requestsPerMinute, ttl, minConfidence, maxPlanChars);
  }
}
