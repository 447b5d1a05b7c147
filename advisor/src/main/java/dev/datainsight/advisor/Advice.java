package dev.datainsight.advisor;

import java.util.List;

/** A model answer that passed {@link AdviceValidator}: the schema and the evidence check. */
public record Advice(String summary, String explanation, List<Action> actions, double confidence) {
  public Advice {
    actions = List.copyOf(actions);
  }

  /** What the advice proposes; {@code sql} may be null. */
  public record Action(Kind kind, String target, String sql, String why) {}

  /** The allowed action kinds; the wire names are the lower-case enum names. */
  public enum Kind {
    CREATE_INDEX, ANALYZE, SET_WORK_MEM, REWRITE_QUERY, OTHER;

    String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
