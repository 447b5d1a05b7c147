package dev.datainsight.jobs.records;

/**
 * A statement's cumulative calls and temp blocks written (pg_stat_statements, summed over roles
 * and top-level flags), for the plan analysis; keyed like {@link CapturedPlan#key()}. Only
 * statements that wrote temp blocks are sent. A Flink POJO.
 */
public class StatementTemp {
    public String instance;
    public String datname;
    public String queryid;
    public double calls;
    public double tempBlksWritten;
    /** The snapshot's collected_at, epoch ms. */
    public long collectedAt;

    public StatementTemp() {}

    /** The same key as {@link CapturedPlan#key()}. */
    public String key() {
        return instance + '\u0000' + (datname == null ? "" : datname) + '\u0000' + queryid;
    }
}
