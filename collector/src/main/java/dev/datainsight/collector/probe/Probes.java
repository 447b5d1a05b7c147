package dev.datainsight.collector.probe;

import java.util.List;

/** The probes the collector runs, in emission order. */
public final class Probes {
    private Probes() {}

    /** Every built-in probe, one per catalog view (the health view is the collector's own). */
    public static List<Probe> all() {
        return List.of(
                new ActivityProbe(),
                new LocksProbe(),
                new DatabaseProbe(),
                new ReplicationProbe(),
                new ReplicationSlotsProbe(),
                new DatabaseSizeProbe(),
                new CheckpointerProbe(),
                new BgwriterProbe(),
                new WalProbe(),
                new IoProbe(),
                new ArchiverProbe(),
                new SettingsProbe(),
                new TablesProbe(),
                new IndexesProbe(),
                new SequencesProbe(),
                new StatementsProbe());
    }
}
