package dev.datainsight.collector.probe;

import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.ViewDef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * A probe that is one query on the instance's connection, chosen by server version, whose result
 * columns are named after the catalog. Single-row views (no label keys) carry their
 * {@code stats_reset} at snapshot level.
 */
public abstract class QueryProbe implements Probe {
    private final String name;
    private final ProbeGroup group;
    private final SqlVariants sql;

    protected QueryProbe(String name, ProbeGroup group, SqlVariants sql) {
        this.name = name;
        this.group = group;
        this.sql = sql;
        ResultRows.def(name);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ProbeGroup group() {
        return group;
    }

    @Override
    public int minServerVersion() {
        return sql.all().firstKey();
    }

    /** The SQL variants (for docs and tests). */
    public SqlVariants sql() {
        return sql;
    }

    /** Binds parameters; the default binds none. */
    protected void bind(PreparedStatement ps, ProbeContext ctx) throws SQLException {}

    @Override
    public ProbeOutput collect(ProbeContext ctx) throws SQLException {
        String text = sql.forVersion(ctx.serverVersionNum());
        if (text == null) {
            return ProbeOutput.skipped("needs server_version_num >= " + minServerVersion());
        }
        List<SnapshotRow> rows = run(ctx.connection(), text, ctx);
        ViewDef def = ResultRows.def(view());
        Long reset = def.labelKeys().isEmpty() ? ResultRows.liftStatsReset(rows) : null;
        return new ProbeOutput(rows, reset, null, List.of(), null);
    }

    protected List<SnapshotRow> run(Connection c, String text, ProbeContext ctx) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(text)) {
            bind(ps, ctx);
            try (ResultSet rs = ps.executeQuery()) {
                return ResultRows.read(rs, ResultRows.def(view()));
            }
        }
    }
}
