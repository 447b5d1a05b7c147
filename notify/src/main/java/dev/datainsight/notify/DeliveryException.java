package dev.datainsight.notify;

/**
 * A target refused or could not take an event. {@link #retryable()} tells whether trying again
 * can help (timeouts, connection errors, HTTP 5xx, 408, 429) or not (other HTTP 4xx: the payload
 * or the credentials are wrong, and retrying would only delay the dead letter).
 */
public final class DeliveryException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean retryable;

    public DeliveryException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public DeliveryException(String message, boolean retryable) {
        this(message, retryable, null);
    }

    public boolean retryable() {
        return retryable;
    }
}
