package dev.datainsight.jobs.decode;

import static dev.datainsight.jobs.decode.DecodeChecks.CODEC;
import static dev.datainsight.jobs.decode.DecodeChecks.NOW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.datainsight.bench.fleet.SyntheticFleet;
import dev.datainsight.jobs.records.SourceRecord;
import dev.datainsight.model.Snapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Randomized differential test of the two decode paths: valid encoded snapshots are mutated
 * (field order, duplicate and escaped keys, nulls, wrong types, odd numbers and strings, missing
 * and unknown fields, trailing bytes, truncation, byte flips) and each result is decoded both
 * ways. Wherever the fast path accepts, the full path must accept with an equal result; wherever
 * the full path rejects, the fast path must have declined; and the deserializer's output must be
 * what the full path alone gives.
 */
class CompactDecoderDifferentialTest {
    /** Fixed; {@code -Ddecode.seed=...} explores other mutations. */
    private static final long SEED = Long.getLong("decode.seed", 20_251_122L);
    private static final int CASES = Integer.getInteger("decode.cases", 4000);

    @Test
    void fastPathAcceptsOnlyWhatTheFullPathAcceptsIdentically_onMutatedSnapshots() {
        List<byte[]> bases = new ArrayList<>();
        SyntheticFleet fleet = new SyntheticFleet(2, 2, 3, 3, NOW - 20 * 60_000L, 60_000L, 11);
        for (int cycle = 0; cycle < 2; cycle++) {
            for (Snapshot s : fleet.nextCycle()) {
                bases.add(CODEC.encode(s));
            }
        }
        for (String json : DecodeChecks.validEdgeCases()) {
            bases.add(DecodeChecks.utf8(json));
        }
        CompactDecoder decoder = new CompactDecoder(CODEC, DecodeChecks.VALIDATOR);
        SnapshotDeserializer full = DecodeChecks.fullPathOnly(CODEC);
        SnapshotDeserializer withFast = DecodeChecks.withFastPath(CODEC);
        Random rnd = new Random(SEED);
        int fastAccepted = 0;
        int fullRejected = 0;
        int fellBackToValid = 0;
        for (int i = 0; i < CASES; i++) {
            byte[] base = bases.get(rnd.nextInt(bases.size()));
            byte[] bytes = new Mutator(rnd, bases).mutate(base);
            String what = "case " + i + " (seed " + SEED + "): " + new String(bytes, StandardCharsets.UTF_8);
            SourceRecord fast = decoder.decode(bytes, NOW);
            SourceRecord reference = DecodeChecks.decode(full, bytes);
            if (fast != null) {
                fastAccepted++;
                assertNull(reference.deadLetter, what + " accepted by the fast path, rejected by the full path");
                DecodeChecks.assertSameCompact(reference.snapshot, fast.snapshot, what);
                DecodeChecks.assertSameTexts(reference.texts, fast.texts, what);
            } else if (reference.deadLetter != null) {
                fullRejected++;
            } else {
                fellBackToValid++;
            }
            DecodeChecks.assertSameOutcome(reference, DecodeChecks.decode(withFast, bytes), what);
        }
        assertEquals(fastAccepted, withFast.fastDecoded());
        // Not vacuous: both sides of the contract are exercised a good many times.
        assertTrue(fastAccepted > CASES / 10, "fast path accepted " + fastAccepted);
        assertTrue(fullRejected > CASES / 4, "full path rejected " + fullRejected);
        System.out.printf("differential: %d cases, fast path accepted %d, full path rejected %d, "
                + "valid but left to the codec %d%n", CASES, fastAccepted, fullRejected, fellBackToValid);
    }

    // ---------------------------------------------------------------- a JSON model that keeps duplicates

    /** A JSON value as text pieces: objects keep their fields' order and may repeat keys. */
    private interface Json {}

    /** A scalar, already in its JSON text form. */
    private record Lit(String text) implements Json {}

    /** A field; {@code key} is the key's JSON text, quotes and escapes included. */
    private record Field(String key, Json value) {}

    private record Obj(List<Field> fields) implements Json {}

    private record Arr(List<Json> items) implements Json {}

    private static final JsonFactory FACTORY = new JsonFactory();
    private static final JsonStringEncoder ENCODER = JsonStringEncoder.getInstance();

    private static String quote(String s) {
        return "\"" + new String(ENCODER.quoteAsString(s)) + "\"";
    }

    private static Json parse(byte[] bytes) {
        try (JsonParser p = FACTORY.createParser(bytes)) {
            return read(p, p.nextToken());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Json read(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT -> {
                List<Field> fields = new ArrayList<>();
                for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
                    fields.add(new Field(quote(name), read(p, p.nextToken())));
                }
                return new Obj(fields);
            }
            case START_ARRAY -> {
                List<Json> items = new ArrayList<>();
                for (JsonToken u = p.nextToken(); u != JsonToken.END_ARRAY; u = p.nextToken()) {
                    items.add(read(p, u));
                }
                return new Arr(items);
            }
            case VALUE_STRING -> {
                return new Lit(quote(p.getText()));
            }
            default -> {
                // Numbers keep their original text: the mutations must not reformat them.
                return new Lit(p.getText());
            }
        }
    }

    private static void write(Json j, StringBuilder sb) {
        if (j instanceof Lit l) {
            sb.append(l.text());
        } else if (j instanceof Obj o) {
            sb.append('{');
            for (int i = 0; i < o.fields().size(); i++) {
                Field f = o.fields().get(i);
                sb.append(i > 0 ? "," : "").append(f.key()).append(':');
                write(f.value(), sb);
            }
            sb.append('}');
        } else {
            Arr a = (Arr) j;
            sb.append('[');
            for (int i = 0; i < a.items().size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                write(a.items().get(i), sb);
            }
            sb.append(']');
        }
    }

    // ---------------------------------------------------------------- mutations

    private static final String[] NUMBERS = {"0", "1", "-1", "-5", "-0", "-0.0", "0.0", "0.5", "1.5", "2", "1.0",
        "1E2", "1e2", "2.5e-3", "1e400", "-1e400", "1e-400", "4.9E-324", "1.7976931348623157E308", "NaN",
        "Infinity", "-Infinity", "2147483647", "2147483648", "9223372036854775807", "9223372036854775808",
        "-9223372036854775809", "123456789012345678901234567890", "90000", "89999", "999999", "1000000", "170011",
        "1795312800000", "1795312800000.0", Long.toString(NOW - 60_000), Long.toString(NOW + 600_000),
        Long.toString(NOW - 8L * 86_400_000), "01", "+1", ".5", "1.", "0x10"};
    private static final String[] STRINGS = {"\"\"", "\"  \"", "\"\\u00fc\\u20ac\\ud83d\\ude00\"", "\"\\\"q\\\\\"",
        "\"\\u0000\"", "\"\\u001f\"", "\"caf\u00e9\"", "\"\\ud800\"", "\"metrics\"", "\"statements\"",
        "\"\\u006detrics\"", "\"pg_stat_wal\"", "\"pg_stat_statements\"", "\"pg_stat_database\"",
        "\"pg_stat_activity\"", "\"pg_nope\"", "\"db0\"", "\"1\"", "\"x\\ty\\n\""};
    private static final String[] OTHERS = {"null", "true", "false", "[]", "{}", "[1,\"a\"]", "{\"a\":1}",
        "{\"a\":{\"b\":[null,1e400,-0.0]}}", "[[[]]]"};
    private static final String[] KEYS = {"\"schema\"", "\"kind\"", "\"instance\"", "\"server_version_num\"",
        "\"collected_at\"", "\"view\"", "\"stats_reset\"", "\"labels\"", "\"rows\"", "\"values\"", "\"texts\"",
        "\"extension_version\"", "\"queryid\"", "\"text\"", "\"truncated\"", "\"datname\"", "\"xact_commit\"",
        "\"numbackends\"", "\"up\"", "\"future\"", "\"x_extra\"", "\"\\u0073chema\""};
    private static final String[] TRAILERS = {" ", "\n", "{}", "x", "]", "}", "null", ",", " \t\r\n", "\u0000"};

    /** Applies one to three random mutations to one encoded snapshot. */
    private static final class Mutator {
        private final Random rnd;
        private final List<byte[]> donors;

        Mutator(Random rnd, List<byte[]> donors) {
            this.rnd = rnd;
            this.donors = donors;
        }

        byte[] mutate(byte[] base) {
            Json root = parse(base);
            int n = 1 + rnd.nextInt(3);
            boolean bytes = false;
            for (int k = 0; k < n; k++) {
                int m = rnd.nextInt(19);
                if (m >= 17) {
                    bytes = true;
                } else {
                    mutateTree(root, m);
                }
            }
            StringBuilder sb = new StringBuilder();
            write(root, sb);
            byte[] out = sb.toString().getBytes(StandardCharsets.UTF_8);
            return bytes ? mutateBytes(out) : out;
        }

        private String pick(String[] a) {
            return a[rnd.nextInt(a.length)];
        }

        private String anyValue() {
            return switch (rnd.nextInt(3)) {
                case 0 -> pick(NUMBERS);
                case 1 -> pick(STRINGS);
                default -> pick(OTHERS);
            };
        }

        /** Every object of the tree; the root first, and more often, since it holds most rules. */
        private void objects(Json j, List<Obj> out) {
            if (j instanceof Obj o) {
                out.add(o);
                for (Field f : o.fields()) {
                    objects(f.value(), out);
                }
            } else if (j instanceof Arr a) {
                for (Json i : a.items()) {
                    objects(i, out);
                }
            }
        }

        private Obj someObject(Json root) {
            List<Obj> all = new ArrayList<>();
            objects(root, all);
            return rnd.nextInt(3) == 0 || all.size() == 1 ? all.get(0) : all.get(1 + rnd.nextInt(all.size() - 1));
        }

        private void mutateTree(Json root, int m) {
            Obj o = someObject(root);
            List<Field> fs = o.fields();
            int i = fs.isEmpty() ? -1 : rnd.nextInt(fs.size());
            switch (m) {
                case 0 -> Collections.shuffle(fs, rnd);
                case 1 -> {
                    if (i >= 0) {
                        Field f = fs.get(i);
                        Json v = rnd.nextBoolean() ? f.value() : new Lit(anyValue());
                        fs.add(rnd.nextInt(fs.size() + 1), new Field(f.key(), v));
                    }
                }
                case 2 -> {
                    if (i >= 0) {
                        fs.remove(i);
                    }
                }
                case 3 -> {
                    if (i >= 0) {
                        fs.set(i, new Field(fs.get(i).key(), new Lit("null")));
                    }
                }
                case 4, 5 -> {
                    if (i >= 0) {
                        fs.set(i, new Field(fs.get(i).key(), new Lit(pick(NUMBERS))));
                    }
                }
                case 6 -> {
                    if (i >= 0) {
                        fs.set(i, new Field(fs.get(i).key(), new Lit(pick(STRINGS))));
                    }
                }
                case 7 -> {
                    if (i >= 0) {
                        fs.set(i, new Field(fs.get(i).key(), new Lit(pick(OTHERS))));
                    }
                }
                case 8 -> fs.add(rnd.nextInt(fs.size() + 1), new Field(pick(new String[] {"\"future\"",
                    "\"x_extra\"", "\"\\u0073chema_2\"", "\"\""}), new Lit(anyValue())));
                case 9 -> {
                    if (i >= 0) {
                        fs.set(i, new Field(escapeFirst(fs.get(i).key()), fs.get(i).value()));
                    }
                }
                case 10 -> {
                    if (i >= 0) {
                        fs.set(i, new Field(pick(KEYS), fs.get(i).value()));
                    }
                }
                case 11 -> rows(root);
                case 12 -> {
                    // A value of a row: the domain and counter checks.
                    List<Obj> all = new ArrayList<>();
                    objects(root, all);
                    Obj values = null;
                    for (Obj x : all) {
                        for (Field f : x.fields()) {
                            if (f.key().equals("\"values\"") && f.value() instanceof Obj v && !v.fields().isEmpty()) {
                                values = rnd.nextInt(3) == 0 || values == null ? v : values;
                            }
                        }
                    }
                    if (values != null) {
                        int j = rnd.nextInt(values.fields().size());
                        values.fields().set(j, new Field(values.fields().get(j).key(), new Lit(pick(NUMBERS))));
                    }
                }
                case 13 -> duplicateFromDonor((Obj) root);
                case 14 -> duplicateValue(root);
                case 15 -> {
                    // The other kind: views belong to one kind only.
                    for (Field f : ((Obj) root).fields()) {
                        if (f.key().equals("\"kind\"") && f.value() instanceof Lit k) {
                            String other = k.text().equals("\"metrics\"") ? "\"statements\"" : "\"metrics\"";
                            ((Obj) root).fields().set(((Obj) root).fields().indexOf(f), new Field(f.key(), new Lit(other)));
                            break;
                        }
                    }
                }
                default -> {
                    // A label value: unicode, escapes, nulls, wrong types.
                    for (Field f : ((Obj) root).fields()) {
                        if (f.key().equals("\"labels\"") && f.value() instanceof Obj l) {
                            l.fields().add(rnd.nextInt(l.fields().size() + 1), new Field(pick(new String[] {"\"env\"",
                                "\"\\u00fcber\"", "\"role\""}), new Lit(rnd.nextInt(4) == 0 ? anyValue() : pick(STRINGS))));
                        }
                    }
                }
            }
        }

        /**
         * Repeats a top-level field with the value another snapshot has for it, before or after
         * the original: the codec keeps the last one.
         */
        private void duplicateFromDonor(Obj root) {
            Obj donor = (Obj) parse(donors.get(rnd.nextInt(donors.size())));
            Field f = donor.fields().get(rnd.nextInt(donor.fields().size()));
            root.fields().add(rnd.nextInt(root.fields().size() + 1), f);
        }

        /** Repeats a column inside a row's values with null or another number. */
        private void duplicateValue(Json root) {
            List<Obj> all = new ArrayList<>();
            objects(root, all);
            for (Obj x : all) {
                for (Field f : x.fields()) {
                    if (f.key().equals("\"values\"") && f.value() instanceof Obj v && !v.fields().isEmpty()
                            && rnd.nextBoolean()) {
                        List<Field> vs = v.fields();
                        int j = rnd.nextInt(vs.size());
                        String lit = rnd.nextBoolean() ? "null" : pick(NUMBERS);
                        vs.add(rnd.nextInt(vs.size() + 1), new Field(vs.get(j).key(), new Lit(lit)));
                        return;
                    }
                }
            }
        }

        /** Removes, duplicates or empties rows. */
        private void rows(Json root) {
            for (Field f : ((Obj) root).fields()) {
                if (f.key().equals("\"rows\"") && f.value() instanceof Arr a) {
                    List<Json> items = a.items();
                    switch (rnd.nextInt(3)) {
                        case 0 -> items.clear();
                        case 1 -> {
                            if (!items.isEmpty()) {
                                items.add(items.get(rnd.nextInt(items.size())));
                            }
                        }
                        default -> {
                            if (!items.isEmpty()) {
                                items.remove(rnd.nextInt(items.size()));
                            }
                        }
                    }
                }
            }
        }

        /** The same key written with its first character as a unicode escape. */
        private static String escapeFirst(String key) {
            if (key.length() < 3 || key.charAt(1) == '\\') {
                return key;
            }
            return "\"\\u" + String.format("%04x", (int) key.charAt(1)) + key.substring(2);
        }

        private byte[] mutateBytes(byte[] b) {
            switch (rnd.nextInt(5)) {
                case 0 -> {
                    return Arrays.copyOf(b, rnd.nextInt(b.length));
                }
                case 1 -> {
                    byte[] t = pick(TRAILERS).getBytes(StandardCharsets.UTF_8);
                    byte[] out = Arrays.copyOf(b, b.length + t.length);
                    System.arraycopy(t, 0, out, b.length, t.length);
                    return out;
                }
                case 2 -> {
                    byte[] out = b.clone();
                    out[rnd.nextInt(out.length)] ^= (byte) (1 << rnd.nextInt(8));
                    return out;
                }
                case 3 -> {
                    byte[] bom = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};
                    byte[] out = new byte[b.length + 3];
                    System.arraycopy(bom, 0, out, 0, 3);
                    System.arraycopy(b, 0, out, 3, b.length);
                    return out;
                }
                default -> {
                    int at = rnd.nextInt(b.length + 1);
                    byte[] out = new byte[b.length + 1];
                    System.arraycopy(b, 0, out, 0, at);
                    out[at] = (byte) " {}[],:\"0-eE.\\n"
                            .charAt(rnd.nextInt(15));
                    System.arraycopy(b, at, out, at + 1, b.length - at);
                    return out;
                }
            }
        }
    }
}
