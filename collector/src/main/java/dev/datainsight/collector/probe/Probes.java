package dev.datainsight.collector.probe;

import java.util.List;

/** The probes the collector runs, in emission order. */
public final class Probes {
    private Probes() {}

    /**
     * The application_name of every collector session (startup packet). Probes of sessions
     * exclude sessions with this name under the collector's own role, and count them apart.
     */
    public static final String APPLICATION_NAME = "datainsight-collector";

    /**
     * Every built-in probe, one per catalog view (the health view is the collector's own). The
     * detail views of sessions come first: the rules read pg_stat_activity and pg_locks with the
     * detail of the same cycle already at hand.
     */
    public static List<Probe> all() {
        return List.of(
                new SessionsProbe(),
                new ConnectionsProbe(),
                new ActivityProbe(),
                new LocksProbe(),
                new XminHorizonProbe(),
                new DatabaseProbe(),
                new DatabaseConflictsProbe(),
                new ReplicationProbe(),
                new WalReceiverProbe(),
                new ReplicationSlotsProbe(),
                new DatabaseSizeProbe(),
                new CheckpointerProbe(),
                new BgwriterProbe(),
                new WalProbe(),
                new IoProbe(),
                new ArchiverProbe(),
                new SettingsProbe(),
                new PendingRestartProbe(),
                new TablesProbe(),
                new IndexesProbe(),
                new SequencesProbe(),
                new StatementsProbe(),
                // After the statements probe: it explains from that probe's ranking of the cycle.
                new PlansProbe(),
                new StatementsInfoProbe());
    }
}
