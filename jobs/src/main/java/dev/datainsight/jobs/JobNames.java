package dev.datainsight.jobs;

/**
 * Every operator uid and name, and every state descriptor name, of the DataInsight job. These
 * strings are the savepoint contract: renaming one orphans its state on the next upgrade, so a
 * change here is always deliberate (and documented in docs/job.md).
 */
public final class JobNames {
    public static final String JOB_NAME = "DataInsight";

    public static final String UID_SOURCE = "kafka-snapshots-source";
    public static final String NAME_SOURCE = "Kafka snapshots (metrics + statements)";

    public static final String UID_VALIDATE = "validate-snapshots";
    public static final String NAME_VALIDATE = "Validate and compact snapshots";

    public static final String UID_ROLLUP = "instance-rates-rollups";
    public static final String NAME_ROLLUP = "Counters to rates, 1m/1h/1d rollups (per instance)";

    public static final String UID_SINK_ROLLUPS = "store-rollups-sink";
    public static final String NAME_SINK_ROLLUPS = "Store: metric_rollup_1m/1h/1d";

    public static final String UID_SINK_TEXTS = "store-statement-texts-sink";
    public static final String NAME_SINK_TEXTS = "Store: statement texts";

    public static final String UID_SINK_INSTANCES = "store-instances-sink";
    public static final String NAME_SINK_INSTANCES = "Store: instance inventory";

    public static final String UID_PLANS_SOURCE = "kafka-plans-source";
    public static final String NAME_PLANS_SOURCE = "Kafka plans (plans probe)";

    public static final String UID_PLANS_ROUTE = "route-plans";
    public static final String NAME_PLANS_ROUTE = "Captured plans, dead letters";

    public static final String UID_PLAN_HISTORY = "plan-history";
    public static final String NAME_PLAN_HISTORY = "Plan history, plan changes (per instance, database, query)";

    public static final String UID_SINK_PLANS = "store-query-plans-sink";
    public static final String NAME_SINK_PLANS = "Store: query_plan";

    public static final String UID_STATS_READINGS = "plan-analysis-stats";
    public static final String NAME_STATS_READINGS = "Temp blocks of statements, relation sizes (for recommendations)";

    public static final String UID_RECOMMEND = "recommend";
    public static final String NAME_RECOMMEND = "Plan analysis, recommendations (per instance, database)";

    public static final String UID_SINK_RECOMMENDATIONS = "store-recommendations-sink";
    public static final String NAME_SINK_RECOMMENDATIONS = "Store: recommendation";

    public static final String UID_SINK_DLQ = "dead-letter-sink";
    public static final String NAME_SINK_DLQ = "Kafka dead-letter topic";

    public static final String UID_SINK_ALERTS_KAFKA = "alerts-kafka-sink";
    public static final String NAME_SINK_ALERTS_KAFKA = "Kafka alerts topic";
    public static final String UID_SINK_ALERTS_STORE = "store-alert-events-sink";
    public static final String NAME_SINK_ALERTS_STORE = "Store: alert_event";
    public static final String UID_SINK_INSIGHTS = "store-insights-sink";
    public static final String NAME_SINK_INSIGHTS = "Store: insight";

    /** Keyed state of the rollup operator: per view of the instance, rates and open buckets. */
    public static final String STATE_VIEWS = "views";
    /** Keyed state of the rollup operator: snapshots waiting for the watermark, by event time. */
    public static final String STATE_PENDING = "pending";
    /** Keyed state of the rollup operator: server start, inventory bookkeeping. */
    public static final String STATE_INSTANCE = "instance";

    /** Keyed state of the plan history: the query's last captured plan ({@link dev.datainsight.jobs.records.PlanSeen}). */
    public static final String STATE_PLAN = "plan";

    /** Keyed state of the recommendations: the statement's open ones by dedup key, and its last evaluation and temp readings. */
    public static final String STATE_RECOMMENDATIONS = "recommendations";
    public static final String STATE_RECOMMENDATIONS_EVALUATED = "recommendations-evaluated";
    public static final String STATE_TEMP_LATEST = "statement-temp-latest";
    public static final String STATE_TEMP_RECENT = "statement-temp-recent";
    public static final String STATE_RELATIONS = "relations";

    /** Flink metric group and counter names. */
    public static final String METRIC_GROUP = "datainsight";
    public static final String METRIC_REJECTED = "rejected";
    public static final String METRIC_SNAPSHOTS = "snapshots";
    public static final String METRIC_SAMPLES = "samples";
    /** Valid records the fast decoder left to the wire codec (decoded, but at full cost). */
    public static final String METRIC_FULL_DECODES = "fullPathDecodes";
    public static final String METRIC_LATE = "late";
    /** Captured plans the plans source decoded. */
    public static final String METRIC_PLANS = "plans";
    /** Recommendations opened and closed by the plan analysis. */
    public static final String METRIC_RECOMMENDATIONS_OPENED = "recommendationsOpened";
    public static final String METRIC_RECOMMENDATIONS_CLOSED = "recommendationsClosed";
    /** Plan fingerprint changes the plan history found. */
    public static final String METRIC_PLAN_CHANGES = "planChanges";
    public static final String METRIC_DUPLICATES = "duplicates";
    public static final String METRIC_RESETS = "counterResets";
    /** Keys quarantined after an internal error (docs/job.md, "Per-key quarantine"). */
    public static final String METRIC_INTERNAL_ERRORS = "internalErrors";

    private JobNames() {}
}
