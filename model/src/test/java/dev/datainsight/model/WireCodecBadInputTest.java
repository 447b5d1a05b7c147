package dev.datainsight.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every kind of bad input yields a typed rejection with a clear detail, never an exception. */
class WireCodecBadInputTest {
    private static final String GOOD_ROW = "{\"labels\":{\"datname\":\"d\"},\"values\":{\"xact_commit\":5,\"numbackends\":3}}";

    private static String snapshot(String override) {
        String base = "\"schema\":1,\"kind\":\"metrics\",\"instance\":\"i1\",\"server_version_num\":170000,"
                + "\"collected_at\":1795312800000,\"view\":\"pg_stat_database\",\"rows\":[" + GOOD_ROW + "]";
        return "{" + (override == null ? base : override) + "}";
    }

    private static String with(String field, String json) {
        String s = snapshot(null);
        // replace one top-level field's value
        return s.replaceFirst("\"" + field + "\":(\"[^\"]*\"|\\[.*\\]|[^,}]+)", "\"" + field + "\":" + java.util.regex.Matcher.quoteReplacement(json));
    }

    private static String without(String field) {
        return snapshot(null).replaceFirst(",?\"" + field + "\":(\"[^\"]*\"|\\[.*\\]|[^,}]+)", "").replace("{,", "{");
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("not JSON", "this is not json", RejectReason.NOT_JSON, "not JSON"),
                Arguments.of("empty", "", RejectReason.NOT_JSON, "empty"),
                Arguments.of("truncated JSON", snapshot(null).substring(0, 40), RejectReason.NOT_JSON, "not JSON"),
                Arguments.of("trailing data", snapshot(null) + "{}", RejectReason.NOT_JSON, "trailing"),
                Arguments.of("JSON array", "[1,2,3]", RejectReason.WRONG_SHAPE, "expected a JSON object"),
                Arguments.of("JSON scalar", "42", RejectReason.WRONG_SHAPE, "expected a JSON object"),
                Arguments.of("unknown kind", with("kind", "\"logs\""), RejectReason.WRONG_SHAPE, "kind"),
                Arguments.of("row not an object", with("rows", "[1]"), RejectReason.WRONG_SHAPE, "rows[0]"),
                Arguments.of("unknown schema version", with("schema", "2"), RejectReason.UNKNOWN_SCHEMA_VERSION, "schema 2"),
                Arguments.of("missing schema", without("schema"), RejectReason.MISSING_FIELD, "schema"),
                Arguments.of("missing instance", without("instance"), RejectReason.MISSING_FIELD, "instance"),
                Arguments.of("blank instance", with("instance", "\"  \""), RejectReason.MISSING_FIELD, "instance"),
                Arguments.of("missing timestamp", without("collected_at"), RejectReason.MISSING_FIELD, "collected_at"),
                Arguments.of("null timestamp", with("collected_at", "null"), RejectReason.MISSING_FIELD, "collected_at"),
                Arguments.of("missing rows", without("rows"), RejectReason.MISSING_FIELD, "rows"),
                Arguments.of("missing row values", with("rows", "[{\"labels\":{}}]"), RejectReason.MISSING_FIELD, "values"),
                Arguments.of("timestamp as string", with("collected_at", "\"yesterday\""), RejectReason.WRONG_TYPE, "collected_at"),
                Arguments.of("timestamp as float", with("collected_at", "1.5"), RejectReason.WRONG_TYPE, "collected_at"),
                Arguments.of("schema as string", with("schema", "\"1\""), RejectReason.WRONG_TYPE, "schema"),
                Arguments.of("instance as number", with("instance", "7"), RejectReason.WRONG_TYPE, "instance"),
                Arguments.of("value as string", with("rows", "[{\"values\":{\"xact_commit\":\"5\"}}]"), RejectReason.WRONG_TYPE, "xact_commit"),
                Arguments.of("value as object", with("rows", "[{\"values\":{\"xact_commit\":{}}}]"), RejectReason.WRONG_TYPE, "xact_commit"),
                Arguments.of("label as number", with("rows", "[{\"labels\":{\"datname\":1},\"values\":{}}]"), RejectReason.WRONG_TYPE, "datname"),
                Arguments.of("rows as object", with("rows", "{}"), RejectReason.WRONG_TYPE, "rows"),
                Arguments.of("NaN value", with("rows", "[{\"values\":{\"numbackends\":NaN}}]"), RejectReason.NON_FINITE, "numbackends"),
                Arguments.of("Infinity value", with("rows", "[{\"values\":{\"numbackends\":Infinity}}]"), RejectReason.NON_FINITE, "numbackends"),
                Arguments.of("overflowing number", with("rows", "[{\"values\":{\"numbackends\":1e400}}]"), RejectReason.NON_FINITE, "numbackends"),
                Arguments.of("negative counter", with("rows", "[{\"values\":{\"xact_commit\":-5}}]"), RejectReason.NEGATIVE_COUNTER, "xact_commit"),
                Arguments.of("unknown view", with("view", "\"pg_stat_everything\""), RejectReason.UNKNOWN_VIEW, "pg_stat_everything"),
                Arguments.of("view of the other kind", with("view", "\"pg_stat_statements\""), RejectReason.WRONG_SHAPE, "statements"),
                Arguments.of("bogus server version", with("server_version_num", "17"), RejectReason.OUT_OF_DOMAIN, "server_version_num"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rejectsWithReason(String name, String json, RejectReason expected, String detailMentions) {
        DecodeResult<Snapshot> r = new WireCodec().decodeSnapshot(json.getBytes(StandardCharsets.UTF_8));
        assertFalse(r.isOk(), name + " must be rejected");
        assertEquals(expected, r.reason(), name + ": " + r.detail());
        assertNotNull(r.detail());
        assertTrue(r.detail().contains(detailMentions), name + ": detail '" + r.detail() + "' should mention '" + detailMentions + "'");
    }

    @ParameterizedTest(name = "bound {0} bytes")
    @org.junit.jupiter.params.provider.ValueSource(ints = {64, 1024})
    void oversizedRecordsAreRejected_atTheConfiguredBound(int bound) {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            rows.append(i == 0 ? "" : ",").append(GOOD_ROW);
        }
        byte[] big = with("rows", "[" + rows + "]").getBytes(StandardCharsets.UTF_8);
        DecodeResult<Snapshot> r = new WireCodec(bound).decodeSnapshot(big);
        assertEquals(RejectReason.OVERSIZED, r.reason());
        assertTrue(r.detail().contains(String.valueOf(bound)), r.detail());
        assertTrue(new WireCodec().decodeSnapshot(big).isOk(), "the same record passes the default bound");
    }

    @org.junit.jupiter.api.Test
    void invalidUtf8Bytes_areRejectedAndKeptAsBase64InTheDeadLetter() {
        byte[] bad = {(byte) 0xff, (byte) 0xfe, '{', '}'};
        DecodeResult<Snapshot> r = new WireCodec().decodeSnapshot(bad);
        assertFalse(r.isOk());
        DeadLetterRecord d = WireCodec.deadLetter(bad, r.reason(), r.detail(), r.instance(), "t", 0, 5L, 1L, 2L);
        assertEquals(null, d.getPayload());
        assertEquals(java.util.Arrays.toString(bad), java.util.Arrays.toString(d.originalBytes()));
    }

    @org.junit.jupiter.api.Test
    void unknownServerVersionZero_isAccepted() {
        DecodeResult<Snapshot> r = new WireCodec().decodeSnapshot(with("server_version_num", "0").getBytes(StandardCharsets.UTF_8));
        assertTrue(r.isOk(), r.toString());
        assertEquals(0, r.value().getServerVersionNum());
    }

    @org.junit.jupiter.api.Test
    void rejectionKeepsTheInstanceWhenReadable() {
        DecodeResult<Snapshot> r = new WireCodec().decodeSnapshot(with("schema", "9").getBytes(StandardCharsets.UTF_8));
        assertEquals("i1", r.instance());
    }

    @org.junit.jupiter.api.Test
    void goodRecordDecodes_andUnknownColumnsAreCarried() {
        DecodeResult<Snapshot> r = new WireCodec().decodeSnapshot(with("rows",
                "[{\"values\":{\"xact_commit\":5,\"future_column\":-1}}]").getBytes(StandardCharsets.UTF_8));
        assertTrue(r.isOk(), r.toString());
        assertEquals(-1.0, r.value().getRows().get(0).getValues().get("future_column"));
    }
}
