package dev.datainsight.rules.engine;

/** Type of a rule parameter in the rules file; decides how a YAML value is read and checked. */
public enum ParamType {
    /** {@code true} / {@code false}. */
    BOOLEAN,
    /** A number (ratio, count, seconds as a plain number). */
    NUMBER,
    /** A non-negative duration: {@code 30s}, {@code 5m}, {@code 4h}, {@code 7d}. Stored as ms. */
    DURATION,
    /** A non-negative size: a number of bytes or {@code 100MB}, {@code 1GB}. */
    BYTES,
    /** {@code info}, {@code warning} or {@code critical}. */
    SEVERITY,
    /** A list of strings (names or globs with {@code *} and {@code ?}): {@code [pg_dump, etl_*]}, or one string. */
    LIST
}
