package dev.datainsight.advisor;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.datainsight.advisor.AdvisorOutcome.Kind;
import dev.datainsight.advisor.AdvisorOutcome.RejectReason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Validates a model's answer: strict JSON (no trailing text, no duplicate keys) matching exactly
 *
 * <pre>
 * {"summary": string ≤ 500, "explanation": string ≤ 4000,
 *  "actions": [{"kind": "create_index"|"analyze"|"set_work_mem"|"rewrite_query"|"other",
 *               "target": string, "sql": string|null (optional), "why": string}],
 *  "confidence": number in [0,1]}
 * </pre>
 *
 * with no other field; then every action's {@code target} and {@code sql} may name only what
 * the evidence holds ({@link EvidenceNames}); then the {@link ConfidenceGate}. The checks are
 * explicit Jackson code rather than a JSON-schema library: the schema is small, and each check
 * yields its own {@link RejectReason}.
 */
public final class AdviceValidator {
  static final int MAX_SUMMARY = 500;
  static final int MAX_EXPLANATION = 4000;
  static final int MAX_ACTIONS = 20;
  static final int MAX_ACTION_TEXT = 4000;

  private static final Set<String> TOP = Set.of("summary", "explanation", "actions", "confidence");
  private static final Set<String> ACTION = Set.of("kind", "target", "sql", "why");

  private static final ObjectMapper STRICT = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private final ConfidenceGate gate;

  public AdviceValidator(ConfidenceGate gate) {
    this.gate = gate;
  }

  /** The outcome for {@code content} (the model's message) about {@code evidence}. */
  public AdvisorOutcome validate(EvidenceBundle evidence, String content) {
    CacheKey key = evidence.cacheKey();
    JsonNode root;
    try {
      root = content == null ? null : STRICT.readTree(content);
    } catch (JsonProcessingException e) {
      return new AdvisorOutcome(key, Kind.MALFORMED, null,
          "content is not JSON (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")",
          null, content, Double.NaN, Double.NaN, Instant.now());
    }
    if (root == null || root.isMissingNode() || !root.isObject()) {
      return new AdvisorOutcome(key, Kind.MALFORMED, null, "content is not a JSON object",
          null, content, Double.NaN, Double.NaN, Instant.now());
    }
    Rejection r = new Rejection(key, content);

    Optional<AdvisorOutcome> fields = exactFields(root, TOP, Set.of(), "answer", r);
    if (fields.isPresent()) {
      return fields.get();
    }
    JsonNode conf = root.get("confidence");
    if (!conf.isNumber()) {
      return r.reject(RejectReason.WRONG_TYPE, "confidence must be a number", Double.NaN);
    }
    double mc = conf.asDouble();
    if (!(mc >= 0 && mc <= 1)) {
      return r.reject(RejectReason.CONFIDENCE_OUT_OF_RANGE, "confidence " + mc + " is outside [0,1]", mc);
    }
    Optional<AdvisorOutcome> bad = text(root, "summary", MAX_SUMMARY, r, mc)
        .or(() -> text(root, "explanation", MAX_EXPLANATION, r, mc));
    if (bad.isPresent()) {
      return bad.get();
    }
    JsonNode actions = root.get("actions");
    if (!actions.isArray()) {
      return r.reject(RejectReason.WRONG_TYPE, "actions must be an array", mc);
    }
    if (actions.size() > MAX_ACTIONS) {
      return r.reject(RejectReason.TOO_LONG, "more than " + MAX_ACTIONS + " actions", mc);
    }
    EvidenceNames names = new EvidenceNames(evidence);
    List<Advice.Action> parsed = new ArrayList<>();
    for (int i = 0; i < actions.size(); i++) {
      JsonNode a = actions.get(i);
      String where = "actions[" + i + "]";
      if (!a.isObject()) {
        return r.reject(RejectReason.WRONG_TYPE, where + " must be an object", mc);
      }
      Optional<AdvisorOutcome> f = exactFields(a, ACTION, Set.of("sql"), where, r)
          .or(() -> text(a, "kind", 32, r, mc, where))
          .or(() -> text(a, "target", MAX_ACTION_TEXT, r, mc, where))
          .or(() -> text(a, "why", MAX_ACTION_TEXT, r, mc, where));
      if (f.isPresent()) {
        return withConfidence(f.get(), mc);
      }
      JsonNode sqlNode = a.get("sql");
      if (sqlNode != null && !sqlNode.isNull() && !sqlNode.isTextual()) {
        return r.reject(RejectReason.WRONG_TYPE, where + ".sql must be a string or null", mc);
      }
      String sql = sqlNode == null || sqlNode.isNull() ? null : sqlNode.asText();
      if (sql != null && sql.length() > MAX_ACTION_TEXT) {
        return r.reject(RejectReason.TOO_LONG, where + ".sql is longer than " + MAX_ACTION_TEXT, mc);
      }
      Advice.Kind kind;
      try {
        kind = Advice.Kind.valueOf(a.get("kind").asText().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        return r.reject(RejectReason.BAD_ENUM, where + ".kind is not one of create_index, analyze, set_work_mem, rewrite_query, other", mc);
      }
      if (!a.get("kind").asText().equals(kind.wireName())) {
        return r.reject(RejectReason.BAD_ENUM, where + ".kind must be lower case", mc);
      }
      boolean settings = kind == Advice.Kind.SET_WORK_MEM;
      String target = a.get("target").asText();
      Optional<String> unknown = names.check(target, settings)
          .map(m -> where + ".target: " + m)
          .or(() -> sql == null ? Optional.empty() : names.check(sql, settings).map(m -> where + ".sql: " + m));
      if (unknown.isPresent()) {
        RejectReason reason = unknown.get().contains("unparseable") ? RejectReason.UNPARSEABLE_SQL : RejectReason.UNKNOWN_IDENTIFIER;
        return r.reject(reason, unknown.get(), mc);
      }
      parsed.add(new Advice.Action(kind, target, sql, a.get("why").asText()));
    }
    double combined = ConfidenceGate.combine(mc, evidence.evidenceConfidence());
    if (!gate.passes(combined)) {
      return new AdvisorOutcome(key, Kind.REJECTED, RejectReason.LOW_CONFIDENCE,
          String.format(Locale.ROOT, "combined confidence %.3f is below %.3f", combined, gate.threshold()),
          null, content, mc, combined, Instant.now());
    }
    Advice advice = new Advice(root.get("summary").asText(), root.get("explanation").asText(), parsed, mc);
    return new AdvisorOutcome(key, Kind.ACCEPTED, null, null, advice, content, mc, combined, Instant.now());
  }

  private static AdvisorOutcome withConfidence(AdvisorOutcome o, double mc) {
    return new AdvisorOutcome(o.key(), o.kind(), o.reason(), o.detail(), o.advice(), o.rawAnswer(), mc,
        o.finalConfidence(), o.at());
  }

  private static Optional<AdvisorOutcome> exactFields(
      JsonNode obj, Set<String> allowed, Set<String> optional, String where, Rejection r) {
    for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        String shown = f.length() > 64 ? f.substring(0, 64) + "..." : f;
        return Optional.of(r.reject(RejectReason.UNKNOWN_FIELD, where + " has unknown field \"" + shown + "\"", Double.NaN));
      }
    }
    for (String f : allowed) {
      if (!optional.contains(f) && !obj.has(f)) {
        return Optional.of(r.reject(RejectReason.MISSING_FIELD, where + " lacks field \"" + f + "\"", Double.NaN));
      }
    }
    return Optional.empty();
  }

  private static Optional<AdvisorOutcome> text(JsonNode obj, String field, int max, Rejection r, double mc) {
    return text(obj, field, max, r, mc, "answer");
  }

  private static Optional<AdvisorOutcome> text(JsonNode obj, String field, int max, Rejection r, double mc, String where) {
    JsonNode v = obj.get(field);
    if (!v.isTextual()) {
      return Optional.of(r.reject(RejectReason.WRONG_TYPE, where + "." + field + " must be a string", mc));
    }
    if (v.asText().length() > max) {
      return Optional.of(r.reject(RejectReason.TOO_LONG, where + "." + field + " is longer than " + max, mc));
    }
    return Optional.empty();
  }

  private record Rejection(CacheKey key, String content) {
    AdvisorOutcome reject(RejectReason reason, String detail, double mc) {
      return new AdvisorOutcome(key, Kind.REJECTED, reason, detail, null, content, mc, Double.NaN, Instant.now());
    }
  }
}
