package dev.datainsight.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pins the field names of every record and the metric catalog. A failure here means the wire
 * format changed: update docs/wire-format.md (and bump the schema version if old readers break),
 * then the expectation.
 */
class WireFormatFieldsTest {
    private final WireCodec codec = new WireCodec();

    private static List<String> fields(byte[] json) throws IOException {
        JsonNode n = WireCodec.mapper().readTree(json);
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static MetricsSnapshot snapshot() {
        MetricsSnapshot s = new MetricsSnapshot();
        s.setInstance("i1");
        s.setServerVersionNum(170000);
        s.setCollectedAt(1L);
        s.setView("pg_stat_database");
        s.getRows().add(new SnapshotRow().label("datname", "d").value("xact_commit", 1.0));
        return s;
    }

    @Test
    void metricsSnapshotFields() throws Exception {
        assertEquals(List.of("schema", "kind", "instance", "server_version_num", "collected_at", "view", "stats_reset",
                "labels", "rows"), fields(codec.encode(snapshot())));
        JsonNode row = WireCodec.mapper().readTree(codec.encode(snapshot())).get("rows").get(0);
        List<String> rowFields = new ArrayList<>();
        row.fieldNames().forEachRemaining(rowFields::add);
        assertEquals(List.of("labels", "values"), rowFields);
    }

    @Test
    void statementsSnapshotFields() throws Exception {
        StatementsSnapshot s = new StatementsSnapshot();
        s.setInstance("i1");
        s.setServerVersionNum(170000);
        s.setCollectedAt(1L);
        assertEquals(List.of("schema", "kind", "instance", "server_version_num", "collected_at", "view", "stats_reset",
                "labels", "extension_version", "texts", "rows"), fields(codec.encode(s)));
    }

    @Test
    void plansSnapshotFields() throws Exception {
        PlansSnapshot s = new PlansSnapshot();
        s.setInstance("i1");
        s.setServerVersionNum(170000);
        s.setCollectedAt(1L);
        s.getPlans().add(QueryPlan.without("1", "d", "r", QueryPlan.SKIPPED, "why"));
        JsonNode n = WireCodec.mapper().readTree(codec.encode(s));
        assertEquals(List.of("schema", "kind", "instance", "server_version_num", "collected_at", "view", "stats_reset",
                "labels", "status", "plans", "rows"), fields(codec.encode(s)));
        List<String> planFields = new ArrayList<>();
        n.get("plans").get(0).fieldNames().forEachRemaining(planFields::add);
        assertEquals(List.of("queryid", "datname", "rolname", "status", "detail", "fingerprint", "summary", "plan",
                "truncated", "plan_bytes", "total_cost"), planFields);
        assertEquals("plans", n.get("kind").asText());
        assertEquals("query_plans", n.get("view").asText());
    }

    @Test
    void alertEventFields() throws Exception {
        assertEquals(List.of("schema", "fingerprint", "rule", "severity", "status", "instance", "labels", "value",
                "threshold", "started_at", "resolved_at", "event_at", "summary", "description", "runbook", "context",
                "instance_labels"), fields(codec.encode(new AlertEvent())));
    }

    @Test
    void deadLetterFields() throws Exception {
        assertEquals(List.of("schema", "reason", "detail", "source_topic", "partition", "offset", "record_timestamp",
                "failed_at", "instance", "payload", "payload_base64"), fields(codec.encode(new DeadLetterRecord())));
    }

    @Test
    void rejectReasonCodes() {
        List<String> codes = new ArrayList<>();
        for (RejectReason r : RejectReason.values()) {
            codes.add(r.code());
        }
        assertEquals(List.of("not_json", "wrong_shape", "unknown_schema_version", "missing_field", "wrong_type",
                "non_finite", "negative_counter", "oversized", "unknown_view", "in_future", "too_old", "out_of_domain",
                "late", "internal_error", "store_rejected"), codes);
    }

    @Test
    void metricCatalogNamesArePinned() throws Exception {
        List<String> expected;
        try (InputStream in = getClass().getResourceAsStream("/metric-names.txt")) {
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        }
        List<String> actual = new ArrayList<>();
        for (Map.Entry<String, ViewDef> e : MetricCatalog.views().entrySet()) {
            for (Column c : e.getValue().columns().values()) {
                actual.add(e.getKey() + "." + c.name() + " " + c.kind().name().toLowerCase(java.util.Locale.ROOT) + " " + c.unit());
            }
        }
        assertEquals(expected, actual, "metric catalog changed: update model/src/test/resources/metric-names.txt deliberately");
    }

    @Test
    void logBatchFields() throws Exception {
        LogBatch.Entry e = new LogBatch.Entry(0, 10, false, false, 1L, "t", "LOG", null, 1, "u", "d", "a", "c", null,
                null, null, null, null, null, null, "m", null, null, null, null, null, null);
        byte[] json = new LogBatchCodec().encode(new LogBatch(LogBatch.SCHEMA_VERSION, "i1", 170000, 1L,
                LogBatch.SOURCE_AGENTLESS, "f.log", "stderr", 0, 10, true, List.of(e)));
        assertEquals(List.of("schema", "kind", "instance", "server_version_num", "collected_at", "source", "file", "format",
                "first_offset", "end_offset", "statement_text", "entries"), fields(json));
        JsonNode entry = WireCodec.mapper().readTree(json).get("entries").get(0);
        List<String> names = new ArrayList<>();
        entry.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("offset", "end_offset", "unparsed", "truncated", "timestamp", "timestamp_text", "severity",
                "sqlstate", "pid", "user", "database", "application", "client", "session_id", "line_number", "vxid", "xid",
                "backend_type", "query_id", "leader_pid", "message", "detail", "hint", "context", "statement",
                "internal_query", "raw"), names);
    }
}
