package dev.datainsight.cli;

import picocli.CommandLine.Option;

/** Connection options shared by the store commands (migrate, maintain, restore-archive); they log in as an owner login. */
final class StoreOptions {

    @Option(names = {"--url", "--store"}, defaultValue = "${env:DATAINSIGHT_STORE_URL}",
            description = "JDBC URL of the store database, e.g. jdbc:postgresql://db:5432/datainsight (env DATAINSIGHT_STORE_URL).")
    String url;

    @Option(names = "--user", defaultValue = "${env:DATAINSIGHT_STORE_USER}",
            description = "Owner login: a member of datainsight_owner, never the writer or reader (env DATAINSIGHT_STORE_USER).")
    String user;

    @Option(names = "--password-env", paramLabel = "ENV_VAR", defaultValue = "DATAINSIGHT_STORE_PASSWORD",
            description = "Environment variable holding the password (keeps it off the command line). Default: ${DEFAULT-VALUE}")
    String passwordEnv;

    String requireUrl() {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("no store given: pass --url jdbc:postgresql://host:port/db or set DATAINSIGHT_STORE_URL");
        }
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("--url must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db), was " + url);
        }
        return url;
    }

    String password() {
        return passwordEnv == null ? null : System.getenv(passwordEnv);
    }
}
