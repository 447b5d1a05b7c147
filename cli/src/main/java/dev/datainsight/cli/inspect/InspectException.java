package dev.datainsight.cli.inspect;

/** A failure an operator can act on, printed as one {@code error:} line (exit code 1). */
public final class InspectException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InspectException(String message) {
        super(message);
    }

    public InspectException(String message, Throwable cause) {
        super(message, cause);
    }
}
