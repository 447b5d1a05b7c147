package dev.datainsight.config;

/**
 * One finding in a configuration file.
 *
 * @param source the file name (or {@code --set ...} for a command-line override)
 * @param line 1-based line, 0 when the value did not come from a file
 * @param column 1-based column, 0 when unknown
 * @param path the key path, e.g. {@code instances[1].url}; empty for the whole file
 * @param message what is wrong
 * @param hint what would be right (valid keys, expected type); may be empty
 */
public record Problem(String source, int line, int column, String path, String message, String hint) {

    /** {@code file:line:column: path: message (hint)}, the form every loader and {@code check} prints. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(source);
        if (line > 0) {
            sb.append(':').append(line).append(':').append(column);
        }
        sb.append(": ");
        if (!path.isEmpty()) {
            sb.append(path).append(": ");
        }
        sb.append(message);
        if (!hint.isEmpty()) {
            sb.append(" (").append(hint).append(')');
        }
        return sb.toString();
    }
}
