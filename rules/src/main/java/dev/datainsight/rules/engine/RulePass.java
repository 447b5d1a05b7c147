package dev.datainsight.rules.engine;

import dev.datainsight.model.AlertContext;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.rules.RulesConfig;
import dev.datainsight.store.InsightRow;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.util.Collector;

/**
 * The {@link RuleContext} of one rule's pass over one snapshot of one instance: the rule's
 * memories live in the instance's {@code rule-memory} map under {@code "<rule>|<key>"}, and every
 * series whose condition holds (or is clearing) has an entry in the {@code rule-active-series}
 * map, keyed by fingerprint. Created by {@link RuleEvaluatorFunction} for each pass and dropped
 * after {@link #end()}.
 *
 * <p>A series that held and is reported false, or whose row is missing from the next snapshot of
 * its view, keeps being sent as false until {@code resolve_for} has passed, then its entry is
 * removed (see {@link ActiveSeries}).
 *
 * <p>Every evaluation carries the instance's fleet labels (the snapshot's labels) and, when the
 * rule reported it with {@link #alert(Params, Map, Severity, Double, Double, Double, String, String,
 * AlertContext)} and the condition holds, the bounded context ({@link AlertContext#bounded()}).
 */
final class RulePass implements RuleContext {
    private final RulesConfig config;
    private final Rule rule;
    private final Snapshot snapshot;
    private final String instance;
    private final MapState<String, Memory> memory;
    private final MapState<String, ActiveSeries> active;
    private final DetailRows details;
    private final Collector<Evaluation> out;
    private final Consumer<InsightRow> insights;
    private final boolean standby;
    /** Fingerprints reported in this pass; the active ones of the same rule and view not in it are gone. */
    private final Set<String> touched = new HashSet<>();
    /** The context of the alert being reported by the overload with a context; null otherwise. */
    private AlertContext context;

    RulePass(RulesConfig config, Rule rule, Snapshot snapshot, String instance, MapState<String, Memory> memory,
            MapState<String, ActiveSeries> active, DetailRows details, Collector<Evaluation> out,
            Consumer<InsightRow> insights, boolean standby) {
        this.config = config;
        this.standby = standby;
        this.rule = rule;
        this.snapshot = snapshot;
        this.instance = instance;
        this.memory = memory;
        this.active = active;
        this.details = details;
        this.out = out;
        this.insights = insights;
    }

    @Override
    public String instance() {
        return instance;
    }

    @Override
    public long now() {
        return snapshot.getCollectedAt();
    }

    @Override
    public boolean standby() {
        return standby;
    }

    @Override
    public List<SnapshotRow> detail(String view) {
        return details.of(instance, view, snapshot.getCollectedAt());
    }

    @Override
    public Params params(Map<String, String> rowLabels) {
        return config.params(rule.name(), instance, snapshot.getLabels(), rowLabels);
    }

    @Override
    public Memory memory(String key) throws Exception {
        return memory.get(rule.name() + '|' + key);
    }

    @Override
    public void remember(String key, Memory m) throws Exception {
        m.touched = now();
        memory.put(rule.name() + '|' + key, m);
    }

    @Override
    public void forget(String key) throws Exception {
        memory.remove(rule.name() + '|' + key);
    }

    @Override
    public void alert(Params p, Map<String, String> labels, Severity level, Double value, Double warning,
            Double critical, String summary, String description) throws Exception {
        emit(p, labels, level, value, null, warning, critical, summary, description);
    }

    @Override
    public void alert(Params p, Map<String, String> labels, Severity level, Double value, Double warning,
            Double critical, String summary, String description, AlertContext context) throws Exception {
        this.context = context;
        try {
            alert(p, labels, level, value, warning, critical, summary, description);
        } finally {
            this.context = null;
        }
    }

    @Override
    public void info(Params p, Map<String, String> labels, boolean holds, Double value, Double threshold,
            String summary, String description) throws Exception {
        emit(p, labels, holds ? Severity.INFO : null, value, threshold, null, null, summary, description);
    }

    private void emit(Params p, Map<String, String> labels, Severity level, Double value, Double info,
            Double warning, Double critical, String summary, String description) throws Exception {
        if (!p.enabled()) {
            level = null;
        }
        String fp = Fingerprint.of(rule.name(), instance, labels);
        touched.add(fp);
        ActiveSeries a = active.get(fp);
        if (level == null && a == null) {
            return;
        }
        Evaluation e = Evaluations.base(config, rule.name(), instance, labels, p, snapshot.getCollectedAt());
        e.level = level;
        e.value = value;
        e.infoThreshold = info;
        e.warningThreshold = warning;
        e.criticalThreshold = critical;
        e.summary = summary;
        e.description = description;
        e.instanceLabels = new LinkedHashMap<>(snapshot.getLabels());
        if (context != null && level != null) {
            e.context = context.bounded();
        }
        out.collect(e);
        if (level != null) {
            if (a == null || a.clearSince >= 0) {
                a = a == null ? new ActiveSeries() : a;
                a.rule = rule.name();
                a.view = snapshot.getView();
                a.labels = new LinkedHashMap<>(labels);
                a.clearSince = -1;
                active.put(fp, a);
            }
        } else {
            clearing(fp, a, e);
        }
    }

    /** Keeps a clearing series until resolve_for has passed, then forgets it. */
    private void clearing(String fp, ActiveSeries a, Evaluation e) throws Exception {
        if (a.clearSince < 0) {
            a.clearSince = e.at;
        }
        if (e.at - a.clearSince >= e.resolveForMs) {
            active.remove(fp);
        } else {
            active.put(fp, a);
        }
    }

    @Override
    public void insight(String kind, String subject, String severity, String summary, String evidenceJson) {
        insights.accept(new InsightRow(instance, kind, subject, severity, summary, evidenceJson, now()));
    }

    /** Ends the pass: series of this rule and view that held before but whose row is gone turn false. */
    void end() throws Exception {
        if (rule.definition().kind() != RuleDefinition.Kind.ALERT) {
            return;
        }
        List<String> gone = new ArrayList<>();
        for (Iterator<Map.Entry<String, ActiveSeries>> it = active.iterator(); it.hasNext(); ) {
            Map.Entry<String, ActiveSeries> en = it.next();
            ActiveSeries a = en.getValue();
            if (a.rule.equals(rule.name()) && a.view.equals(snapshot.getView()) && !touched.contains(en.getKey())) {
                gone.add(en.getKey());
            }
        }
        for (String fp : gone) {
            ActiveSeries a = active.get(fp);
            Params p = params(a.labels);
            Evaluation e = Evaluations.base(config, rule.name(), instance, a.labels, p, snapshot.getCollectedAt());
            e.summary = "no longer present in " + snapshot.getView();
            e.description = "The row that triggered this alert is gone from the latest " + snapshot.getView()
                    + " snapshot.";
            e.instanceLabels = new LinkedHashMap<>(snapshot.getLabels());
            out.collect(e);
            clearing(fp, a, e);
        }
    }
}
