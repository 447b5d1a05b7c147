package dev.datainsight.rules.engine;

/**
 * What a rule remembers about one series between snapshots (previous counters, a window of
 * samples, a baseline). Deliberately shapeless — times and numbers — so every rule shares one
 * keyed MapState and one serializer. A Flink POJO, stored in the evaluator's {@code rule-memory}
 * map state ({@link RuleEvaluatorFunction#MEMORY_STATE}).
 *
 * <p><b>The name is frozen by savepoints</b>, like {@link InstanceInfo}'s (see there why): only
 * add fields with defaults; a rename or move needs a state migration (new descriptor, read the old
 * one once).
 */
public class Memory {
    /** Sample times or rule-defined marks (epoch ms). */
    public long[] t = new long[0];
    /** Values; layout is the rule's business. */
    public double[] v = new double[0];
    /** A rule-defined mark, e.g. the last time a finding was written. */
    public long mark;
    /** Event time of the last write; the evaluator drops memories untouched for long. */
    public long touched;
    /** A rule-defined text, e.g. a statement's normalised text ({@link QueryTexts}); null for most memories. */
    public String text;

    public Memory() {}

    public static Memory of(long[] t, double[] v) {
        Memory m = new Memory();
        m.t = t;
        m.v = v;
        return m;
    }
}
