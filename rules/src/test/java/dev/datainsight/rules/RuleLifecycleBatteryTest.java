package dev.datainsight.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.AlertStatus;
import dev.datainsight.model.Severity;
import dev.datainsight.model.Snapshot;
import dev.datainsight.rules.Scenario.Level;
import dev.datainsight.rules.engine.AlertLifecycleFunction;
import org.apache.flink.runtime.state.VoidNamespace;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The lifecycle contract, rule by rule, on the real operators in Flink's keyed test harness:
 * fires after exactly {@code for} (2 min here) and not before; stays quiet just below the
 * threshold; resolves after {@code resolve_for}; does not flap on a value oscillating around the
 * threshold; escalates warning → critical with one event; leaves no state or timer behind; and
 * survives a snapshot/restore mid-incident without re-paging.
 */
class RuleLifecycleBatteryTest {

    static Stream<Arguments> scenarios() {
        return Scenario.all().stream().map(s -> Arguments.of(s.get().rule, s));
    }

    private static final class Run {
        final Scenario s;
        RulesHarness h;
        long t = 1_700_000_000_000L;

        Run(Scenario s) throws Exception {
            this(s, false);
        }

        Run(Scenario s, boolean rocksDb) throws Exception {
            this.s = s;
            this.h = new RulesHarness(s.config(), rocksDb);
        }

        List<AlertEvent> step(Level l) throws Exception {
            List<AlertEvent> out = new java.util.ArrayList<>();
            for (Snapshot snap : s.at(t, l)) {
                out.addAll(h.push(snap));
            }
            t += s.stepMs;
            return out;
        }

        /** Steps at a level for a duration; returns the events. */
        List<AlertEvent> run(Level l, long ms) throws Exception {
            List<AlertEvent> out = new java.util.ArrayList<>();
            long end = t + ms;
            while (t < end) {
                out.addAll(step(l));
            }
            return out;
        }

        /** Steps at a level until an event arrives (or the limit); returns the events. */
        List<AlertEvent> until(Level l, long limitMs) throws Exception {
            long end = t + limitMs;
            while (t < end) {
                List<AlertEvent> ev = step(l);
                if (!ev.isEmpty()) {
                    return ev;
                }
            }
            return List.of();
        }
    }

    private static Run warmedUp(Supplier<Scenario> sup) throws Exception {
        return warmedUp(sup, false);
    }

    private static Run warmedUp(Supplier<Scenario> sup, boolean rocksDb) throws Exception {
        Run r = new Run(sup.get(), rocksDb);
        assertEquals(List.of(), r.run(Level.HEALTHY, r.s.warmupMs), "healthy warm-up must be silent");
        return r;
    }

    private static AlertEvent fire(Run r) throws Exception {
        long onset = r.t;
        List<AlertEvent> ev = r.until(Level.WARNING, r.s.onsetLagMs + Scenario.FOR_MS + 5 * r.s.stepMs);
        assertEquals(1, ev.size(), r.s + ": expected one firing event, got " + ev);
        AlertEvent a = ev.get(0);
        assertEquals(AlertStatus.FIRING, a.getStatus());
        assertEquals(r.s.first, a.getSeverity());
        assertEquals(r.s.rule, a.getRule());
        assertEquals(Scenario.FOR_MS, a.getEventAt() - a.getStartedAt(),
                r.s + ": must fire exactly `for` after the condition first held");
        assertTrue(a.getStartedAt() >= onset && a.getStartedAt() <= onset + r.s.onsetLagMs + r.s.stepMs,
                r.s + ": condition must start holding within the window lag of the onset");
        assertTrue(a.getSummary() != null && !a.getSummary().isBlank());
        if (r.s.summaryPattern != null) {
            assertTrue(a.getSummary().matches(r.s.summaryPattern), r.s + ": " + a.getSummary());
        }
        return a;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void firesAfterExactlyFor_notBefore(String name, Supplier<Scenario> sup) throws Exception {
        Run r = warmedUp(sup);
        AlertEvent a = fire(r);
        assertTrue(a.getFingerprint().matches("[0-9a-f]{16}"));
        assertEquals(List.of(), r.run(Level.WARNING, 10 * 60_000), "no event while it keeps firing");
        r.h.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void staysQuiet_justBelowThreshold(String name, Supplier<Scenario> sup) throws Exception {
        Run r = warmedUp(sup);
        assertEquals(List.of(), r.run(Level.JUST_BELOW, 30 * 60_000L));
        r.h.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void resolvesAfterResolveFor_andLeavesNoStateOrTimers(String name, Supplier<Scenario> sup) throws Exception {
        Run r = warmedUp(sup);
        AlertEvent fired = fire(r);
        r.run(Level.WARNING, 60_000);
        long healthy = r.t;
        List<AlertEvent> ev = r.until(Level.HEALTHY, r.s.clearLagMs + Scenario.RESOLVE_FOR_MS + 5 * r.s.stepMs);
        assertEquals(1, ev.size(), r.s + ": expected one resolved event, got " + ev);
        AlertEvent res = ev.get(0);
        assertEquals(AlertStatus.RESOLVED, res.getStatus());
        assertEquals(fired.getFingerprint(), res.getFingerprint());
        assertEquals(fired.getStartedAt(), res.getStartedAt());
        assertTrue(res.getResolvedAt() >= healthy + Scenario.RESOLVE_FOR_MS,
                r.s + ": resolved before resolve_for elapsed");
        assertTrue(res.getResolvedAt() <= healthy + r.s.clearLagMs + Scenario.RESOLVE_FOR_MS + r.s.stepMs,
                r.s + ": resolved too late");
        assertEquals(0, r.h.lifecycle.numKeyedStateEntries(), "lifecycle state cleared after resolve");
        assertEquals(0, r.h.lifecycle.numEventTimeTimers(), "lifecycle timers cleared after resolve");
        assertEquals(List.of(), r.run(Level.HEALTHY, 30 * 60_000L), "nothing after resolve");
        r.h.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void doesNotFlap_whenValueOscillatesAroundThreshold(String name, Supplier<Scenario> sup) throws Exception {
        Run r = warmedUp(sup);
        fire(r);
        for (int i = 0; i < 120; i++) {
            assertEquals(List.of(), r.step(i % 2 == 0 ? Level.JUST_BELOW : Level.WARNING),
                    r.s + ": oscillation around the threshold must not flap (step " + i + ")");
        }
        List<AlertEvent> ev = r.until(Level.HEALTHY, r.s.clearLagMs + Scenario.RESOLVE_FOR_MS + 5 * r.s.stepMs);
        assertEquals(1, ev.size());
        assertEquals(AlertStatus.RESOLVED, ev.get(0).getStatus());
        r.h.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void escalatesToCritical_withOneEvent_andResolvesOnce(String name, Supplier<Scenario> sup) throws Exception {
        Scenario probe = sup.get();
        if (!probe.hasCritical) {
            // Single-severity rule: a direct jump to its level fires once and resolves once.
            Run r = warmedUp(sup);
            fire(r);
            assertEquals(List.of(), r.run(Level.CRITICAL, 10 * 60_000));
            List<AlertEvent> ev = r.until(Level.HEALTHY, r.s.clearLagMs + Scenario.RESOLVE_FOR_MS + 5 * r.s.stepMs);
            assertEquals(1, ev.size());
            r.h.close();
            return;
        }
        Run r = warmedUp(sup);
        AlertEvent warn = fire(r);
        List<AlertEvent> ev = r.until(Level.CRITICAL, r.s.onsetLagMs + Scenario.FOR_MS + 5 * r.s.stepMs);
        assertEquals(1, ev.size(), r.s + ": one escalation event, got " + ev);
        AlertEvent crit = ev.get(0);
        assertEquals(AlertStatus.FIRING, crit.getStatus());
        assertEquals(Severity.CRITICAL, crit.getSeverity());
        assertEquals(warn.getFingerprint(), crit.getFingerprint(), "critical supersedes warning: same alert");
        assertEquals(warn.getStartedAt(), crit.getStartedAt());
        assertEquals(List.of(), r.run(Level.CRITICAL, 5 * 60_000));
        assertEquals(List.of(), r.run(Level.WARNING, 20 * 60_000), "no downgrade event");
        ev = r.until(Level.HEALTHY, r.s.clearLagMs + Scenario.RESOLVE_FOR_MS + 5 * r.s.stepMs);
        assertEquals(1, ev.size());
        assertEquals(AlertStatus.RESOLVED, ev.get(0).getStatus());
        assertEquals(Severity.CRITICAL, ev.get(0).getSeverity());
        assertEquals(3, r.h.events.size(), "exactly firing, escalation, resolved: " + r.h.events);
        r.h.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void survivesSnapshotRestoreMidIncident_withoutRepaging(String name, Supplier<Scenario> sup) throws Exception {
        restoreMidIncident(sup, false);
    }

    /** The same on RocksDB, where every state write is serialized: a rule that mutates without writing back fails. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void survivesSnapshotRestoreMidIncident_onRocksDb(String name, Supplier<Scenario> sup) throws Exception {
        restoreMidIncident(sup, true);
    }

    private static void restoreMidIncident(Supplier<Scenario> sup, boolean rocksDb) throws Exception {
        Run r = warmedUp(sup, rocksDb);
        AlertEvent fired = fire(r);
        r.run(Level.WARNING, 60_000);
        r.h = r.h.restart();
        assertEquals(List.of(), r.run(Level.WARNING, 10 * 60_000), "a restored job must not re-page");
        List<AlertEvent> ev = r.until(Level.HEALTHY, r.s.clearLagMs + Scenario.RESOLVE_FOR_MS + 5 * r.s.stepMs);
        assertEquals(1, ev.size(), "a restored job must still resolve");
        assertEquals(AlertStatus.RESOLVED, ev.get(0).getStatus());
        assertEquals(fired.getFingerprint(), ev.get(0).getFingerprint());
        assertEquals(fired.getStartedAt(), ev.get(0).getStartedAt());
        assertEquals(0, r.h.lifecycle.getOperator().getKeyedStateBackend()
                .getKeys(AlertLifecycleFunction.STATE, VoidNamespace.INSTANCE).count(), "lifecycle state cleared");
        r.h.close();
    }
}
