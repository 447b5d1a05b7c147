package dev.datainsight.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The store login of the commands that read the store as {@code datainsight_reader}
 * ({@code serve}, {@code inspect trends}): {@code --store}, {@code --user} and where the password
 * is ({@code --password-env} or {@code --password-file}, never the command line). A picocli mixin.
 */
public final class ReaderLoginOptions {

    @Option(names = "--store", paramLabel = "JDBC_URL", defaultValue = "${env:DATAINSIGHT_STORE_URL}",
            description = "JDBC URL of the store, e.g. jdbc:postgresql://db:5432/datainsight (env DATAINSIGHT_STORE_URL).")
    String store;

    @Option(names = "--user", paramLabel = "NAME", defaultValue = "${env:DATAINSIGHT_READER_USER}",
            description = "Login, a member of datainsight_reader (env DATAINSIGHT_READER_USER); every connection switches to that role.")
    String user;

    @Option(names = "--password-env", paramLabel = "ENV_VAR", defaultValue = "DATAINSIGHT_READER_PASSWORD",
            description = "Environment variable holding the login's password. Default: ${DEFAULT-VALUE}")
    String passwordEnv;

    @Option(names = "--password-file", paramLabel = "FILE", description = "File holding the login's password (instead of --password-env).")
    Path passwordFile;

    /** The JDBC URL, or null/blank when neither the option nor DATAINSIGHT_STORE_URL gave one. */
    public String store() {
        return store;
    }

    /** The login, or null. */
    public String user() {
        return user;
    }

    /** Whether a store URL was given. */
    public boolean hasStore() {
        return store != null && !store.isBlank();
    }

    /** The password from the file or the environment variable, or null when neither holds one. */
    public String password() throws IOException {
        return secret(passwordFile, passwordEnv);
    }

    /** A secret from {@code file} (stripped) when given, else from environment variable {@code env}; null when empty. */
    public static String secret(Path file, String env) throws IOException {
        if (file != null) {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        }
        String v = env == null ? null : System.getenv(env);
        return v == null || v.isBlank() ? null : v.strip();
    }
}
