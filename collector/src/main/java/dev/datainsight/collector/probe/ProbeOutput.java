package dev.datainsight.collector.probe;

import dev.datainsight.model.PlansSnapshot;
import dev.datainsight.model.QueryText;
import dev.datainsight.model.SnapshotRow;
import java.util.List;

/**
 * What one probe read in one cycle.
 *
 * @param rows rows of the view, every catalog column present (null where the server has none)
 * @param statsReset view-wide reset time in epoch ms, or null
 * @param extensionVersion installed extension version for extension probes, else null
 * @param texts query texts of newly seen query ids (pg_stat_statements only)
 * @param skipReason non-null when the probe did not apply and produced no snapshot
 * @param plans the plans snapshot of the plans probe (published instead of a rows snapshot), else null
 */
public record ProbeOutput(List<SnapshotRow> rows, Long statsReset, String extensionVersion, List<QueryText> texts,
        String skipReason, PlansSnapshot plans) {

    /** A rows snapshot (every probe but the plans probe). */
    public ProbeOutput(List<SnapshotRow> rows, Long statsReset, String extensionVersion, List<QueryText> texts,
            String skipReason) {
        this(rows, statsReset, extensionVersion, texts, skipReason, null);
    }

    /** The plans probe's output. */
    public static ProbeOutput of(PlansSnapshot plans) {
        return new ProbeOutput(List.of(), null, null, List.of(), null, plans);
    }

    /** Rows with no view-wide extras. */
    public static ProbeOutput of(List<SnapshotRow> rows) {
        return new ProbeOutput(rows, null, null, List.of(), null);
    }

    /** The probe does not apply to this server; no snapshot is emitted. */
    public static ProbeOutput skipped(String reason) {
        return new ProbeOutput(List.of(), null, null, List.of(), reason);
    }

    public boolean isSkipped() {
        return skipReason != null;
    }
}
