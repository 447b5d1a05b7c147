package dev.datainsight.rules.defs;

import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.engine.Fmt;
import dev.datainsight.rules.engine.Memory;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * <b>standby_missing</b> (critical): a standby that should be connected is not.
 *
 * <p>Primary side, from {@code pg_stat_replication}: physical standbys are counted per
 * {@code application_name} (logical walsenders and base backups are not standbys, as in
 * replication_lag), without the {@code " [pid N]"} the collector appends to tell apart two
 * senders with the same labels: the pid changes when a standby reconnects, the name does not, so
 * a standby that reconnects within {@code for} neither pages nor resolves anything. The expected count per name is either the instance's
 * {@code expected_standbys} list (a name twice = two standbys of that name, e.g. two left at the
 * default {@code walreceiver}; set it with an override matching the instance), or, when the list
 * is empty, learnt: a count seen without interruption for {@code learn_after} (10 min) becomes
 * expected. Fewer connected than expected holds the condition, one alert per name. A learnt
 * standby gone for {@code forget_after} (24 h) is forgotten and its alert resolves: that is the
 * way out for a standby removed on purpose (or list the remaining ones).
 *
 * <p>Standby side, from {@code pg_stat_wal_receiver} (one row on a server in recovery): a WAL
 * receiver seen running for {@code learn_after} and now not running (the standby lost its
 * primary, or restores from the archive only) holds the condition, with the same forgetting.
 *
 * <p>Why: replication_lag reads the rows of pg_stat_replication; a standby that disconnects takes
 * its row with it, so its lag alert resolved as if it had caught up, while the cluster silently
 * lost its failover target (and with synchronous replication, commits may hang). pgmonitor pages
 * on a replica that stops streaming; awesome-prometheus-alerts on a missing replication slot
 * consumer. 10 min of learning keeps a pg_basebackup or a short-lived test standby from becoming
 * expected; {@code for: 2m} lets a standby restart and reconnect without paging. When the
 * instance's role changes (a failover), what was learnt is dropped: the new role has other
 * standbys.
 */
public final class StandbyMissingRule extends Rule {
    public static final ParamDef<List<String>> EXPECTED = ParamDef.list("expected_standbys", List.of(),
            "application_names of the standbys this instance must have (a name twice = two); empty = learn them");
    public static final ParamDef<Duration> LEARN_AFTER = ParamDef.duration("learn_after", "10m",
            "a standby connected this long without interruption becomes expected (when expected_standbys is empty)");
    public static final ParamDef<Duration> FORGET_AFTER = ParamDef.duration("forget_after", "24h",
            "a learnt standby missing this long is forgotten (its alert resolves)");
    public static final ParamDef<Severity> SEVERITY = ParamDef.severity("severity", Severity.CRITICAL,
            "severity of the alert (warning or critical)");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "standby_missing";
    /** Names remembered per instance at most (a fleet of hundreds of standbys per primary is not a thing). */
    static final int MAX_NAMES = 64;
    private static final String PRIMARY = "senders";
    private static final String RECEIVER = "receiver";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "2m", "1m")
                .views("pg_stat_replication", "pg_stat_wal_receiver")
                .detects("An expected standby is not connected: fewer physical walsenders of a name than expected "
                        + "(expected_standbys, or learnt after 10 min), or a standby's WAL receiver stopped.")
                .why("A disconnected standby leaves pg_stat_replication and its lag alert resolved as if it caught "
                        + "up; the failover target is gone (pgmonitor pages on a replica that stops streaming). 10 min of presence to "
                        + "be learnt keeps a pg_basebackup or a test standby out; for 2m lets a restart reconnect; "
                        + "forgotten after 24 h, the way out for a standby removed on purpose. Counted by name without "
                        + "the collector's [pid N] suffix, so a standby reconnecting with a new pid is the same one.")
                .runbook("Check the standby is running and its log (primary_conninfo, authentication, WAL removed "
                        + "before it could stream: restore from the archive or rebuild); a standby removed on purpose: "
                        + "list the remaining ones in expected_standbys.")
                .param(EXPECTED)
                .param(LEARN_AFTER)
                .param(FORGET_AFTER)
                .param(SEVERITY)
                .build();
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) throws Exception {
        Params p = ctx.params(Map.of());
        if ("pg_stat_wal_receiver".equals(s.getView())) {
            if (s.getRows().isEmpty()) {
                return; // a primary: no receiver row
            }
            Double running = Rows.val(s.getRows().get(0), "receiver_running");
            if (running == null) {
                return;
            }
            Known k = Known.load(ctx.memory(RECEIVER), true);
            k.see("", running >= 0.5 ? 1 : 0, ctx.now(), p);
            k.store(ctx, RECEIVER);
            int missing = (int) k.expected(0) - (running >= 0.5 ? 1 : 0);
            ctx.alert(p, Map.of(), missing > 0 ? p.severity(SEVERITY) : null, running, null, null,
                    missing > 0 ? "This standby's WAL receiver is not running: it is not streaming from its primary"
                            : "This standby's WAL receiver is running",
                    "pg_stat_wal_receiver has no running receiver on a standby that had one.");
            return;
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (SnapshotRow row : s.getRows()) {
            if (ReplicationLagRule.physicalStandby(row)) {
                counts.merge(baseName(Rows.label(row, "application_name")), 1, Integer::sum);
            }
        }
        List<String> listed = p.list(EXPECTED);
        Map<String, Integer> expected = new LinkedHashMap<>();
        if (!listed.isEmpty()) {
            for (String name : listed) {
                expected.merge(name, 1, Integer::sum);
            }
            ctx.forget(PRIMARY);
        } else {
            Known k = Known.load(ctx.memory(PRIMARY), ctx.standby());
            List<String> names = new ArrayList<>(k.names);
            for (String name : counts.keySet()) {
                if (!names.contains(name)) {
                    names.add(name);
                }
            }
            List<String> before = new ArrayList<>(k.names);
            for (String name : names) {
                k.see(name, counts.getOrDefault(name, 0), ctx.now(), p);
            }
            k.store(ctx, PRIMARY);
            for (String name : before) {
                expected.put(name, 0); // forgotten this time: one last report resolves its alert
            }
            for (int i = 0; i < k.names.size(); i++) {
                if (k.v[2 * i] > 0 || expected.containsKey(k.names.get(i))) {
                    expected.put(k.names.get(i), (int) k.v[2 * i]);
                }
            }
        }
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            int have = counts.getOrDefault(e.getKey(), 0);
            int missing = e.getValue() - have;
            String who = "Standby " + e.getKey() + (e.getValue() > 1 ? " (" + e.getValue() + " expected)" : "");
            ctx.alert(p, Map.of("application_name", e.getKey()), missing > 0 ? p.severity(SEVERITY) : null,
                    (double) have, null, null,
                    missing > 0 ? who + " is not connected: " + have + " of " + e.getValue() + " streaming"
                            + (listed.isEmpty() ? " (learnt)" : "")
                            : who + " is connected (" + Fmt.num(have) + ")",
                    "Fewer physical standbys of this application_name in pg_stat_replication than expected.");
        }
    }

    /**
     * The application_name a standby is expected by: the collector's name without the
     * {@code " [pid N]"} it appends when two senders share all their labels (two standbys left at
     * the default {@code walreceiver} on one host). The pid changes on every reconnect, so keyed
     * with it a reconnecting standby would look like one gone and another new one.
     */
    static String baseName(String applicationName) {
        return PID_SUFFIX.matcher(applicationName).replaceFirst("");
    }

    private static final java.util.regex.Pattern PID_SUFFIX = java.util.regex.Pattern.compile(" \\[pid (\\d+|\\?)\\]$");

    /**
     * The learnt standbys of one instance in one memory: {@code text} the names (newline-joined;
     * PostgreSQL keeps application_name printable ASCII), per name {@code v[2i]} the expected
     * count and {@code v[2i+1]} the count being learnt, {@code t[2i]} since when that count is
     * seen, {@code t[2i+1]} since when fewer than expected are ({@link Long#MIN_VALUE}: not
     * fewer); {@code mark} the role the memory was learnt in (1 standby, 0 primary).
     */
    private static final class Known {
        final List<String> names = new ArrayList<>();
        double[] v = new double[0];
        long[] t = new long[0];
        long role;

        static Known load(Memory m, boolean standby) {
            Known k = new Known();
            k.role = standby ? 1 : 0;
            if (m != null && m.text != null && m.mark == k.role) {
                k.names.addAll(Arrays.asList(m.text.split("\n", -1)));
                if (m.v.length == 2 * k.names.size() && m.t.length == 2 * k.names.size()) {
                    k.v = m.v.clone();
                    k.t = m.t.clone();
                    k.mergePidNames();
                } else {
                    k.names.clear();
                }
            }
            return k;
        }

        /**
         * State learnt before names were keyed without the pid suffix: {@code walreceiver [pid 101]}
         * and {@code walreceiver [pid 102]} become {@code walreceiver} expected twice (counts
         * added, the later learning start, the earlier "fewer since"), so an upgrade neither
         * pages nor forgets.
         */
        private void mergePidNames() {
            for (int i = 0; i < names.size(); i++) {
                String base = baseName(names.get(i));
                if (base.equals(names.get(i))) {
                    continue;
                }
                int j = names.indexOf(base);
                if (j < 0) {
                    names.set(i, base);
                    continue;
                }
                v[2 * j] += v[2 * i];
                v[2 * j + 1] += v[2 * i + 1];
                t[2 * j] = Math.max(t[2 * j], t[2 * i]);
                long a = t[2 * j + 1];
                long b = t[2 * i + 1];
                t[2 * j + 1] = a == Long.MIN_VALUE ? b : b == Long.MIN_VALUE ? a : Math.min(a, b);
                remove(i);
                i--;
            }
        }

        double expected(int i) {
            return i < names.size() ? v[2 * i] : 0;
        }

        void see(String name, int count, long now, Params p) {
            int i = names.indexOf(name);
            if (i < 0) {
                if (count == 0 || names.size() >= MAX_NAMES) {
                    return;
                }
                names.add(name);
                v = Arrays.copyOf(v, v.length + 2);
                t = Arrays.copyOf(t, t.length + 2);
                i = names.size() - 1;
                v[2 * i + 1] = count;
                t[2 * i] = now;
                t[2 * i + 1] = Long.MIN_VALUE;
            }
            double want = v[2 * i];
            if (count != v[2 * i + 1]) {
                v[2 * i + 1] = count;
                t[2 * i] = now;
            }
            if (count > want && now - t[2 * i] >= p.millis(LEARN_AFTER)) {
                v[2 * i] = count;
            }
            if (count >= v[2 * i]) {
                t[2 * i + 1] = Long.MIN_VALUE;
            } else if (t[2 * i + 1] == Long.MIN_VALUE) {
                t[2 * i + 1] = now;
            } else if (now - t[2 * i + 1] >= p.millis(FORGET_AFTER)) {
                v[2 * i] = count;
                t[2 * i + 1] = Long.MIN_VALUE;
            }
            if (v[2 * i] == 0 && count == 0) {
                remove(i);
            }
        }

        private void remove(int i) {
            names.remove(i);
            double[] nv = new double[v.length - 2];
            long[] nt = new long[t.length - 2];
            System.arraycopy(v, 0, nv, 0, 2 * i);
            System.arraycopy(v, 2 * i + 2, nv, 2 * i, v.length - 2 * i - 2);
            System.arraycopy(t, 0, nt, 0, 2 * i);
            System.arraycopy(t, 2 * i + 2, nt, 2 * i, t.length - 2 * i - 2);
            v = nv;
            t = nt;
        }

        void store(RuleContext ctx, String key) throws Exception {
            if (names.isEmpty()) {
                ctx.forget(key);
                return;
            }
            Memory m = Memory.of(t, v);
            m.text = String.join("\n", names);
            m.mark = role;
            ctx.remember(key, m);
        }
    }
}
