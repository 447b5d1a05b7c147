package dev.datainsight.collector.probe;

import java.util.HashMap;
import java.util.Map;

/**
 * What {@link StatementsProbe} remembers about one server between cycles: the cumulative counters
 * of every entry read in the previous cycle (so it can rank by, and account for, the change since
 * then), which entries it published, and the "other" accumulator.
 *
 * <p>Lifetime and bound: the map holds exactly the entries of the previous read (an entry that is
 * no longer in pg_stat_statements is forgotten at the next cycle), and at most {@link #cap} of
 * them: twice {@code pg_stat_statements.max}, the most entries one read can return, so the cap
 * only bites when the setting was lowered without a restart. About 250 bytes per entry: 1.3 MB
 * for the default 5,000 entries. Owned by one instance's session; collection of one instance is
 * serialised, so no locking.
 */
public final class StatementsMemory {

    /** One pg_stat_statements entry: (queryid, dbid, userid, toplevel). */
    record Key(long queryid, long dbid, long userid, int toplevel) {}

    /** The entry's counters as last read and its publication state. */
    static final class Entry {
        double[] cum;
        /** max_exec_time as last read. */
        double max;
        String datname;
        String rolname;
        /** stats_since in epoch ms (1.11+), else Long.MIN_VALUE. */
        long statsSince = Long.MIN_VALUE;
        /** The cycle in which the entry last ranked in the top N by change. */
        long lastTop = Long.MIN_VALUE / 2;
        /** Whether the previous cycle published it. */
        boolean published;
        /** The row's stats_reset on the wire: start of its current continuous publication. */
        long runStart;
    }

    Map<Key, Entry> entries = new HashMap<>();
    /** Whether {@link #entries} holds every entry of the previous read (so an unknown key is new). */
    boolean complete;
    /** Cycles run so far. */
    long cycle;
    /** Extension version of the previous read; a change starts over. */
    String extVersion;
    /** pg_stat_statements_info.stats_reset of the previous read (1.9+), epoch ms. */
    Long statsReset;
    /** pg_stat_statements_info.dealloc of the previous read (1.9+). */
    long dealloc = -1;
    /** Server clock at the previous read, epoch ms. */
    long readAt = Long.MIN_VALUE;
    /** The "other" accumulator per counter column (NaN where the version has no such column). */
    double[] other;
    /** The "other" row's stats_reset: when the accumulator started. */
    long otherSince;
    /** Last marker handed out, so markers are unique and increasing per instance. */
    long lastMarker;
    /** Entries the last read returned (for tests and docs). */
    int lastRead;
    /** Cycle in which each query id's text was last put into a snapshot (bounded, oldest dropped). */
    final Map<String, Long> textCycle = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> e) {
            return size() > MAX_TEXT_CYCLES;
        }
    };
    static final int MAX_TEXT_CYCLES = 20_000;
    /** Entries the last cycle read wide (all columns): all of them on a first cycle, the moved ones after. */
    int lastWide;
    /** Bound on {@link #entries}. */
    int cap;

    /** A marker (epoch ms) newer than every earlier one of this instance. */
    long marker(long nowMs) {
        lastMarker = Math.max(nowMs, lastMarker + 1);
        return lastMarker;
    }

    /** Entries remembered (for tests). */
    public int size() {
        return entries.size();
    }
}
