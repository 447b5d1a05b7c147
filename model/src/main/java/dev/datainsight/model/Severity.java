package dev.datainsight.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Alert severity; a higher one supersedes a lower one for the same fingerprint. */
public enum Severity {
    INFO, WARNING, CRITICAL;

    @JsonValue
    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    @JsonCreator
    public static Severity fromWire(String s) {
        return s == null ? null : valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
}
