package dev.datainsight.store;

import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateOutput;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the store's versioned migrations (plain SQL under {@code db/migration} on the class
 * path) with Flyway. The job, the CLI and the tests all go through here. Applying again is a
 * no-op; a database that is ahead of this build, or whose applied migrations were edited, fails
 * with Flyway's validation error instead of being changed.
 *
 * <p>Run it as the role that should own the store's tables (never the writer or the reader): it
 * creates the {@code datainsight_writer} and {@code datainsight_reader} roles when they do not
 * exist yet, which needs CREATEROLE the first time on a server.
 */
public final class Migrations {

    /** Where the SQL migrations live on the class path. */
    public static final String LOCATION = "classpath:db/migration";

    private Migrations() {}

    /**
     * What one run applied.
     *
     * @param applied versions and descriptions applied by this run, in order; empty on a re-run
     * @param schemaVersion version of the schema after the run
     */
    public record Result(List<String> applied, String schemaVersion) {}

    /**
     * Migrates the database at {@code url} to the latest version.
     *
     * @param url JDBC URL of the store database
     * @param user user, or null when the URL carries it
     * @param password password, or null
     */
    public static Result migrate(String url, String user, String password) {
        Flyway flyway = flyway(url, user, password);
        MigrateResult r = flyway.migrate();
        List<String> applied = new ArrayList<>();
        for (MigrateOutput m : r.migrations) {
            applied.add("V" + m.version + " " + m.description);
        }
        var current = flyway.info().current();
        return new Result(List.copyOf(applied), current == null ? null : current.getVersion().getVersion());
    }

    private static Flyway flyway(String url, String user, String password) {
        return Flyway.configure(Migrations.class.getClassLoader())
                .dataSource(url, user, password)
                .locations(LOCATION)
                .cleanDisabled(true)
                .validateMigrationNaming(true)
                .load();
    }
}
