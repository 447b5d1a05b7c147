package dev.datainsight.rules.engine;

import dev.datainsight.model.AlertContext;
import dev.datainsight.model.QueryText;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.StatementsSnapshot;

/**
 * The bounded queryid → text lookup of the statement rules. The collector sends a statement's
 * normalised text once (on the statements snapshot that first carries its query id, and again at a
 * low rate), so a rule that names statements learns the texts of every statements snapshot it
 * reads ({@link #learn}) into its own {@link Memory} (key {@code t|<queryid>}, field
 * {@link Memory#text}) and looks them up when it reports ({@link #lookup}).
 *
 * <p><b>Bounds and lifetime.</b> One memory per query id the rule saw with a text, each text cleaned
 * and cut to {@link #STORED_CHARS} characters ({@link AlertContext#text}); a lookup re-touches the
 * memory at most every {@link #REFRESH_MS}, so the texts of statements still published live on and
 * those of statements gone for {@code 6 h} are swept with the rule's other memories
 * ({@link RuleEvaluatorFunction#MEMORY_TTL_MS}, by the {@link SilenceDetector}). The number of
 * texts is thus bounded by the collector's top-N (plus its sticky set) over 6 h, as the rule's
 * per-statement windows are.
 *
 * <p>pg_stat_statements texts are normalised by the server (constants become {@code $1}), so
 * literals, passwords included, never reach an alert; {@link AlertContext#text} still redacts
 * anything that looks like a credential.
 */
public final class QueryTexts {
    /** Characters of a text kept in memory (the context's value bound). */
    public static final int STORED_CHARS = AlertContext.MAX_VALUE_CHARS;
    /** What an alert says when the statement's text has not reached the job yet. */
    public static final String NOT_SEEN = "text not yet seen";
    /** How often a looked-up text's memory is re-touched (so it outlives the 6 h sweep). */
    public static final long REFRESH_MS = 3_600_000L;

    private static final String PREFIX = "t|";

    /** The rule parameter: characters of a statement's text in the one-line summary. */
    public static final ParamDef<Double> SUMMARY_CHARS = ParamDef.number("text_chars", 80.0,
            "characters of the statement text in the summary (the context carries up to 200)");

    private QueryTexts() {}

    /** Remembers the texts a statements snapshot carries (other snapshots carry none). */
    public static void learn(Snapshot s, RuleContext ctx) throws Exception {
        if (!(s instanceof StatementsSnapshot st) || st.getTexts() == null) {
            return;
        }
        for (QueryText t : st.getTexts()) {
            if (t == null || t.queryid() == null || t.text() == null || t.text().isBlank()) {
                continue;
            }
            String text = AlertContext.text(t.text(), STORED_CHARS);
            if (t.truncated() && !text.endsWith(AlertContext.ELLIPSIS)) {
                text = AlertContext.text(text + AlertContext.ELLIPSIS, STORED_CHARS);
            }
            Memory m = ctx.memory(PREFIX + t.queryid());
            if (m == null) {
                m = new Memory();
            }
            m.text = text;
            ctx.remember(PREFIX + t.queryid(), m);
        }
    }

    /** The text of {@code queryid}, or null when it was not seen (yet). */
    public static String lookup(RuleContext ctx, String queryid) throws Exception {
        if (queryid == null) {
            return null;
        }
        Memory m = ctx.memory(PREFIX + queryid);
        if (m == null || m.text == null) {
            return null;
        }
        if (ctx.now() - m.touched >= REFRESH_MS) {
            ctx.remember(PREFIX + queryid, m);
        }
        return m.text;
    }

    /** For a summary: the text cut to {@code chars} in backquotes, or "(text not yet seen)". */
    public static String quote(String text, int chars) {
        if (text == null) {
            return "(" + NOT_SEEN + ")";
        }
        return "`" + AlertContext.text(text, Math.max(8, chars)) + "`";
    }

    /** For the context: the text, or {@link #NOT_SEEN}. */
    public static String orNotSeen(String text) {
        return text == null ? NOT_SEEN : text;
    }
}
