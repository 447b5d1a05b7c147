package dev.datainsight.jobs.records;

/**
 * What the plan analysis needs from the statistics snapshots, one database at a time (keyed by
 * {@link #databaseKey()}): either a statement's cumulative calls and temp blocks written
 * ({@link #STATEMENT}, pg_stat_statements summed over roles and top-level flags; only statements
 * that wrote temp blocks) or a relation's size and changes since its last analyze
 * ({@link #RELATION}, pg_stat_user_tables). A Flink POJO.
 */
public class StatsReading {
    public static final String STATEMENT = "statement";
    public static final String RELATION = "relation";

    public String instance;
    public String datname;
    /** {@link #STATEMENT} or {@link #RELATION}. */
    public String kind;
    /** The statement's query id ({@link #STATEMENT}). */
    public String queryid;
    /** schema.relation ({@link #RELATION}). */
    public String relation;
    public double calls;
    public double tempBlksWritten;
    /** n_live_tup, table_size_bytes, n_mod_since_analyze; null when not reported. */
    public Double liveTuples;
    public Double tableBytes;
    public Double modsSinceAnalyze;
    /** The snapshot's collected_at, epoch ms. */
    public long collectedAt;

    public StatsReading() {}

    /** The database key of the plan analysis: instance and database. */
    public String databaseKey() {
        return databaseKey(instance, datname);
    }

    public static String databaseKey(String instance, String datname) {
        return instance + '\u0000' + (datname == null ? "" : datname);
    }
}
