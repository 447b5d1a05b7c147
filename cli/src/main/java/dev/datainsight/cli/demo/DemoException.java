package dev.datainsight.cli.demo;

/** A demo start-up failure whose message says what to do; printed without a stack trace. */
public final class DemoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DemoException(String message) {
        super(message);
    }
}
