package dev.datainsight.collector;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The plans probe on a real PostgreSQL 16. */
class Pg16PlansTest extends PlansProbeBase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(16);

    @Override
    EmbeddedPostgresServer server() {
        return PG.server();
    }
}
