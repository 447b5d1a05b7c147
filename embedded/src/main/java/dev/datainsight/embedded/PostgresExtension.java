package dev.datainsight.embedded;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension giving tests a real PostgreSQL server of a chosen major version (13..18,
 * default 17) with pg_stat_statements preloaded. One server per (version, settings) starts once
 * per test JVM and stops when the test plan ends; each test takes fresh databases from it.
 *
 * <pre>{@code
 * @RegisterExtension static final PostgresExtension PG = new PostgresExtension(18);
 * String db = PG.freshDatabase("store");   // CREATE DATABASE store_1
 * String url = PG.server().jdbcUrl(db);
 * }</pre>
 */
public final class PostgresExtension implements BeforeAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(PostgresExtension.class);
    private static final Map<String, EmbeddedPostgresServer> RUNNING = new ConcurrentHashMap<>();

    private final int major;
    private final Map<String, String> settings;
    private final String key;

    public PostgresExtension() {
        this(EmbeddedPostgresServer.defaultMajor());
    }

    public PostgresExtension(int major) {
        this(major, Map.of());
    }

    /** A server with extra settings; servers with different settings are distinct. */
    public PostgresExtension(int major, Map<String, String> settings) {
        this.major = major;
        this.settings = new TreeMap<>(settings);
        this.key = major + ":" + this.settings;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot().getStore(NS).getOrComputeIfAbsent(key, k -> {
            EmbeddedPostgresServer s = EmbeddedPostgresServer.start(major, KafkaExtension.tmpBase(), 0, settings);
            RUNNING.put(key, s);
            return (ExtensionContext.Store.CloseableResource) () -> {
                RUNNING.remove(key);
                s.close();
            };
        });
    }

    public EmbeddedPostgresServer server() {
        EmbeddedPostgresServer s = RUNNING.get(key);
        if (s == null) {
            throw new IllegalStateException("PostgreSQL " + major + " is not started: register PostgresExtension as a static @RegisterExtension field");
        }
        return s;
    }

    /** Creates a new, empty database on the shared server and returns its name. */
    public String freshDatabase(String prefix) {
        return server().createDatabase(prefix);
    }

    /** Superuser JDBC URL of a fresh database. */
    public String freshDatabaseUrl(String prefix) {
        return server().jdbcUrl(freshDatabase(prefix));
    }

    public int major() {
        return major;
    }
}
