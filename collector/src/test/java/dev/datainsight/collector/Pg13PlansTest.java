package dev.datainsight.collector;

import dev.datainsight.embedded.EmbeddedPostgresServer;
import dev.datainsight.embedded.PostgresExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The plans probe on a real PostgreSQL 13: a status once, no plans. */
class Pg13PlansTest extends PlansBefore16Base {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(13);

    @Override
    EmbeddedPostgresServer server() {
        return PG.server();
    }
}
