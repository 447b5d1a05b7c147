package dev.datainsight.advisor;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the advisor may tell a model about one statement, and everything an answer may
 * name: the normalized statement text, the plan (JSON or a summary), the statement's statistics,
 * the relations, indexes and columns present in the plan and the catalog, and the deterministic
 * findings (with their confidence) that the rules already produced.
 *
 * <p>Relation and index names are given as the catalog spells them, schema-qualified or not
 * ({@code public.orders} or {@code orders}); {@code columns} maps a relation name (as in
 * {@code relations}) to its column names. An answer that names anything outside these sets is
 * rejected by {@link AdviceValidator}.
 */
public record EvidenceBundle(
    long queryId,
    String planFingerprint,
    String normalizedText,
    String plan,
    Stats stats,
    Set<String> relations,
    Set<String> indexes,
    Map<String, Set<String>> columns,
    List<Finding> findings) {

  public EvidenceBundle {
    Objects.requireNonNull(planFingerprint, "planFingerprint");
    Objects.requireNonNull(normalizedText, "normalizedText");
    plan = plan == null ? "" : plan;
    Objects.requireNonNull(stats, "stats");
    relations = Set.copyOf(relations);
    indexes = Set.copyOf(indexes);
    columns = Map.copyOf(columns);
    findings = List.copyOf(findings);
  }

  /** Statement statistics from pg_stat_statements over the analysed window. */
  public record Stats(
      long calls, double meanTimeMs, double totalTimeMs, long rows, long sharedBlocks, long tempBlocks) {}

  /**
   * One deterministic finding (a rule's output), e.g. {@code seq_scan_filter} on
   * {@code orders.customer_id} with confidence 0.9.
   */
  public record Finding(String rule, String message, double confidence) {
    public Finding {
      if (!(confidence >= 0 && confidence <= 1)) {
        throw new IllegalArgumentException("finding confidence must be in [0,1]: " + confidence);
      }
    }
  }

  public CacheKey cacheKey() {
    return new CacheKey(queryId, planFingerprint);
  }

  /** The strongest deterministic finding's confidence, 0 when there is none. */
  public double evidenceConfidence() {
    return findings.stream().mapToDouble(Finding::confidence).max().orElse(0);
  }
}
