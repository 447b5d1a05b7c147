package dev.datainsight.collector.probe;

/**
 * {@code xmin_horizon}: what holds back the server's xmin horizon (the oldest transaction whose
 * rows VACUUM must keep) and how old it is, in one row. Four kinds of holder, each with its age
 * in transactions:
 * <ul>
 *   <li>a session: the oldest {@code backend_xmin} / {@code backend_xid} in pg_stat_activity
 *       (the collector's own sessions left out); a walsender there carries a standby's
 *       {@code hot_standby_feedback};</li>
 *   <li>a prepared transaction ({@code pg_prepared_xacts});</li>
 *   <li>a replication slot's {@code xmin} or its {@code catalog_xmin}.</li>
 * </ul>
 * {@code horizon_age} is the largest of them; {@code holder} says which (1 session, 2 walsender,
 * 3 prepared transaction, 4 slot xmin, 5 slot catalog_xmin; null when nothing holds one);
 * {@code holder_pid} and {@code holder_xact_age_seconds} are the session's when the holder is a
 * session or walsender (its detail is in {@code pg_stat_activity_sessions}; a slot's in
 * {@code pg_replication_slots}). On a tie the prepared transaction or the slot is the holder, not
 * the session: a snapshot taken while a prepared transaction (or a slot's xmin) is the oldest
 * has exactly that xmin, so the session only repeats it. Same SQL on 13..18.
 */
public final class XminHorizonProbe extends QueryProbe {

    public XminHorizonProbe() {
        super("xmin_horizon", ProbeGroup.FAST, SqlVariants.single("xmin_horizon", """
                WITH b AS (
                  SELECT a.pid, a.backend_type,
                    GREATEST(pg_catalog.age(a.backend_xmin), pg_catalog.age(a.backend_xid)) AS age,
                    EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - a.xact_start) AS xact_age
                  FROM pg_catalog.pg_stat_activity a
                  WHERE a.pid <> pg_catalog.pg_backend_pid() AND NOT (a.application_name = ? AND a.usename = CURRENT_USER)
                    AND (a.backend_xmin IS NOT NULL OR a.backend_xid IS NOT NULL)
                  ORDER BY 3 DESC, a.pid LIMIT 1
                ), h AS (
                  SELECT (SELECT b.age FROM b) AS backend_age,
                    (SELECT b.backend_type = 'walsender' FROM b) AS walsender,
                    (SELECT pg_catalog.max(pg_catalog.age(p.transaction)) FROM pg_catalog.pg_prepared_xacts p) AS prepared_age,
                    (SELECT pg_catalog.max(pg_catalog.age(s.xmin)) FROM pg_catalog.pg_replication_slots s) AS slot_age,
                    (SELECT pg_catalog.max(pg_catalog.age(s.catalog_xmin)) FROM pg_catalog.pg_replication_slots s) AS catalog_age
                )
                SELECT GREATEST(h.backend_age, h.prepared_age, h.slot_age, h.catalog_age) AS horizon_age,
                  CASE GREATEST(h.backend_age, h.prepared_age, h.slot_age, h.catalog_age)
                    WHEN h.prepared_age THEN 3 WHEN h.slot_age THEN 4 WHEN h.catalog_age THEN 5
                    WHEN h.backend_age THEN CASE WHEN h.walsender THEN 2 ELSE 1 END END AS holder,
                  CASE WHEN h.backend_age > COALESCE(GREATEST(h.prepared_age, h.slot_age, h.catalog_age), -1)
                    THEN (SELECT b.pid FROM b) END AS holder_pid,
                  CASE WHEN h.backend_age > COALESCE(GREATEST(h.prepared_age, h.slot_age, h.catalog_age), -1)
                    THEN (SELECT CASE WHEN b.xact_age IS NOT NULL THEN GREATEST(b.xact_age, 0) END FROM b) END AS holder_xact_age_seconds,
                  h.backend_age AS backend_xmin_age, h.prepared_age AS prepared_xact_age,
                  h.slot_age AS slot_xmin_age, h.catalog_age AS slot_catalog_xmin_age
                FROM h"""));
    }

    @Override
    protected void bind(java.sql.PreparedStatement ps, ProbeContext ctx) throws java.sql.SQLException {
        ps.setString(1, Probes.APPLICATION_NAME);
    }
}
