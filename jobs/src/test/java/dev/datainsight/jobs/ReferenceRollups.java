package dev.datainsight.jobs;

import dev.datainsight.model.Column;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotKind;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.ViewDef;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The expected store content for a list of snapshots, computed the plain way (one map entry per
 * series, no Flink), independently of the job's code: deduplicate, order by time, counters to
 * per-second rates with the documented reset rules, then minute/hour/day aggregates, and hourly
 * pg_stat_statements delta sums.
 *
 * <p>{@link #inApplicationOrder} takes the snapshots in the order the job applies them instead
 * (snapshots ahead of the watermark in time order, late ones when they arrive) and applies the
 * documented rule for late snapshots: a row whose previous sample is newer contributes only its
 * gauges (its counters' interval is already covered), and the view's stats_reset and server
 * version follow the newest snapshot only.
 */
final class ReferenceRollups {
    static final long MINUTE = 60_000L;
    static final long HOUR = 3_600_000L;
    static final long DAY = 86_400_000L;

    /** Identity of one stored row. */
    record Key(String instance, String metric, Map<String, String> labels, long bucket) {}

    /** Aggregate of one stored row. */
    static final class Agg {
        long count;
        double min;
        double max;
        double sum;
        double last;
        /** Collection time of {@link #last}: the newest sample is last, whatever the arrival order. */
        long lastTs = Long.MIN_VALUE;

        void add(double v) {
            add(v, Long.MAX_VALUE);
        }

        void add(double v, long ts) {
            if (count == 0) {
                min = v;
                max = v;
                sum = v;
            } else {
                min = Math.min(min, v);
                max = Math.max(max, v);
                sum += v;
            }
            if (count == 0 || ts >= lastTs) {
                last = v;
                lastTs = ts;
            }
            count++;
        }

        void fold(Agg a) {
            if (count == 0) {
                min = a.min;
                max = a.max;
                sum = a.sum;
            } else {
                min = Math.min(min, a.min);
                max = Math.max(max, a.max);
                sum += a.sum;
            }
            last = a.last;
            count += a.count;
        }

        @Override
        public String toString() {
            return "count=" + count + " min=" + min + " max=" + max + " sum=" + sum + " last=" + last;
        }
    }

    final Map<Key, Agg> minutes = new LinkedHashMap<>();
    final Map<Key, Agg> hours = new LinkedHashMap<>();
    final Map<Key, Agg> days = new LinkedHashMap<>();
    /** (instance, queryid, datname, rolname, hour) → sums of calls, total_exec_time, rows, ..., wal_bytes. */
    final Map<List<Object>, double[]> statements = new LinkedHashMap<>();
    static final String[] STATEMENT_COLUMNS = {"calls", "total_exec_time", "rows", "shared_blks_hit",
        "shared_blks_read", "shared_blks_dirtied", "shared_blks_written", "temp_blks_read", "temp_blks_written",
        "wal_bytes"};

    ReferenceRollups(List<Snapshot> input, long maxGapMs) {
        this(input, maxGapMs, true);
    }

    /**
     * The expected rollups when the snapshots are applied in exactly this order (duplicates of an
     * (instance, view, collection time) already applied are ignored).
     */
    static ReferenceRollups inApplicationOrder(List<Snapshot> applied, long maxGapMs) {
        return new ReferenceRollups(applied, maxGapMs, false);
    }

    private ReferenceRollups(List<Snapshot> input, long maxGapMs, boolean sort) {
        Map<List<Object>, Snapshot> unique = new LinkedHashMap<>();
        for (Snapshot s : input) {
            unique.putIfAbsent(List.of(s.getInstance(), s.getView(), s.getCollectedAt()), s);
        }
        List<Snapshot> ordered = new ArrayList<>(unique.values());
        if (sort) {
            ordered.sort(Comparator.comparing(Snapshot::getInstance).thenComparingLong(Snapshot::getCollectedAt)
                    .thenComparing(s -> !s.getView().equals("pg_settings")));
        }
        java.util.Set<List<Object>> withCalls = new java.util.HashSet<>();
        Map<String, Long> serverStart = new HashMap<>();
        Map<List<Object>, Object[]> viewPrev = new HashMap<>(); // (instance, view) → {statsReset, version, ts}
        Map<List<Object>, long[]> rowPrevTs = new HashMap<>(); // (instance, view, labels) → {ts}
        Map<List<Object>, Long> rowPrevReset = new HashMap<>();
        Map<List<Object>, Double> prevValue = new HashMap<>(); // (instance, view, labels, column)
        Map<List<Object>, List<double[]>> statementDeltas = new LinkedHashMap<>();
        for (Snapshot s : ordered) {
            ViewDef def = MetricCatalog.view(s.getView());
            if (def.isDetail()) {
                continue; // per-session detail goes to the rules only: no rollup series (RouteRecords)
            }
            boolean pgss = def.kind() == SnapshotKind.STATEMENTS;
            if (s.getView().equals("pg_settings") && !s.getRows().isEmpty()) {
                Double v = s.getRows().get(0).getValues().get("server_start_epoch");
                if (v != null) {
                    serverStart.put(s.getInstance(), (long) (v * 1000));
                }
            }
            List<Object> vk = List.of(s.getInstance(), s.getView());
            Object[] vp = viewPrev.get(vk);
            boolean viewReset = vp != null && (!Objects.equals(vp[0], s.getStatsReset())
                    || !Objects.equals(vp[1], s.getServerVersionNum()));
            long t = s.getCollectedAt();
            if (vp == null || t > (Long) vp[2]) {
                viewPrev.put(vk, new Object[] {s.getStatsReset(), s.getServerVersionNum(), t});
            }
            for (SnapshotRow row : s.getRows()) {
                Map<String, String> labels = new TreeMap<>();
                for (String k : def.labelKeys()) {
                    labels.put(k, row.getLabels().get(k));
                }
                List<Object> rk = List.of(s.getInstance(), s.getView(), labels);
                long[] prevTs = rowPrevTs.get(rk);
                if (prevTs != null && t == prevTs[0]) {
                    continue; // this row was applied at this time already
                }
                boolean late = prevTs != null && t < prevTs[0];
                boolean baseline = prevTs == null || viewReset || t - prevTs[0] > maxGapMs
                        || !Objects.equals(rowPrevReset.get(rk), row.getStatsReset())
                        || serverStart.getOrDefault(s.getInstance(), Long.MIN_VALUE) > prevTs[0];
                for (Column c : def.columns().values()) {
                    Double v = row.getValues().get(c.name());
                    String metric = s.getView() + "." + c.name();
                    if (!c.isCounter()) {
                        // pg_stat_statements rows go to statement_rollup_1h only: its gauge
                        // (max_exec_time) is no per-minute metric series
                        if (v != null && !pgss) {
                            minuteAgg(s.getInstance(), metric, labels, t).add(v, t);
                        }
                        continue;
                    }
                    if (late) {
                        continue;
                    }
                    List<Object> ck = List.of(s.getInstance(), s.getView(), labels, c.name());
                    Double prev = prevValue.get(ck);
                    if (v == null) {
                        prevValue.remove(ck);
                    } else {
                        prevValue.put(ck, v);
                    }
                    if (baseline || v == null || prev == null || v < prev) {
                        continue;
                    }
                    if (pgss) {
                        List<Object> sk = List.of(s.getInstance(), nz(labels.get("queryid")), nz(labels.get("datname")),
                                nz(labels.get("rolname")), t - Math.floorMod(t, HOUR));
                        double[] acc = statements.computeIfAbsent(sk, k -> new double[STATEMENT_COLUMNS.length]);
                        for (int i = 0; i < STATEMENT_COLUMNS.length; i++) {
                            if (STATEMENT_COLUMNS[i].equals(c.name())) {
                                acc[i] += v - prev;
                            }
                        }
                        if (c.name().equals("calls")) {
                            withCalls.add(sk);
                        }
                    } else {
                        minuteAgg(s.getInstance(), metric, labels, t).add((v - prev) / ((t - prevTs[0]) / 1000.0), t);
                    }
                }
                if (!late) {
                    rowPrevTs.put(rk, new long[] {t});
                    rowPrevReset.put(rk, row.getStatsReset());
                }
            }
        }
        // The cascade: hours from minutes, days from hours, in time order.
        List<Map.Entry<Key, Agg>> ms = new ArrayList<>(minutes.entrySet());
        ms.sort(Comparator.comparingLong(e -> e.getKey().bucket()));
        for (Map.Entry<Key, Agg> e : ms) {
            Key k = e.getKey();
            hours.computeIfAbsent(new Key(k.instance(), k.metric(), k.labels(), k.bucket() - Math.floorMod(k.bucket(), HOUR)),
                    x -> new Agg()).fold(e.getValue());
        }
        List<Map.Entry<Key, Agg>> hs = new ArrayList<>(hours.entrySet());
        hs.sort(Comparator.comparingLong(e -> e.getKey().bucket()));
        for (Map.Entry<Key, Agg> e : hs) {
            Key k = e.getKey();
            days.computeIfAbsent(new Key(k.instance(), k.metric(), k.labels(), k.bucket() - Math.floorMod(k.bucket(), DAY)),
                    x -> new Agg()).fold(e.getValue());
        }
        // statements with a "calls" delta only (a row whose only samples were baselines is not written)
        statements.keySet().removeIf(k -> !withCalls.contains(k));
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private Agg minuteAgg(String instance, String metric, Map<String, String> labels, long t) {
        return minutes.computeIfAbsent(new Key(instance, metric, labels, t - Math.floorMod(t, MINUTE)), k -> new Agg());
    }
}
