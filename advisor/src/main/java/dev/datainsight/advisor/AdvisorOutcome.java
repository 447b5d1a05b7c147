package dev.datainsight.advisor;

import java.time.Instant;

/**
 * The result of one advisor call; it never throws, every failure is one of these. Only
 * {@link Kind#ACCEPTED} carries advice that may be shown. A rejected answer keeps its reason and
 * the raw answer (for a store sink to write), but {@link #advice()} is null for it.
 *
 * @param key the (queryid, plan fingerprint) asked about
 * @param kind what happened
 * @param reason for {@code REJECTED}, which check failed (see {@link RejectReason}); else null
 * @param detail a short, key-free explanation (an HTTP status, the failing field, ...)
 * @param advice the validated advice, only for {@code ACCEPTED}
 * @param rawAnswer the model's message content as received (for audit), null when none came
 * @param modelConfidence the confidence the model gave, NaN when there is none
 * @param finalConfidence the gated confidence ({@link ConfidenceGate}), NaN when not computed
 * @param at when the outcome was made
 */
public record AdvisorOutcome(
    CacheKey key,
    Kind kind,
    RejectReason reason,
    String detail,
    Advice advice,
    String rawAnswer,
    double modelConfidence,
    double finalConfidence,
    Instant at) {

  public enum Kind {
    /** Valid, within the evidence, above the confidence gate: may be shown as advice. */
    ACCEPTED,
    /** The answer is JSON but fails the schema, the evidence check or the gate. */
    REJECTED,
    /** The model's content (or the response envelope) is not parseable JSON. */
    MALFORMED,
    /** No answer within the configured timeout. */
    TIMEOUT,
    /** The endpoint answered an HTTP error (other than 429) or could not be reached. */
    HTTP_ERROR,
    /** The local token bucket or queue is full, or the endpoint answered 429. */
    RATE_LIMITED,
    /** The advisor is off (the default): no request was made. */
    DISABLED
  }

  /** Why an answer was rejected; the wire names are the lower-case enum names. */
  public enum RejectReason {
    UNKNOWN_FIELD, MISSING_FIELD, WRONG_TYPE, TOO_LONG, BAD_ENUM, CONFIDENCE_OUT_OF_RANGE,
    UNKNOWN_IDENTIFIER, UNPARSEABLE_SQL, LOW_CONFIDENCE
  }

  public boolean isAdvice() {
    return kind == Kind.ACCEPTED && advice != null;
  }

  /** The counter label: the kind, and for rejections the reason ({@code rejected:unknown_identifier}). */
  public String label() {
    String k = kind.name().toLowerCase(java.util.Locale.ROOT);
    return reason == null ? k : k + ":" + reason.name().toLowerCase(java.util.Locale.ROOT);
  }

  static AdvisorOutcome failure(CacheKey key, Kind kind, String detail) {
    return new AdvisorOutcome(key, kind, null, detail, null, null, Double.NaN, Double.NaN, Instant.now());
  }
}
