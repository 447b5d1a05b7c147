package dev.datainsight.model;

/** The snapshot record types; each has its own topic. */
public enum SnapshotKind {
    METRICS("metrics"),
    STATEMENTS("statements"),
    /** Execution plans of top statements ({@link PlansSnapshot}), topic {@code datainsight.plans}. */
    PLANS("plans");

    private final String wireName;

    SnapshotKind(String wireName) {
        this.wireName = wireName;
    }

    /** The value of the {@code kind} field on the wire. */
    public String wireName() {
        return wireName;
    }

    public static SnapshotKind fromWire(String s) {
        for (SnapshotKind k : values()) {
            if (k.wireName.equals(s)) {
                return k;
            }
        }
        return null;
    }
}
