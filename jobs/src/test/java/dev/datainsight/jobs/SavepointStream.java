package dev.datainsight.jobs;

import dev.datainsight.bench.fleet.SyntheticFleet;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.QueryText;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotKind;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.StatementsSnapshot;
import dev.datainsight.model.WireCodec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The deterministic input of the savepoint-compatibility check ({@link SavepointGenerator} takes
 * the savepoint on its first part, {@link SavepointCompatibilityITCase} restores it and feeds the
 * rest). Three servers, one snapshot per view every 10 s from 23:40:00 to 00:40:00 UTC (the day
 * boundary falls inside); the savepoint is taken after the cycle of 00:17:30 (mid-minute and
 * mid-hour, so every open minute, hour and day bucket spans it).
 *
 * <p>Two incidents are open at the savepoint and end after it:
 * <ul>
 *   <li>{@code sp-b}: standby replay lag 45 s (above the default 30 s warning) from 00:02:00, so
 *       {@code replication_lag} fires warning at 00:04:00 (default {@code for} 2 min); the lag rises
 *       to 400 s (above the 300 s critical) from 00:20:00, an escalation to critical due at
 *       00:22:00, and drops at 00:25:00 (resolved at 00:27:00 after {@code resolve_for} 2 min);
 *   <li>{@code sp-c}: a transaction open from 00:10:00 to 00:21:00, so {@code long_transaction}
 *       (default warning 300 s, {@code for} 0) fires at 00:15:10 and resolves at 00:22:00 (default
 *       {@code resolve_for} 1 min).
 * </ul>
 * A job that lost the rules' state at the restore would fire both again as new alerts after it.
 * Everything else is calm on purpose (constant transaction rate and connection count, a high cache
 * hit ratio, fast statements), so no other default rule fires.
 *
 * <p><b>Frozen</b>: the committed savepoint holds the Kafka offsets and the state of this exact
 * stream. Changing anything here invalidates it (the test checks the pre-savepoint part against
 * the digest and offsets the generator recorded). The snapshot headers come from {@link
 * SyntheticFleet#metrics} and {@link SyntheticFleet#statements} (server 17.0.11,
 * pg_stat_statements 1.11) and the statement columns from {@link SyntheticFleet#STATEMENT_COLUMNS}:
 * they are frozen with it.
 */
final class SavepointStream {
    /** Fixed topic names: the savepoint's Kafka source state names them. */
    static final String METRICS_TOPIC = "savepoint-compat-metrics";
    static final String STATEMENTS_TOPIC = "savepoint-compat-statements";
    static final String DLQ_TOPIC = "savepoint-compat-dlq";
    /** What {@link JobTestSupport#config} makes of the dead-letter topic name. */
    static final String ALERTS_TOPIC = DLQ_TOPIC + "-alerts";
    static final int PARTITIONS = 2;

    static final long START = Instant.parse("2026-11-30T23:40:00Z").toEpochMilli();
    static final long INTERVAL = 10_000L;
    /** Cycles 0..360: 23:40:00 to 00:40:00. */
    static final int CYCLES = 361;
    /** The savepoint is taken after this cycle: 00:17:30. */
    static final int LAST_CYCLE_BEFORE_SAVEPOINT = 225;
    static final String[] INSTANCES = {"sp-a", "sp-b", "sp-c"};

    static final long LAG_FROM = Instant.parse("2026-12-01T00:02:00Z").toEpochMilli();
    static final long LAG_CRITICAL_FROM = Instant.parse("2026-12-01T00:20:00Z").toEpochMilli();
    static final long LAG_UNTIL = Instant.parse("2026-12-01T00:25:00Z").toEpochMilli();
    static final long TX_FROM = Instant.parse("2026-12-01T00:10:00Z").toEpochMilli();
    static final long TX_UNTIL = Instant.parse("2026-12-01T00:21:00Z").toEpochMilli();

    private SavepointStream() {}

    /**
     * The job's configuration for this check: the tests' usual one, rules on with their shipped
     * defaults, and no age limit worth the name (the stream's times are fixed, the wall clock moves).
     */
    static JobConfig config(String bootstrap, String jdbcUrl) {
        return JobTestSupport.valid(JobTestSupport.config(bootstrap, METRICS_TOPIC, STATEMENTS_TOPIC, DLQ_TOPIC, jdbcUrl)
                .rules(r -> r.enabled(true))
                .time(t -> t.maxAge(Duration.ofDays(36500)))
                .runtime(r -> r.checkpointInterval(Duration.ofMillis(500))));
    }

    static long timeOf(int cycle) {
        return START + cycle * INTERVAL;
    }

    /** Snapshots of cycles {@code from} (inclusive) to {@code to} (exclusive), in production order. */
    static List<Snapshot> cycles(int from, int to) {
        List<Snapshot> out = new ArrayList<>();
        for (int c = from; c < to; c++) {
            for (int i = 0; i < INSTANCES.length; i++) {
                out.addAll(instanceCycle(i, c));
            }
        }
        return out;
    }

    static List<Snapshot> beforeSavepoint() {
        return cycles(0, LAST_CYCLE_BEFORE_SAVEPOINT + 1);
    }

    static List<Snapshot> afterSavepoint() {
        return cycles(LAST_CYCLE_BEFORE_SAVEPOINT + 1, CYCLES);
    }

    /** Partition of an instance's records (explicit, so offsets never depend on a partitioner). */
    static int partition(String instance) {
        for (int i = 0; i < INSTANCES.length; i++) {
            if (INSTANCES[i].equals(instance)) {
                return i % PARTITIONS;
            }
        }
        return Math.floorMod(instance.hashCode(), PARTITIONS);
    }

    /** Produces snapshots in list order to the topic of their kind and the instance's partition. */
    static void produce(KafkaProducer<byte[], byte[]> p, List<Snapshot> snapshots) {
        WireCodec codec = new WireCodec();
        for (Snapshot s : snapshots) {
            String topic = s.kind() == SnapshotKind.STATEMENTS ? STATEMENTS_TOPIC : METRICS_TOPIC;
            p.send(new ProducerRecord<>(topic, partition(s.getInstance()),
                    s.getInstance().getBytes(StandardCharsets.UTF_8), codec.encode(s)));
        }
        p.flush();
    }

    /**
     * SHA-256 of a canonical text of the snapshots (sorted labels and values, every field), so a
     * change of this class's output is caught, whatever the wire codec does.
     */
    static String digest(List<Snapshot> snapshots) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (Snapshot s : snapshots) {
            StringBuilder b = new StringBuilder();
            b.append(s.kind()).append('|').append(s.getInstance()).append('|').append(s.getView()).append('|')
                    .append(s.getCollectedAt()).append('|').append(s.getServerVersionNum()).append('|')
                    .append(s.getStatsReset()).append('|').append(new TreeMap<>(s.getLabels()));
            for (SnapshotRow r : s.getRows()) {
                b.append("|row ").append(new TreeMap<>(r.getLabels())).append(' ')
                        .append(new TreeMap<>(r.getValues())).append(' ').append(r.getStatsReset());
            }
            if (s instanceof StatementsSnapshot st) {
                b.append("|texts ").append(st.getTexts()).append(' ').append(st.getExtensionVersion());
            }
            md.update(b.append('\n').toString().getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static List<Snapshot> instanceCycle(int i, int c) {
        String id = INSTANCES[i];
        long ts = timeOf(c);
        long statsReset = START - 86_400_000L;
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("env", "savepoint");
        labels.put("role", i == 1 ? "primary-with-standby" : "primary");
        List<Snapshot> out = new ArrayList<>();

        MetricsSnapshot settings = SyntheticFleet.metrics(id, ts, "pg_settings", labels);
        settings.getRows().add(new SnapshotRow().value("max_connections", 100.0).value("reserved_connections", 3.0)
                .value("server_start_epoch", (double) ((START - 86_400_000L) / 1000)));
        out.add(settings);

        double txAge = id.equals("sp-c") && ts >= TX_FROM && ts < TX_UNTIL ? (ts - TX_FROM) / 1000.0 : 1.0 + c % 3;
        MetricsSnapshot activity = SyntheticFleet.metrics(id, ts, "pg_stat_activity", labels);
        activity.getRows().add(new SnapshotRow()
                .value("connections_total", 20.0)
                .value("connections_active", 3.0 + (c * 7 + i) % 5)
                .value("connections_idle", 17.0 - (c * 7 + i) % 5)
                .value("connections_idle_in_transaction", 0.0)
                .value("max_connections", 100.0)
                .value("reserved_connections", 3.0)
                .value("oldest_xact_age_seconds", txAge)
                .value("oldest_idle_in_transaction_seconds", 0.0)
                .value("longest_lock_wait_seconds", 0.0)
                .value("longest_running_query_seconds", 0.5 + (c % 4) * 0.25));
        out.add(activity);

        MetricsSnapshot db = SyntheticFleet.metrics(id, ts, "pg_stat_database", labels);
        String[] dbs = {"app", "postgres"};
        for (int d = 0; d < dbs.length; d++) {
            // Cumulative counters: closed forms of the increments, so any cycle is computed alone.
            long n = c + 1L;
            SnapshotRow row = new SnapshotRow().label("datname", dbs[d])
                    .value("numbackends", 5.0 + (c + d) % 3)
                    .value("xact_commit", 50_000.0 * (i + 1) + 100.0 * n)
                    .value("xact_rollback", 10.0 + n)
                    .value("blks_hit", 1e6 + 1000.0 * n + 13.0 * triangle(c, 50))
                    .value("blks_read", 5000.0 + 2.0 * n + triangle(c, 4))
                    .value("tup_fetched", 2e5 + 200.0 * n + triangle(c + 7 * i + d, 97));
            row.setStatsReset(statsReset);
            db.getRows().add(row);
        }
        out.add(db);

        if (id.equals("sp-b")) {
            double lag = ts >= LAG_CRITICAL_FROM && ts < LAG_UNTIL ? 400.0 + c % 5
                    : ts >= LAG_FROM && ts < LAG_UNTIL ? 45.0 + c % 5 : 0.5 + (c % 4) * 0.1;
            MetricsSnapshot repl = SyntheticFleet.metrics(id, ts, "pg_stat_replication", labels);
            repl.getRows().add(new SnapshotRow().label("application_name", "standby1").label("client_addr", "10.0.0.2")
                    .label("state", "streaming")
                    .value("write_lag_seconds", 0.1 + (c % 3) * 0.05)
                    .value("flush_lag_seconds", 0.2 + (c % 3) * 0.05)
                    .value("replay_lag_seconds", lag)
                    .value("replay_lag_bytes", 1_000_000.0 + 4096.0 * (c % 11)));
            out.add(repl);
        }

        MetricsSnapshot health = SyntheticFleet.metrics(id, ts, "datainsight_collector", labels);
        health.getRows().add(new SnapshotRow().label("probe", "").value("up", 1.0)
                .value("duration_ms", 5.0 + (c * 3 + i) % 7).value("rows", 10.0).value("error", 0.0));
        out.add(health);

        StatementsSnapshot st = SyntheticFleet.statements(id, ts, labels);
        for (int q = 0; q < 2; q++) {
            String qid = Long.toString(7_000_000_001L + q);
            long n = c + 1L;
            double calls = 1000.0 * (q + 1) + 50.0 * n + triangle(c + q, 5);
            SnapshotRow row = new SnapshotRow().label("queryid", qid).label("datname", "app").label("rolname", "app")
                    .label("toplevel", "true");
            double[] v = {calls, calls * 0.75, calls * 0.05, calls * 3, calls * 40, 100.0 + n, 10.0 + n, 5.0 + n, 0, 0,
                0.5 * n, 0.25 * n, 2.0 * calls, 180.0 * calls};
            for (int k = 0; k < v.length; k++) {
                row.value(SyntheticFleet.STATEMENT_COLUMNS.get(k), v[k]);
            }
            st.getRows().add(row);
            if (c == 0) {
                st.getTexts().add(new QueryText(qid, q == 0 ? "SELECT * FROM orders WHERE id = $1"
                        : "UPDATE stock SET qty = qty - $1 WHERE item = $2", false));
            }
        }
        out.add(st);
        return out;
    }

    /** Σ_{k=0..c} (k mod m): a cumulative counter whose per-cycle increment cycles 0, 1, ..., m-1. */
    private static double triangle(int c, int m) {
        long full = (c + 1L) / m;
        long rest = (c + 1L) % m;
        return full * (m * (m - 1L) / 2) + rest * (rest - 1) / 2;
    }
}
