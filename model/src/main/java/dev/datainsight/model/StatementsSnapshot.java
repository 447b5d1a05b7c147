package dev.datainsight.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A pg_stat_statements snapshot (topic {@code datainsight.statements}): the top-N query ids by
 * total execution time plus one {@code queryid = "other"} remainder row, and the normalised text
 * of query ids the collector had not seen before.
 */
public final class StatementsSnapshot extends Snapshot {
    private String extensionVersion;
    private List<QueryText> texts = new ArrayList<>();

    public StatementsSnapshot() {
        setView("pg_stat_statements");
    }

    @Override
    public SnapshotKind kind() {
        return SnapshotKind.STATEMENTS;
    }

    /** Installed pg_stat_statements version, e.g. "1.11". */
    public String getExtensionVersion() {
        return extensionVersion;
    }

    public void setExtensionVersion(String extensionVersion) {
        this.extensionVersion = extensionVersion;
    }

    public List<QueryText> getTexts() {
        return texts;
    }

    public void setTexts(List<QueryText> texts) {
        this.texts = texts;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && Objects.equals(extensionVersion, ((StatementsSnapshot) o).extensionVersion)
                && Objects.equals(texts, ((StatementsSnapshot) o).texts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), extensionVersion, texts);
    }
}
