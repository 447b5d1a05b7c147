package dev.datainsight.collector.probe;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * {@code pg_sequences}: the N sequences of each database closest to exhaustion. For a descending
 * sequence {@code max_value} carries its {@code min_value} (the bound it runs towards) and the
 * ratio is last/min. {@code last_value} is null until the sequence was used, and also when the
 * collector's role lacks SELECT or USAGE on it (pg_monitor does not grant that): the ratio is then
 * null too. Same SQL on 13..18.
 */
public final class SequencesProbe extends PerDatabaseProbe {

    public SequencesProbe() {
        super("pg_sequences", ProbeGroup.SLOW, SqlVariants.single("pg_sequences", """
                SELECT s.schemaname, s.sequencename, s.last_value,
                  CASE WHEN s.increment_by > 0 THEN s.max_value ELSE s.min_value END AS max_value,
                  CASE WHEN s.last_value IS NULL THEN NULL
                       WHEN s.increment_by > 0 THEN s.last_value::float8 / s.max_value::float8
                       ELSE s.last_value::float8 / s.min_value::float8 END AS used_ratio
                FROM pg_catalog.pg_sequences s
                ORDER BY 5 DESC NULLS LAST, s.schemaname, s.sequencename
                LIMIT ?"""));
    }

    @Override
    protected void bind(PreparedStatement ps, ProbeContext ctx) throws SQLException {
        ps.setInt(1, ctx.limits().topSequences());
    }
}
