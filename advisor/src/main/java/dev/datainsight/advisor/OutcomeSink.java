package dev.datainsight.advisor;

/**
 * Receives every outcome (accepted, rejected with its reason, and failures) once, e.g. to write
 * it to the store. It is called on an advisor thread and must not block for long; an exception
 * it throws is logged and ignored.
 */
@FunctionalInterface
public interface OutcomeSink {
  void accept(AdvisorOutcome outcome);

  static OutcomeSink none() {
    return o -> { };
  }
}
