package dev.datainsight.advisor;

import java.util.Objects;

/**
 * What an answer is cached under: the statement ({@code pg_stat_statements.queryid}) and the
 * fingerprint of the plan it ran with. A new plan is a new question, so it gets a new key.
 */
public record CacheKey(long queryId, String planFingerprint) {
  public CacheKey {
    Objects.requireNonNull(planFingerprint, "planFingerprint");
  }

  @Override
  public String toString() {
    return queryId + "/" + planFingerprint;
  }
}
