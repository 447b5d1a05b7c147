package dev.datainsight.collector;

import dev.datainsight.config.Problem;
import java.util.List;

/**
 * Bad collector configuration. The message names the file, the line and the field of every
 * problem found, e.g. {@code fleet.yaml:12:5: instances[1].url: not a PostgreSQL URL ...}.
 */
public final class ConfigException extends dev.datainsight.config.ConfigException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }

    public ConfigException(String title, List<Problem> problems) {
        super(title, problems);
    }
}
