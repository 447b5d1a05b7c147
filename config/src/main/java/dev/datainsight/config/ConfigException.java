package dev.datainsight.config;

import java.util.List;

/**
 * A configuration file that cannot be used. It carries every problem found in the file (not just
 * the first), each with file, line, column and key path; the message lists them all.
 */
public class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final transient List<Problem> problems;

    /** A failure that is not tied to a place in a file (e.g. the file cannot be read). */
    public ConfigException(String message) {
        this(message, (Throwable) null);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
        this.problems = List.of();
    }

    /**
     * @param title e.g. {@code invalid fleet file}; empty to print the problem alone
     * @param problems at least one
     */
    public ConfigException(String title, List<Problem> problems) {
        super(message(title, problems));
        this.problems = List.copyOf(problems);
    }

    /** Every problem of the file, in file order of discovery. */
    public List<Problem> problems() {
        return problems;
    }

    private static String message(String title, List<Problem> problems) {
        if (problems.size() == 1) {
            return title.isEmpty() ? problems.get(0).toString() : title + ": " + problems.get(0);
        }
        StringBuilder sb = new StringBuilder(title.isEmpty() ? "invalid configuration" : title)
                .append(" (").append(problems.size()).append(" problems):");
        for (Problem p : problems) {
            sb.append("\n  ").append(p);
        }
        return sb.toString();
    }
}
