package dev.datainsight.collector;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The probe matrix on a real PostgreSQL 14. */
class Pg14ProbesTest extends ProbeMatrixBase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(14);

    @Override
    EmbeddedPostgresServer server() {
        return PG.server();
    }
}
