package dev.datainsight.model;

/**
 * Why a record went to the dead-letter topic. The codes are part of the wire format and are
 * documented in docs/wire-format.md and docs/troubleshooting.md.
 */
public enum RejectReason {
    /** The bytes are not JSON (or not UTF-8 JSON). */
    NOT_JSON("not_json"),
    /** JSON, but not an object of the expected shape (array, scalar, row that is not an object). */
    WRONG_SHAPE("wrong_shape"),
    /** A {@code schema} this build does not read. */
    UNKNOWN_SCHEMA_VERSION("unknown_schema_version"),
    /** A required field is absent or null. */
    MISSING_FIELD("missing_field"),
    /** A field has the wrong JSON type (string where a number belongs, ...). */
    WRONG_TYPE("wrong_type"),
    /** NaN or +/-Infinity as a value. */
    NON_FINITE("non_finite"),
    /** A cumulative counter below zero. */
    NEGATIVE_COUNTER("negative_counter"),
    /** The record is larger than the configured bound. */
    OVERSIZED("oversized"),
    /** The view is not in the catalog of this build. */
    UNKNOWN_VIEW("unknown_view"),
    /** Collection time too far in the future (clock skew beyond the bound). */
    IN_FUTURE("in_future"),
    /** Collection time too far in the past to be accepted. */
    TOO_OLD("too_old"),
    /** A value outside its domain (ratio outside 0..1, negative size or age, ...). */
    OUT_OF_DOMAIN("out_of_domain"),
    /** Arrived after its window closed and its allowed lateness passed. */
    LATE("late"),
    /**
     * A bug in the job (not in the record) threw while this record was processed: the instance's
     * state was reset and rebuilds from the next snapshots (see docs/job.md, "Per-key quarantine").
     */
    INTERNAL_ERROR("internal_error"),
    /**
     * The store refused one row the job wrote (a CHECK, NOT NULL or invalid-input error: SQLSTATE
     * class 22 or 23 other than 23505); the rest of its batch was written. {@code detail} holds the
     * table, the SQLSTATE and the server's message, {@code payload} the row as JSON.
     */
    STORE_REJECTED("store_rejected");

    private final String code;

    RejectReason(String code) {
        this.code = code;
    }

    /** The code as written in dead-letter records and metrics. */
    public String code() {
        return code;
    }
}
