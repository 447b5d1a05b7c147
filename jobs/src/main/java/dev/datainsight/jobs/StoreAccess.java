package dev.datainsight.jobs;

import dev.datainsight.jobs.sinks.StoreWriterFactory;
import dev.datainsight.store.JdbcStoreWriter;
import dev.datainsight.store.Migrations;
import dev.datainsight.store.StoreWriter;

/** The job's access to the store module: JDBC store writers and the migrations. */
public final class StoreAccess {
    private StoreAccess() {}

    /**
     * A factory opening JDBC store writers, one per sink subtask, with the store settings: it holds
     * where the password comes from ({@code password_env} / {@code password_file}), never the
     * password, and reads it when it opens a writer, on the task manager.
     */
    public static StoreWriterFactory writerFactory(JobConfig.Store store) {
        return () -> openWriter(store.jdbcUrl(), store.user(), store.password());
    }

    /** Opens a JDBC store writer. */
    public static StoreWriter openWriter(String url, String user, String password) throws Exception {
        return new JdbcStoreWriter(url, user, password);
    }

    /** Applies the store migrations. */
    public static void migrate(String url, String user, String password) {
        Migrations.migrate(url, user, password);
    }
}
