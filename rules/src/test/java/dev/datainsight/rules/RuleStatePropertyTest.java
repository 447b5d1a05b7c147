package dev.datainsight.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.StatementsSnapshot;
import dev.datainsight.rules.defs.CacheHitRatioRule;
import dev.datainsight.rules.defs.CheckpointSpikeRule;
import dev.datainsight.rules.defs.DeadlocksRule;
import dev.datainsight.rules.defs.PipelineRestartingRule;
import dev.datainsight.rules.defs.QueryRegressionRule;
import dev.datainsight.rules.defs.RollbackRatioInsight;
import dev.datainsight.rules.defs.RuleCatalog;
import dev.datainsight.rules.defs.SlowQueryRule;
import dev.datainsight.rules.defs.TempSpillRule;
import dev.datainsight.rules.defs.WalRateSpikeRule;
import dev.datainsight.rules.defs.WalReadyBacklogRule;
import dev.datainsight.rules.defs.XidWraparoundRule;
import dev.datainsight.rules.engine.AlertLifecycleFunction;
import dev.datainsight.rules.engine.Evaluation;
import dev.datainsight.rules.engine.Fingerprint;
import dev.datainsight.rules.engine.Params;
import dev.datainsight.rules.engine.PipelineHealthFunction;
import dev.datainsight.rules.engine.PlanChangeSnapshot;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleDefinition;
import dev.datainsight.rules.engine.RuleEvaluatorFunction;
import dev.datainsight.store.InsightRow;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Property test of the rules' state (issue 13): random streams for one to three instances (plus
 * the job's own health rows) drive the real {@link RuleEvaluatorFunction} and
 * {@link AlertLifecycleFunction}, chained on Flink's keyed operator harness ({@link RulesHarness}),
 * with every rule of the catalog enabled.
 *
 * <p>A stream: bursts of collection cycles (10 s to 60 s apart) separated by pauses shorter or
 * longer than the rules' windows. Per cycle: the collector's health row, {@code pg_stat_database}
 * (databases created, dropped and re-created with counters from zero, rows missing for a cycle,
 * per-row {@code stats_reset}, NULL columns, databases switching between healthy and in trouble),
 * {@code pg_stat_checkpointer} (view-level {@code stats_reset}, the view missing, an empty
 * snapshot), {@code pg_stat_statements} (query ids entering and leaving the top N, evicted and
 * re-created, {@code pg_stat_statements_reset()}, toplevel true/false, the {@code other} row) and
 * {@code pg_database} (xid ages around the thresholds, NULL mxid ages); the job's health row with
 * crash loops and fresh submissions. Snapshots arrive out of order within the watermark bound
 * (across instances and across the views of one instance; each view of one instance stays in its
 * order, as the job guarantees: one Kafka partition per instance and a forward edge), some twice,
 * a few behind the watermark ({@link #LATE}: a lagging partition); the watermark follows the
 * largest time seen minus the bound; processing time follows arrival. After the
 * fleet stops, a keeper instance moves event time on past {@code instance_silent.forget_after}
 * plus {@code stale_after}.
 *
 * <p>Checked:
 *
 * <ul>
 *   <li>nothing throws and nothing is quarantined (both operators' internal-error side outputs
 *       stay empty);
 *   <li>every windowed rule (every rule of {@link RuleCatalog} whose class refers to the engine's
 *       {@code Window}: found, not listed) agrees, on every snapshot, with {@link Reference}: a
 *       plain list of each series' samples since its last reset, keyed as the rule keys its
 *       memory, from which the rule's number and condition are recomputed (and its baselines,
 *       where it has one). Every evaluation the rule emits for a row has the reference's
 *       severity and value, every row whose condition holds is evaluated, and every other
 *       evaluation is a "row gone" one; rollback_ratio's findings equal the reference's;
 *   <li>per fingerprint, of every rule, the alert lifecycle is well formed: an episode starts
 *       with FIRING, a further FIRING in it is an escalation or a re-notification after
 *       {@code renotify}, RESOLVED only closes an open episode at its severity, event times never
 *       go back, and an episode never starts before the previous one resolved (also when a late
 *       snapshot arrives after the resolve);
 *   <li>xid_wraparound (a gauge rule with {@code for} and {@code resolve_for}) produces exactly
 *       the alert events of {@link XidReference}, an independent model of the documented
 *       lifecycle (pending, firing, escalation, re-notify, resolve_for, stale) computed from the
 *       same stream and the same watermarks;
 *   <li>at the end every alert of the fleet is resolved, and neither operator keeps state of a
 *       fleet instance (only the keeper's, and the job's pipeline_restarting window).
 * </ul>
 *
 * <p>The number of cases is {@link #CI_TRIES} (each case is about a thousand snapshots through
 * both operators), or {@code jqwik.tries.default} when given on the command line:
 * {@code -Djqwik.tries.default=5000} runs more. A failure names its seed, and
 * {@code -Drules.seed=N -Djqwik.tries.default=1} replays it.
 */
class RuleStatePropertyTest {
    static final long S = 1000L;
    static final long MIN = 60_000L;
    static final long HOUR = 3_600_000L;
    /** 2026-01-01T23:00:00Z. */
    static final long T0 = 1_767_308_400_000L;
    static final long FORGET_AFTER = 2 * HOUR;
    static final String KEEPER = "pg-keeper";
    static final String JOB = PipelineHealthFunction.INSTANCE;
    static final double WRAP = 2147483648.0;
    static final String WINDOW_CLASS = "dev/datainsight/rules/engine/Window";
    /**
     * Also deliver some snapshots behind the watermark (a partition that lagged beyond the bound, up
     * to about three minutes), still in order per view, and duplicates later still. On by default;
     * {@code -Drules.late=false} turns it off. Such a snapshot can come after an alert resolved on
     * its timer (the watermark passed {@code resolve_for} or {@code stale_after}) at a time before
     * that RESOLVED; the lifecycle remembers the RESOLVED ({@link AlertLifecycleFunction#RESOLVED_STATE},
     * for {@link AlertLifecycleFunction#RESOLVED_MEMORY_MS}) and ignores it, rather than re-opening
     * the episode with a FIRING dated before the RESOLVED ({@link XidReference} models the same).
     * See docs/job.md, "Property test of the rules' state".
     */
    static final boolean LATE = Boolean.parseBoolean(System.getProperty("rules.late", "true"));

    /** The views the generator produces. */
    static final Set<String> GENERATED_VIEWS = Set.of(MetricCatalog.COLLECTOR_VIEW, "pg_stat_database",
            "pg_stat_checkpointer", "pg_stat_wal", "pg_settings", "pg_stat_statements", "pg_database", "pg_stat_archiver",
            PipelineHealthFunction.VIEW);

    /** Cases per run unless {@code jqwik.tries.default} is given on the command line (the module's is 200). */
    static final int CI_TRIES = 20;

    @Property(shrinking = ShrinkingMode.OFF)
    @AddLifecycleHook(Tries.class)
    void ruleStateIsWellFormedAndAgreesWithTheReference(@ForAll long seed) throws Exception {
        String replay = System.getProperty("rules.seed");
        new Case(replay == null ? seed : Long.parseLong(replay)).run();
    }

    /**
     * The number of cases: {@link #CI_TRIES} (each case is a few thousand snapshots through both
     * operators), or {@code -Djqwik.tries.default=N} when given, as for the other property tests.
     */
    public static final class Tries implements AroundPropertyHook {
        @Override
        public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
            String given = System.getProperty("jqwik.tries.default");
            context.attributes().setTries(given == null ? CI_TRIES : Integer.parseInt(given));
            return property.execute();
        }
    }

    @Example
    void everyWindowedRuleOfTheCatalogHasAReferenceAndGeneratedInput() throws IOException {
        List<Rule> windowed = windowedRules();
        assertFalse(windowed.isEmpty(), "no rule of the catalog uses a Window: the scan is broken");
        Set<String> names = new TreeSet<>();
        for (Rule r : windowed) {
            names.add(r.name());
            // Plan changes (query_regression) only change an alert's wording, never its condition or
            // windows: the generator does not make them.
            Set<String> conditionViews = new TreeSet<>(r.definition().views());
            conditionViews.remove(PlanChangeSnapshot.VIEW);
            assertTrue(GENERATED_VIEWS.containsAll(conditionViews),
                    r.name() + " reads " + r.definition().views() + ", the generator makes " + GENERATED_VIEWS);
        }
        assertEquals(new TreeSet<>(Reference.MODELLED), names,
                "every windowed rule needs a model in Reference (and the generator its views)");
        assertFalse(usesWindow(XidWraparoundRule.class), "the scan must tell a gauge rule from a windowed one");
    }

    /** The generator is worth something only if it drives every modelled rule into its condition. */
    @Example
    void theGeneratedStreamsFireEveryWindowedRule() throws Exception {
        Set<String> wanted = new TreeSet<>(Reference.MODELLED);
        wanted.add(XidWraparoundRule.NAME);
        Set<String> fired = new TreeSet<>();
        int reordered = 0;
        int seed = 0;
        for (; seed < 40 && (!fired.containsAll(wanted) || reordered == 0); seed++) {
            Case c = new Case(seed);
            c.run();
            fired.addAll(c.fired);
            reordered += c.reordered;
        }
        Set<String> missing = new TreeSet<>(wanted);
        missing.removeAll(fired);
        assertEquals(Set.of(), missing, "rules never fired (or found) in " + seed + " cases");
        assertTrue(reordered > 0, "no snapshot ever arrived out of order");
    }

    // ------------------------------------------------------------------ the windowed rules

    /** Rules of the catalog whose class (or a superclass below Rule) refers to the engine's Window. */
    static List<Rule> windowedRules() throws IOException {
        List<Rule> out = new ArrayList<>();
        for (Rule r : RuleCatalog.all()) {
            if (usesWindow(r.getClass())) {
                out.add(r);
            }
        }
        return out;
    }

    static boolean usesWindow(Class<?> c) throws IOException {
        for (Class<?> k = c; k != null && k != Rule.class; k = k.getSuperclass()) {
            String res = k.getName().replace('.', '/') + ".class";
            try (InputStream in = k.getClassLoader().getResourceAsStream(res)) {
                assertNotNull(in, res);
                if (new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains(WINDOW_CLASS)) {
                    return true;
                }
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ one case

    record Delivery(Snapshot snapshot, long arrival, int seq) {}

    static final class Case {
        final long seed;
        final Random rnd;
        final long bound;
        final String yaml;
        final RulesConfig config;
        final Set<String> fired = new TreeSet<>();
        int late;
        int reordered;
        long proc = Long.MIN_VALUE;

        Case(long seed) {
            this.seed = seed;
            this.rnd = new Random(seed);
            this.bound = rnd.nextInt(4) == 0 ? 0 : (1 + rnd.nextInt(30)) * S + rnd.nextInt(1000);
            this.yaml = yaml(rnd);
            this.config = RulesConfig.parse(yaml, "property case " + seed);
        }

        static String pick(Random rnd, String... s) {
            return s[rnd.nextInt(s.length)];
        }

        static String yaml(Random rnd) {
            return "defaults:\n"
                    + "  renotify: " + pick(rnd, "20m", "4h") + "\n"
                    + "rules:\n"
                    + "  instance_silent: {interval: 60s, forget_after: 2h}\n"
                    + "  xid_wraparound: {for: " + pick(rnd, "0s", "30s", "1m", "3m") + ", resolve_for: "
                    + pick(rnd, "0s", "1m", "5m") + "}\n"
                    + "  cache_hit_ratio: {min_blocks_read: 10000, critical: 0.8, window: " + pick(rnd, "2m", "5m", "10m") + ", for: " + pick(rnd, "0s", "1m")
                    + "}\n"
                    + "  deadlocks: {window: " + pick(rnd, "1m", "5m", "10m") + ", resolve_for: " + pick(rnd, "0s", "2m")
                    + "}\n"
                    + "  temp_spill: {window: " + pick(rnd, "1m", "3m") + ", for: " + pick(rnd, "0s", "1m") + "}\n"
                    + "  slow_query: {window: " + pick(rnd, "2m", "5m") + ", for: " + pick(rnd, "0s", "1m") + "}\n"
                    + "  query_regression: {window: " + pick(rnd, "3m", "5m") + ", min_baseline: 20m}\n"
                    + "  checkpoint_spike: {window: " + pick(rnd, "5m", "15m") + ", for: 0s, baseline_warmup: 30m}\n"
                    + "  wal_rate_spike: {window: " + pick(rnd, "5m", "10m") + ", for: 0s, baseline_warmup: 30m,"
                    + " baseline_half_life: " + pick(rnd, "1h", "24h") + ", min_rate: 100kB, daily_pattern: "
                    + pick(rnd, "true", "false") + ", daily_min_days: " + pick(rnd, "0.1", "0.5", "3")
                    + ", daily_half_life: " + pick(rnd, "12h", "3d") + "}\n"
                    + "  wal_ready_backlog: {for: 0s, growth_window: " + pick(rnd, "5m", "15m") + ", growth_min_bytes: "
                    + pick(rnd, "200MB", "1GB") + ", wal_dir_limit: " + pick(rnd, "3GB", "1TB") + ", growth_critical_within: "
                    + pick(rnd, "10m", "1h") + "}\n"
                    + "  rollback_ratio: {window: " + pick(rnd, "10m", "1h") + ", refresh: 10m}\n"
                    + "  pipeline_restarting: {window: " + pick(rnd, "5m", "15m") + "}\n";
        }

        void run() throws Exception {
            int instances = 1 + rnd.nextInt(3);
            List<Snapshot> all = new ArrayList<>();
            long end = T0;
            for (int i = 0; i < instances; i++) {
                end = Math.max(end, new Fleet("pg-" + i, rnd).generate(all::add));
            }
            int restarts = 0;
            boolean loop = false;
            for (long t = T0 + rnd.nextInt(60_000); t <= end; t += PipelineHealthFunction.EVERY_MS) {
                if (rnd.nextInt(30) == 0) {
                    loop = !loop;
                }
                if (rnd.nextInt(200) == 0) {
                    restarts = 0; // a fresh submission
                } else if (loop ? rnd.nextInt(10) < 7 : rnd.nextInt(100) == 0) {
                    restarts++;
                }
                all.add(PipelineHealthFunction.row(t, restarts));
            }
            // Out of order across instances and across the views of one instance, within the bound
            // (with LATE, some behind the watermark: a lagging partition); each view of an instance
            // in its own order, as the job delivers it (one Kafka partition per instance, a forward
            // edge into the evaluator).
            List<Delivery> deliveries = new ArrayList<>();
            Map<String, Long> lastArrival = new HashMap<>();
            int seq = 0;
            for (Snapshot s : all) {
                long t = s.getCollectedAt();
                int kind = rnd.nextInt(100);
                long delay = kind < 4 && LATE ? bound + 1 + (long) (rnd.nextDouble() * 3 * MIN) // behind the watermark
                        : bound == 0 ? 0 : (long) (rnd.nextDouble() * bound);
                String series = s.getInstance() + '|' + s.getView();
                long arrival = Math.max(t + delay, lastArrival.getOrDefault(series, Long.MIN_VALUE));
                deliveries.add(new Delivery(s, arrival, seq++));
                if (kind >= 96) { // a duplicate
                    arrival = LATE ? arrival + (long) (rnd.nextDouble() * (bound + MIN))
                            : Math.max(arrival, t + (long) (rnd.nextDouble() * bound));
                    deliveries.add(new Delivery(s, arrival, seq++));
                }
                lastArrival.put(series, arrival);
            }
            deliveries.sort(Comparator.comparingLong(Delivery::arrival).thenComparingInt(Delivery::seq));

            String where = "seed " + seed + " (" + instances + " instances, " + deliveries.size() + " deliveries, bound "
                    + bound + " ms)";
            Reference ref = new Reference(config);
            XidReference xid = new XidReference(config);
            try (RulesHarness h = new RulesHarness(config, AlertLifecycleFunction.RESOLVED_MEMORY_MS)) {
                long[] wm = {Long.MIN_VALUE};
                long[] maxTs = {Long.MIN_VALUE};
                Consumer<Delivery> step = d -> {
                    try {
                        deliver(h, d, wm, maxTs, ref, xid, where);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                };
                try {
                    deliveries.forEach(step);
                    // the fleet stops; a keeper moves event time on until the fleet is forgotten and stale
                    long last = maxTs[0];
                    // (instance_silent learns the interval as the largest of the last gaps, up to a
                    // pause of ~50 min here, and steps by it: the fleet is forgotten within 2 h 50 min)
                    long stop = last + FORGET_AFTER + HOUR + config.staleAfterMs() + 10 * MIN + bound;
                    int k = seq;
                    for (long t = last + MIN; t <= stop; t += MIN) {
                        step.accept(new Delivery(Snapshots.of(KEEPER, MetricCatalog.COLLECTOR_VIEW, t,
                                Snapshots.row(Map.of("probe", ""), "up", 1)), t, k++));
                    }
                } catch (AssertionError e) {
                    throw new AssertionError(where + ": " + e.getMessage() + "\nrules file:\n" + yaml, e);
                } catch (RuntimeException e) {
                    throw new AssertionError(where + ": the rule operators threw " + e + "\nrules file:\n" + yaml, e);
                }
                try {
                    checkEnd(h, xid);
                } catch (AssertionError e) {
                    throw new AssertionError(where + ": " + e.getMessage() + "\nrules file:\n" + yaml, e);
                }
            }
        }

        void deliver(RulesHarness h, Delivery d, long[] wm, long[] maxTs, Reference ref, XidReference xid,
                String where) throws Exception {
            Snapshot s = d.snapshot();
            long t = s.getCollectedAt();
            if (t <= wm[0]) {
                late++;
            }
            if (t < maxTs[0]) {
                reordered++;
            }
            proc = Math.max(proc, d.arrival());
            h.setProcessingTime(proc);
            int e0 = h.evaluations.size();
            int i0 = h.insights.size();
            h.evaluator.processElement(s, t);
            h.drain();
            List<Evaluation> evs = new ArrayList<>(h.evaluations.subList(e0, h.evaluations.size()));
            List<InsightRow> ins = new ArrayList<>(h.insights.subList(i0, h.insights.size()));
            long w0 = wm[0];
            Supplier<String> at = () -> "at delivery " + d.seq() + " (" + s.getInstance() + " " + s.getView()
                    + " at " + t + (t <= w0 ? ", behind the watermark " + w0 : "") + ")";
            ref.check(s, evs, ins, at);
            xid.check(s, evs, at);
            ins.forEach(r -> fired.add(r.kind())); // insights count as fired; alert rules on FIRING, at the end
            maxTs[0] = Math.max(maxTs[0], t);
            long next = maxTs[0] - bound - 1;
            if (next > wm[0]) {
                wm[0] = next;
                h.advanceWatermark(next);
                xid.watermark(next);
            }
        }

        void checkEnd(RulesHarness h, XidReference xid) throws Exception {
            // nothing quarantined (an exception inside a rule or the lifecycle would be swallowed there)
            var evalDead = h.evaluator.getSideOutput(RuleEvaluatorFunction.DEAD_LETTERS);
            var lifeDead = h.lifecycle.getSideOutput(AlertLifecycleFunction.DEAD_LETTERS);
            for (var q : new java.util.Collection<?>[] {evalDead, lifeDead}) {
                if (q != null && !q.isEmpty()) {
                    Object first = q.iterator().next();
                    fail("internal error dead letters: " + q.size() + ", first: "
                            + ((DeadLetterRecord) ((StreamRecord<?>) first).getValue()).getDetail());
                }
            }
            Map<String, List<AlertEvent>> byFp = new LinkedHashMap<>();
            for (AlertEvent a : h.events) {
                byFp.computeIfAbsent(a.getFingerprint(), k -> new ArrayList<>()).add(a);
                if (a.getStatus() == AlertStatus.FIRING) {
                    fired.add(a.getRule());
                }
            }
            Set<String> keeperFps = new TreeSet<>();
            for (Map.Entry<String, List<AlertEvent>> e : byFp.entrySet()) {
                wellFormed(e.getValue());
                AlertEvent last = e.getValue().get(e.getValue().size() - 1);
                if (last.getInstance().equals(KEEPER)) {
                    keeperFps.add(e.getKey());
                } else {
                    assertEquals(AlertStatus.RESOLVED, last.getStatus(), "still open at the end: " + last);
                }
            }
            // xid_wraparound: exactly the reference's events
            Map<String, List<String>> got = new TreeMap<>();
            for (AlertEvent a : h.events) {
                if (a.getRule().equals(XidWraparoundRule.NAME)) {
                    got.computeIfAbsent(a.getFingerprint(), k -> new ArrayList<>()).add(XidReference.show(a.getStatus(),
                            a.getSeverity(), a.getStartedAt(), a.getEventAt()));
                }
            }
            assertEquals(new TreeMap<>(xid.events), got, "xid_wraparound events vs the reference");

            // no state left for the fleet
            List<Object> life = h.lifecycle.getOperator().getKeyedStateBackend()
                    .getKeys(AlertLifecycleFunction.STATE, VoidNamespace.INSTANCE).map(k -> (Object) k).toList();
            for (Object k : life) {
                assertTrue(keeperFps.contains(k), "lifecycle state left for " + k + " " + byFp.get(k));
            }
            for (String state : List.of(RuleEvaluatorFunction.MEMORY_STATE, RuleEvaluatorFunction.ACTIVE_STATE,
                    RuleEvaluatorFunction.INSTANCE_STATE)) {
                List<Object> keys = h.evaluator.getOperator().getKeyedStateBackend()
                        .getKeys(state, VoidNamespace.INSTANCE).map(k -> (Object) k).toList();
                for (Object k : keys) {
                    // the job's pseudo-instance is never forgotten (no presence tracking): its one
                    // window, and its active series if the loop was on when its rows stopped, stay
                    if (!(k.equals(KEEPER) || (k.equals(JOB) && !state.equals(RuleEvaluatorFunction.INSTANCE_STATE)))) {
                        var be = h.evaluator.getOperator().getKeyedStateBackend();
                        java.util.List<String> dbg = new ArrayList<>();
                        for (String st2 : List.of(RuleEvaluatorFunction.MEMORY_STATE, RuleEvaluatorFunction.ACTIVE_STATE,
                                RuleEvaluatorFunction.INSTANCE_STATE)) {
                            dbg.add(st2 + "=" + be.getKeys(st2, VoidNamespace.INSTANCE).toList());
                        }
                        dbg.add("event timers " + h.evaluator.numEventTimeTimers() + " proc timers "
                                + h.evaluator.numProcessingTimeTimers());
                        fail(state + " still holds " + k + " " + dbg);
                    }
                }
            }
        }

        /** The lifecycle of one fingerprint, in emission order. */
        void wellFormed(List<AlertEvent> ev) {
            boolean open = false;
            Severity cur = null;
            long started = -1;
            long lastAt = Long.MIN_VALUE;
            long lastNotified = -1;
            long lastResolved = Long.MIN_VALUE;
            for (int i = 0; i < ev.size(); i++) {
                AlertEvent a = ev.get(i);
                int n = i;
                Supplier<String> w = () -> "event " + n + " of " + ev.stream().map(x -> XidReference.show(x.getStatus(),
                        x.getSeverity(), x.getStartedAt(), x.getEventAt())).toList() + " (" + a + ")";
                long renotify = config.params(a.getRule(), a.getInstance(), Map.of(), a.getLabels())
                        .millis(RuleDefinition.RENOTIFY);
                assertTrue(a.getEventAt() >= lastAt, () -> "event time went back: " + w.get());
                assertTrue(a.getStartedAt() <= a.getEventAt(), () -> "started after the event: " + w.get());
                lastAt = a.getEventAt();
                if (a.getStatus() == AlertStatus.FIRING) {
                    if (!open) {
                        assertTrue(a.getStartedAt() >= lastResolved, () -> "episode started before the last one resolved: " + w.get());
                        open = true;
                        cur = a.getSeverity();
                        started = a.getStartedAt();
                    } else {
                        assertEquals(started, a.getStartedAt(), () -> "FIRING twice without RESOLVED between: " + w.get());
                        boolean escalation = a.getSeverity().compareTo(cur) > 0;
                        boolean renotified = a.getSeverity() == cur && a.getEventAt() - lastNotified >= renotify;
                        assertTrue(escalation || renotified, () -> "FIRING again, neither escalation nor re-notify: " + w.get());
                        cur = a.getSeverity();
                    }
                    lastNotified = a.getEventAt();
                } else {
                    assertTrue(open, () -> "RESOLVED without FIRING: " + w.get());
                    assertEquals(cur, a.getSeverity(), () -> "resolved at another severity: " + w.get());
                    assertEquals(started, a.getStartedAt(), () -> "resolved another episode: " + w.get());
                    assertEquals(Long.valueOf(a.getEventAt()), a.getResolvedAt(), () -> "resolved_at: " + w.get());
                    open = false;
                    lastResolved = a.getEventAt();
                }
            }
        }
    }

    // ------------------------------------------------------------------ the generator

    /** The snapshots of one simulated server. */
    static final class Fleet {
        final String instance;
        final Random rnd;
        /** datname → blks_hit, blks_read, deadlocks, temp_bytes, xact_commit, xact_rollback. */
        final Map<String, double[]> db = new LinkedHashMap<>();
        final Map<String, Long> dbReset = new HashMap<>();
        final Set<String> dbTrouble = new TreeSet<>();
        final Map<String, double[]> xid = new HashMap<>(); // datname → xid share, mxid share, size
        double[] cp = {10, 2};
        long cpReset;
        boolean cpTrouble;
        double wal = 1e9;
        long walReset;
        /** The archiver's walk has its own generator, so the other views' streams stay as they were. */
        final Random arch;
        boolean archTrouble;
        double ready;
        double walDir = 1.5e9;
        final String[] queryPool = new String[8];
        /** queryid|toplevel → calls, total_exec_time. */
        final Map<String, double[]> queries = new LinkedHashMap<>();
        final Map<String, Double> mean = new HashMap<>();

        Fleet(String instance, Random rnd) {
            this.instance = instance;
            this.rnd = rnd;
            this.arch = new Random(rnd.nextLong());
            for (int i = 0; i < queryPool.length; i++) {
                queryPool[i] = Long.toString(4_000_000L + 7919L * i);
            }
            newDb("postgres");
            newDb("app");
        }

        void newDb(String name) {
            db.put(name, new double[] {rnd.nextInt(100), rnd.nextInt(10), 0, 0, rnd.nextInt(10), 0});
            dbReset.remove(name);
            xid.put(name, new double[] {0.3 + rnd.nextDouble() * 0.5, rnd.nextDouble() * 0.6, 1e7});
        }

        /** Generates the stream; returns the time of its last snapshot. */
        long generate(Consumer<Snapshot> out) {
            long t = T0 + (long) (rnd.nextDouble() * 10 * MIN) + rnd.nextInt(1000);
            cpReset = t - HOUR;
            long[] intervals = {10 * S, 15 * S, 30 * S, 60 * S};
            int cycles = 0;
            int max = 60 + rnd.nextInt(120);
            long last = t;
            while (cycles < max) {
                long interval = intervals[rnd.nextInt(intervals.length)];
                int burst = 5 + rnd.nextInt(40);
                for (int c = 0; c < burst && cycles < max; c++, cycles++) {
                    cycle(t, out);
                    last = t;
                    t += interval + rnd.nextInt((int) (interval / 5));
                }
                int pause = rnd.nextInt(10);
                if (pause < 4) {
                    t += (long) (rnd.nextDouble() * 5 * MIN);
                } else if (pause < 6) {
                    t += 5 * MIN + (long) (rnd.nextDouble() * 40 * MIN); // longer than every window
                }
            }
            return last;
        }

        void cycle(long t, Consumer<Snapshot> out) {
            out.accept(Snapshots.of(instance, MetricCatalog.COLLECTOR_VIEW, t,
                    Snapshots.row(Map.of("probe", ""), "up", rnd.nextInt(300) == 0 ? 0 : 1)));
            database(t, out);
            checkpointer(t, out);
            walAndSettings(t, out);
            archiver(t, out);
            if (rnd.nextBoolean()) {
                statements(t, out);
            }
            pgDatabase(t, out);
        }

        void database(long t, Consumer<Snapshot> out) {
            if (rnd.nextInt(30) == 0) {
                newDb("db" + rnd.nextInt(4)); // created, or dropped and re-created: counters from zero
            }
            if (db.size() > 1 && rnd.nextInt(50) == 0) {
                String gone = new ArrayList<>(db.keySet()).get(rnd.nextInt(db.size()));
                db.remove(gone);
                xid.remove(gone);
            }
            Snapshot s = base(new MetricsSnapshot(), t, "pg_stat_database");
            String[] cols = {"blks_hit", "blks_read", "deadlocks", "temp_bytes", "xact_commit", "xact_rollback"};
            for (Map.Entry<String, double[]> e : db.entrySet()) {
                String name = e.getKey();
                double[] v = e.getValue();
                if (rnd.nextInt(15) == 0) {
                    if (!dbTrouble.remove(name)) {
                        dbTrouble.add(name);
                    }
                }
                if (rnd.nextInt(150) == 0) { // pg_stat_reset() in this database
                    dbReset.put(name, t - 500);
                    java.util.Arrays.fill(v, 0);
                }
                boolean bad = dbTrouble.contains(name);
                v[0] += bad ? 2000 + rnd.nextInt(2000) : 50_000 + rnd.nextInt(1000);
                v[1] += bad ? 1500 + rnd.nextInt(1500) : rnd.nextInt(300);
                v[2] += bad ? (rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(12) : 0) : (rnd.nextInt(100) == 0 ? 1 : 0);
                v[3] += bad ? 20_000_000 + rnd.nextInt(60_000_000) : rnd.nextInt(2_000_000);
                v[4] += 100 + rnd.nextInt(bad ? 300 : 1000);
                v[5] += bad ? 50 + rnd.nextInt(200) : rnd.nextInt(20);
                if (rnd.nextInt(25) == 0) {
                    continue; // the row is missing from this snapshot
                }
                SnapshotRow r = new SnapshotRow().label("datname", name);
                int nul = rnd.nextInt(40) == 0 ? rnd.nextInt(cols.length) : -1;
                for (int j = 0; j < cols.length; j++) {
                    r.value(cols[j], j == nul ? null : v[j]);
                }
                r.setStatsReset(dbReset.get(name));
                s.getRows().add(r);
            }
            out.accept(s);
        }

        void checkpointer(long t, Consumer<Snapshot> out) {
            if (rnd.nextInt(20) == 0) {
                cpTrouble = !cpTrouble;
            }
            if (rnd.nextInt(200) == 0) {
                cpReset = t - 200;
                cp = new double[] {0, 0};
            }
            cp[0] += cpTrouble ? (rnd.nextInt(30) == 0 ? 1 : 0) : (rnd.nextInt(20) == 0 ? 1 : 0);
            cp[1] += cpTrouble ? (rnd.nextInt(3) == 0 ? 1 : 0) : (rnd.nextInt(200) == 0 ? 1 : 0);
            if (rnd.nextInt(30) == 0) {
                return; // the probe failed this cycle
            }
            Snapshot s = base(new MetricsSnapshot(), t, "pg_stat_checkpointer");
            s.setStatsReset(cpReset);
            if (rnd.nextInt(100) != 0) {
                s.getRows().add(new SnapshotRow().value("num_timed", cp[0]).value("num_requested", cp[1]));
            }
            out.accept(s);
        }

        /** pg_stat_wal (a counter with resets, sometimes missing) and pg_settings: checkpoint_spike's wording. */
        void walAndSettings(long t, Consumer<Snapshot> out) {
            if (rnd.nextInt(200) == 0) {
                walReset = t - 300;
                wal = 0;
            }
            wal += cpTrouble ? 50_000_000 + rnd.nextInt(50_000_000) : rnd.nextInt(2_000_000);
            if (rnd.nextInt(20) != 0) {
                Snapshot s = base(new MetricsSnapshot(), t, "pg_stat_wal");
                s.setStatsReset(walReset);
                s.getRows().add(new SnapshotRow().value("wal_bytes", rnd.nextInt(100) == 0 ? null : wal));
                out.accept(s);
            }
            if (rnd.nextInt(10) == 0) {
                Snapshot s = base(new MetricsSnapshot(), t, "pg_settings");
                s.getRows().add(new SnapshotRow().value("max_wal_size_bytes", rnd.nextInt(20) == 0 ? null : 1073741824.0)
                        .value("checkpoint_timeout_seconds", 300.0));
                out.accept(s);
            }
        }

        /**
         * pg_stat_archiver: the .ready backlog and pg_wal's bytes, each a random walk that drifts
         * around its level, in trouble (archiving behind) grows every cycle; sometimes null (no
         * EXECUTE on pg_ls_waldir), sometimes the snapshot missing.
         */
        void archiver(long t, Consumer<Snapshot> out) {
            if (arch.nextInt(25) == 0) {
                archTrouble = !archTrouble;
            }
            ready = Math.max(0, ready + (archTrouble ? 1 + arch.nextInt(4) : arch.nextInt(3) - (ready > 3 ? 2 : 1)));
            walDir = Math.max(5e8, walDir + (archTrouble ? 3e7 + arch.nextInt(150_000_000) : arch.nextInt(40_000_000) - 2e7
                    - (walDir > 2e9 ? 1e8 : 0)));
            if (arch.nextInt(15) == 0) {
                return;
            }
            Snapshot s = base(new MetricsSnapshot(), t, "pg_stat_archiver");
            s.getRows().add(new SnapshotRow().value("failed_count", 0.0)
                    .value("ready_count", arch.nextInt(40) == 0 ? null : ready)
                    .value("wal_dir_bytes", arch.nextInt(30) == 0 ? null : walDir));
            out.accept(s);
        }

        void statements(long t, Consumer<Snapshot> out) {
            if (rnd.nextInt(200) == 0) {
                queries.clear(); // pg_stat_statements_reset()
            }
            if (rnd.nextInt(40) == 0 && !queries.isEmpty()) { // evicted: re-created with fresh counters
                queries.remove(new ArrayList<>(queries.keySet()).get(rnd.nextInt(queries.size())));
            }
            Snapshot s = base(new StatementsSnapshot(), t, "pg_stat_statements");
            int n = 2 + rnd.nextInt(5);
            Set<String> top = new TreeSet<>();
            while (top.size() < n) {
                top.add(queryPool[rnd.nextInt(queryPool.length)]);
            }
            for (String q : top) {
                double m = mean.computeIfAbsent(q, k -> 5.0 + rnd.nextInt(75));
                if (rnd.nextInt(25) == 0) {
                    int kind = rnd.nextInt(3);
                    m = kind == 0 ? 5.0 + rnd.nextInt(75) : kind == 1 ? 3500 + rnd.nextInt(2500) : 300 + rnd.nextInt(300);
                    mean.put(q, m);
                }
                for (String toplevel : q.hashCode() % 2 == 0 ? new String[] {"true", "false"} : new String[] {"true"}) {
                    double[] v = queries.computeIfAbsent(q + "|" + toplevel, k -> new double[2]);
                    int calls = 1 + rnd.nextInt(15);
                    v[0] += calls;
                    v[1] += calls * m * (0.8 + 0.4 * rnd.nextDouble());
                    s.getRows().add(new SnapshotRow().label("queryid", q).label("datname", "app").label("rolname", "app")
                            .label("toplevel", toplevel).value("calls", rnd.nextInt(80) == 0 ? null : v[0])
                            .value("total_exec_time", v[1]));
                }
            }
            s.getRows().add(new SnapshotRow().label("queryid", "other").label("datname", "").label("rolname", "")
                    .label("toplevel", "true").value("calls", 1e6 + t / 1000.0).value("total_exec_time", 1e12));
            out.accept(s);
        }

        void pgDatabase(long t, Consumer<Snapshot> out) {
            if (rnd.nextInt(30) == 0) {
                return;
            }
            Snapshot s = base(new MetricsSnapshot(), t, "pg_database");
            for (Map.Entry<String, double[]> e : xid.entrySet().stream()
                    .sorted(Map.Entry.comparingByKey()).toList()) {
                double[] x = e.getValue();
                x[0] = Math.max(0.2, Math.min(0.95, x[0] + rnd.nextGaussian() * 0.03
                        + (rnd.nextInt(60) == 0 ? rnd.nextDouble() - 0.5 : 0)));
                x[1] = Math.max(0, Math.min(0.9, x[1] + rnd.nextGaussian() * 0.02));
                x[2] += rnd.nextInt(100_000);
                if (rnd.nextInt(30) == 0) {
                    continue;
                }
                boolean none = rnd.nextInt(60) == 0;
                s.getRows().add(new SnapshotRow().label("datname", e.getKey())
                        .value("xid_age", none ? null : Math.floor(x[0] * WRAP))
                        .value("mxid_age", none || rnd.nextInt(5) == 0 ? null : Math.floor(x[1] * WRAP))
                        .value("size_bytes", x[2]));
            }
            out.accept(s);
        }

        <S extends Snapshot> S base(S s, long t, String view) {
            s.setInstance(instance);
            s.setServerVersionNum(170011);
            s.setCollectedAt(t);
            s.setView(view);
            s.setLabels(new LinkedHashMap<>(Map.of("env", "prop")));
            return s;
        }
    }

    // ------------------------------------------------------------------ the reference of the windowed rules

    /** A series' samples since its last reset, as a plain list; the window is a suffix of it. */
    static final class RefWindow {
        final List<Long> t = new ArrayList<>();
        final List<double[]> v = new ArrayList<>();
        long mark;

        interface Expired {
            void accept(long from, long to, double[] deltas);
        }

        void add(long at, Double[] vals, boolean counters, long marker, long windowMs, Expired expired) {
            add(at, vals, counters, marker, windowMs, 400, expired);
        }

        void add(long at, Double[] vals, boolean counters, long marker, long windowMs, int max, Expired expired) {
            for (Double d : vals) {
                if (d == null || !Double.isFinite(d)) {
                    return;
                }
            }
            boolean fresh = t.isEmpty() || mark != marker;
            if (!fresh) {
                if (at <= t.get(t.size() - 1)) {
                    return;
                }
                double[] prev = v.get(v.size() - 1);
                for (int j = 0; j < vals.length; j++) {
                    fresh |= counters && vals[j] < prev[j];
                }
            }
            if (fresh) {
                t.clear();
                v.clear();
                mark = marker;
            }
            double[] row = new double[vals.length];
            for (int j = 0; j < vals.length; j++) {
                row[j] = vals[j];
            }
            t.add(at);
            v.add(row);
            // keep one sample at or before the window start (the base of the deltas), at most 400
            while (t.size() > 2 && (t.get(1) <= at - windowMs || t.size() > max)) {
                if (expired != null) {
                    double[] d = new double[row.length];
                    for (int j = 0; j < row.length; j++) {
                        d[j] = v.get(1)[j] - v.get(0)[j];
                    }
                    expired.accept(t.get(0), t.get(1), d);
                }
                t.remove(0);
                v.remove(0);
            }
        }

        int size() {
            return t.size();
        }

        long span() {
            return t.size() < 2 ? 0 : t.get(t.size() - 1) - t.get(0);
        }

        double delta(int j) {
            return t.size() < 2 ? 0 : v.get(v.size() - 1)[j] - v.get(0)[j];
        }

        int baseSince(long since) {
            int base = 0;
            for (int i = 0; i < t.size(); i++) {
                if (t.get(i) <= since) {
                    base = i;
                }
            }
            return base;
        }

        double deltaSince(int j, long since) {
            return t.size() < 2 ? 0 : v.get(v.size() - 1)[j] - v.get(baseSince(since))[j];
        }

        long spanSince(long since) {
            return t.size() < 2 ? 0 : t.get(t.size() - 1) - t.get(baseSince(since));
        }
    }

    /** An EWMA baseline: first and last update, value. */
    static final class Baseline {
        long first;
        long last;
        double value;

        Baseline(long at, double v) {
            first = at;
            last = at;
            value = v;
        }

        void update(long at, double v, long halfLifeMs) {
            double a = 1 - Math.exp(-Math.log(2) * (at - last) / halfLifeMs);
            value += a * (v - value);
            last = at;
        }
    }

    /** wal_rate_spike's 24 hour-of-day slots and the hour being observed, as documented. */
    static final class DailyRef {
        final double[] value = new double[24];
        final double[] hours = new double[24];
        final boolean[] fed = new boolean[24];
        long hourStart = -1;
        double sum;
        double covered;

        boolean ready(int h, double minDays) {
            return fed[h] && hours[h] >= minDays;
        }

        void add(long now, double rate, double global, Double warn, long dt, double halfLifeDays) {
            long hour = now / 3_600_000L * 3_600_000L;
            if (hourStart >= 0 && hourStart != hour) {
                int prev = (int) ((hourStart / 3_600_000L) % 24);
                if (covered > 0) {
                    double cur = fed[prev] ? value[prev] : global;
                    value[prev] = cur + (1 - Math.pow(0.5, covered / 3_600_000L / halfLifeDays)) * (sum / covered - cur);
                    hours[prev] += covered / 3_600_000L;
                    fed[prev] = true;
                }
                sum = 0;
                covered = 0;
            }
            hourStart = hour;
            if (dt > 0) {
                int h = (int) ((now / 3_600_000L) % 24);
                double ref = fed[h] ? value[h] : global;
                sum += (warn != null && ref > 0 ? Math.min(rate, warn * ref) : rate) * dt;
                covered += dt;
            }
        }
    }

    /**
     * query_regression's baseline as its documentation says: decayed sums of calls and time (each
     * interval's weight halves every half-life), their ratio the baseline mean; frozen (intervals
     * skipped, not decayed) while the condition holds, for at most relearn_after.
     */
    static final class CallBaseline {
        long first;
        long last;
        double calls;
        double time;
        /** When the condition started holding, 0 when it does not. */
        long holdSince;

        CallBaseline(long at, double calls, double time) {
            first = at;
            last = at;
            this.calls = calls;
            this.time = time;
        }

        double mean() {
            return time / calls;
        }

        void update(long at, double c, double t, long halfLifeMs, boolean frozen) {
            if (!frozen) {
                double d = Math.exp(-Math.log(2) * (at - last) / halfLifeMs);
                calls = calls * d + c;
                time = time * d + t;
            }
            last = at;
        }
    }

    /**
     * What each windowed rule should say about each row, recomputed from {@link RefWindow}s keyed
     * like the rule's memory (rule, instance, series), following the rule's documentation.
     */
    static final class Reference {
        static final List<String> MODELLED = List.of(CacheHitRatioRule.NAME, CheckpointSpikeRule.NAME,
                DeadlocksRule.NAME, PipelineRestartingRule.NAME, QueryRegressionRule.NAME, RollbackRatioInsight.NAME,
                SlowQueryRule.NAME, TempSpillRule.NAME, WalRateSpikeRule.NAME, WalReadyBacklogRule.NAME);
        static final ObjectMapper JSON = new ObjectMapper();

        /** A row's expected outcome: the condition's severity (null = false) and the number. */
        record Expect(Map<String, String> labels, Severity level, Double value) {}

        final RulesConfig cfg;
        final Map<String, RefWindow> windows = new HashMap<>();
        final Map<String, Baseline> baselines = new HashMap<>();
        /** wal_rate_spike's hour-of-day baselines per instance. */
        final Map<String, DailyRef> daily = new HashMap<>();
        final Map<String, CallBaseline> callBaselines = new HashMap<>();
        final Map<String, Long> lastFinding = new HashMap<>();

        Reference(RulesConfig cfg) {
            this.cfg = cfg;
        }

        RefWindow window(String rule, String instance, String key) {
            return windows.computeIfAbsent(rule + '|' + instance + '|' + key, k -> new RefWindow());
        }

        Params params(String rule, Snapshot s, SnapshotRow row) {
            return cfg.params(rule, s.getInstance(), s.getLabels() == null ? Map.of() : s.getLabels(),
                    row.getLabels());
        }

        static Double val(SnapshotRow r, String c) {
            Double d = r.getValues().get(c);
            return d == null || !Double.isFinite(d) ? null : d;
        }

        static String label(SnapshotRow r, String k) {
            String s = r.getLabels().get(k);
            return s == null ? "" : s;
        }

        static long reset(Long l) {
            return l == null ? 0 : l;
        }

        static Severity above(double v, Double w, Double c) {
            return c != null && v > c ? Severity.CRITICAL : w != null && v > w ? Severity.WARNING : null;
        }

        static Severity below(double v, Double w, Double c) {
            return c != null && v < c ? Severity.CRITICAL : w != null && v < w ? Severity.WARNING : null;
        }

        void check(Snapshot s, List<Evaluation> evs, List<InsightRow> insights, Supplier<String> where)
                throws Exception {
            List<Map<String, Object>> findings = new ArrayList<>();
            for (String rule : MODELLED) {
                if (!RuleCatalog.byName().get(rule).reads(s.getView())) {
                    continue;
                }
                Map<String, Expect> want = new LinkedHashMap<>();
                switch (rule) {
                    case CacheHitRatioRule.NAME -> cacheHitRatio(s, want);
                    case CheckpointSpikeRule.NAME -> checkpointSpike(s, want);
                    case DeadlocksRule.NAME -> deadlocks(s, want);
                    case PipelineRestartingRule.NAME -> pipelineRestarting(s, want);
                    case QueryRegressionRule.NAME -> queryRegression(s, want);
                    case SlowQueryRule.NAME -> slowQuery(s, want);
                    case TempSpillRule.NAME -> tempSpill(s, want);
                    case WalRateSpikeRule.NAME -> walRateSpike(s, want);
                    case WalReadyBacklogRule.NAME -> walReadyBacklog(s, want);
                    case RollbackRatioInsight.NAME -> rollbackRatio(s, findings);
                    default -> fail("no model for " + rule);
                }
                compare(rule, s, want, evs, where);
            }
            List<Map<String, Object>> got = new ArrayList<>();
            for (InsightRow r : insights) {
                if (r.kind().equals(RollbackRatioInsight.NAME)) {
                    JsonNode n = JSON.readTree(r.evidenceJson());
                    got.add(Map.of("datname", r.subject(), "commits", n.get("commits").asDouble(),
                            "rollbacks", n.get("rollbacks").asDouble()));
                }
            }
            assertEquals(findings, got, () -> where.get() + ": rollback_ratio findings");
        }

        void compare(String rule, Snapshot s, Map<String, Expect> want, List<Evaluation> evs,
                Supplier<String> where) {
            Set<String> seen = new TreeSet<>();
            for (Evaluation e : evs) {
                if (!e.rule.equals(rule)) {
                    continue;
                }
                Expect x = want.get(e.fingerprint);
                Supplier<String> w = () -> where.get() + ": " + rule + " " + e.labels;
                if (x == null) {
                    // not evaluated this time: only a series that held and whose row is gone
                    assertNull(e.level, () -> w.get() + " evaluated without its row: " + e);
                    assertNull(e.value, () -> w.get() + " evaluated without its row: " + e);
                    continue;
                }
                assertTrue(seen.add(e.fingerprint), () -> w.get() + " evaluated twice");
                assertEquals(x.level(), e.level, () -> w.get() + " severity (value " + e.value + ", want " + x.value() + ")");
                if (x.value() == null) {
                    assertNull(e.value, () -> w.get() + " value");
                } else {
                    assertNotNull(e.value, () -> w.get() + " value");
                    assertEquals(x.value(), e.value, 1e-9 * Math.max(1, Math.abs(x.value())), () -> w.get() + " value");
                }
            }
            for (Map.Entry<String, Expect> x : want.entrySet()) {
                if (x.getValue().level() != null) {
                    assertTrue(seen.contains(x.getKey()), () -> where.get() + ": " + rule + " "
                            + x.getValue().labels() + " holds (" + x.getValue() + ") but was not evaluated");
                }
            }
        }

        final Map<String, String> fingerprints = new HashMap<>();

        void put(Map<String, Expect> want, String rule, Snapshot s, Map<String, String> labels, Severity level,
                Double value) {
            String fp = fingerprints.computeIfAbsent(Fingerprint.key(rule, s.getInstance(), labels),
                    k -> Fingerprint.of(rule, s.getInstance(), labels));
            want.put(fp, new Expect(labels, level, value));
        }

        void cacheHitRatio(Snapshot s, Map<String, Expect> want) {
            for (SnapshotRow row : s.getRows()) {
                String db = label(row, "datname");
                Double hit = val(row, "blks_hit");
                Double read = val(row, "blks_read");
                if (db.isEmpty() || hit == null || read == null) {
                    continue;
                }
                Params p = params(CacheHitRatioRule.NAME, s, row);
                long window = p.millis(CacheHitRatioRule.WINDOW);
                RefWindow w = window(CacheHitRatioRule.NAME, s.getInstance(), db);
                w.add(s.getCollectedAt(), new Double[] {hit, read}, true, reset(row.getStatsReset()), window, null);
                if (w.span() < window / 2) {
                    continue;
                }
                double dh = w.delta(0);
                double dr = w.delta(1);
                double ratio = dh + dr > 0 ? dh / (dh + dr) : 1.0;
                Severity level = dr < p.number(CacheHitRatioRule.MIN_BLOCKS_READ) ? null
                        : below(ratio, p.number(CacheHitRatioRule.WARNING), p.number(CacheHitRatioRule.CRITICAL));
                put(want, CacheHitRatioRule.NAME, s, Map.of("datname", db), level, ratio);
            }
        }

        void checkpointSpike(Snapshot s, Map<String, Expect> want) {
            if (s.getRows().isEmpty()) {
                return;
            }
            SnapshotRow row = s.getRows().get(0);
            Double timed = val(row, "num_timed");
            Double req = val(row, "num_requested");
            if (timed == null || req == null) {
                return;
            }
            Params p = params(CheckpointSpikeRule.NAME, s, row);
            long window = p.millis(CheckpointSpikeRule.WINDOW);
            long now = s.getCollectedAt();
            RefWindow w = window(CheckpointSpikeRule.NAME, s.getInstance(), "w");
            w.add(now, new Double[] {timed, req}, true, reset(s.getStatsReset()), window, null);
            long span = w.span();
            if (span <= 0) {
                return;
            }
            double total = w.delta(0) + w.delta(1);
            double perHour = total * 3_600_000.0 / Math.max(span, window);
            String bk = CheckpointSpikeRule.NAME + '|' + s.getInstance();
            Baseline b = baselines.get(bk);
            boolean warm = false;
            double baseline = 0;
            if (span >= window) {
                if (b == null) {
                    baselines.put(bk, new Baseline(now, perHour));
                } else {
                    warm = now - b.first >= p.millis(CheckpointSpikeRule.BASELINE_WARMUP);
                    baseline = b.value;
                    b.update(now, perHour, p.millis(CheckpointSpikeRule.BASELINE_HALF_LIFE));
                }
            }
            double share = total > 0 ? w.delta(1) / total : 0;
            boolean enough = total >= p.number(CheckpointSpikeRule.MIN_CHECKPOINTS);
            Double factor = p.number(CheckpointSpikeRule.RATE_FACTOR);
            boolean spike = factor != null && warm && enough && baseline > 0 && perHour > factor * baseline;
            Severity level = enough ? above(share, p.number(CheckpointSpikeRule.WARNING),
                    p.number(CheckpointSpikeRule.CRITICAL)) : null;
            if (level == null && spike) {
                level = Severity.WARNING;
            }
            put(want, CheckpointSpikeRule.NAME, s, Map.of(), level, share);
        }

        /**
         * wal_rate_spike as documented: the rate over the window once half of it is covered; the
         * baseline an EWMA fed the rate clipped at warning x baseline; the ratio against the
         * baseline before this sample (at least 1 B/s), only when warm and past the floor.
         */
        void walRateSpike(Snapshot s, Map<String, Expect> want) {
            if ("pg_stat_wal".equals(s.getView()) && !s.getRows().isEmpty()) {
                SnapshotRow row = s.getRows().get(0);
                Double wal = val(row, "wal_bytes");
                if (wal == null) {
                    return;
                }
                Params p = params(WalRateSpikeRule.NAME, s, row);
                long window = p.millis(WalRateSpikeRule.WINDOW);
                long now = s.getCollectedAt();
                RefWindow w = window(WalRateSpikeRule.NAME, s.getInstance(), "w");
                w.add(now, new Double[] {wal}, true, reset(s.getStatsReset()), window, null);
                if (w.span() < window / 2) {
                    return;
                }
                double rate = w.delta(0) * 1000.0 / w.span();
                Double warn = p.number(WalRateSpikeRule.WARNING);
                String bk = WalRateSpikeRule.NAME + '|' + s.getInstance();
                Baseline b = baselines.get(bk);
                double before;
                boolean warm;
                long dt = 0;
                if (b == null) {
                    baselines.put(bk, new Baseline(now, rate));
                    before = rate;
                    warm = false;
                } else {
                    before = b.value;
                    warm = now - b.first >= p.millis(WalRateSpikeRule.BASELINE_WARMUP);
                    dt = now - b.last;
                    b.update(now, warn != null && before > 0 ? Math.min(rate, warn * before) : rate,
                            p.millis(WalRateSpikeRule.BASELINE_HALF_LIFE));
                }
                double global = before;
                if (p.bool(WalRateSpikeRule.DAILY)) {
                    // The hour-of-day slots (UTC) as documented: slot h is the EWMA of the daily means
                    // of hour h (rates clipped at warning x the slot), folded when the hour is over;
                    // used once it has daily_min_days hours of covered time.
                    DailyRef dr = daily.computeIfAbsent(bk, k -> new DailyRef());
                    int hour = (int) ((now / 3_600_000L) % 24);
                    if (dr.hourStart >= 0 && dr.ready(hour, p.number(WalRateSpikeRule.DAILY_MIN_DAYS))) {
                        before = dr.value[hour];
                    }
                    dr.add(now, rate, global, warn, Math.min(dt, window),
                            p.millis(WalRateSpikeRule.DAILY_HALF_LIFE) / 86_400_000.0);
                } else {
                    daily.remove(bk);
                }
                Severity level = warm && rate >= p.number(WalRateSpikeRule.MIN_RATE)
                        ? above(rate / Math.max(before, 1.0), warn, p.number(WalRateSpikeRule.CRITICAL)) : null;
                put(want, WalRateSpikeRule.NAME, s, Map.of(), level, rate);
            }
        }

        /** max_wal_size per instance, from pg_settings (wal_ready_backlog's pg_wal growth floor). */
        final Map<String, Double> maxWalSize = new HashMap<>();

        /**
         * wal_ready_backlog as documented: the level of ready_count; the growth series holds when
         * the .ready backlog, or pg_wal while above max_wal_size (1 GB until seen), rose over the
         * growth window (covered to 90 %, at least 4 samples) by the minimum and in each third;
         * critical when pg_wal reaches wal_dir_limit within growth_critical_within at that rate.
         */
        void walReadyBacklog(Snapshot s, Map<String, Expect> want) {
            if (s.getRows().isEmpty()) {
                return;
            }
            SnapshotRow row = s.getRows().get(0);
            if ("pg_settings".equals(s.getView())) {
                Double m = val(row, "max_wal_size_bytes");
                if (m != null) {
                    maxWalSize.put(s.getInstance(), m);
                }
                return;
            }
            Params p = params(WalReadyBacklogRule.NAME, s, row);
            Double ready = val(row, "ready_count");
            Double dir = val(row, "wal_dir_bytes");
            if (ready != null) {
                put(want, WalReadyBacklogRule.NAME, s, Map.of(),
                        above(ready, p.number(WalReadyBacklogRule.WARNING), p.number(WalReadyBacklogRule.CRITICAL)), ready);
            }
            long window = p.millis(WalReadyBacklogRule.GROWTH_WINDOW);
            RefWindow r = window(WalReadyBacklogRule.NAME, s.getInstance(), "r");
            RefWindow d = window(WalReadyBacklogRule.NAME, s.getInstance(), "d");
            long now = s.getCollectedAt();
            r.add(now, new Double[] {ready}, false, 0, window, 120, null);
            d.add(now, new Double[] {dir}, false, 0, window, 120, null);
            double maxWal = maxWalSize.getOrDefault(s.getInstance(), 1024.0 * 1024 * 1024);
            boolean backlog = ready != null && steady(r, window, p.number(WalReadyBacklogRule.GROWTH_MIN_SEGMENTS));
            boolean wal = dir != null && dir > maxWal && steady(d, window, p.number(WalReadyBacklogRule.GROWTH_MIN_BYTES));
            Severity level = backlog || wal ? Severity.WARNING : null;
            Double limit = p.number(WalReadyBacklogRule.WAL_DIR_LIMIT);
            if (wal && limit != null) {
                double perSec = d.delta(0) * 1000.0 / d.span();
                if (Math.max(0, (limit - dir) / perSec) * 1000 <= p.millis(WalReadyBacklogRule.GROWTH_CRITICAL_WITHIN)) {
                    level = Severity.CRITICAL;
                }
            }
            Double value = null;
            if (backlog) {
                value = r.delta(0);
            } else if (wal) {
                value = d.delta(0);
            }
            put(want, WalReadyBacklogRule.NAME, s, Map.of("trend", "growing"), level, value);
        }

        static boolean steady(RefWindow w, long window, double min) {
            if (w.size() < 4 || w.span() < window * 9 / 10 || w.delta(0) < min) {
                return false;
            }
            long t0 = w.t.get(0);
            for (int k = 0; k < 3; k++) {
                if (valueAt(w, t0 + w.span() * (k + 1) / 3) <= valueAt(w, t0 + w.span() * k / 3)) {
                    return false;
                }
            }
            return true;
        }

        static double valueAt(RefWindow w, long t) {
            double v = w.v.get(0)[0];
            for (int i = 0; i < w.size() && w.t.get(i) <= t; i++) {
                v = w.v.get(i)[0];
            }
            return v;
        }

        void deadlocks(Snapshot s, Map<String, Expect> want) {
            for (SnapshotRow row : s.getRows()) {
                String db = label(row, "datname");
                Double d = val(row, "deadlocks");
                if (db.isEmpty() || d == null) {
                    continue;
                }
                Params p = params(DeadlocksRule.NAME, s, row);
                RefWindow w = window(DeadlocksRule.NAME, s.getInstance(), db);
                w.add(s.getCollectedAt(), new Double[] {d}, true, reset(row.getStatsReset()),
                        p.millis(DeadlocksRule.WINDOW), null);
                if (w.size() < 2) {
                    continue;
                }
                long since = s.getCollectedAt() - 60_000;
                double inWindow = w.delta(0);
                long span = w.spanSince(since);
                double perMinute = span >= 60_000 ? w.deltaSince(0, since) * 60_000.0 / span : w.deltaSince(0, since);
                double rate = inWindow * 60_000.0 / Math.max(w.span(), p.millis(DeadlocksRule.WINDOW));
                Double c = p.number(DeadlocksRule.CRITICAL);
                Double wn = p.number(DeadlocksRule.WARNING);
                boolean critical = c != null && perMinute > c;
                Severity level = critical ? Severity.CRITICAL : wn != null && rate > wn ? Severity.WARNING : null;
                put(want, DeadlocksRule.NAME, s, Map.of("datname", db), level, critical ? perMinute : rate);
            }
        }

        void pipelineRestarting(Snapshot s, Map<String, Expect> want) {
            for (SnapshotRow row : s.getRows()) {
                Double restarts = val(row, "restarts");
                if (restarts == null) {
                    continue;
                }
                Params p = params(PipelineRestartingRule.NAME, s, row);
                RefWindow w = window(PipelineRestartingRule.NAME, s.getInstance(), "restarts");
                w.add(s.getCollectedAt(), new Double[] {restarts}, true, 0, p.millis(PipelineRestartingRule.WINDOW),
                        null);
                double inWindow = w.size() < 2 ? 0 : w.delta(0);
                Severity level = inWindow > p.number(PipelineRestartingRule.MAX_RESTARTS)
                        ? p.get(PipelineRestartingRule.SEVERITY) : null;
                put(want, PipelineRestartingRule.NAME, s, Map.of(), level, inWindow);
            }
        }

        /** The statement rows the query rules read: not "other", calls and total_exec_time present. */
        static List<SnapshotRow> queryRows(Snapshot s) {
            List<SnapshotRow> out = new ArrayList<>();
            for (SnapshotRow row : s.getRows()) {
                if (!label(row, "queryid").equals("other") && val(row, "calls") != null
                        && val(row, "total_exec_time") != null) {
                    out.add(row);
                }
            }
            return out;
        }

        static Map<String, String> queryLabels(SnapshotRow row) {
            Map<String, String> m = new LinkedHashMap<>();
            for (String k : List.of("queryid", "datname", "rolname", "toplevel")) {
                m.put(k, label(row, k));
            }
            return m;
        }

        void slowQuery(Snapshot s, Map<String, Expect> want) {
            for (SnapshotRow row : queryRows(s)) {
                Map<String, String> labels = queryLabels(row);
                Params p = params(SlowQueryRule.NAME, s, row);
                RefWindow w = window(SlowQueryRule.NAME, s.getInstance(), labels.toString());
                w.add(s.getCollectedAt(), new Double[] {val(row, "calls"), val(row, "total_exec_time")}, true, 0,
                        p.millis(SlowQueryRule.WINDOW), null);
                double dc = w.delta(0);
                if (dc <= 0) {
                    put(want, SlowQueryRule.NAME, s, labels, null, 0.0);
                    continue;
                }
                double mean = w.delta(1) / dc;
                Severity level = dc < p.number(SlowQueryRule.MIN_CALLS) ? null
                        : above(mean, p.number(SlowQueryRule.WARNING), p.number(SlowQueryRule.CRITICAL));
                put(want, SlowQueryRule.NAME, s, labels, level, mean);
            }
        }

        void queryRegression(Snapshot s, Map<String, Expect> want) {
            for (SnapshotRow row : queryRows(s)) {
                Map<String, String> labels = queryLabels(row);
                Params p = params(QueryRegressionRule.NAME, s, row);
                String bk = QueryRegressionRule.NAME + '|' + s.getInstance() + '|' + labels;
                long halfLife = p.millis(QueryRegressionRule.BASELINE_HALF_LIFE);
                CallBaseline before = callBaselines.get(bk);
                boolean frozen = before != null && before.holdSince > 0
                        && s.getCollectedAt() - before.holdSince < p.millis(QueryRegressionRule.RELEARN_AFTER);
                RefWindow w = window(QueryRegressionRule.NAME, s.getInstance(), labels.toString());
                // an interval enters the baseline when it leaves the window (unless frozen)
                w.add(s.getCollectedAt(), new Double[] {val(row, "calls"), val(row, "total_exec_time")}, true, 0,
                        p.millis(QueryRegressionRule.WINDOW), (from, to, d) -> {
                            if (d[0] > 0) {
                                CallBaseline b = callBaselines.get(bk);
                                if (b == null) {
                                    callBaselines.put(bk, new CallBaseline(to, d[0], d[1]));
                                } else {
                                    b.update(to, d[0], d[1], halfLife, frozen);
                                }
                            }
                        });
                CallBaseline b = callBaselines.get(bk);
                double dc = w.delta(0);
                if (dc <= 0 || b == null || b.mean() <= 0) {
                    put(want, QueryRegressionRule.NAME, s, labels, null, null);
                    continue;
                }
                double mean = w.delta(1) / dc;
                double ratio = mean / b.mean();
                double added = dc * 1000.0 / Math.max(w.span(), 1) * (mean - b.mean());
                boolean applies = dc >= p.number(QueryRegressionRule.MIN_CALLS)
                        && mean > p.number(QueryRegressionRule.MIN_MEAN_MS)
                        && added >= p.number(QueryRegressionRule.MIN_ADDED_MS_PER_S)
                        && b.last - b.first >= p.millis(QueryRegressionRule.MIN_BASELINE);
                Severity level = applies ? above(ratio, p.number(QueryRegressionRule.WARNING),
                        p.number(QueryRegressionRule.CRITICAL)) : null;
                b.holdSince = level == null ? 0 : b.holdSince > 0 ? b.holdSince : s.getCollectedAt();
                put(want, QueryRegressionRule.NAME, s, labels, level, ratio);
            }
        }

        void tempSpill(Snapshot s, Map<String, Expect> want) {
            for (SnapshotRow row : s.getRows()) {
                String db = label(row, "datname");
                Double b = val(row, "temp_bytes");
                if (db.isEmpty() || b == null) {
                    continue;
                }
                Params p = params(TempSpillRule.NAME, s, row);
                RefWindow w = window(TempSpillRule.NAME, s.getInstance(), db);
                w.add(s.getCollectedAt(), new Double[] {b}, true, reset(row.getStatsReset()),
                        p.millis(TempSpillRule.WINDOW), null);
                if (w.span() <= 0) {
                    continue;
                }
                double perMin = w.delta(0) * 60_000.0 / w.span();
                put(want, TempSpillRule.NAME, s, Map.of("datname", db),
                        above(perMin, p.number(TempSpillRule.WARNING), p.number(TempSpillRule.CRITICAL)), perMin);
            }
        }

        void rollbackRatio(Snapshot s, List<Map<String, Object>> findings) {
            for (SnapshotRow row : s.getRows()) {
                String db = label(row, "datname");
                Double c = val(row, "xact_commit");
                Double r = val(row, "xact_rollback");
                if (db.isEmpty() || c == null || r == null) {
                    continue;
                }
                Params p = params(RollbackRatioInsight.NAME, s, row);
                RefWindow w = window(RollbackRatioInsight.NAME, s.getInstance(), db);
                w.add(s.getCollectedAt(), new Double[] {c, r}, true, reset(row.getStatsReset()),
                        p.millis(RollbackRatioInsight.WINDOW), null);
                double dc = w.delta(0);
                double dr = w.delta(1);
                double ratio = dc + dr > 0 ? dr / (dc + dr) : 0;
                String fk = s.getInstance() + '|' + db;
                Long last = lastFinding.get(fk);
                if (dc + dr < p.number(RollbackRatioInsight.MIN_TRANSACTIONS)
                        || ratio <= p.number(RollbackRatioInsight.THRESHOLD)
                        || (last != null && s.getCollectedAt() - last < p.millis(RuleDefinition.REFRESH))) {
                    continue;
                }
                lastFinding.put(fk, s.getCollectedAt());
                findings.add(Map.of("datname", db, "commits", dc, "rollbacks", dr));
            }
        }
    }

    // ------------------------------------------------------------------ the reference of a gauge rule

    /**
     * xid_wraparound, from the stream alone: per series (instance, datname) the condition of each
     * snapshot, the evaluator's duty to keep evaluating a series that held until it has been false
     * for {@code resolve_for} (also when its row is missing), and the documented lifecycle —
     * pending until the condition held for {@code for}, FIRING at the highest severity that held
     * that long, escalation, re-notify, RESOLVED after {@code resolve_for} of false evaluations (on
     * the data, or when the watermark passes it) or when nothing evaluated the series for
     * {@code stale_after}; an evaluation older than the series' last one is ignored, and so is one at
     * or before its last RESOLVED while the lifecycle remembers that (late snapshots).
     */
    static final class XidReference {
        final RulesConfig cfg;
        /** Series the evaluator keeps evaluating: fingerprint → (instance, labels, clear since or -1). */
        final Map<String, Object[]> active = new LinkedHashMap<>();
        final Map<String, St> st = new HashMap<>();
        final Map<String, List<String>> events = new TreeMap<>();
        /** Time of each fingerprint's last RESOLVED, while the lifecycle remembers it. */
        final Map<String, Long> resolved = new HashMap<>();
        final long forMs;
        final long resolveForMs;
        final long renotifyMs;
        final long staleMs;

        /** Lifecycle of one fingerprint. */
        static final class St {
            boolean firing;
            Severity fired;
            long startedAt = -1;
            long warningSince = -1;
            long criticalSince = -1;
            long clearSince = -1;
            long lastEvalAt;
            long lastNotified;
            long due = -1;
        }

        XidReference(RulesConfig cfg) {
            this.cfg = cfg;
            Params p = cfg.base(XidWraparoundRule.NAME);
            forMs = p.millis(RuleDefinition.FOR);
            resolveForMs = p.millis(RuleDefinition.RESOLVE_FOR);
            renotifyMs = p.millis(RuleDefinition.RENOTIFY);
            staleMs = Math.max(cfg.staleAfterMs(), resolveForMs + 1);
        }

        static String show(AlertStatus status, Severity sev, long started, long at) {
            return status.wire() + " " + sev + " started " + started + " at " + at;
        }

        void check(Snapshot s, List<Evaluation> evs, Supplier<String> where) {
            if (!s.getView().equals("pg_database")) {
                return;
            }
            long at = s.getCollectedAt();
            Params p = cfg.base(XidWraparoundRule.NAME);
            Double warn = p.number(XidWraparoundRule.WARNING);
            Double crit = p.number(XidWraparoundRule.CRITICAL);
            List<Object[]> want = new ArrayList<>(); // fingerprint, level, value
            Set<String> present = new TreeSet<>();
            for (SnapshotRow row : s.getRows()) {
                Double x = Reference.val(row, "xid_age");
                Double m = Reference.val(row, "mxid_age");
                if (x == null && m == null) {
                    continue;
                }
                double v = Math.max(x == null ? 0 : x, m == null ? 0 : m) / WRAP;
                Severity level = Reference.above(v, warn, crit);
                Map<String, String> labels = Map.of("datname", Reference.label(row, "datname"));
                String fp = Fingerprint.of(XidWraparoundRule.NAME, s.getInstance(), labels);
                present.add(fp);
                Object[] a = active.get(fp);
                if (level == null && a == null) {
                    continue;
                }
                want.add(new Object[] {fp, level, v});
                if (level != null) {
                    active.put(fp, new Object[] {s.getInstance(), -1L});
                } else {
                    clearing(fp, at);
                }
            }
            for (String fp : new ArrayList<>(active.keySet())) {
                if (active.get(fp)[0].equals(s.getInstance()) && !present.contains(fp)) {
                    want.add(new Object[] {fp, null, null}); // the row is gone: false
                    clearing(fp, at);
                }
            }
            // the evaluator said the same (order aside)
            Map<String, String> w = new TreeMap<>();
            for (Object[] e : want) {
                w.put((String) e[0], e[1] + " " + e[2]);
            }
            Map<String, String> g = new TreeMap<>();
            for (Evaluation e : evs) {
                if (e.rule.equals(XidWraparoundRule.NAME)) {
                    assertTrue(g.put(e.fingerprint, e.level + " " + e.value) == null,
                            () -> where.get() + ": evaluated twice");
                }
            }
            assertEquals(w, g, () -> where.get() + ": xid_wraparound evaluations");
            for (Object[] e : want) {
                evaluation((String) e[0], (Severity) e[1], at);
            }
        }

        void clearing(String fp, long at) {
            Object[] a = active.get(fp);
            long since = (Long) a[1] < 0 ? at : (Long) a[1];
            if (at - since >= resolveForMs) {
                active.remove(fp);
            } else {
                active.put(fp, new Object[] {a[0], since});
            }
        }

        void emit(String fp, AlertStatus status, Severity sev, St s, long at) {
            events.computeIfAbsent(fp, k -> new ArrayList<>()).add(show(status, sev, s.startedAt, at));
            if (status == AlertStatus.RESOLVED) {
                resolved.put(fp, at);
            }
        }

        void evaluation(String fp, Severity level, long at) {
            Long r = resolved.get(fp);
            if (r != null && at <= r) {
                return; // late: its episode already resolved after it
            }
            St s = st.get(fp);
            if (s != null && at < s.lastEvalAt) {
                return; // older than the last one: a replay
            }
            if (level == null) {
                if (s == null) {
                    return;
                }
                s.lastEvalAt = at;
                s.warningSince = -1;
                s.criticalSince = -1;
                if (!s.firing) {
                    st.remove(fp); // pending ends
                    return;
                }
                if (s.clearSince < 0) {
                    s.clearSince = at;
                }
                if (at - s.clearSince >= resolveForMs) {
                    emit(fp, AlertStatus.RESOLVED, s.fired, s, at);
                    st.remove(fp);
                    return;
                }
                schedule(s);
                return;
            }
            if (s == null) {
                s = new St();
                st.put(fp, s);
            }
            s.lastEvalAt = at;
            s.clearSince = -1;
            if (s.startedAt < 0) {
                s.startedAt = at;
            }
            // warning holds whenever critical does (both thresholds set); critical only at critical
            if (s.warningSince < 0) {
                s.warningSince = at;
            }
            if (level == Severity.CRITICAL) {
                if (s.criticalSince < 0) {
                    s.criticalSince = at;
                }
            } else {
                s.criticalSince = -1;
            }
            Severity target = null;
            if (at - s.warningSince >= forMs) {
                target = Severity.WARNING;
            }
            if (s.criticalSince >= 0 && at - s.criticalSince >= forMs) {
                target = Severity.CRITICAL;
            }
            if (!s.firing) {
                if (target != null) {
                    s.firing = true;
                    s.fired = target;
                    s.lastNotified = at;
                    emit(fp, AlertStatus.FIRING, target, s, at);
                }
            } else if (target != null && target.compareTo(s.fired) > 0) {
                s.fired = target;
                s.lastNotified = at;
                emit(fp, AlertStatus.FIRING, target, s, at);
            } else if (at - s.lastNotified >= renotifyMs) {
                s.lastNotified = at;
                emit(fp, AlertStatus.FIRING, s.fired, s, at);
            }
            schedule(s);
        }

        void schedule(St s) {
            long due = s.lastEvalAt + staleMs;
            if (s.firing && s.clearSince >= 0) {
                due = Math.min(due, s.clearSince + resolveForMs);
            }
            s.due = due;
        }

        void watermark(long wm) {
            while (true) {
                String next = null;
                for (Map.Entry<String, St> e : st.entrySet()) {
                    if (e.getValue().due >= 0 && e.getValue().due <= wm
                            && (next == null || e.getValue().due < st.get(next).due)) {
                        next = e.getKey();
                    }
                }
                if (next == null) {
                    resolved.values().removeIf(r -> r + AlertLifecycleFunction.RESOLVED_MEMORY_MS <= wm);
                    return;
                }
                St s = st.get(next);
                long t = s.due;
                s.due = -1;
                if (s.firing && s.clearSince >= 0 && t >= s.clearSince + resolveForMs) {
                    emit(next, AlertStatus.RESOLVED, s.fired, s, s.clearSince + resolveForMs);
                    st.remove(next);
                } else if (t >= s.lastEvalAt + staleMs) {
                    if (s.firing) {
                        emit(next, AlertStatus.RESOLVED, s.fired, s, t);
                    }
                    st.remove(next);
                } else {
                    schedule(s);
                }
            }
        }
    }

}
