package dev.datainsight.jobs.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.SourceRecord;
import dev.datainsight.jobs.records.StatementTexts;
import dev.datainsight.model.WireCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Shared fixtures of the decode-path tests: one clock, the production validator bounds, and a
 * field-by-field comparison of what the fast and the full path emit.
 */
final class DecodeChecks {
    /** The job's clock in these tests. */
    static final long NOW = 1_795_312_860_000L;
    /** A collection time the validator accepts at {@link #NOW}. */
    static final long TS = NOW - 60_000L;
    static final WireCodec CODEC = new WireCodec();
    /** Bounds of these tests (time.max_future 5m, time.max_age 7d). */
    static final SnapshotValidator VALIDATOR = new SnapshotValidator(Duration.ofMinutes(5), Duration.ofDays(7));

    private DecodeChecks() {}

    /** Rules disabled: the fast path first, the full path as the fallback. */
    static SnapshotDeserializer withFastPath(WireCodec codec) {
        return new SnapshotDeserializer(codec, VALIDATOR, false);
    }

    /** Rules enabled: only the full path, i.e. the behaviour from before the fast path existed. */
    static SnapshotDeserializer fullPathOnly(WireCodec codec) {
        return new SnapshotDeserializer(codec, VALIDATOR, true);
    }

    static SourceRecord decode(SnapshotDeserializer d, byte[] bytes) {
        return d.decode(bytes, "datainsight.metrics", 3, 42L, 1_795_312_000_000L, NOW);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Same snapshot, texts and dead letter; the full snapshot (rules only) is not compared. */
    static void assertSameOutcome(SourceRecord expected, SourceRecord actual, String what) {
        assertSameCompact(expected.snapshot, actual.snapshot, what);
        assertSameTexts(expected.texts, actual.texts, what);
        assertEquals(expected.deadLetter, actual.deadLetter, what + ": dead letter");
    }

    static void assertSameCompact(CompactSnapshot e, CompactSnapshot a, String what) {
        if (e == null || a == null) {
            assertEquals(e, a, what + ": snapshot");
            return;
        }
        assertEquals(e.instance, a.instance, what + ": instance");
        assertEquals(e.view, a.view, what + ": view");
        assertEquals(e.collectedAt, a.collectedAt, what + ": collectedAt");
        assertEquals(e.serverVersionNum, a.serverVersionNum, what + ": serverVersionNum");
        assertEquals(e.statsReset, a.statsReset, what + ": statsReset");
        assertArrayEquals(e.instanceLabels, a.instanceLabels, what + ": instanceLabels");
        assertArrayEquals(e.rowKeys, a.rowKeys, what + ": rowKeys");
        assertArrayEquals(e.rowStatsReset, a.rowStatsReset, what + ": rowStatsReset");
        assertArrayEquals(e.columns, a.columns, what + ": columns");
        assertEquals(e.values.length, a.values.length, what + ": values length");
        for (int i = 0; i < e.values.length; i++) {
            assertEquals(Double.doubleToRawLongBits(e.values[i]), Double.doubleToRawLongBits(a.values[i]),
                    what + ": bits of values[" + i + "] (" + e.values[i] + " vs " + a.values[i] + ")");
        }
    }

    static void assertSameTexts(StatementTexts e, StatementTexts a, String what) {
        if (e == null || a == null) {
            assertEquals(e, a, what + ": texts");
            return;
        }
        assertEquals(e.instance, a.instance, what + ": texts.instance");
        assertEquals(e.seenAt, a.seenAt, what + ": texts.seenAt");
        assertArrayEquals(e.queryids, a.queryids, what + ": texts.queryids");
        assertArrayEquals(e.texts, a.texts, what + ": texts.texts");
        assertArrayEquals(e.truncated, a.truncated, what + ": texts.truncated");
    }

    /** Asserts the fast path declined and the fallback gave exactly the full path's outcome. */
    static SourceRecord assertFallsBackToTheSameOutcome(WireCodec codec, byte[] bytes, String what) {
        assertNull(new CompactDecoder(codec, VALIDATOR).decode(bytes, NOW), what + ": the fast path must decline");
        SnapshotDeserializer fast = withFastPath(codec);
        SourceRecord viaFast = decode(fast, bytes);
        assertEquals(0, fast.fastDecoded(), what);
        SourceRecord before = decode(fullPathOnly(codec), bytes);
        assertSameOutcome(before, viaFast, what);
        return viaFast;
    }

    /** Asserts the fast path took the record and gave exactly the full path's outcome. */
    static SourceRecord assertFastPathGivesTheSameOutcome(byte[] bytes, String what) {
        SnapshotDeserializer fast = withFastPath(CODEC);
        SourceRecord viaFast = decode(fast, bytes);
        assertEquals(1, fast.fastDecoded(), what + ": the fast path must take the record");
        assertNull(viaFast.full, what);
        SourceRecord before = decode(fullPathOnly(CODEC), bytes);
        assertNull(before.deadLetter, what + ": the full path accepts it");
        assertNotNull(viaFast.snapshot, what);
        assertSameOutcome(before, viaFast, what);
        return viaFast;
    }

    /**
     * Valid records a producer could write that the encoder never does: nulls, absent and extra
     * labels, unknown columns and fields, other field orders, escapes, exotic but finite numbers.
     */
    static List<String> validEdgeCases() {
        String row = "{\"labels\":{\"datname\":\"d\"},\"values\":{\"xact_commit\":5,\"numbackends\":3}}";
        String head = "\"schema\":1,\"kind\":\"metrics\",\"instance\":\"i1\",\"server_version_num\":170000,"
                + "\"collected_at\":" + TS + ",";
        return List.of(
                "{" + head + "\"view\":\"pg_stat_database\",\"rows\":[" + row + "]}",
                "{" + head + "\"view\":\"pg_stat_database\",\"stats_reset\":null,\"labels\":null,\"rows\":[]}",
                "{" + head + "\"view\":\"pg_stat_database\",\"labels\":{\"env\":\"prod\",\"role\":null,\"z\":\"\"},"
                        + "\"rows\":[{\"labels\":null,\"values\":{}},{\"values\":{\"xact_commit\":null}},"
                        + "{\"labels\":{\"datname\":null,\"other\":\"x\"},\"values\":{\"numbackends\":-0.0,"
                        + "\"future_column\":-1,\"xact_commit\":-0}, \"stats_reset\":null},"
                        + "{\"labels\":{\"datname\":\"\\u00fc\\u20ac\\ud83d\\ude00 \\\"q\\\\ \\u0000\\u001f\"},"
                        + "\"values\":{\"xact_commit\":1E2,\"blk_read_time\":2.5e-3,\"numbackends\":1.0},"
                        + "\"stats_reset\":1795000000000}]}",
                // rows after view, but kind, schema and instance last; unknown fields anywhere
                "{\"view\":\"pg_stat_activity\",\"future\":{\"a\":[1,2.5,\"x\",null,true,{\"b\":123456789012345678901234567890}]},"
                        + "\"collected_at\":" + TS + ",\"server_version_num\":0,\"rows\":[{\"values\":"
                        + "{\"oldest_xact_age_seconds\":0.25,\"connections_total\":7},\"extra\":[]}],"
                        + "\"kind\":\"metrics\",\"schema\":1,\"instance\":\"caf\u00e9 \\t\"}",
                "{" + head + "\"view\":\"pg_settings\",\"rows\":[{\"values\":{\"autovacuum\":1,"
                        + "\"autovacuum_vacuum_scale_factor\":0.2,\"server_start_epoch\":1795000000,"
                        + "\"max_wal_size_bytes\":1073741824.5}}]}",
                "{" + head + "\"view\":\"datainsight_collector\",\"rows\":[{\"labels\":{\"probe\":\"\"},"
                        + "\"values\":{\"up\":0,\"error\":1,\"duration_ms\":0.5,\"rows\":-3}}]}",
                " \n{\"schema\":1,\"kind\":\"statements\",\"instance\":\"i2\",\"server_version_num\":90000,"
                        + "\"collected_at\":" + TS + ",\"view\":\"pg_stat_statements\",\"extension_version\":null,"
                        + "\"texts\":[{\"queryid\":\"1\",\"text\":\"SELECT 1\",\"truncated\":true},"
                        + "{\"text\":\"SELECT $1\\n\",\"queryid\":\"-2\",\"extra\":{}}],"
                        + "\"rows\":[{\"labels\":{\"queryid\":\"1\",\"datname\":\"d\",\"rolname\":\"r\","
                        + "\"toplevel\":\"true\"},\"values\":{\"calls\":3,\"total_exec_time\":0.125}}]}\n ",
                "{\"schema\":1,\"kind\":\"statements\",\"instance\":\"i2\",\"server_version_num\":999999,"
                        + "\"collected_at\":" + TS + ",\"view\":\"pg_stat_statements\",\"texts\":null,"
                        + "\"rows\":[{\"labels\":{\"queryid\":\"other\"},\"values\":{\"calls\":9223372036854775807}}]}");
    }
}
