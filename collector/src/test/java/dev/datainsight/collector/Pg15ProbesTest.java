package dev.datainsight.collector;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The probe matrix on a real PostgreSQL 15. */
class Pg15ProbesTest extends ProbeMatrixBase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(15);

    @Override
    EmbeddedPostgresServer server() {
        return PG.server();
    }
}
