package dev.datainsight.jobs.records;

/** Normalised texts of query ids seen for the first time by the collector, for the store. */
public class StatementTexts {
    public String instance;
    public long seenAt;
    public String[] queryids;
    public String[] texts;
    public boolean[] truncated;

    public StatementTexts() {}
}
