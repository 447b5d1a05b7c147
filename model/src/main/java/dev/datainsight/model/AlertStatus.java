package dev.datainsight.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Lifecycle state carried by an alert event (pending is internal and never sent as a page). */
public enum AlertStatus {
    PENDING, FIRING, RESOLVED;

    @JsonValue
    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    @JsonCreator
    public static AlertStatus fromWire(String s) {
        return s == null ? null : valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
}
