package dev.datainsight.jobs.decode;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.SourceRecord;
import dev.datainsight.jobs.records.StatementTexts;
import dev.datainsight.model.Column;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.SnapshotKind;
import dev.datainsight.model.ViewDef;
import dev.datainsight.model.WireCodec;
import dev.datainsight.model.WireFormat;
import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fast path of {@link SnapshotDeserializer}: decodes a snapshot's bytes with a streaming
 * parser straight into a {@link CompactSnapshot} (plus the new query texts of a statements
 * snapshot), without the JSON tree, the {@code Snapshot} and its map per row that the wire codec
 * builds.
 *
 * <p>It is strict and conservative. {@link WireCodec} stays the single authority on what is valid
 * and on every rejection reason, so this decoder accepts only input it fully understands: a record
 * the codec and {@link SnapshotValidator} accept, shaped the way producers write it. On anything
 * else — a wrong type, a missing or duplicate field, {@code rows} before {@code view}, an integer
 * beyond a long, a value outside its domain, trailing data, a parse error — it returns null, and
 * the caller runs the codec, which either produces the dead letter with its reason or accepts the
 * record after all. Whenever it returns a result, that result equals what the codec, the
 * validator and {@link CompactSnapshot#of} give.
 *
 * <p>State: an instance holds only its configuration (the record size limit and the validator),
 * so one decoder can be shared. A call's parse state (field flags, the row being read, the
 * per-column bookkeeping) is in its own locals and objects, but the row buffers it fills are not
 * per call: they are per-thread scratch buffers ({@code SCRATCH}, a ThreadLocal of
 * {@code Scratch}), reused from record to record, which only grow (to the largest snapshot the
 * thread decoded, at most {@code Scratch.MAX_VALUES} values, 8 MB; an outsized record gets buffers
 * of its own that are not kept) and are handed back to the thread's scratch only when a record
 * replaced or grew them. So a call is thread-safe, but not re-entrant on one thread, and every
 * decoding thread keeps its buffers for its lifetime. The result never aliases them: {@code
 * Rows.toCompact} copies what it keeps.
 */
final class CompactDecoder implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The codec's own factory, so both parse every byte the same way (features and limits). */
    private static final JsonFactory FACTORY = WireCodec.mapper().getFactory();
    private static final Map<String, ViewPlan> PLANS = plans();
    private static final GiveUp GIVE_UP = new GiveUp();
    private static final String[] NO_LABELS = new String[0];
    /** More instance labels than this: leave the record to the codec (duplicate checks are quadratic). */
    private static final int MAX_INSTANCE_LABELS = 64;

    private static final int F_SCHEMA = 1;
    private static final int F_KIND = 1 << 1;
    private static final int F_INSTANCE = 1 << 2;
    private static final int F_SERVER_VERSION = 1 << 3;
    private static final int F_COLLECTED_AT = 1 << 4;
    private static final int F_VIEW = 1 << 5;
    private static final int F_STATS_RESET = 1 << 6;
    private static final int F_LABELS = 1 << 7;
    private static final int F_EXTENSION_VERSION = 1 << 8;
    private static final int F_TEXTS = 1 << 9;
    private static final int F_ROWS = 1 << 10;
    private static final int REQUIRED = F_SCHEMA | F_KIND | F_INSTANCE | F_SERVER_VERSION | F_COLLECTED_AT | F_VIEW
            | F_ROWS;

    private final int maxRecordBytes;
    private final SnapshotValidator validator;

    CompactDecoder(WireCodec codec, SnapshotValidator validator) {
        this.maxRecordBytes = codec.maxRecordBytes();
        this.validator = validator;
    }

    /**
     * The valid snapshot as the source emits it (compact form and texts, no full snapshot), or
     * null when this decoder does not vouch for the record and the wire codec must decide.
     */
    SourceRecord decode(byte[] bytes, long now) {
        if (bytes == null || bytes.length == 0 || bytes.length > maxRecordBytes) {
            return null;
        }
        try (JsonParser p = FACTORY.createParser(bytes)) {
            return read(p, now);
        } catch (IOException | RuntimeException e) {
            // GiveUp, a parse error, or a surprise of our own: the codec decides.
            return null;
        }
    }

    private SourceRecord read(JsonParser p, long now) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw GIVE_UP;
        }
        int seen = 0;
        SnapshotKind kind = null;
        String instance = null;
        String viewName = null;
        ViewPlan plan = null;
        long serverVersion = 0;
        long collectedAt = 0;
        long statsReset = CompactSnapshot.NO_RESET;
        String[] labels = NO_LABELS;
        Texts texts = null;
        Rows rows = null;
        for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
            JsonToken t = p.nextToken();
            switch (name) {
                case "schema" -> {
                    seen = once(seen, F_SCHEMA);
                    if (integral(p, t) != WireFormat.SCHEMA_VERSION) {
                        throw GIVE_UP;
                    }
                }
                case "kind" -> {
                    seen = once(seen, F_KIND);
                    kind = SnapshotKind.fromWire(string(p, t));
                    if (kind == null) {
                        throw GIVE_UP;
                    }
                }
                case "instance" -> {
                    seen = once(seen, F_INSTANCE);
                    instance = string(p, t);
                    if (instance.isBlank()) {
                        throw GIVE_UP;
                    }
                }
                case "server_version_num" -> {
                    seen = once(seen, F_SERVER_VERSION);
                    serverVersion = integral(p, t);
                    if (!WireFormat.validServerVersion(serverVersion)) {
                        throw GIVE_UP;
                    }
                }
                case "collected_at" -> {
                    seen = once(seen, F_COLLECTED_AT);
                    collectedAt = integral(p, t);
                    if (!WireFormat.validCollectedAt(collectedAt)) {
                        throw GIVE_UP;
                    }
                }
                case "view" -> {
                    seen = once(seen, F_VIEW);
                    viewName = string(p, t);
                    plan = PLANS.get(viewName);
                    if (plan == null) {
                        throw GIVE_UP;
                    }
                }
                case "stats_reset" -> {
                    seen = once(seen, F_STATS_RESET);
                    statsReset = t == JsonToken.VALUE_NULL ? CompactSnapshot.NO_RESET : integral(p, t);
                }
                case "labels" -> {
                    seen = once(seen, F_LABELS);
                    labels = instanceLabels(p, t);
                }
                // Only statements snapshots carry these; the codec ignores them in metrics
                // snapshots whatever they hold, so a metrics snapshot with odd ones falls back.
                case "extension_version" -> {
                    seen = once(seen, F_EXTENSION_VERSION);
                    if (t != JsonToken.VALUE_NULL) {
                        string(p, t);
                    }
                }
                case "texts" -> {
                    seen = once(seen, F_TEXTS);
                    texts = t == JsonToken.VALUE_NULL ? null : texts(p, t);
                }
                case "rows" -> {
                    seen = once(seen, F_ROWS);
                    // Values are checked against their catalog columns while streaming.
                    if (plan == null) {
                        throw GIVE_UP;
                    }
                    rows = rows(p, t, plan);
                }
                default -> skipLikeTree(p, t);
            }
        }
        if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
            throw GIVE_UP;
        }
        if ((seen & REQUIRED) != REQUIRED || plan.def.kind() != kind) {
            throw GIVE_UP;
        }
        if (validator.checkTime(collectedAt, now) != null) {
            throw GIVE_UP;
        }

        SourceRecord out = new SourceRecord();
        out.snapshot = rows.toCompact(instance, viewName, collectedAt, (int) serverVersion, statsReset, labels);
        if (kind == SnapshotKind.STATEMENTS && texts != null && texts.n > 0) {
            out.texts = texts.toStatementTexts(instance, collectedAt);
        }
        return out;
    }

    private static Rows rows(JsonParser p, JsonToken t, ViewPlan plan) throws IOException {
        if (t != JsonToken.START_ARRAY) {
            throw GIVE_UP;
        }
        Rows rows = new Rows(plan);
        String[] slots = new String[plan.labelKeys.length];
        StringBuilder key = new StringBuilder(64);
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                throw GIVE_UP;
            }
            int r = rows.addRow();
            Arrays.fill(slots, null);
            long reset = CompactSnapshot.NO_RESET;
            boolean labels = false;
            boolean values = false;
            boolean resetSeen = false;
            for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
                t = p.nextToken();
                switch (name) {
                    case "labels" -> {
                        labels = onceFlag(labels);
                        rowLabels(p, t, plan, slots);
                    }
                    case "values" -> {
                        values = onceFlag(values);
                        rowValues(p, t, plan, rows, r);
                    }
                    case "stats_reset" -> {
                        resetSeen = onceFlag(resetSeen);
                        reset = t == JsonToken.VALUE_NULL ? CompactSnapshot.NO_RESET : integral(p, t);
                    }
                    default -> skipLikeTree(p, t);
                }
            }
            if (!values) {
                throw GIVE_UP;
            }
            key.setLength(0);
            for (int i = 0; i < slots.length; i++) {
                if (i > 0) {
                    key.append(CompactSnapshot.LABEL_SEPARATOR);
                }
                key.append(slots[i] == null ? CompactSnapshot.NULL_LABEL : slots[i]);
            }
            rows.keys[r] = key.toString();
            rows.resets[r] = reset;
        }
        return rows;
    }

    /** Fills the view's label slots; keys the view does not use are only type-checked. */
    private static void rowLabels(JsonParser p, JsonToken t, ViewPlan plan, String[] slots) throws IOException {
        if (t == JsonToken.VALUE_NULL) {
            return;
        }
        if (t != JsonToken.START_OBJECT) {
            throw GIVE_UP;
        }
        long filled = 0;
        for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
            t = p.nextToken();
            String v;
            if (t == JsonToken.VALUE_STRING) {
                v = p.getText();
            } else if (t == JsonToken.VALUE_NULL) {
                v = null;
            } else {
                throw GIVE_UP;
            }
            Integer slot = plan.labelSlots.get(name);
            if (slot != null) {
                long bit = 1L << slot;
                if ((filled & bit) != 0) {
                    throw GIVE_UP;
                }
                filled |= bit;
                slots[slot] = v;
            }
        }
    }

    private static void rowValues(JsonParser p, JsonToken t, ViewPlan plan, Rows rows, int r) throws IOException {
        if (t != JsonToken.START_OBJECT) {
            throw GIVE_UP;
        }
        int base = r * plan.width;
        int stamp = r + 1;
        for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
            t = p.nextToken();
            Slot c = plan.columns.get(name);
            if (c != null) {
                if (rows.stamps[c.index] == stamp) {
                    throw GIVE_UP;
                }
                rows.stamps[c.index] = stamp;
            }
            if (t == JsonToken.VALUE_NULL) {
                continue;
            }
            double d;
            if (t == JsonToken.VALUE_NUMBER_INT) {
                JsonParser.NumberType nt = p.getNumberType();
                if (nt != JsonParser.NumberType.INT && nt != JsonParser.NumberType.LONG) {
                    throw GIVE_UP;
                }
                d = p.getLongValue();
            } else if (t == JsonToken.VALUE_NUMBER_FLOAT) {
                d = p.getDoubleValue();
            } else {
                throw GIVE_UP;
            }
            if (!Double.isFinite(d)) {
                throw GIVE_UP;
            }
            if (c == null) {
                // Not in this build's catalog: the codec checks it, CompactSnapshot.of drops it.
                continue;
            }
            if (c.counter ? d < 0 : !c.domain.contains(d)) {
                throw GIVE_UP;
            }
            rows.values[base + c.index] = d;
            rows.present[c.index] = true;
        }
    }

    private static String[] instanceLabels(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_NULL) {
            return NO_LABELS;
        }
        if (t != JsonToken.START_OBJECT) {
            throw GIVE_UP;
        }
        String[] kv = new String[8];
        int n = 0;
        for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
            t = p.nextToken();
            for (int i = 0; i < n; i += 2) {
                if (kv[i].equals(name)) {
                    throw GIVE_UP;
                }
            }
            if (n == 2 * MAX_INSTANCE_LABELS) {
                throw GIVE_UP;
            }
            if (n == kv.length) {
                kv = Arrays.copyOf(kv, n * 2);
            }
            kv[n++] = name;
            if (t == JsonToken.VALUE_STRING) {
                kv[n++] = p.getText();
            } else if (t == JsonToken.VALUE_NULL) {
                kv[n++] = null;
            } else {
                throw GIVE_UP;
            }
        }
        return n == 0 ? NO_LABELS : Arrays.copyOf(kv, n);
    }

    private static Texts texts(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.START_ARRAY) {
            throw GIVE_UP;
        }
        Texts texts = new Texts();
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                throw GIVE_UP;
            }
            String queryid = null;
            String text = null;
            boolean truncatedSeen = false;
            boolean truncated = false;
            for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
                t = p.nextToken();
                switch (name) {
                    case "queryid" -> {
                        if (queryid != null) {
                            throw GIVE_UP;
                        }
                        queryid = string(p, t);
                    }
                    case "text" -> {
                        if (text != null) {
                            throw GIVE_UP;
                        }
                        text = string(p, t);
                    }
                    case "truncated" -> {
                        truncatedSeen = onceFlag(truncatedSeen);
                        // The codec reads this leniently (asBoolean); only the plain forms are ours.
                        if (t == JsonToken.VALUE_TRUE) {
                            truncated = true;
                        } else if (t != JsonToken.VALUE_FALSE) {
                            throw GIVE_UP;
                        }
                    }
                    default -> skipLikeTree(p, t);
                }
            }
            if (queryid == null || text == null) {
                throw GIVE_UP;
            }
            texts.add(queryid, text, truncated);
        }
        return texts;
    }

    // ---------------------------------------------------------------- helpers

    private static int once(int seen, int field) {
        if ((seen & field) != 0) {
            throw GIVE_UP;
        }
        return seen | field;
    }

    private static boolean onceFlag(boolean seen) {
        if (seen) {
            throw GIVE_UP;
        }
        return true;
    }

    private static String string(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.VALUE_STRING) {
            throw GIVE_UP;
        }
        return p.getText();
    }

    /** An integer that fits a long; the codec's other integral forms (big integers) are left to it. */
    private static long integral(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.VALUE_NUMBER_INT) {
            throw GIVE_UP;
        }
        JsonParser.NumberType nt = p.getNumberType();
        if (nt != JsonParser.NumberType.INT && nt != JsonParser.NumberType.LONG) {
            throw GIVE_UP;
        }
        return p.getLongValue();
    }

    /**
     * Skips a value this decoder does not use, but converts every scalar the way Jackson's tree
     * reader does, so any limit or decoding error the codec would meet is met here too.
     */
    private static void skipLikeTree(JsonParser p, JsonToken t) throws IOException {
        int depth = 0;
        while (true) {
            if (t == null) {
                throw GIVE_UP;
            }
            switch (t) {
                case START_OBJECT, START_ARRAY -> depth++;
                case END_OBJECT, END_ARRAY -> depth--;
                case VALUE_STRING -> p.getText();
                case VALUE_NUMBER_INT -> {
                    JsonParser.NumberType nt = p.getNumberType();
                    if (nt == JsonParser.NumberType.INT) {
                        p.getIntValue();
                    } else if (nt == JsonParser.NumberType.LONG) {
                        p.getLongValue();
                    } else {
                        p.getBigIntegerValue();
                    }
                }
                case VALUE_NUMBER_FLOAT -> {
                    JsonParser.NumberTypeFP nt = p.getNumberTypeFP();
                    if (nt == JsonParser.NumberTypeFP.BIG_DECIMAL) {
                        p.getDecimalValue();
                    } else if (nt == JsonParser.NumberTypeFP.FLOAT32) {
                        p.getFloatValue();
                    } else {
                        p.getDoubleValue();
                    }
                }
                case FIELD_NAME, VALUE_TRUE, VALUE_FALSE, VALUE_NULL -> { }
                default -> throw GIVE_UP;
            }
            if (depth == 0) {
                return;
            }
            t = p.nextToken();
        }
    }

    // ---------------------------------------------------------------- per-call state and per-thread buffers

    /**
     * One decoding thread's row buffers, kept between records: they only grow, to the largest
     * snapshot the thread has decoded (rows × the view's catalog columns).
     */
    private static final class Scratch {
        /** Larger buffers (an outsized snapshot) are used for their record and not kept. */
        static final int MAX_VALUES = 1 << 20;

        String[] keys = new String[8];
        long[] resets = new long[8];
        double[] values = new double[0];

        void keep(String[] k, long[] r, double[] v) {
            if (v.length <= MAX_VALUES && k.length <= MAX_VALUES) {
                keys = k;
                resets = r;
                values = v;
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Rows as they stream in: values by catalog column (NaN = null or absent), compacted at the end. */
    private static final class Rows {
        final ViewPlan plan;
        final int width;
        /** Per catalog column: whether any row has a non-null value. */
        final boolean[] present;
        /** Per catalog column: 1 + the last row that named it (duplicate keys). */
        final int[] stamps;
        /** This thread's buffers; grown buffers are handed back to it for the next record. */
        final Scratch scratch;
        double[] values;
        String[] keys;
        long[] resets;
        int n;

        Rows(ViewPlan plan) {
            this.plan = plan;
            this.width = plan.width;
            this.present = new boolean[width];
            this.stamps = new int[width];
            // The row buffers are this thread's, reused from record to record (toCompact copies
            // what it keeps): no buffer is allocated and regrown row by row for every record.
            this.scratch = SCRATCH.get();
            this.keys = scratch.keys;
            this.resets = scratch.resets;
            this.values = scratch.values;
            if (values.length < keys.length * width) {
                values = new double[keys.length * width];
                scratch.keep(keys, resets, values);
            }
        }

        int addRow() {
            boolean grown = false;
            if (n == keys.length) {
                keys = Arrays.copyOf(keys, n * 2);
                resets = Arrays.copyOf(resets, n * 2);
                grown = true;
            }
            if ((n + 1) * width > values.length) {
                values = Arrays.copyOf(values, keys.length * width);
                grown = true;
            }
            if (grown) {
                scratch.keep(keys, resets, values);
            }
            Arrays.fill(values, n * width, (n + 1) * width, Double.NaN);
            return n++;
        }

        CompactSnapshot toCompact(String instance, String view, long collectedAt, int serverVersionNum,
                long statsReset, String[] instanceLabels) {
            int nc = 0;
            for (boolean b : present) {
                if (b) {
                    nc++;
                }
            }
            int[] cols = new int[nc];
            for (int ci = 0, k = 0; ci < width; ci++) {
                if (present[ci]) {
                    cols[k++] = ci;
                }
            }
            double[] compact = new double[n * nc];
            for (int r = 0; r < n; r++) {
                int from = r * width;
                int to = r * nc;
                for (int k = 0; k < nc; k++) {
                    compact[to + k] = values[from + cols[k]];
                }
            }
            CompactSnapshot c = new CompactSnapshot();
            c.instance = instance;
            c.view = view;
            c.collectedAt = collectedAt;
            c.serverVersionNum = serverVersionNum;
            c.statsReset = statsReset;
            c.instanceLabels = instanceLabels == NO_LABELS ? new String[0] : instanceLabels;
            c.rowKeys = Arrays.copyOf(keys, n);
            c.rowStatsReset = Arrays.copyOf(resets, n);
            c.columns = cols;
            c.values = compact;
            return c;
        }
    }

    /** The texts array of a statements snapshot. */
    private static final class Texts {
        String[] queryids = new String[4];
        String[] texts = new String[4];
        boolean[] truncated = new boolean[4];
        int n;

        void add(String queryid, String text, boolean trunc) {
            if (n == queryids.length) {
                queryids = Arrays.copyOf(queryids, n * 2);
                texts = Arrays.copyOf(texts, n * 2);
                truncated = Arrays.copyOf(truncated, n * 2);
            }
            queryids[n] = queryid;
            texts[n] = text;
            truncated[n] = trunc;
            n++;
        }

        StatementTexts toStatementTexts(String instance, long seenAt) {
            StatementTexts t = new StatementTexts();
            t.instance = instance;
            t.seenAt = seenAt;
            t.queryids = Arrays.copyOf(queryids, n);
            t.texts = Arrays.copyOf(texts, n);
            t.truncated = Arrays.copyOf(truncated, n);
            return t;
        }
    }

    // ---------------------------------------------------------------- per-view plans

    /** A catalog column as the decoder checks it: counters must not be negative, gauges stay in their domain. */
    private record Slot(int index, boolean counter, SnapshotValidator.Domain domain) {}

    /** What the decoder needs of one catalog view, computed once. */
    private static final class ViewPlan {
        final ViewDef def;
        final int width;
        final Map<String, Slot> columns;
        final String[] labelKeys;
        final Map<String, Integer> labelSlots;

        ViewPlan(ViewDef def) {
            this.def = def;
            Map<String, Integer> index = CompactSnapshot.columnIndex(def);
            this.width = index.size();
            this.columns = new HashMap<>(index.size() * 2);
            for (Map.Entry<String, Integer> e : index.entrySet()) {
                Column c = def.column(e.getKey());
                columns.put(e.getKey(), new Slot(e.getValue(), c.isCounter(), SnapshotValidator.Domain.of(c.unit())));
            }
            List<String> keys = def.labelKeys();
            this.labelKeys = keys.toArray(new String[0]);
            this.labelSlots = new HashMap<>();
            for (int i = 0; i < labelKeys.length; i++) {
                labelSlots.put(labelKeys[i], i);
            }
        }
    }

    private static Map<String, ViewPlan> plans() {
        Map<String, ViewPlan> m = new HashMap<>();
        for (Map.Entry<String, ViewDef> e : MetricCatalog.views().entrySet()) {
            // A label set wider than the 64-bit duplicate mask: such a view always takes the codec.
            if (e.getValue().labelKeys().size() <= 64) {
                m.put(e.getKey(), new ViewPlan(e.getValue()));
            }
        }
        return m;
    }

    /** Unwinds the decoder when it gives a record up; carries no stack, it is control flow. */
    private static final class GiveUp extends RuntimeException {
        private static final long serialVersionUID = 1L;

        GiveUp() {
            super("left to the wire codec", null, false, false);
        }
    }
}
