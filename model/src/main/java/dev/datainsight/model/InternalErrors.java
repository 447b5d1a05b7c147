package dev.datainsight.model;

import java.io.IOException;
import java.io.Serializable;

/**
 * The per-key quarantine policy shared by the job's keyed operators (docs/job.md, "Per-key
 * quarantine"): which exceptions are a bug confined to one key's state (caught, dead-lettered with
 * reason {@code internal_error}, the key's state reset) and which mean the runtime itself is broken
 * (rethrown, so the task fails and Flink restarts it).
 */
public final class InternalErrors {
    /** How many stack frames a dead letter carries. */
    public static final int STACK_LINES = 8;

    private InternalErrors() {}

    /**
     * A test-only fault hook: operators that accept one call it where they touch a key's state and
     * throw {@link InjectedFault} when it answers true. Production wiring passes {@link #NONE}.
     */
    @FunctionalInterface
    public interface FaultInjection extends Serializable {
        /** Whether processing {@code key} at event time {@code eventTime} should fail. */
        boolean fails(String key, long eventTime);
    }

    /** No faults: the production setting. */
    public static final FaultInjection NONE = (key, at) -> false;

    /** The exception a {@link FaultInjection} raises. */
    public static final class InjectedFault extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public InjectedFault(String key, long eventTime) {
            super("injected fault for " + key + " at " + eventTime);
        }
    }

    /** Throws {@link InjectedFault} when the hook says so. */
    public static void check(FaultInjection f, String key, long eventTime) {
        if (f != null && f.fails(key, eventTime)) {
            throw new InjectedFault(key, eventTime);
        }
    }

    /**
     * True when {@code e} is a bug confined to the key being processed: not an {@link Error}, and
     * nothing in its cause chain is an Error, an {@link InterruptedException}, an {@link IOException}
     * (state backend or network I/O) or one of Flink's own exceptions (package {@code org.apache.flink},
     * e.g. a state backend's FlinkRuntimeException) — those fail the task as before.
     */
    public static boolean isQuarantinable(Throwable e) {
        int depth = 0;
        for (Throwable t = e; t != null && depth < 20; t = t.getCause(), depth++) {
            if (t instanceof Error || t instanceof InterruptedException || t instanceof IOException
                    || t.getClass().getName().startsWith("org.apache.flink.")) {
                return false;
            }
        }
        return e instanceof RuntimeException;
    }

    /** The exception and its first {@code lines} frames (and the root cause's message), one per line. */
    public static String stackHead(Throwable e, int lines) {
        StringBuilder sb = new StringBuilder(e.toString());
        StackTraceElement[] st = e.getStackTrace();
        for (int i = 0; i < Math.min(lines, st.length); i++) {
            sb.append("\n\tat ").append(st[i]);
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != e) {
            sb.append("\nroot cause: ").append(root);
        }
        return sb.toString();
    }
}
