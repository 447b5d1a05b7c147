package dev.datainsight.jobs.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Pins the value domains by unit, which the validator and the fast decode path share: a change
 * here changes what both accept, so it must be deliberate.
 */
class SnapshotValidatorDomainTest {
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(nullValues = "ok", value = {
        "ratio, 0, ok", "ratio, 1, ok", "ratio, 0.5, ok", "ratio, -0.0, ok",
        "ratio, -0.01, a ratio must be within 0..1", "ratio, 1.01, a ratio must be within 0..1",
        "bool, 0, ok", "bool, 1, ok", "bool, -0.0, ok",
        "bool, 0.5, a boolean must be 0 or 1", "bool, 2, a boolean must be 0 or 1", "bool, -1, a boolean must be 0 or 1",
        "bool, NaN, a boolean must be 0 or 1",
        "bytes, 0, ok", "bytes, 1e300, ok", "bytes, -0.0, ok", "bytes, -1, a bytes value cannot be negative",
        "xids, -1, a xids value cannot be negative", "seconds, -0.5, a seconds value cannot be negative",
        "ms, -1, a ms value cannot be negative", "blocks, -1, a blocks value cannot be negative",
        "epoch_seconds, -1, a epoch_seconds value cannot be negative", "seconds, NaN, ok", "ratio, NaN, ok",
        "count, -1, ok", "count, -1e300, ok", "unknown_unit, -5, ok",
        // A scale factor (autovacuum_vacuum_scale_factor) may be set up to 100: not a ratio.
        "factor, 0, ok", "factor, 2.5, ok", "factor, 100, ok", "factor, -0.1, a factor value cannot be negative"})
    void domainProblem_byUnit(String unit, double v, String problem) {
        assertEquals(problem, SnapshotValidator.domainProblem(unit, v));
        assertEquals(problem == null, SnapshotValidator.Domain.of(unit).contains(v));
    }
}
