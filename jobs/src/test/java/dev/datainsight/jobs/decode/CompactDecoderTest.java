package dev.datainsight.jobs.decode;

import static dev.datainsight.jobs.decode.DecodeChecks.CODEC;
import static dev.datainsight.jobs.decode.DecodeChecks.NOW;
import static dev.datainsight.jobs.decode.DecodeChecks.TS;
import static dev.datainsight.jobs.decode.DecodeChecks.assertFallsBackToTheSameOutcome;
import static dev.datainsight.jobs.decode.DecodeChecks.assertFastPathGivesTheSameOutcome;
import static dev.datainsight.jobs.decode.DecodeChecks.assertSameOutcome;
import static dev.datainsight.jobs.decode.DecodeChecks.decode;
import static dev.datainsight.jobs.decode.DecodeChecks.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.datainsight.bench.fleet.SyntheticFleet;
import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.SourceRecord;
import dev.datainsight.model.DecodeResult;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.RejectReason;
import dev.datainsight.model.Snapshot;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.WireCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fast decode path gives exactly what the wire codec + validator + {@link CompactSnapshot#of}
 * give, is taken for everything a collector produces, and declines every bad record, which then
 * gets the same dead letter as before.
 */
class CompactDecoderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everySyntheticFleetSnapshot_takesTheFastPath_andEqualsTheFullPath() {
        SyntheticFleet fleet = new SyntheticFleet(4, 3, 6, 5, NOW - 30 * 60_000L, 60_000L, 7)
                .resetAt(1, 1).restartAt(2, 2);
        SnapshotDeserializer fast = DecodeChecks.withFastPath(CODEC);
        SnapshotDeserializer full = DecodeChecks.fullPathOnly(CODEC);
        Set<String> views = new TreeSet<>();
        int records = 0;
        int withTexts = 0;
        for (int cycle = 0; cycle < 4; cycle++) {
            for (Snapshot s : fleet.nextCycle()) {
                byte[] bytes = CODEC.encode(s);
                SourceRecord before = decode(full, bytes);
                assertNull(before.deadLetter, s + " is valid");
                SourceRecord after = decode(fast, bytes);
                records++;
                assertEquals(records, fast.fastDecoded(), s + " must take the fast path");
                assertNull(after.full);
                assertSameOutcome(before, after, s.toString());
                views.add(s.getView());
                withTexts += after.texts != null ? 1 : 0;
            }
        }
        assertEquals(Set.of("pg_stat_database", "pg_database", "pg_stat_user_tables", "pg_stat_activity",
                "pg_stat_checkpointer", "pg_stat_bgwriter", "pg_stat_wal", "pg_settings", "datainsight_collector",
                "pg_stat_statements"), views);
        assertEquals(4, withTexts, "texts of the first cycle's statements snapshots");
    }

    @Test
    void fastPathResult_equalsCompactSnapshotOfTheCodecsSnapshot() {
        SyntheticFleet fleet = new SyntheticFleet(1, 2, 3, 2, NOW - 10 * 60_000L, 60_000L, 3);
        CompactDecoder decoder = new CompactDecoder(CODEC, DecodeChecks.VALIDATOR);
        SnapshotDeserializer full = DecodeChecks.fullPathOnly(CODEC);
        for (Snapshot s : fleet.nextCycle()) {
            byte[] bytes = CODEC.encode(s);
            DecodeResult<Snapshot> d = CODEC.decodeSnapshot(bytes);
            SourceRecord fast = decoder.decode(bytes, NOW);
            assertNotNull(fast, s.toString());
            DecodeChecks.assertSameCompact(CompactSnapshot.of(d.value()), fast.snapshot, s.toString());
            DecodeChecks.assertSameTexts(decode(full, bytes).texts, fast.texts, s.toString());
        }
    }

    @Test
    void reusedRowBuffers_decodeLargerAndSmallerSnapshotsOfTheSameViewExactly() {
        // The row buffers are reused from record to record: a snapshot with more rows than any
        // before must grow them, one with fewer must not keep rows of the previous one.
        CompactDecoder decoder = new CompactDecoder(CODEC, DecodeChecks.VALIDATOR);
        int checked = 0;
        for (int tables : new int[] {40, 3, 70, 1, 9, 70}) {
            SyntheticFleet fleet = new SyntheticFleet(1, 1, tables, 1, NOW - 10 * 60_000L, 60_000L, tables);
            for (Snapshot s : fleet.nextCycle()) {
                if (!s.getView().equals("pg_stat_user_tables")) {
                    continue;
                }
                assertEquals(tables, s.getRows().size());
                byte[] bytes = CODEC.encode(s);
                SourceRecord fast = decoder.decode(bytes, NOW);
                assertNotNull(fast, s.toString());
                assertEquals(tables, fast.snapshot.rows());
                DecodeChecks.assertSameCompact(CompactSnapshot.of(CODEC.decodeSnapshot(bytes).value()), fast.snapshot,
                        tables + " tables");
                checked++;
            }
        }
        assertEquals(6, checked);
    }

    @Test
    void oneDecoderShared_byTwoThreadsDecodingSnapshotsOfDifferentSizes_givesEachItsOwnExactResult() throws Exception {
        CompactDecoder decoder = new CompactDecoder(CODEC, DecodeChecks.VALIDATOR);
        List<byte[]> small = new ArrayList<>();
        List<byte[]> large = new ArrayList<>();
        for (Snapshot s : new SyntheticFleet(1, 1, 2, 1, NOW - 10 * 60_000L, 60_000L, 5).nextCycle()) {
            small.add(CODEC.encode(s));
        }
        for (Snapshot s : new SyntheticFleet(1, 4, 90, 12, NOW - 10 * 60_000L, 60_000L, 6).nextCycle()) {
            large.add(CODEC.encode(s));
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<Integer>> done = new ArrayList<>();
            for (List<byte[]> records : List.of(small, large)) {
                done.add(pool.submit(() -> {
                    int checked = 0;
                    for (int round = 0; round < 50; round++) {
                        for (byte[] bytes : records) {
                            SourceRecord fast = decoder.decode(bytes, NOW);
                            assertNotNull(fast);
                            DecodeChecks.assertSameCompact(CompactSnapshot.of(CODEC.decodeSnapshot(bytes).value()),
                                    fast.snapshot, "round " + round);
                            checked++;
                        }
                    }
                    return checked;
                }));
            }
            assertEquals(50 * small.size(), done.get(0).get());
            assertEquals(50 * large.size(), done.get(1).get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void rulesEnabled_neverTakeTheFastPath_becauseTheyNeedTheFullSnapshot() {
        SnapshotDeserializer full = DecodeChecks.fullPathOnly(CODEC);
        SourceRecord r = decode(full, utf8(DecodeChecks.validEdgeCases().get(0)));
        assertNotNull(r.full);
        assertNotNull(r.snapshot);
        assertEquals(0, full.fastDecoded());
    }

    @Test
    void theDeserializerShippedToTheTaskManagers_keepsItsFastPath() throws Exception {
        SnapshotDeserializer shipped = org.apache.flink.util.InstantiationUtil.clone(DecodeChecks.withFastPath(CODEC));
        byte[] bytes = utf8(DecodeChecks.validEdgeCases().get(0));
        assertSameOutcome(decode(DecodeChecks.fullPathOnly(CODEC), bytes), decode(shipped, bytes), "cloned");
        assertEquals(1, shipped.fastDecoded());
    }

    static Stream<String> validEdgeCases() {
        return DecodeChecks.validEdgeCases().stream();
    }

    @ParameterizedTest
    @MethodSource("validEdgeCases")
    void validRecordsTheEncoderNeverWrites_takeTheFastPath_andEqualTheFullPath(String json) {
        assertFastPathGivesTheSameOutcome(utf8(json), json);
    }

    @Test
    void aValidRecordTheFastPathDeclines_isDecodedByTheCodec_andCountedAsAFullPathDecode() {
        Map<String, String> f = baseFields();
        String rows = f.remove("rows");
        Map<String, String> rowsFirst = new LinkedHashMap<>();
        rowsFirst.put("rows", rows); // rows before view: left to the codec
        rowsFirst.putAll(f);
        StringBuilder json = new StringBuilder("{");
        rowsFirst.forEach((k, v) -> json.append(json.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
        byte[] bytes = utf8(json.append('}').toString());
        SourceRecord r = DecodeChecks.assertFallsBackToTheSameOutcome(CODEC, bytes, "rows before view");
        assertNotNull(r.snapshot, "the codec accepts it");
        SnapshotDeserializer d = DecodeChecks.withFastPath(CODEC);
        DecodeChecks.decode(d, bytes);
        assertEquals(0, d.fastDecoded());
        assertEquals(1, d.fullPathDecoded());
    }

    // ------------------------------------------------------------ the wire-format test cases

    private static final String GOOD_ROW = "{\"labels\":{\"datname\":\"d\"},\"values\":{\"xact_commit\":5,\"numbackends\":3}}";

    /** The bad-input test's base record, field by field, in its order. */
    private static Map<String, String> baseFields() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("schema", "1");
        f.put("kind", "\"metrics\"");
        f.put("instance", "\"i1\"");
        f.put("server_version_num", "170000");
        f.put("collected_at", Long.toString(TS));
        f.put("view", "\"pg_stat_database\"");
        f.put("rows", "[" + GOOD_ROW + "]");
        return f;
    }

    private static String render(Map<String, String> fields) {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, String> e : fields.entrySet()) {
            sb.append(sb.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":").append(e.getValue());
        }
        return sb.append('}').toString();
    }

    private static String with(String field, String rawValue) {
        Map<String, String> f = baseFields();
        f.put(field, rawValue);
        return render(f);
    }

    private static String without(String field) {
        Map<String, String> f = baseFields();
        f.remove(field);
        return render(f);
    }

    /** WireCodecBadInputTest's cases (model module), on this test's clock. */
    static Stream<Arguments> wireFormatCases() {
        String good = render(baseFields());
        return Stream.of(
                Arguments.of("not JSON", "this is not json", RejectReason.NOT_JSON),
                Arguments.of("empty", "", RejectReason.NOT_JSON),
                Arguments.of("truncated JSON", good.substring(0, 40), RejectReason.NOT_JSON),
                Arguments.of("trailing data", good + "{}", RejectReason.NOT_JSON),
                Arguments.of("JSON array", "[1,2,3]", RejectReason.WRONG_SHAPE),
                Arguments.of("JSON scalar", "42", RejectReason.WRONG_SHAPE),
                Arguments.of("unknown kind", with("kind", "\"logs\""), RejectReason.WRONG_SHAPE),
                Arguments.of("row not an object", with("rows", "[1]"), RejectReason.WRONG_SHAPE),
                Arguments.of("unknown schema version", with("schema", "2"), RejectReason.UNKNOWN_SCHEMA_VERSION),
                Arguments.of("missing schema", without("schema"), RejectReason.MISSING_FIELD),
                Arguments.of("missing instance", without("instance"), RejectReason.MISSING_FIELD),
                Arguments.of("blank instance", with("instance", "\"  \""), RejectReason.MISSING_FIELD),
                Arguments.of("missing timestamp", without("collected_at"), RejectReason.MISSING_FIELD),
                Arguments.of("null timestamp", with("collected_at", "null"), RejectReason.MISSING_FIELD),
                Arguments.of("missing rows", without("rows"), RejectReason.MISSING_FIELD),
                Arguments.of("missing row values", with("rows", "[{\"labels\":{}}]"), RejectReason.MISSING_FIELD),
                Arguments.of("timestamp as string", with("collected_at", "\"yesterday\""), RejectReason.WRONG_TYPE),
                Arguments.of("timestamp as float", with("collected_at", "1.5"), RejectReason.WRONG_TYPE),
                Arguments.of("schema as string", with("schema", "\"1\""), RejectReason.WRONG_TYPE),
                Arguments.of("instance as number", with("instance", "7"), RejectReason.WRONG_TYPE),
                Arguments.of("value as string", with("rows", "[{\"values\":{\"xact_commit\":\"5\"}}]"), RejectReason.WRONG_TYPE),
                Arguments.of("value as object", with("rows", "[{\"values\":{\"xact_commit\":{}}}]"), RejectReason.WRONG_TYPE),
                Arguments.of("label as number", with("rows", "[{\"labels\":{\"datname\":1},\"values\":{}}]"), RejectReason.WRONG_TYPE),
                Arguments.of("rows as object", with("rows", "{}"), RejectReason.WRONG_TYPE),
                Arguments.of("NaN value", with("rows", "[{\"values\":{\"numbackends\":NaN}}]"), RejectReason.NON_FINITE),
                Arguments.of("Infinity value", with("rows", "[{\"values\":{\"numbackends\":Infinity}}]"), RejectReason.NON_FINITE),
                Arguments.of("overflowing number", with("rows", "[{\"values\":{\"numbackends\":1e400}}]"), RejectReason.NON_FINITE),
                Arguments.of("negative counter", with("rows", "[{\"values\":{\"xact_commit\":-5}}]"), RejectReason.NEGATIVE_COUNTER),
                Arguments.of("unknown view", with("view", "\"pg_stat_everything\""), RejectReason.UNKNOWN_VIEW),
                Arguments.of("view of the other kind", with("view", "\"pg_stat_statements\""), RejectReason.WRONG_SHAPE),
                Arguments.of("bogus server version", with("server_version_num", "17"), RejectReason.OUT_OF_DOMAIN));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("wireFormatCases")
    void wireFormatBadInput_isDeclinedByTheFastPath_andGetsTheSameDeadLetterAsBefore(String name, String json,
            RejectReason reason) {
        SourceRecord r = assertFallsBackToTheSameOutcome(CODEC, utf8(json), name);
        assertNotNull(r.deadLetter, name);
        assertEquals(reason.code(), r.deadLetter.getReason(), name + ": " + r.deadLetter.getDetail());
    }

    @Test
    void theWireFormatCasesBase_isItselfValid_andTakesTheFastPath() {
        assertFastPathGivesTheSameOutcome(utf8(render(baseFields())), "base");
        assertFastPathGivesTheSameOutcome(utf8(with("server_version_num", "0")), "server version 0 (unknown)");
        assertFastPathGivesTheSameOutcome(utf8(with("rows", "[{\"values\":{\"xact_commit\":5,\"future_column\":-1}}]")),
                "unknown column");
    }

    @ParameterizedTest(name = "bound {0} bytes")
    @ValueSource(ints = {64, 1024})
    void oversizedRecords_areDeclined_andGetTheSameDeadLetter(int bound) {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            rows.append(i == 0 ? "" : ",").append(GOOD_ROW);
        }
        byte[] big = utf8(with("rows", "[" + rows + "]"));
        SourceRecord r = assertFallsBackToTheSameOutcome(new WireCodec(bound), big, "oversized");
        assertEquals(RejectReason.OVERSIZED.code(), r.deadLetter.getReason());
        assertFastPathGivesTheSameOutcome(big, "the same record within the default bound");
    }

    @Test
    void invalidUtf8_isDeclined_andKeptAsBase64InTheSameDeadLetter() {
        byte[] bad = {(byte) 0xff, (byte) 0xfe, '{', '}'};
        SourceRecord r = assertFallsBackToTheSameOutcome(CODEC, bad, "invalid UTF-8");
        assertNull(r.deadLetter.getPayload());
        assertNotNull(r.deadLetter.getPayloadBase64());
    }

    // ------------------------------------------------------------ DeadLetterITCase's payloads

    private static MetricsSnapshot activity(long ts, double oldestXactAge) {
        MetricsSnapshot m = new MetricsSnapshot();
        m.setInstance("bad-1");
        m.setServerVersionNum(170011);
        m.setCollectedAt(ts);
        m.setView("pg_stat_activity");
        m.getRows().add(new SnapshotRow().value("connections_total", 3.0).value("oldest_xact_age_seconds", oldestXactAge));
        return m;
    }

    private static byte[] edit(Snapshot s, Consumer<ObjectNode> change) throws Exception {
        ObjectNode n = (ObjectNode) JSON.readTree(CODEC.encode(s));
        change.accept(n);
        return JSON.writeValueAsBytes(n);
    }

    /** One payload per rejection reason but late, as the dead-letter end-to-end test sends them. */
    static Stream<Arguments> deadLetterCases() throws Exception {
        long ts = NOW - 600_000;
        MetricsSnapshot ok = activity(ts, 5);
        List<Arguments> cases = new ArrayList<>();
        cases.add(Arguments.of(RejectReason.NOT_JSON, utf8("{not json")));
        cases.add(Arguments.of(RejectReason.WRONG_SHAPE, utf8("[1,2,3]")));
        cases.add(Arguments.of(RejectReason.UNKNOWN_SCHEMA_VERSION, edit(ok, n -> n.put("schema", 99))));
        cases.add(Arguments.of(RejectReason.MISSING_FIELD, edit(ok, n -> n.remove("collected_at"))));
        cases.add(Arguments.of(RejectReason.WRONG_TYPE, edit(ok, n -> n.put("collected_at", "yesterday"))));
        cases.add(Arguments.of(RejectReason.NON_FINITE, utf8(new String(CODEC.encode(ok), java.nio.charset.StandardCharsets.UTF_8)
                .replace("\"connections_total\":3", "\"connections_total\":NaN"))));
        MetricsSnapshot wal = new MetricsSnapshot();
        wal.setInstance("bad-1");
        wal.setServerVersionNum(170011);
        wal.setCollectedAt(ts);
        wal.setView("pg_stat_wal");
        wal.getRows().add(new SnapshotRow().value("wal_records", -5.0));
        cases.add(Arguments.of(RejectReason.NEGATIVE_COUNTER, CODEC.encode(wal)));
        MetricsSnapshot big = activity(ts, 5);
        big.setView("pg_stat_user_tables");
        big.getRows().clear();
        for (int i = 0; i < 400; i++) {
            big.getRows().add(new SnapshotRow().label("datname", "d").label("schemaname", "public")
                    .label("relname", "table_with_a_long_name_" + i).value("seq_scan", (double) i));
        }
        cases.add(Arguments.of(RejectReason.OVERSIZED, CODEC.encode(big)));
        cases.add(Arguments.of(RejectReason.UNKNOWN_VIEW, edit(ok, n -> n.put("view", "pg_stat_nope"))));
        cases.add(Arguments.of(RejectReason.IN_FUTURE, CODEC.encode(activity(NOW + 3_600_000, 5))));
        cases.add(Arguments.of(RejectReason.TOO_OLD, CODEC.encode(activity(NOW - 30L * 86_400_000, 5))));
        cases.add(Arguments.of(RejectReason.OUT_OF_DOMAIN, CODEC.encode(activity(ts, -7))));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deadLetterCases")
    void deadLetterPayloads_areDeclinedByTheFastPath_andGetTheSameDeadLetterAsBefore(RejectReason reason, byte[] bytes) {
        // The end-to-end test bounds records at 20,000 bytes.
        SourceRecord r = assertFallsBackToTheSameOutcome(new WireCodec(20_000), bytes, reason.code());
        assertNotNull(r.deadLetter);
        assertEquals(reason.code(), r.deadLetter.getReason(), r.deadLetter.getDetail());
        assertTrue(r.deadLetter.getDetail() != null && !r.deadLetter.getDetail().isBlank());
    }

    @Test
    void theDeadLetterCasesBase_isItselfValid_andTakesTheFastPath() {
        assertFastPathGivesTheSameOutcome(CODEC.encode(activity(NOW - 600_000, 5)), "activity");
    }
}
