package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.probe.Probes;
import dev.datainsight.embedded.PostgresExtension;
import dev.datainsight.model.Snapshot;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** collected_at comes from the collector's clock, for reachable and unreachable servers alike. */
class ClockTest {
    @RegisterExtension
    static final PostgresExtension PG = new PostgresExtension(17);

    private static final Instant AT = Instant.parse("2031-05-06T23:59:30Z");

    @Test
    void everySnapshotIsStampedFromTheGivenClock() {
        String db = PG.freshDatabase("clock");
        FleetConfig.Instance up = FleetConfig.Instance.builder("clock-up").url(PG.server().jdbcUrlNoUser(db))
                .user("postgres").build();
        FleetConfig.Instance down = FleetConfig.Instance.builder("clock-down")
                .url("jdbc:postgresql://127.0.0.1:1/nowhere").user("postgres").build();
        FleetConfig fleet = FleetConfig.builder().instance(up).instance(down).build();
        try (Collector c = new Collector(fleet, s -> { }, Probes.all(), Clock.fixed(AT, ZoneOffset.UTC))) {
            List<Snapshot> reached = c.collectOnce("clock-up");
            assertTrue(reached.size() > 5, "snapshots of a reachable server: " + reached.size());
            List<Snapshot> unreached = c.collectOnce("clock-down");
            assertEquals(1, unreached.size(), "one health snapshot for a server that is down");
            Set<Long> stamps = java.util.stream.Stream.concat(reached.stream(), unreached.stream())
                    .map(Snapshot::getCollectedAt).collect(Collectors.toSet());
            assertEquals(Set.of(AT.toEpochMilli()), stamps);
        }
    }
}
