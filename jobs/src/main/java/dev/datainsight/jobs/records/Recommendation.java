package dev.datainsight.jobs.records;

/**
 * One evaluation of a recommendation for the store ({@code recommendation}): opened or refreshed
 * by the latest capture of its statement ({@link #open}), or closed with {@link #closedReason}.
 * Also the state of an open recommendation in {@code RecommendationFunction}. A Flink POJO.
 */
public class Recommendation {
    public String instance;
    public String datname;
    public String queryid;
    /** {@code index}, {@code work_mem}. */
    public String kind;
    /** Stable identity of the finding: kind, database, statement, target. */
    public String dedupKey;
    public String target;
    public boolean open;
    /** When the finding was first made, epoch ms. */
    public long firstSeen;
    /** The capture this evaluation comes from (the closing time when closed), epoch ms. */
    public long seenAt;
    public double confidence;
    public String summary;
    public String action;
    /** The evidence as a JSON object. */
    public String evidence;
    public String validated;
    public String closedReason;

    public Recommendation() {}
}
