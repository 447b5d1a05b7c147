package dev.datainsight.collector;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The probe matrix on a real PostgreSQL 17. */
class Pg17ProbesTest extends ProbeMatrixBase {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    @Override
    EmbeddedPostgresServer server() {
        return PG.server();
    }
}
