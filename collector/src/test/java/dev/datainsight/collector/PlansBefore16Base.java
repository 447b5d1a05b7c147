package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.probe.PlansProbe;
import dev.datainsight.collector.probe.PlansSettings;
import dev.datainsight.collector.probe.StatementsProbe;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.PlansSnapshot;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PostgreSQL 13-15 have no EXPLAIN GENERIC_PLAN: the plans probe says so once, not every cycle. */
abstract class PlansBefore16Base {

    abstract dev.datainsight.embedded.EmbeddedPostgresServer server();

    @Test
    void reportsGenericPlansNeed16_once_acrossCycles() {
        String db = server().createDatabase("plansold");
        TestSupport.exec(server(), db, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
                "CREATE TABLE t (id int PRIMARY KEY)", "SELECT count(*) FROM t");
        String role = TestSupport.createRole(server(), "di_plansold", true);
        FleetConfig cfg = FleetConfig.builder()
                .instance(FleetConfig.Instance.builder("old").url(server().jdbcUrlNoUser(db)).user(role).password("secret")
                        .plans(new PlansSettings(true, 5, java.time.Duration.ofMillis(1))).build())
                .build();
        List<PlansSnapshot> plans = new ArrayList<>();
        try (Collector c = new Collector(cfg, s -> { }, List.of(new StatementsProbe(), new PlansProbe()))) {
            for (int i = 0; i < 4; i++) {
                TestSupport.exec(server(), db, "SELECT count(*) FROM t");
                List<Snapshot> out = c.collectOnce("old");
                SnapshotRow health = TestSupport.row(TestSupport.view(out, MetricCatalog.COLLECTOR_VIEW),
                        Map.of("probe", PlansSnapshot.VIEW));
                assertNotNull(health);
                assertEquals(0.0, health.getValues().get("error"), "a status, not an error");
                for (Snapshot s : out) {
                    if (s instanceof PlansSnapshot p) {
                        plans.add(p);
                    }
                }
            }
        }
        TestSupport.exec(server(), "postgres", "DROP DATABASE " + db + " WITH (FORCE)"); // the server is shared
        assertEquals(1, plans.size(), "one plans snapshot in four cycles: " + plans);
        assertTrue(plans.get(0).getStatus().startsWith(PlansProbe.NEEDS_16), plans.get(0).getStatus());
        assertTrue(plans.get(0).getPlans().isEmpty());
    }
}
