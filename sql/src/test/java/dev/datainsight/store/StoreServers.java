package dev.datainsight.store;

import dev.datainsight.embedded.PostgresExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Stream;

/**
 * The real PostgreSQL servers the store is tested on (15, 17, 18), one per version per test JVM,
 * plus helpers to get a freshly migrated store database and login users in the store roles.
 */
final class StoreServers {
    static final PostgresExtension PG15 = new PostgresExtension(15);
    static final PostgresExtension PG17 = new PostgresExtension(17);
    static final PostgresExtension PG18 = new PostgresExtension(18);

    private StoreServers() {}

    /** Parameter source for {@code @MethodSource("dev.datainsight.store.StoreServers#all")}. */
    static Stream<PostgresExtension> all() {
        return Stream.of(PG15, PG17, PG18);
    }

    /** A new database on that server, migrated; returns its superuser JDBC URL. */
    static String migratedStore(PostgresExtension pg, String prefix) {
        String url = pg.freshDatabaseUrl(prefix);
        Migrations.migrate(url, null, null);
        return url;
    }

    /** Login users test_writer / test_reader, members of the store roles (cluster-wide, created once). */
    static void ensureLoginUsers(String superuserUrl) throws SQLException {
        try (Connection c = DriverManager.getConnection(superuserUrl); Statement st = c.createStatement()) {
            st.execute("DO $$ BEGIN"
                    + " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'test_writer') THEN"
                    + "   CREATE ROLE test_writer LOGIN IN ROLE datainsight_writer; END IF;"
                    + " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'test_reader') THEN"
                    + "   CREATE ROLE test_reader LOGIN IN ROLE datainsight_reader; END IF;"
                    + " END $$");
        }
    }

    /** The same database URL for another user. */
    static String as(String superuserUrl, String user) {
        return superuserUrl.replace("user=postgres", "user=" + user);
    }
}
