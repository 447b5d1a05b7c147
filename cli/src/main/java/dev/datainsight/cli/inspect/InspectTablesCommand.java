package dev.datainsight.cli.inspect;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inspect tables}: where autovacuum stands per table of the connected database. For each
 * table (pg_stat_user_tables, plain and materialized), the trigger autovacuum computes, with the
 * table's own reloptions over the server settings:
 * <ul>
 *   <li>vacuum: {@code n_dead_tup > autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor *
 *       reltuples} (capped by {@code autovacuum_vacuum_max_threshold} on 18+);</li>
 *   <li>insert vacuum (13+): {@code n_ins_since_vacuum > autovacuum_vacuum_insert_threshold +
 *       autovacuum_vacuum_insert_scale_factor * reltuples} unless the threshold is -1 (18 scales
 *       the second term by the unfrozen share of the table: this is the upper bound);</li>
 *   <li>analyze: {@code n_mod_since_analyze > autovacuum_analyze_threshold +
 *       autovacuum_analyze_scale_factor * reltuples};</li>
 *   <li>freeze: {@code age(relfrozenxid)} against {@code autovacuum_freeze_max_age} (a table's
 *       setting can only lower it), past which an anti-wraparound vacuum is forced.</li>
 * </ul>
 * {@code reltuples} of -1 (never vacuumed or analyzed) counts as 0, as autovacuum does. Tables
 * are ranked by how far past a trigger they are; sizes are read only for the tables listed.
 */
@Command(name = "tables", mixinStandardHelpOptions = true,
        description = "Dead tuples against each table's autovacuum trigger (its reloptions included), last"
                + " (auto)vacuum and (auto)analyze, transaction-ID freeze age; furthest past a trigger first.")
public final class InspectTablesCommand extends LiveInspectCommand<InspectTablesCommand.Report> {
    @Option(names = "--limit", paramLabel = "N", defaultValue = "20",
            description = "Tables listed (default ${DEFAULT-VALUE}); the counts cover all.")
    int limit;

    /** One table and its triggers. */
    public record TableState(String schema, String name, long liveTuples, long deadTuples, long vacuumTrigger,
            double deadShareOfTrigger, Long insertsSinceVacuum, Long insertTrigger, long modsSinceAnalyze,
            long analyzeTrigger, boolean autovacuumEnabled, Double lastVacuumAgeSeconds, Double lastAutovacuumAgeSeconds,
            Double lastAnalyzeAgeSeconds, Double lastAutoanalyzeAgeSeconds, long xidAge, long freezeMaxAge,
            long multixactAge, Long bytes, boolean vacuumingNow, List<String> due) {
    }

    /** Server settings that drive autovacuum, the counts, and the tables furthest past a trigger. */
    public record Report(String database, boolean autovacuum, boolean trackCounts, Map<String, String> settings,
            int tables, int vacuumDue, int analyzeDue, int freezeDue, String headline, List<TableState> top) {
    }

    private static final String[] SETTING_NAMES = {"autovacuum", "track_counts", "autovacuum_vacuum_threshold",
        "autovacuum_vacuum_scale_factor", "autovacuum_vacuum_insert_threshold", "autovacuum_vacuum_insert_scale_factor",
        "autovacuum_analyze_threshold", "autovacuum_analyze_scale_factor", "autovacuum_freeze_max_age",
        "autovacuum_vacuum_max_threshold"};

    private static final String SETTINGS = """
            SELECT s.name::text, pg_catalog.current_setting(s.name::text, true)
            FROM pg_catalog.unnest(?::text[]) AS s(name)
            """;

    private static final String TABLES = """
            WITH vacuuming AS MATERIALIZED (SELECT p.relid FROM pg_catalog.pg_stat_progress_vacuum p)
            SELECT c.oid, s.schemaname::text, s.relname::text, s.n_live_tup, s.n_dead_tup, c.reltuples::float8,
                   c.reloptions, s.n_ins_since_vacuum, s.n_mod_since_analyze,
                   EXTRACT(EPOCH FROM pg_catalog.now() - s.last_vacuum)::float8,
                   EXTRACT(EPOCH FROM pg_catalog.now() - s.last_autovacuum)::float8,
                   EXTRACT(EPOCH FROM pg_catalog.now() - s.last_analyze)::float8,
                   EXTRACT(EPOCH FROM pg_catalog.now() - s.last_autoanalyze)::float8,
                   pg_catalog.age(c.relfrozenxid), pg_catalog.mxid_age(c.relminmxid),
                   EXISTS (SELECT 1 FROM vacuuming v WHERE v.relid = c.oid)
            FROM pg_catalog.pg_stat_user_tables s
            JOIN pg_catalog.pg_class c ON c.oid = s.relid
            WHERE c.relkind IN ('r', 'm')
            """;

    private static final String SIZES = """
            SELECT o, pg_catalog.pg_total_relation_size(o) FROM pg_catalog.unnest(?::oid[]) AS t(o)
            """;

    @Override
    void validate() {
        range("--limit", limit, 1, 100_000);
    }

    /** A row as read, before the arithmetic. */
    record Raw(long oid, String schema, String name, long live, long dead, double reltuples, Map<String, String> options,
            long inserts, long mods, Double lastVacuum, Double lastAutovacuum, Double lastAnalyze, Double lastAutoanalyze,
            long xidAge, long mxidAge, boolean vacuuming) {
    }

    @Override
    Report read(InspectSession s) {
        Map<String, String> settings = new LinkedHashMap<>();
        s.query("tables", SETTINGS, ps -> ps.setArray(1, ps.getConnection().createArrayOf("text", SETTING_NAMES)),
                rs -> settings.put(rs.getString(1), rs.getString(2)));
        List<Raw> raws = s.query("tables", TABLES, null, InspectTablesCommand::raw);
        Report partial = report(s.database(), settings, raws, limit, Map.of());
        // Sizes only for the tables shown.
        List<Long> oids = new ArrayList<>();
        for (Raw r : raws) {
            for (TableState t : partial.top()) {
                if (t.schema().equals(r.schema) && t.name().equals(r.name)) {
                    oids.add(r.oid);
                }
            }
        }
        Map<Long, Long> sizes = new HashMap<>();
        if (!oids.isEmpty()) {
            s.query("tables", SIZES, ps -> ps.setArray(1, ps.getConnection().createArrayOf("oid", oids.toArray())),
                    rs -> sizes.put(rs.getLong(1), rs.getLong(2)));
        }
        return report(s.database(), settings, raws, limit, sizes);
    }

    private static Raw raw(ResultSet rs) throws SQLException {
        Map<String, String> opts = new HashMap<>();
        Array a = rs.getArray(7);
        if (a != null) {
            for (Object o : (Object[]) a.getArray()) {
                String kv = (String) o;
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    opts.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
        }
        return new Raw(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5), rs.getDouble(6),
                opts, rs.getLong(8), rs.getLong(9), InspectLocksCommand.num(rs, 10), InspectLocksCommand.num(rs, 11),
                InspectLocksCommand.num(rs, 12), InspectLocksCommand.num(rs, 13), rs.getLong(14), rs.getLong(15),
                rs.getBoolean(16));
    }

    static Report report(String db, Map<String, String> settings, List<Raw> raws, int limit, Map<Long, Long> sizes) {
        boolean autovacuum = "on".equals(settings.get("autovacuum"));
        boolean trackCounts = "on".equals(settings.get("track_counts"));
        List<TableState> all = new ArrayList<>();
        Map<TableState, Double> rank = new java.util.IdentityHashMap<>();
        int vacDue = 0;
        int anDue = 0;
        int frDue = 0;
        for (Raw r : raws) {
            double tuples = Math.max(0, r.reltuples);
            double vBase = num(r.options, settings, "autovacuum_vacuum_threshold");
            double vScale = num(r.options, settings, "autovacuum_vacuum_scale_factor");
            double vTrig = vBase + vScale * tuples;
            String maxT = r.options.getOrDefault("autovacuum_vacuum_max_threshold", settings.get("autovacuum_vacuum_max_threshold"));
            if (maxT != null && Double.parseDouble(maxT) >= 0) {
                vTrig = Math.min(vTrig, Double.parseDouble(maxT));
            }
            double iBase = num(r.options, settings, "autovacuum_vacuum_insert_threshold");
            Long iTrig = iBase < 0 ? null
                    : Math.round(Math.floor(iBase + num(r.options, settings, "autovacuum_vacuum_insert_scale_factor") * tuples));
            long aTrig = Math.round(Math.floor(num(r.options, settings, "autovacuum_analyze_threshold")
                    + num(r.options, settings, "autovacuum_analyze_scale_factor") * tuples));
            long freezeMax = (long) num(Map.of(), settings, "autovacuum_freeze_max_age");
            String own = r.options.get("autovacuum_freeze_max_age");
            if (own != null) {
                freezeMax = Math.min(freezeMax, Long.parseLong(own));
            }
            boolean enabled = autovacuum && !"false".equalsIgnoreCase(r.options.getOrDefault("autovacuum_enabled", "true"))
                    && !"off".equalsIgnoreCase(r.options.getOrDefault("autovacuum_enabled", "on"));
            long vt = Math.round(Math.floor(vTrig));
            List<String> due = new ArrayList<>();
            if (r.dead > vt) {
                due.add("vacuum");
            }
            if (iTrig != null && r.inserts > iTrig && !due.contains("vacuum")) {
                due.add("insert vacuum");
            }
            if (r.mods > aTrig) {
                due.add("analyze");
            }
            if (r.xidAge > freezeMax) {
                due.add("anti-wraparound vacuum");
            }
            if (!due.isEmpty() && due.stream().anyMatch(d -> d.contains("vacuum"))) {
                vacDue++;
            }
            if (due.contains("analyze")) {
                anDue++;
            }
            if (due.contains("anti-wraparound vacuum")) {
                frDue++;
            }
            double deadShare = vt <= 0 ? (r.dead > 0 ? Double.MAX_VALUE : 0) : (double) r.dead / vt;
            TableState t = new TableState(r.schema, r.name, r.live, r.dead, vt, Math.min(deadShare, 1e9),
                    r.inserts, iTrig, r.mods, aTrig, enabled, r.lastVacuum, r.lastAutovacuum, r.lastAnalyze,
                    r.lastAutoanalyze, r.xidAge, freezeMax, r.mxidAge, sizes.get(r.oid), r.vacuuming, due);
            all.add(t);
            double ins = iTrig == null || iTrig <= 0 ? 0 : (double) r.inserts / iTrig;
            double an = aTrig <= 0 ? 0 : (double) r.mods / aTrig;
            rank.put(t, Math.max(Math.max(t.deadShareOfTrigger(), ins), Math.max(an * 0.5, (double) r.xidAge / freezeMax)));
        }
        all.sort(Comparator.<TableState>comparingDouble(rank::get).reversed()
                .thenComparing(Comparator.comparingLong(TableState::deadTuples).reversed())
                .thenComparing(t -> t.schema() + "." + t.name()));
        List<TableState> top = all.subList(0, Math.min(limit, all.size()));
        String headline;
        List<TableState> overVacuum = all.stream().filter(t -> t.due().contains("vacuum")).toList();
        if (overVacuum.isEmpty()) {
            headline = "No table has more dead tuples than its autovacuum trigger (" + raws.size() + " tables)";
        } else {
            TableState w = overVacuum.stream().max(Comparator.comparingDouble(TableState::deadShareOfTrigger)).get();
            headline = overVacuum.size() + (overVacuum.size() == 1 ? " table has" : " tables have")
                    + " more dead tuples than its autovacuum trigger; furthest: " + Terminal.safe(w.schema(), 30) + "."
                    + Terminal.safe(w.name(), 60) + " (" + Terminal.count(w.deadTuples()) + " dead, trigger "
                    + Terminal.count(w.vacuumTrigger()) + ")";
        }
        if (!autovacuum) {
            headline += "; autovacuum is OFF on this server";
        }
        Map<String, String> shown = new LinkedHashMap<>();
        for (String n : SETTING_NAMES) {
            if (settings.get(n) != null) {
                shown.put(n, settings.get(n));
            }
        }
        return new Report(db, autovacuum, trackCounts, shown, raws.size(), vacDue, anDue, frDue, headline,
                new ArrayList<>(top));
    }

    private static double num(Map<String, String> own, Map<String, String> settings, String name) {
        String v = own.getOrDefault(name, settings.get(name));
        return v == null ? 0 : Double.parseDouble(v);
    }

    @Override
    void print(Report r, Terminal t) {
        String head = r.headline() + ".";
        t.println(r.vacuumDue() > 0 || !r.autovacuum() ? t.red(t.bold(head)) : t.bold(head));
        t.println(t.dim("database " + Terminal.safe(r.database()) + ": " + r.tables() + " tables, " + r.vacuumDue()
                + " due for vacuum, " + r.analyzeDue() + " for analyze, " + r.freezeDue()
                + " past autovacuum_freeze_max_age" + (r.trackCounts() ? "" : "; track_counts is off: no statistics")));
        if (r.top().isEmpty()) {
            return;
        }
        t.println();
        Table table = new Table("TABLE", "DEAD>", "TRIGGER>", "OF TRIGGER>", "LIVE>", "LAST VACUUM>", "LAST AUTOVACUUM>",
                "LAST ANALYZE>", "LAST AUTOANALYZE>", "XID AGE>", "OF FREEZE MAX>", "SIZE>", "NOTE");
        for (TableState x : r.top()) {
            UnaryOperator<String>[] st = Table.all(table.columns(), null);
            if (x.due().contains("vacuum")) {
                st[1] = t::red;
                st[3] = t::red;
            }
            if (x.due().contains("anti-wraparound vacuum")) {
                st[9] = t::red;
            }
            List<String> note = new ArrayList<>();
            if (!x.due().isEmpty()) {
                note.add(String.join(" + ", x.due()) + " due");
            }
            if (!x.autovacuumEnabled()) {
                note.add("autovacuum off for this table");
            }
            if (x.vacuumingNow()) {
                note.add("vacuum running");
            }
            table.row(st, Terminal.safe(x.schema(), 30) + "." + Terminal.safe(x.name(), 60), Terminal.count(x.deadTuples()),
                    Terminal.count(x.vacuumTrigger()), x.deadShareOfTrigger() >= 1e9 ? "∞" : Terminal.percent(x.deadShareOfTrigger()),
                    Terminal.count(x.liveTuples()), Terminal.age(x.lastVacuumAgeSeconds()),
                    Terminal.age(x.lastAutovacuumAgeSeconds()), Terminal.age(x.lastAnalyzeAgeSeconds()),
                    Terminal.age(x.lastAutoanalyzeAgeSeconds()), Terminal.count(x.xidAge()),
                    Terminal.percent((double) x.xidAge() / x.freezeMaxAge()), x.bytes() == null ? null : Terminal.bytes(x.bytes()),
                    String.join("; ", note));
        }
        table.print(t);
        if (r.tables() > r.top().size()) {
            t.println(t.dim("... " + (r.tables() - r.top().size()) + " more tables (--limit)"));
        }
    }
}
