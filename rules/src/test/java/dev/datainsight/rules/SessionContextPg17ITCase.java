package dev.datainsight.rules;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Session-naming alerts on a real PostgreSQL 17. */
class SessionContextPg17ITCase extends SessionContextITCaseBase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17, Map.of("max_connections", "40"));

    @Override
    EmbeddedPostgresServer server() {
        return PG.server();
    }
}
