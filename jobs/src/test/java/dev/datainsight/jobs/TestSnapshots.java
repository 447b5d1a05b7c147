package dev.datainsight.jobs;

import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import java.util.LinkedHashMap;
import java.util.Map;

/** Small builders of snapshots for tests. */
final class TestSnapshots {
    private TestSnapshots() {}

    /** A pg_stat_database snapshot with one row per database: xact_commit counter, numbackends gauge. */
    static Snapshot database(String instance, long ts, Long statsReset, Object... dbCommitBackends) {
        MetricsSnapshot s = new MetricsSnapshot();
        s.setInstance(instance);
        s.setServerVersionNum(170011);
        s.setCollectedAt(ts);
        s.setView("pg_stat_database");
        for (int i = 0; i < dbCommitBackends.length; i += 3) {
            SnapshotRow r = new SnapshotRow();
            r.label("datname", (String) dbCommitBackends[i]);
            r.value("xact_commit", ((Number) dbCommitBackends[i + 1]).doubleValue());
            r.value("numbackends", ((Number) dbCommitBackends[i + 2]).doubleValue());
            r.setStatsReset(statsReset);
            s.getRows().add(r);
        }
        return s;
    }

    static CompactSnapshot db(String instance, long ts, double commits, double backends) {
        return CompactSnapshot.of(database(instance, ts, null, "app", commits, backends));
    }

    static CompactSnapshot dbReset(String instance, long ts, long statsReset, double commits, double backends) {
        return CompactSnapshot.of(database(instance, ts, statsReset, "app", commits, backends));
    }

    /** A pg_settings snapshot carrying the server start (epoch seconds). */
    static CompactSnapshot settings(String instance, long ts, long serverStartEpochSeconds) {
        MetricsSnapshot s = new MetricsSnapshot();
        s.setInstance(instance);
        s.setServerVersionNum(170011);
        s.setCollectedAt(ts);
        s.setView("pg_settings");
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("max_connections", 100.0);
        v.put("server_start_epoch", (double) serverStartEpochSeconds);
        s.getRows().add(new SnapshotRow(new LinkedHashMap<>(), v, null));
        return CompactSnapshot.of(s);
    }

    /**
     * A collector health snapshot: row probe="" up, with the server identity (null = not read), and
     * a probe row without it.
     */
    static CompactSnapshot health(String instance, long ts, Long systemIdentifier, Integer inRecovery,
            Integer timeline) {
        MetricsSnapshot s = new MetricsSnapshot();
        s.setInstance(instance);
        s.setServerVersionNum(170011);
        s.setCollectedAt(ts);
        s.setView("datainsight_collector");
        SnapshotRow server = new SnapshotRow();
        server.label("probe", "");
        server.value("up", 1.0);
        server.value("system_identifier_high", systemIdentifier == null ? null : (double) (systemIdentifier >>> 32));
        server.value("system_identifier_low", systemIdentifier == null ? null
                : (double) (systemIdentifier & 0xFFFF_FFFFL));
        server.value("in_recovery", inRecovery == null ? null : inRecovery.doubleValue());
        server.value("timeline_id", timeline == null ? null : timeline.doubleValue());
        s.getRows().add(server);
        SnapshotRow probe = new SnapshotRow();
        probe.label("probe", "pg_stat_database");
        probe.value("duration_ms", 3.0);
        s.getRows().add(probe);
        return CompactSnapshot.of(s);
    }
}
