package dev.datainsight.rules.defs;

import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.engine.ParamDef;
import dev.datainsight.rules.engine.Rule;
import dev.datainsight.rules.engine.RuleContext;
import dev.datainsight.rules.engine.RuleDefinition;
import java.time.Duration;

/**
 * <b>instance_silent</b>: no snapshot at all from an instance for 3 collection intervals (the
 * interval is learnt from the collector-health snapshots, one per cycle, else {@code interval}).
 * Evaluated by timers in {@link dev.datainsight.rules.engine.SilenceDetector}, not by
 * snapshots: an event-time timer (fires when other instances move the watermark) and a
 * processing-time timer (fires when the whole input is idle).
 *
 * <p>Why: "no data" must be a signal. instance_down needs a collector that still reports; this
 * catches a dead collector, a Kafka outage, or a stalled partition. Three intervals tolerate one
 * slow cycle and normal Kafka batching.
 */
public final class InstanceSilentRule extends Rule {
    public static final ParamDef<Duration> INTERVAL = ParamDef.duration("interval", "10s",
            "collection interval used until it is learnt from the collector's cycles");
    public static final ParamDef<Double> INTERVALS = ParamDef.number("intervals", 3.0,
            "how many intervals without a snapshot count as silent");
    public static final ParamDef<Severity> SEVERITY = ParamDef.severity("severity", Severity.WARNING,
            "severity of the alert");
    public static final ParamDef<Duration> FORGET_AFTER = ParamDef.duration("forget_after", "7d",
            "after this much silence the instance is considered decommissioned: its rule state is dropped and its alerts resolve as stale");

    private static final long serialVersionUID = 1L;
    public static final String NAME = "instance_silent";

    @Override
    protected RuleDefinition define() {
        return RuleDefinition.alert(NAME, "0s", "0s")
                .detects("No snapshot from an instance for several collection intervals (collector, Kafka or "
                        + "partition problem).")
                .why("Absence must page: instance_down needs a collector that still reports. Three intervals tolerate "
                        + "one slow cycle; detected with event-time and processing-time timers, so it fires even when "
                        + "the whole input is idle.")
                .runbook("Check the collector process and its log, the Kafka producer metrics (buffer drops), and "
                        + "the job's consumer lag for the instance's partition.")
                .param(INTERVAL)
                .param(INTERVALS)
                .param(SEVERITY)
                .param(FORGET_AFTER)
                .build();
    }

    @Override
    public boolean reads(String view) {
        return false;
    }

    @Override
    public void evaluate(Snapshot s, RuleContext ctx) {
        // Timer-driven: see SilenceDetector.
    }
}
