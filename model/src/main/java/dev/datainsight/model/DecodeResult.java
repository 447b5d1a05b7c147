package dev.datainsight.model;

import java.util.Objects;

/**
 * The outcome of decoding untrusted bytes: either a value or a typed rejection. Decoding never
 * throws, so a caller routes failures (to the dead-letter topic) instead of crashing.
 */
public final class DecodeResult<T> {
    private final T value;
    private final RejectReason reason;
    private final String detail;
    private final String instance;

    private DecodeResult(T value, RejectReason reason, String detail, String instance) {
        this.value = value;
        this.reason = reason;
        this.detail = detail;
        this.instance = instance;
    }

    public static <T> DecodeResult<T> ok(T value) {
        return new DecodeResult<>(Objects.requireNonNull(value), null, null, null);
    }

    public static <T> DecodeResult<T> error(RejectReason reason, String detail, String instance) {
        return new DecodeResult<>(null, Objects.requireNonNull(reason), detail, instance);
    }

    public boolean isOk() {
        return value != null;
    }

    /** The decoded value; throws if this is an error. */
    public T value() {
        if (value == null) {
            throw new IllegalStateException("not decoded: " + reason.code() + ": " + detail);
        }
        return value;
    }

    /** The rejection reason, or null when ok. */
    public RejectReason reason() {
        return reason;
    }

    /** Human-readable detail of the rejection, or null when ok. */
    public String detail() {
        return detail;
    }

    /** Instance id of a rejected record when it could be read, else null. */
    public String instance() {
        return instance;
    }

    @Override
    public String toString() {
        return isOk() ? "ok(" + value + ")" : "error(" + reason.code() + ": " + detail + ")";
    }
}
