package dev.datainsight.advisor;

/**
 * The system confidence gate. The combined confidence is
 *
 * <pre>  final = model × (0.5 + 0.5 × evidence)</pre>
 *
 * where {@code model} is the confidence the answer states and {@code evidence} the strongest
 * deterministic finding's confidence ({@link EvidenceBundle#evidenceConfidence()}, 0 without
 * findings). It never exceeds the model's own confidence; an answer with no deterministic support
 * keeps at most half of it, so with the default threshold 0.6 a model alone is never shown, and
 * a model at 0.8 needs evidence ≥ 0.5 to pass. Below {@code threshold} the answer is rejected
 * with {@code LOW_CONFIDENCE}.
 */
public final class ConfidenceGate {
  private final double threshold;

  public ConfidenceGate(double threshold) {
    this.threshold = threshold;
  }

  public static double combine(double model, double evidence) {
    return model * (0.5 + 0.5 * evidence);
  }

  public boolean passes(double combined) {
    return combined >= threshold;
  }

  public double threshold() {
    return threshold;
  }
}
