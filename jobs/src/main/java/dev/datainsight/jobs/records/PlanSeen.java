package dev.datainsight.jobs.records;

/**
 * The plan history's keyed state of one query (instance, database, query id): the fingerprint and
 * summary of the plan last captured, and when. A Flink POJO; its field names are part of the
 * savepoint contract (only add fields).
 */
public class PlanSeen {
    public String fingerprint;
    public String summary;
    /** First capture of this fingerprint since it became the query's plan, epoch ms. */
    public long since;
    /** Latest capture of this fingerprint, epoch ms. */
    public long lastSeen;

    public PlanSeen() {}
}
